"""A long article costs bounded work: at most CLAIMTRACK_ARTICLE_MAX_CLAIMS claims, the most
check-worthy, and in process the admin answers before the article is processed."""

from __future__ import annotations

import time

import pytest
from django.core.signals import request_finished
from django.test import Client
from django.urls import reverse

from claims import enqueue, extraction
from claims.engine import analyse
from claims.models import Article
from tests.factories import desk_user

pytestmark = pytest.mark.django_db(transaction=True)

PARAGRAPH = (
    "The minister said on Monday that the port handled {n} ships last month. "
    "Officials at the harbour said the figure was 40 percent higher than a year ago. "
    "The opposition leader claimed that the budget for district {n} had been cut by half. "
)


def long_text(paragraphs: int) -> str:
    return "\n\n".join(PARAGRAPH.format(n=n) for n in range(paragraphs))


def test_only_the_most_checkworthy_claims_are_kept_in_text_order():
    extracted = analyse(long_text(20))
    kept, dropped = extraction.most_checkworthy(extracted, 10)
    assert len(kept) == 10 and dropped == len(extracted) - 10
    assert [c.content.start for c in kept] == sorted(c.content.start for c in kept)
    floor = min(c.checkworthiness for c in kept)
    assert all(c.checkworthiness <= floor for c in extracted if c not in kept)
    assert extraction.most_checkworthy(extracted, len(extracted)) == (extracted, 0)


def test_a_long_article_saved_from_the_admin_answers_first_and_is_capped(settings):
    settings.CLAIMTRACK_ARTICLE_MAX_CLAIMS = 25
    text = long_text(300)  # about 70 kB
    assert len(text.encode()) > 70_000
    editor = Client()
    editor.force_login(desk_user("edith", "Editors"))
    # The work the request sent runs on request_finished, after the response has gone out;
    # held back here to see the response alone, then run.
    request_finished.disconnect(dispatch_uid="claims.enqueue.request_finished")
    try:
        started = time.monotonic()
        response = editor.post(reverse("admin:claims_article_add"), {
            "title": "A long day in the harbour", "source_name": "Harbour Times", "text": text})
        answered = time.monotonic() - started
        assert response.status_code == 302, response.content.decode()[:2000]
        assert Article.objects.get().state == Article.State.PENDING
    finally:
        request_finished.connect(enqueue.request_finished,
                                 dispatch_uid="claims.enqueue.request_finished")
    assert answered < 1.0
    enqueue.request_finished()
    article = Article.objects.get()
    assert article.state == Article.State.DONE
    assert article.claims.count() == 25 and article.claims_dropped > 0
