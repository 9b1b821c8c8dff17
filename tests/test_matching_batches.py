"""Matching an article's claims in one batch (one transaction, reads shared) gives what matching
them one at a time gives: the same propositions, sides, links, scores, fact-check links and
priorities; a batch that fails leaves nothing half-written and records no progress."""

import json
from collections import defaultdict
from types import SimpleNamespace
from unittest import mock

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connection, connections

from claims import ingestion, matching, propositions, tasks
from claims.engine import propositions as propositions_engine
from claims.models import Article, Claim, ClaimLink, FactCheck, Proposition
from tests.conftest import SHARED_DATA, require_data
from tests.factories import UserFactory
from tests.test_matching import DEMO

pytestmark = pytest.mark.django_db(transaction=True)

POLNEAR_DEV = SHARED_DATA / "attribution" / "dev.jsonl"


def real_articles(count: int) -> list[Article]:
    """The first PolNeAR dev articles (real news from seven outlets), extracted."""
    path = require_data(POLNEAR_DEV)
    made = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            title, _, _ = row["text"].partition("\n")
            made.append(ingestion.article_ingest(
                title=title[:200] or row["id"], source_name=row["id"].split("_")[0],
                text=row["text"]))
            if len(made) == count:
                break
    return made


def unmatched() -> None:
    """Every link, proposition and count gone, every article waiting for matching."""
    ClaimLink.objects.all().delete()
    Proposition.objects.all().delete()
    Claim.objects.update(corroborations=0, contradictions=0, priority=matching.PRIORITY)
    Article.objects.update(matched_at=None, match_started_at=None, match_cursor=0,
                           match_attempts=0)


def state() -> dict:
    """What matching made, independent of the ids of the propositions it created."""
    members = defaultdict(set)
    for claim_id, proposition_id in ClaimLink.objects.filter(
            proposition__isnull=False).values_list("claim_id", "proposition_id"):
        members[proposition_id].add(claim_id)
    group = {pid: frozenset(ids) for pid, ids in members.items()}
    links = set()
    for link in ClaimLink.objects.all():
        target = (("claim", link.target_claim_id) if link.target_claim_id else
                  ("proposition", group.get(link.proposition_id)) if link.proposition_id else
                  ("factcheck", link.factcheck_id))
        links.add((link.claim_id, target, link.relation, link.score, tuple(link.cues),
                   link.status))
    return {"links": links,
            "propositions": {(group.get(p.pk), json.dumps(p.terms, sort_keys=True))
                             for p in Proposition.objects.all()},
            "priority": dict(Claim.objects.values_list("pk", "priority"))}


def match_in_batches() -> None:
    for article in Article.objects.order_by("pk"):
        matching.article_match(article_id=article.pk)


def match_one_at_a_time() -> None:
    for article in Article.objects.order_by("pk"):
        for claim_id in Claim.objects.matchable().filter(article=article).order_by("pk") \
                .values_list("pk", flat=True):
            matching.claim_match(claim_id=claim_id)


def test_an_articles_batch_matches_as_its_claims_one_at_a_time():
    call_command("ingest_articles", str(DEMO), no_progress=True)
    real_articles(12)
    claim = Claim.objects.filter(kind="allegation", text__icontains="invade Ukraine").first()
    FactCheck.objects.create(external_id="fc-1", origin="ours", publisher="Desk",
                             claim_reviewed=claim.text, verdict="unproven")
    assert Claim.objects.matchable().count() > 100

    unmatched()
    match_in_batches()
    batched = state()
    assert Article.objects.filter(matched_at__isnull=True).count() == 0
    unmatched()
    match_one_at_a_time()
    alone = state()

    kinds = {target[0] for _, target, *_ in batched["links"]}
    assert kinds == {"claim", "proposition", "factcheck"}  # every kind of link compared
    assert batched == alone


def test_a_batch_is_one_transaction_with_one_commit():
    article = max(real_articles(3), key=lambda a: a.claims.count())
    claims = Claim.objects.matchable().filter(article=article).count()
    assert claims >= 8
    unmatched()
    wrapper = connections[DEFAULT_DB_ALIAS]
    with mock.patch.object(wrapper, "commit", wraps=wrapper.commit) as commits:
        taken = matching.article_match_take(article_id=article.pk)
        matching.article_match_pass(article_id=article.pk, taken=taken)
    article.refresh_from_db()
    assert article.matched_at is not None
    # Each batch's links, counts and progress commit together (the lease is taken by one
    # statement in autocommit); matched a claim at a time, three transactions a claim.
    assert commits.call_count == 1 + (claims - 1) // matching.MATCH_BATCH


def test_a_batch_that_fails_writes_nothing_and_records_no_progress(settings):
    articles = real_articles(3)
    article = max(articles, key=lambda a: a.claims.count())
    unmatched()
    match_in_batches()
    before = state()
    ClaimLink.objects.filter(claim__article=article).delete()
    Article.objects.filter(pk=article.pk).update(matched_at=None, match_cursor=0)
    cut = state()

    calls = []

    def fails_on_the_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("database went away")
        return real(*args, **kwargs)

    real = matching._link_members
    with mock.patch.object(matching, "_link_members", side_effect=fails_on_the_third), \
            pytest.raises(RuntimeError):
        matching.article_match(article_id=article.pk)
    article.refresh_from_db()
    assert article.match_cursor == 0 and article.matched_at is None
    assert state()["links"] == cut["links"]  # the two claims before it kept no link either

    Article.objects.filter(pk=article.pk).update(match_started_at=None)
    matching.article_match(article_id=article.pk)
    assert state()["links"] == before["links"]


