"""The admin as editors use it: lists without N+1 queries, filters, escaping, permissions."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims.models import Article, Claim
from claims.roles import roles_ensure
from tests.factories import (
    ArticleFactory,
    ClaimantFactory,
    ClaimFactory,
    SourceFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:claims_claim_changelist")


@pytest.fixture
def editor(client):
    user = UserFactory(username="editor", is_staff=True)
    user.groups.add(roles_ensure()["Editors"])
    client.force_login(user)
    return user


@pytest.fixture
def stranger(client):
    user = UserFactory(username="stranger", is_staff=True)
    client.force_login(user)
    return user


def make_claims(count):
    sources = [SourceFactory() for _ in range(3)]
    claimants = [ClaimantFactory() for _ in range(4)]
    for i in range(count):
        ClaimFactory(article=ArticleFactory(source=sources[i % 3]), claimant=claimants[i % 4],
                     kind=[Claim.Kind.ALLEGATION, Claim.Kind.DENIAL][i % 2])


def changelist_queries(client, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGELIST, params)
    assert response.status_code == 200
    return len(queries)


def test_it_lists_claims_with_a_constant_number_of_queries(client, editor):
    make_claims(5)
    few = changelist_queries(client)
    make_claims(45)
    many = changelist_queries(client)
    assert many == few, f"{few} queries for 5 claims but {many} for 50"


def test_it_lists_filtered_claims_with_a_constant_number_of_queries(client, editor):
    make_claims(5)
    few = changelist_queries(client, kind__exact="denial")
    make_claims(45)
    assert changelist_queries(client, kind__exact="denial") == few


def test_it_filters_claims_by_kind_claimant_and_source(client, editor):
    make_claims(12)
    claim = Claim.objects.select_related("claimant", "article__source").first()
    by_kind = client.get(CHANGELIST, {"kind__exact": "denial"}).context["cl"].result_list
    assert {c.kind for c in by_kind} == {"denial"}
    by_claimant = client.get(CHANGELIST, {"claimant__id__exact": claim.claimant_id})
    assert {c.claimant_id for c in by_claimant.context["cl"].result_list} == {claim.claimant_id}
    by_source = client.get(CHANGELIST, {"article__source__id__exact": claim.article.source_id})
    assert {c.article.source_id for c in by_source.context["cl"].result_list} == {
        claim.article.source_id}
    assert len(by_source.context["cl"].result_list) == 4


def test_it_shows_the_claim_in_context_with_article_html_escaped(client, editor):
    article = ArticleFactory(
        text='The mayor said <script>alert("pwned")</script> taxes fell by 3%. Then more.')
    claim = ClaimFactory(article=article, start=15, end=64, sentence_start=0, sentence_end=64,
                         text=article.text[15:64])
    response = client.get(reverse("admin:claims_claim_change", args=[claim.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert '<script>alert("pwned")</script>' not in body
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;" in body
    assert "<mark>&lt;script&gt;" in body


def test_it_shows_articles_with_claim_counts_and_states(client, editor):
    claim = ClaimFactory()
    ArticleFactory(state=Article.State.FAILED, error="Extraction error: boom")
    response = client.get(reverse("admin:claims_article_changelist"))
    assert response.status_code == 200
    rows = {a.title: a for a in response.context["cl"].result_list}
    assert rows[claim.article.title].claim_count == 1
    page = client.get(reverse("admin:claims_article_changelist"), {"state__exact": "failed"})
    assert [a.error for a in page.context["cl"].result_list] == ["Extraction error: boom"]


def test_an_editor_adds_an_article_in_the_admin_and_it_is_processed(
        client, editor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:claims_article_add"), {
            "title": "Port record", "source_name": "Harbour Times",
            "url": "https://harbour.example/record", "published_at_0": "2022-01-11",
            "published_at_1": "10:00:00",
            "text": "The harbour master said on Monday that the port handled 40 ships in a day.",
            "html": "",
        })
    assert response.status_code == 302, response.context["adminform"].form.errors
    article = Article.objects.get()
    assert article.submitted_by == editor
    page = client.get(response["Location"])
    assert "Port record" in "".join(str(m) for m in page.context["messages"])
    assert article.state == Article.State.DONE
    assert article.claims.exists()


def test_the_add_form_shows_the_ingestion_error_and_stores_nothing(client, editor):
    response = client.post(reverse("admin:claims_article_add"), {
        "title": "Bad", "source_name": "Harbour Times", "url": "http://127.0.0.1/x",
        "text": "The harbour master said the port handled 40 ships in a single day.",
        "html": "", "published_at_0": "", "published_at_1": "",
    })
    assert response.status_code == 200
    assert "local or private address" in response.content.decode()
    assert not Article.objects.exists()


def test_an_editor_can_view_but_not_delete_or_add_claims(client, editor):
    claim = ClaimFactory()
    assert client.get(reverse("admin:claims_claim_change", args=[claim.pk])).status_code == 200
    assert client.get(reverse("admin:claims_claim_delete", args=[claim.pk])).status_code == 403
    assert client.get(reverse("admin:claims_claim_add")).status_code == 403
    assert Claim.objects.filter(pk=claim.pk).exists()


def test_an_editor_cannot_change_sources_or_users(client, editor):
    source = SourceFactory()
    assert client.get(reverse("admin:claims_source_change", args=[source.pk])).status_code == 200
    assert client.post(reverse("admin:claims_source_change", args=[source.pk]),
                       {"name": "Renamed"}).status_code == 403
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403


def test_an_editor_requeues_an_article_with_the_action(
        client, editor, django_capture_on_commit_callbacks):
    article = ArticleFactory(state=Article.State.FAILED, error="boom", attempts=5)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:claims_article_changelist"), {
            "action": "reprocess", "_selected_action": [article.pk]}, follow=True)
    assert response.status_code == 200
    article.refresh_from_db()
    assert article.state == Article.State.DONE
    assert article.error == ""


def test_staff_without_a_role_sees_nothing(client, stranger):
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(reverse("admin:claims_article_changelist")).status_code == 403


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
    assert client.post(reverse("admin:claims_article_add"), {}).status_code == 302
    assert not Article.objects.exists()


def test_saving_an_article_page_changes_nothing_and_does_not_fail(client, editor):
    claim = ClaimFactory()
    article = claim.article
    url = reverse("admin:claims_article_change", args=[article.pk])
    form = client.get(url).context["adminform"].form
    data = {"claims-TOTAL_FORMS": "1", "claims-INITIAL_FORMS": "1",
            "claims-MIN_NUM_FORMS": "0", "claims-MAX_NUM_FORMS": "1000",
            "claims-0-id": str(claim.pk), "claims-0-article": str(article.pk), "_save": "Save"}
    assert not form.fields  # every field is read-only
    response = client.post(url, data)
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.claims.count() == 1


def test_an_article_whose_claims_have_a_review_trail_cannot_be_deleted(client):
    from django.db.models import ProtectedError

    from tests.factories import ReviewEventFactory

    event = ReviewEventFactory()
    with pytest.raises(ProtectedError):
        event.claim.article.delete()


def test_the_admin_passes_djangos_system_checks():
    from django.core.management import call_command

    call_command("check", fail_level="WARNING")
