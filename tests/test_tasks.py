"""Processing is idempotent, retries only transient failures, and loses nothing."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import OperationalError
from django.utils import timezone

from claims import engine, extraction, ingestion, matching, tasks
from claims.models import Article, Claim, ReviewEvent
from config.celery import app as celery_app
from tests.factories import ArticleFactory, UserFactory

# Real commits, so processing enqueued with transaction.on_commit runs as in production.
pytestmark = pytest.mark.django_db(transaction=True)

STORY = (
    "Julia Marsh, the harbour master, said on Monday that the port handled 40 ships in a day. "
    "The shipping company denied that it had cut wages. "
    '"We will reopen the north quay in March," Marsh told reporters.'
)


def pending_article(**fields):
    fields.setdefault("state", Article.State.PENDING)
    return ArticleFactory(text=fields.pop("text", STORY), **fields)


def claim_rows(article):
    return sorted(article.claims.values_list("start", "end", "kind", "claimant__name"))


def test_it_processes_an_article_into_claims():
    article = pending_article()
    assert tasks.article_process_task.delay(article.pk).get() == "done"
    article.refresh_from_db()
    assert article.state == Article.State.DONE
    assert article.extractor_version == engine.ENGINE_VERSION
    assert article.attempts == 1
    assert article.claims.count() >= 2
    for claim in article.claims.all():
        assert article.text[claim.start:claim.end] == claim.text


def test_it_leaves_one_set_of_claims_when_a_task_is_delivered_twice():
    article = pending_article()
    tasks.article_process_task.delay(article.pk)
    first = claim_rows(article)
    ids = set(article.claims.values_list("id", flat=True))
    assert tasks.article_process_task.delay(article.pk).get() == "skipped"
    assert claim_rows(article) == first
    assert set(article.claims.values_list("id", flat=True)) == ids


def test_it_takes_over_an_article_left_processing_by_a_dead_worker():
    article = pending_article(state=Article.State.PROCESSING, attempts=1,
                              state_changed_at=timezone.now() - timedelta(hours=2))
    Claim.objects.create(  # a half-written set cannot exist (one transaction), but be strict
        article=article, text=STORY[:10], start=0, end=10, sentence_start=0, sentence_end=10,
        kind=Claim.Kind.ASSERTION, extractor_version="old",
    )
    assert tasks.article_process_task.delay(article.pk).get() == "done"
    article.refresh_from_db()
    assert article.attempts == 2
    assert not article.claims.filter(extractor_version="old").exists()


def test_it_discards_a_result_when_another_delivery_finished_first():
    article = pending_article()
    real_extract = engine.extract_claims

    def finish_elsewhere(text):
        result = real_extract(text)
        Article.objects.filter(pk=article.pk).update(state=Article.State.DONE)
        return result

    with mock.patch.object(engine, "extract_claims", side_effect=finish_elsewhere):
        outcome = extraction.article_process(article_id=article.pk)
    assert outcome.status == "skipped"
    assert not article.claims.exists()


def test_it_marks_an_article_failed_with_the_reason_when_extraction_breaks():
    article = pending_article()
    with mock.patch.object(engine, "extract_claims", side_effect=ValueError("bad offsets")):
        assert tasks.article_process_task.delay(article.pk).get() == "failed"
    article.refresh_from_db()
    assert article.state == Article.State.FAILED
    assert "ValueError: bad offsets" in article.error


def test_it_retries_a_transient_database_error_with_growing_delays():
    article = pending_article()
    with mock.patch.object(extraction, "article_take",
                           side_effect=OperationalError("server closed the connection")), \
            mock.patch.object(tasks.article_process_task, "retry",
                              side_effect=RuntimeError("retry scheduled")) as retry:
        with pytest.raises(RuntimeError, match="retry scheduled"):
            tasks.article_process_task.apply(args=[article.pk], throw=True)
    assert retry.call_args.kwargs["countdown"] == tasks.backoff(0) == 10
    assert tasks.backoff(3) == 80
    article.refresh_from_db()
    assert article.state == Article.State.PENDING  # nothing lost: still waiting


def test_it_fails_the_article_when_transient_errors_outlast_the_retries():
    article = pending_article()
    with mock.patch.object(extraction, "article_take",
                           side_effect=OperationalError("still down")):
        result = tasks.article_process_task.apply(
            args=[article.pk], retries=tasks.MAX_RETRIES, throw=False)
    assert result.failed()
    article.refresh_from_db()
    assert article.state == Article.State.FAILED
    assert "still down" in article.error


def test_it_gives_up_after_too_many_attempts(settings):
    settings.CLAIMTRACK_MAX_ATTEMPTS = 3
    article = pending_article(state=Article.State.PROCESSING, attempts=3,
                              state_changed_at=timezone.now() - timedelta(hours=2))
    assert tasks.article_process_task.delay(article.pk).get() == "failed"
    article.refresh_from_db()
    assert article.state == Article.State.FAILED
    assert "Gave up after 3 attempts" in article.error


def test_the_sweep_requeues_stuck_articles_and_leaves_fresh_ones(settings):
    settings.CLAIMTRACK_PENDING_TIMEOUT = 600
    settings.CLAIMTRACK_PROCESSING_TIMEOUT = 900
    long_ago = timezone.now() - timedelta(hours=1)
    stuck_pending = pending_article(state_changed_at=long_ago)
    stuck_processing = pending_article(
        text=STORY + " Two.", state=Article.State.PROCESSING, state_changed_at=long_ago,
        attempts=1)
    fresh = pending_article(text=STORY + " Three.")
    with mock.patch.object(tasks.article_process_task, "delay") as delay:
        counts = tasks.articles_sweep_task.delay().get()
    assert counts == {"requeued": 2, "failed": 0, "rematched": 0, "pruned": 0}
    assert sorted(c.args[0] for c in delay.call_args_list) == sorted(
        [stuck_pending.pk, stuck_processing.pk])
    fresh.refresh_from_db()
    assert fresh.state == Article.State.PENDING


def test_the_sweep_processes_what_it_requeues_in_process():
    article = pending_article(state_changed_at=timezone.now() - timedelta(days=1))
    extraction.articles_sweep()
    article.refresh_from_db()
    assert article.state == Article.State.DONE


def test_an_article_being_processed_right_now_is_not_taken_twice():
    article = pending_article(state=Article.State.PROCESSING, attempts=1)
    assert tasks.article_process_task.delay(article.pk).get() == "skipped"
    article.refresh_from_db()
    assert article.attempts == 1 and article.state == Article.State.PROCESSING


def test_a_second_sweep_does_not_requeue_what_the_first_just_requeued():
    pending_article(state_changed_at=timezone.now() - timedelta(days=1))
    with mock.patch.object(tasks.article_process_task, "delay") as delay:
        extraction.articles_sweep()
        extraction.articles_sweep()
    assert delay.call_count == 1


def test_the_sweep_fails_articles_out_of_attempts(settings):
    settings.CLAIMTRACK_MAX_ATTEMPTS = 2
    article = pending_article(state=Article.State.PROCESSING, attempts=2,
                              state_changed_at=timezone.now() - timedelta(days=1))
    assert extraction.articles_sweep() == {"requeued": 0, "failed": 1}
    article.refresh_from_db()
    assert article.state == Article.State.FAILED


def test_it_keeps_the_article_pending_when_the_broker_is_down():
    saved = (celery_app.conf.broker_url, celery_app._pool)
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    celery_app._pool = None  # connect afresh, to the dead address
    try:
        article = ingestion.article_ingest(
            title="Quay news", source_name="Harbour Times", text=STORY)
    finally:
        if celery_app._pool is not None:
            celery_app._pool.force_close_all()
        celery_app.conf.broker_url, celery_app._pool = saved
        celery_app.conf.task_always_eager = True
    article.refresh_from_db()
    assert article.state == Article.State.PENDING
    assert not article.claims.exists()
    extraction.articles_sweep(now=timezone.now() + timedelta(days=1))
    article.refresh_from_db()
    assert article.state == Article.State.DONE


def test_reextraction_keeps_claims_an_editor_touched_and_flags_them():
    article = pending_article()
    extraction.article_process(article_id=article.pk)
    touched, untouched = list(article.claims.order_by("start"))[:2]
    ReviewEvent.objects.create(claim=touched, actor=UserFactory(),
                               action=ReviewEvent.Action.NOTE, note="checking the figure")
    Claim.objects.filter(pk=touched.pk).update(start=1, text=STORY[1:touched.end])

    with mock.patch.object(engine, "ENGINE_VERSION", "99.0"):
        assert extraction.article_reprocess(article=article)
    touched.refresh_from_db()
    assert touched.stale is True
    assert touched.events.filter(action=ReviewEvent.Action.REEXTRACTED).exists()
    assert not Claim.objects.filter(pk=untouched.pk).exists()
    assert article.claims.filter(extractor_version="99.0").count() >= 2
    article.refresh_from_db()
    assert article.extractor_version == "99.0"


def test_reextraction_leaves_a_touched_claim_current_when_it_is_found_again():
    article = pending_article()
    extraction.article_process(article_id=article.pk)
    claim = article.claims.order_by("start").first()
    Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.IN_REVIEW)
    with mock.patch.object(engine, "ENGINE_VERSION", "99.0"):
        extraction.article_reprocess(article=article)
    claim.refresh_from_db()
    assert claim.stale is False
    assert claim.extractor_version == "99.0"
    assert article.claims.filter(start=claim.start, end=claim.end, kind=claim.kind).count() == 1


def test_an_in_process_task_failure_does_not_fail_the_ingestion():
    with mock.patch.object(extraction, "article_take",
                           side_effect=OperationalError("database is locked")), \
            mock.patch.object(tasks, "backoff", return_value=0):
        article = ingestion.article_ingest(
            title="Quay news", source_name="Harbour Times", text=STORY)
    article.refresh_from_db()
    assert article.state == Article.State.PENDING  # committed, waiting to be run again
    assert extraction.article_reprocess(article=article)
    article.refresh_from_db()
    assert article.state == Article.State.DONE


def test_reprocess_takes_back_an_article_stuck_in_processing():
    article = pending_article(state=Article.State.PROCESSING, attempts=2,
                              state_changed_at=timezone.now() - timedelta(hours=2))
    assert extraction.article_reprocess(article=article)
    article.refresh_from_db()
    assert article.state == Article.State.DONE


def test_reprocess_leaves_an_article_being_processed_alone():
    article = pending_article(state=Article.State.PROCESSING, attempts=1)
    assert not extraction.article_reprocess(article=article)


def test_a_stale_claim_is_flagged_once_however_often_it_is_reextracted():
    article = pending_article()
    extraction.article_process(article_id=article.pk)
    claim = article.claims.order_by("start").first()
    Claim.objects.filter(pk=claim.pk).update(start=1, text=STORY[1:claim.end],
                                             status=Claim.Status.IN_REVIEW)
    for version in ("98.0", "98.0", "99.0"):
        with mock.patch.object(engine, "ENGINE_VERSION", version):
            extraction.article_reprocess(article=article)
    claim.refresh_from_db()
    assert claim.stale
    assert claim.events.filter(action=ReviewEvent.Action.REEXTRACTED).count() == 2


def unmatched_article(**fields):
    """Processed long ago, matching sent but never finished."""
    long_ago = timezone.now() - timedelta(days=1)
    fields.setdefault("match_requested_at", long_ago)
    return pending_article(state=Article.State.DONE, processed_at=long_ago, **fields)


def test_the_sweep_resends_unfinished_matching_once_per_lease(settings):
    settings.CLAIMTRACK_PROCESSING_TIMEOUT = 900
    lost = unmatched_article(match_attempts=1)
    asked = timezone.now()
    running = unmatched_article(text=STORY + " Two.", match_attempts=1,
                                match_requested_at=asked)
    with mock.patch.object(tasks.article_match_task, "delay") as delay:
        assert matching.articles_match_sweep()["rematched"] == 1
        assert matching.articles_match_sweep()["rematched"] == 0  # its new lease runs
    assert [c.args[0] for c in delay.call_args_list] == [lost.pk]
    lost.refresh_from_db()
    running.refresh_from_db()
    assert lost.match_requested_at > timezone.now() - timedelta(minutes=1)
    assert running.match_requested_at == asked  # asked for just now: not re-sent
    assert running.match_enqueued_at is None and running.match_attempts == 1


def test_the_sweep_stops_resending_matching_after_the_last_attempt(settings, caplog):
    """Attempts count the passes taken since a claim was last matched: a pass whose worker
    died that many times in a row ends with the reason on the article."""
    settings.CLAIMTRACK_MAX_ATTEMPTS = 3
    article = unmatched_article(match_attempts=3,
                                match_started_at=timezone.now() - timedelta(days=1))
    with mock.patch.object(tasks.article_match_task, "delay") as delay:
        assert matching.articles_match_sweep()["rematched"] == 0
        assert matching.articles_match_sweep()["rematched"] == 0
    assert delay.call_count == 0
    article.refresh_from_db()
    assert "Matching gave up after 3 attempts" in article.error
    assert article.matched_at is None and article.match_started_at is None
    assert "Matching gave up after 3 attempts" in caplog.text


def test_processing_starts_a_fresh_matching_lease():
    article = pending_article()
    Article.objects.filter(pk=article.pk).update(match_attempts=4)
    with mock.patch.object(tasks.article_match_task, "delay") as delay:
        tasks.article_process_task.delay(article.pk).get()
    article.refresh_from_db()
    assert delay.call_args.args == (article.pk,)
    assert article.match_attempts == 0 and article.match_requested_at is not None
    assert article.match_cursor == 0 and article.match_started_at is None
    assert article.matched_at is None
