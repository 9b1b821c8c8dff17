"""Recovery always finishes: stranded articles are handed back, retries resume their own
lease, waiting work is not sent twice, long articles are matched in chunks, concurrent
matching never deadlocks, and a worker killed mid-extraction is recovered (docs/reliability.md).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError, connection, connections
from django.db.models import QuerySet
from django.utils import timezone

from claims import enqueue, extraction, ingestion, matching, propositions, tasks
from claims.engine import propositions as propositions_engine
from claims.models import Article, Claim, ClaimLink
from tests.conftest import require
from tests.test_pipeline_services import (  # noqa: F401 - fixtures
    services_required,
    worker_factory,
)

DEMO = Path(__file__).resolve().parents[1] / "demo" / "corpus"

STORY = (
    "Julia Marsh, the harbour master, said on Monday that the port handled 40 ships in a day. "
    "The shipping company denied that it had cut wages. "
    '"We will reopen the north quay in March," Marsh told reporters.'
)


def ingest(text: str = STORY, title: str = "Quay news") -> Article:
    return ingestion.article_ingest(title=title, source_name="Harbour Times", text=text)


def strand(article: Article, *, attempts: int = 1, ago: timedelta = timedelta(hours=2)):
    """As a worker killed mid-extraction leaves it: processing, taken long ago, no claims."""
    Claim.objects.filter(article=article).delete()
    Article.objects.filter(pk=article.pk).update(
        state=Article.State.PROCESSING, attempts=attempts,
        state_changed_at=timezone.now() - ago, matched_at=None)


@pytest.mark.django_db(transaction=True)
def test_the_sweep_recovers_an_article_left_processing_by_a_dead_worker():
    article = ingest()
    strand(article)
    now = timezone.now()
    counts = [extraction.articles_sweep(now=now + timedelta(minutes=minutes))
              for minutes in (1, 2, 3)]
    article.refresh_from_db()
    assert article.state == Article.State.DONE, article.error
    assert article.claims.count() >= 2
    assert [c["requeued"] for c in counts] == [1, 0, 0]  # handed back once, then done
    assert article.attempts == 2  # the dead worker's take and the recovered one


@pytest.mark.django_db(transaction=True)
def test_the_sweep_hands_back_with_a_guard_on_the_timestamp_it_read():
    """Another sweep hands the article back between this sweep's read and its write: this
    one changes nothing and sends nothing."""
    article = ingest()
    strand(article)
    real_iterator = QuerySet.iterator
    rival_at = timezone.now()

    def read_then_lose_the_race(queryset, *args, **kwargs):
        rows = list(real_iterator(queryset, *args, **kwargs))
        Article.objects.filter(pk=article.pk).update(
            state=Article.State.PENDING, state_changed_at=rival_at)
        return iter(rows)

    with mock.patch.object(QuerySet, "iterator", read_then_lose_the_race), \
            mock.patch.object(tasks.article_process_task, "delay") as delay:
        counts = extraction.articles_sweep()
    assert counts["requeued"] == 0 and delay.call_count == 0
    article.refresh_from_db()
    assert article.state_changed_at == rival_at and article.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_an_article_whose_worker_keeps_dying_fails_with_the_reason(settings):
    settings.CLAIMTRACK_MAX_ATTEMPTS = 3
    article = ingest()
    strand(article, attempts=3)
    assert extraction.articles_sweep()["failed"] == 1
    article.refresh_from_db()
    assert article.state == Article.State.FAILED
    assert "Gave up after 3 attempts" in article.error


@pytest.mark.django_db(transaction=True)
def test_a_retry_after_a_database_error_resumes_its_own_lease():
    """The database fails after the article was taken: the retry carries the lease and
    finishes the article at once, instead of being refused by its own lease."""
    with mock.patch.object(tasks.article_process_task, "delay"):
        article = ingest()
    with mock.patch.object(extraction, "article_extract",
                           side_effect=OperationalError("server closed the connection")), \
            mock.patch.object(tasks.article_process_task, "retry",
                              side_effect=RuntimeError("retry scheduled")) as retry:
        with pytest.raises(RuntimeError, match="retry scheduled"):
            tasks.article_process_task.apply(args=[article.pk], throw=True)
    sent = retry.call_args.kwargs["kwargs"]
    assert sent["article_id"] == article.pk and sent["lease"]
    assert Article.objects.get(pk=article.pk).state == Article.State.PROCESSING
    assert tasks.article_process_task.apply(kwargs=sent).get() == "done"
    article.refresh_from_db()
    assert article.state == Article.State.DONE and article.claims.count() >= 2
    assert article.attempts == 1  # resuming its own lease is not a new attempt
    # Without its lease, the same delivery is refused (the lease is not expired).
    strand(article, ago=timedelta(seconds=1))
    assert tasks.article_process_task.apply(args=[article.pk]).get() == "skipped"


@pytest.mark.django_db(transaction=True)
def test_a_result_from_a_lease_handed_back_meanwhile_is_discarded():
    article = ingest()
    strand(article)
    lease = extraction.article_take(article_id=article.pk)
    # The sweep thinks the worker dead and hands the article to another delivery.
    Article.objects.filter(pk=article.pk).update(state_changed_at=lease - timedelta(hours=3))
    other = extraction.article_take(article_id=article.pk)
    assert other is not None and other != lease
    assert extraction.article_extract(article_id=article.pk, lease=lease).status == "skipped"
    assert extraction.article_extract(article_id=article.pk, lease=other).status == "done"
    assert Claim.objects.filter(article=article).count() >= 2


# --- only what is lost is sent again ------------------------------------------------------------


def sent_long_ago(article: Article) -> None:
    long_ago = timezone.now() - timedelta(hours=1)
    Claim.objects.filter(article=article).delete()
    Article.objects.filter(pk=article.pk).update(
        state=Article.State.PENDING, state_changed_at=long_ago, enqueued_at=long_ago)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("queue, resent", [
    (enqueue.QueueState(waiting=40, started_at=None), 0),  # waiting behind a backlog
    (enqueue.QueueState(waiting=0, started_at=None), 1),  # the queue is empty: lost
    (enqueue.QueueState(waiting=40, started_at=timezone.now()), 1),  # broker restarted
    (enqueue.QueueState(waiting=None, started_at=None), 0),  # the broker cannot say
])
def test_the_sweep_resends_a_sent_article_only_when_its_message_is_lost(queue, resent):
    article = ingest()
    sent_long_ago(article)
    with mock.patch.object(enqueue, "queue_state", return_value=queue), \
            mock.patch.object(tasks.article_process_task, "delay") as delay:
        assert extraction.articles_sweep()["requeued"] == resent
    assert delay.call_count == resent


@pytest.mark.django_db(transaction=True)
def test_an_article_never_sent_is_sent_by_the_next_sweep_without_asking_the_broker():
    article = ingest()
    Claim.objects.filter(article=article).delete()
    Article.objects.filter(pk=article.pk).update(
        state=Article.State.PENDING, enqueued_at=None,
        state_changed_at=timezone.now() - timedelta(seconds=enqueue.UNSENT_GRACE_SECONDS + 5))
    with mock.patch.object(enqueue, "queue_state") as asked, \
            mock.patch.object(tasks.article_process_task, "delay") as delay:
        assert extraction.articles_sweep()["requeued"] == 1
    assert delay.call_count == 1 and not asked.called


@pytest.mark.django_db(transaction=True)
def test_a_sent_article_records_when_it_was_sent():
    with mock.patch.object(tasks.article_process_task, "delay"):
        article = ingest()
    article.refresh_from_db()
    assert article.state == Article.State.PENDING and article.enqueued_at is not None


# --- long articles are matched in chunks ---------------------------------------------------------


def ingest_demo():
    from django.core.management import call_command

    call_command("ingest_articles", str(DEMO), no_progress=True)
    return max(Article.objects.all(), key=lambda a: a.claims.count())


def links_of(article):
    """The article's claim-to-claim and fact-check links, and how many claims belong to a
    proposition (whose ids differ from one matching to the next)."""
    links = sorted(ClaimLink.objects.filter(claim__article=article, proposition__isnull=True)
                   .values_list("claim_id", "target_claim_id", "factcheck_id", "relation"),
                   key=str)
    members = ClaimLink.objects.filter(claim__article=article, proposition__isnull=False)
    return links, members.count()


def rematch_from_scratch(article):
    ClaimLink.objects.filter(claim__article=article).delete()
    Article.objects.filter(pk=article.pk).update(matched_at=None, match_cursor=0)
    tasks.article_match_task.delay(article.pk)
    article.refresh_from_db()


@pytest.mark.django_db(transaction=True)
def test_a_long_article_is_matched_one_claim_a_pass_with_the_same_links(settings, monkeypatch):
    # A low link threshold, so that the demo article has links to compare.
    monkeypatch.setattr(propositions_engine, "LINK_MIN", 0.3)
    article = ingest_demo()
    rematch_from_scratch(article)  # in one pass, now that every article is in
    whole = links_of(article)
    claims = Claim.objects.filter(article=article, kind__in=Claim.MATCHABLE_KINDS).count()
    assert claims >= 4 and whole[0]
    settings.CLAIMTRACK_MATCH_CHUNK = 1  # a pass a claim, run in turn (not nested) in process
    with mock.patch.object(matching, "_prepare", wraps=matching._prepare) as matched:
        rematch_from_scratch(article)
    assert article.matched_at is not None and article.match_started_at is None
    assert matched.call_count == claims  # each claim once, over as many passes
    assert links_of(article) == whole


@pytest.mark.django_db(transaction=True)
def test_a_claim_that_always_overruns_the_time_limit_ends_matching_with_the_reason(settings):
    settings.CLAIMTRACK_MAX_ATTEMPTS = 3
    article = ingest_demo()
    Article.objects.filter(pk=article.pk).update(matched_at=None, match_cursor=0)
    with mock.patch.object(matching, "_prepare",
                           side_effect=SoftTimeLimitExceeded()) as matched:
        tasks.article_match_task.delay(article.pk)
    article.refresh_from_db()
    assert matched.call_count == 3  # a pass a time, each handing the claim on, then the end
    assert "Matching gave up after 3 attempts" in article.error
    assert article.matched_at is None and article.match_started_at is None
    assert matching.articles_match_sweep()["rematched"] == 0


@pytest.mark.django_db(transaction=True)
def test_rerunning_extraction_forgets_the_last_send():
    """Its send may be refused: the sweep must see it as never sent, not as waiting."""
    article = ingest()
    Article.objects.filter(pk=article.pk).update(enqueued_at=timezone.now())
    with mock.patch.object(tasks.article_process_task, "delay",
                           side_effect=enqueue.BROKER_ERRORS[0]("broker down")):
        assert extraction.article_reprocess(article=article)
    article.refresh_from_db()
    assert article.state == Article.State.PENDING and article.enqueued_at is None


@pytest.mark.django_db(transaction=True)
def test_a_pass_out_of_time_still_matches_one_claim_and_hands_on_the_rest():
    article = ingest_demo()
    Article.objects.filter(pk=article.pk).update(matched_at=None, match_cursor=0)
    with mock.patch.object(enqueue, "article_match_enqueue") as sent:
        counts = matching.article_match(article_id=article.pk, deadline=time.monotonic() - 1)
    article.refresh_from_db()
    first = Claim.objects.filter(article=article, kind__in=Claim.MATCHABLE_KINDS) \
        .order_by("pk").first()
    assert counts is not None and article.match_cursor == first.pk
    assert article.matched_at is None and article.match_started_at is None
    sent.assert_called_once_with(article_id=article.pk)


@pytest.mark.django_db(transaction=True)
def test_a_second_matching_pass_is_refused_while_one_holds_the_lease():
    article = ingest_demo()
    Article.objects.filter(pk=article.pk).update(matched_at=None, match_cursor=0)
    taken = matching.article_match_take(article_id=article.pk)
    assert taken is not None
    assert matching.article_match(article_id=article.pk) is None
    assert matching.article_match_take(article_id=article.pk, lease=taken.lease) is not None


# --- on PostgreSQL and Redis -------------------------------------------------------------------


def _deadlocks() -> int:
    """Deadlocks PostgreSQL has counted in this database so far. The count is cumulative for
    the database's life, and other tests share the database (a browser test's live server can
    still be writing when its flush runs), so a test compares the count before and after."""
    # pg_stat_database is refreshed from the statistics collector at most once per
    # transaction: a fresh snapshot is asked for first.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_concurrent_matching_of_articles_sharing_claimants_never_deadlocks(
        services_required):  # noqa: F811 - the imported fixture
    """Four threads match claims of the demo corpus (one story, shared claimants) against
    each other round after round, while an editor decides links and two articles are
    extracted again; PostgreSQL reports no deadlock."""
    from django.core.management import call_command

    from tests.factories import UserFactory

    editor = UserFactory()
    deadlocks_before = _deadlocks()
    with mock.patch.object(enqueue, "article_enqueue"), \
            mock.patch.object(enqueue, "article_match_enqueue"):
        call_command("ingest_articles", str(DEMO), no_progress=True)
        for article_id in Article.objects.values_list("pk", flat=True):
            extraction.article_process(article_id=article_id)
        ids = list(Claim.objects.filter(kind__in=Claim.MATCHABLE_KINDS)
                   .order_by("pk").values_list("pk", flat=True))
        assert len(ids) >= 20
        errors = []

        def guarded(job):
            def run(*args):
                try:
                    job(*args)
                except Exception as exc:  # noqa: BLE001 - reported below
                    errors.append(exc)
                finally:
                    connections.close_all()
            return run

        def match_all(offset: int) -> None:
            for _ in range(3):
                for claim_id in ids[offset:] + ids[:offset]:
                    matching.claim_match(claim_id=claim_id)

        def decide_links() -> None:
            for _ in range(30):
                link = ClaimLink.objects.filter(status=ClaimLink.Status.SUGGESTED,
                                                target_claim__isnull=False).order_by("?").first()
                try:
                    if link is not None:
                        propositions.link_decide(link=link, user=editor,
                                             status=ClaimLink.Status.CONFIRMED)
                except ClaimLink.DoesNotExist:
                    pass  # deleted with its claims by the re-extraction meanwhile
                time.sleep(0.05)

        def extract_again() -> None:
            articles = list(Article.objects.order_by("pk")[:2])
            for _ in range(4):
                for article in articles:
                    extraction.article_reprocess(article=article)
                    extraction.article_process(article_id=article.pk)

        threads = [threading.Thread(target=guarded(match_all), args=(k * len(ids) // 4,))
                   for k in range(4)]
        threads += [threading.Thread(target=guarded(decide_links)),
                    threading.Thread(target=guarded(extract_again))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(600)
    assert not errors, errors
    assert _deadlocks() == deadlocks_before


def pool_children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(p) for p in (task / "children").read_text().split()]
    return found


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_extraction_is_recovered_within_the_lease(
        worker_factory, settings, seed_text):  # noqa: F811
    """A prefork child is killed while it extracts a long article. Its redelivered message
    finds the lease held; the sweep hands the article back once the lease (11 s here) runs
    out, and it is done within lease + sweep interval + one extraction."""
    lease = 11
    settings.CLAIMTRACK_PROCESSING_TIMEOUT = lease
    worker = worker_factory(pool="prefork", CELERY_TASK_TIME_LIMIT="10",
                            CLAIMTRACK_PROCESSING_TIMEOUT=str(lease),
                            CLAIMTRACK_MATCH_CHUNK="1")
    require(os.path.isdir(f"/proc/{worker.pid}"), "no /proc to find the pool's children")
    deadline = time.monotonic() + 60
    while not pool_children(worker.pid):
        assert time.monotonic() < deadline, "the worker started no pool process"
        time.sleep(0.2)
    article = ingest(text="\n\n".join(f"{seed_text}\n\nUpdate {n}." for n in range(200)),
                     title="A long file of the seed story")
    while Article.objects.get(pk=article.pk).state != Article.State.PROCESSING:
        assert time.monotonic() < deadline, "the worker never took the article"
        time.sleep(0.02)
    for child in pool_children(worker.pid):
        os.kill(child, signal.SIGKILL)
    killed_at = time.monotonic()
    time.sleep(2)
    assert Article.objects.get(pk=article.pk).state == Article.State.PROCESSING  # stranded
    while True:  # the beat's sweep, every second
        extraction.articles_sweep()
        state = Article.objects.get(pk=article.pk).state
        if state in (Article.State.DONE, Article.State.FAILED):
            break
        assert time.monotonic() - killed_at < lease + 45, f"still {state}"
        time.sleep(1)
    article.refresh_from_db()
    assert article.state == Article.State.DONE, article.error
    assert article.attempts == 2
    # Every claim found, of which the most check-worthy are kept (the rest counted).
    assert article.claims.count() == settings.CLAIMTRACK_ARTICLE_MAX_CLAIMS
    assert article.claims_dropped > 1000 - settings.CLAIMTRACK_ARTICLE_MAX_CLAIMS