def test_a_pass_out_of_time_writes_the_claims_it_prepared(settings):
    article = max(real_articles(2), key=lambda a: a.claims.count())
    ids = list(Claim.objects.matchable().filter(article=article).order_by("pk")
               .values_list("pk", flat=True))
    unmatched()
    clock = iter(range(100))
    fake_time = SimpleNamespace(monotonic=lambda: next(clock))
    with mock.patch.object(matching, "time", fake_time), \
            mock.patch.object(matching.enqueue, "article_match_enqueue") as sent:
        taken = matching.article_match_take(article_id=article.pk)
        matching.article_match_pass(article_id=article.pk, taken=taken, deadline=2.5)
    article.refresh_from_db()
    # The first claim is prepared without a look at the clock; the next three while it reads
    # 0, 1, 2; at 3 the deadline has passed: four claims written, the rest handed on.
    assert article.match_cursor == ids[3] and article.matched_at is None
    assert set(ClaimLink.objects.filter(claim__article=article, proposition__isnull=False)
               .values_list("claim_id", flat=True)) == set(ids[:4])
    sent.assert_called_once_with(article_id=article.pk)


def test_matching_commits_without_waiting_for_the_disk_only_in_its_own_transaction():
    if connection.vendor != "postgresql":
        pytest.skip("synchronous_commit is PostgreSQL's")
    article = real_articles(1)[0]
    unmatched()
    seen = []

    def spy(execute, sql, params, many, context):
        if "synchronous_commit" in sql:
            seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        matching.article_match(article_id=article.pk)
        assert seen == ["SET LOCAL synchronous_commit TO OFF"]
        # A claim matched again on its own has no pass to redo it: it waits for the disk.
        matching.claim_match(claim_id=article.claims.matchable().first().pk)
    assert seen == ["SET LOCAL synchronous_commit TO OFF"]
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"  # SET LOCAL: only the matching transaction


def decide_some(editor) -> None:
    """The desk's decisions, picked by what they link (the same in both runs): two links
    rejected, one confirmed, two memberships rejected."""
    links = list(ClaimLink.objects.filter(target_claim__isnull=False)
                 .order_by("claim_id", "target_claim_id"))
    assert len(links) >= 3
    for link in links[:2]:
        propositions.link_decide(link=link, user=editor, status=ClaimLink.Status.REJECTED)
    propositions.link_decide(link=links[2], user=editor, status=ClaimLink.Status.CONFIRMED)
    for membership in ClaimLink.objects.filter(proposition__isnull=False).order_by(
            "claim_id")[:2]:
        propositions.link_decide(link=membership, user=editor,
                                 status=ClaimLink.Status.REJECTED)


def test_matching_again_after_the_desks_decisions_is_the_same_in_batches(monkeypatch):
    """A second pass meets links it made, links the desk decided and memberships the desk
    refused: batches and single claims must treat them alike."""
    monkeypatch.setattr(propositions_engine, "LINK_MIN", 0.3)  # more links to decide
    call_command("ingest_articles", str(DEMO), no_progress=True)
    real_articles(6)
    editor = UserFactory(is_staff=True)
    results = []
    for match in (match_in_batches, match_one_at_a_time):
        unmatched()
        match()
        decide_some(editor)
        Article.objects.update(matched_at=None, match_started_at=None, match_cursor=0)
        match()
        results.append(state())
    batched, alone = results
    decided = {status for *_, status in batched["links"]}
    assert {ClaimLink.Status.REJECTED, ClaimLink.Status.CONFIRMED} <= decided
    assert batched == alone


def test_claims_of_several_articles_in_one_batch_see_each_others_links():
    call_command("ingest_articles", str(DEMO), no_progress=True)
    ids = list(Claim.objects.matchable().order_by("pk").values_list("pk", flat=True))
    unmatched()
    with mock.patch.object(matching._Links, "flush", autospec=True,
                           side_effect=matching._Links.flush) as flushed:
        matching.claims_match(claim_ids=ids)
    assert flushed.call_count > 1  # a claim met an earlier claim of the batch as a candidate
    batched = state()
    unmatched()
    for claim_id in ids:
        matching.claim_match(claim_id=claim_id)
    assert state() == batched


def test_a_time_limit_while_a_batch_is_written_rolls_it_back_and_hands_it_on():
    article = max(real_articles(2), key=lambda a: a.claims.count())
    unmatched()
    with mock.patch.object(matching, "_link_members", side_effect=SoftTimeLimitExceeded()), \
            mock.patch.object(matching.enqueue, "article_match_enqueue") as sent:
        tasks.article_match_task.apply(args=(article.pk,))
    article.refresh_from_db()
    assert article.match_cursor == 0 and article.matched_at is None
    assert article.match_started_at is None  # the lease given back with the pass
    assert not ClaimLink.objects.filter(claim__article=article).exists()
    assert not Proposition.objects.exists()  # the first claim's new proposition went too
    sent.assert_called_once_with(article_id=article.pk)
