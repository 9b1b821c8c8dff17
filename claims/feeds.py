"""Ingestion channels: an article fetched from its URL, and feeds polled for new ones.

::

    article_fetch_request ──▶ ArticleFetch (pending) ──on commit──▶ article_fetch_task
        article_fetch_run: take (pending → fetching, a lease) → fetch.fetch → article_prepare
        → article_create ──▶ done (article: new, or the one already stored)
                         └─▶ failed (reason)   transient (timeout, 5xx): pending again, later

    beat ─▶ feeds_poll_due: claim each due feed (next_poll_at moved ahead: a lease) ─▶ feed_poll
        conditional GET (ETag / Last-Modified; 304: nothing new) → feedparser on the bytes
        → one FeedEntry per new canonical URL → an ArticleFetch each (or, for a ClaimReview
        feed, the page's fact-checks imported)
        success: next poll after the feed's interval; failure: after interval × 2^failures
        (at most CLAIMTRACK_FEED_MAX_BACKOFF), flagged after CLAIMTRACK_FEED_FLAG_AFTER in a row

Nothing is lost: a fetch or a poll whose worker died is due again once its lease runs out, a
fetch whose message the broker lost is sent again by ``article_fetches_sweep``, and every
entry tried is recorded with its outcome.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from claims import enqueue, factcheck_import, fetch, ingestion
from claims.errors import DuplicateArticle, IngestError
from claims.matching import claims_rematch_recent
from claims.models import Article, ArticleFetch, Feed, FeedEntry

logger = logging.getLogger(__name__)

State = ArticleFetch.State

# What ``article_fetch_run`` did.
DONE = "done"
FAILED = "failed"
RETRY = "retry"  # a transient failure: pending again, due at next_attempt_at
SKIPPED = "skipped"  # not due, already finished, or another worker holds it

# A page that timed out or answered 5xx is tried three times, 1 then 2 minutes apart: a
# site's brief outage passes, and one that stays down is reported within minutes.
MAX_FETCH_ATTEMPTS = 3
RETRY_BASE_SECONDS = 60
# A task message may arrive a little before next_attempt_at on a worker whose clock runs
# ahead; that early it still counts as due.
EARLY_SECONDS = 5


def _lease_seconds() -> int:
    # Past the task's hard time limit: a task still running is never taken over.
    return int(settings.CELERY_TASK_TIME_LIMIT) + 30


def _clip(text: str, limit: int = 5000) -> str:
    return (text or "").replace("\x00", "")[:limit]


# --- articles by URL ------------------------------------------------------------------------------


def _enqueue_fetch(fetch_id: int) -> None:
    def sent() -> None:
        ArticleFetch.objects.filter(pk=fetch_id, state=State.PENDING).update(
            enqueued_at=timezone.now())

    enqueue.send_on_commit("article_fetch_task", fetch_id, what=f"article fetch {fetch_id}",
                           sent=sent)


def article_fetch_request(*, url: str, requested_by=None, requested_via=None, title: str = "",
                          source_name: str = "", entry: FeedEntry | None = None) -> ArticleFetch:
    """Record a request to fetch the article at ``url``; the fetch runs once committed.

    Raises FetchError for a URL that is malformed or local/private (checked without DNS;
    the addresses are checked when fetching). An article already stored under the URL is
    the answer at once: the fetch is done and points at it.
    """
    url = (url or "").strip()
    canonical = fetch.canonical(url)
    existing = Article.objects.filter(url=canonical).only("id").first()
    with transaction.atomic():
        if existing is not None:
            item = ArticleFetch.objects.create(
                url=url, canonical_url=canonical, title=title, source_name=source_name,
                requested_by=requested_by, requested_via=requested_via, state=State.DONE,
                article=existing, reason=f"Already stored as article {existing.pk}.",
                code="duplicate", finished_at=timezone.now())
        else:
            item = ArticleFetch.objects.create(
                url=url, canonical_url=canonical, title=title, source_name=source_name,
                requested_by=requested_by, requested_via=requested_via)
            _enqueue_fetch(item.pk)
        if entry is not None:
            FeedEntry.objects.filter(pk=entry.pk).update(
                fetch=item, article=existing,
                state=FeedEntry.State.DONE if existing else FeedEntry.State.PENDING,
                reason=item.reason)
    return item


def _take(fetch_id: int, now: datetime) -> ArticleFetch | None:
    """Claim the fetch for this worker: pending and due, or fetching with a lease run out."""
    claimed = ArticleFetch.objects.filter(
        Q(next_attempt_at__isnull=True)
        | Q(next_attempt_at__lte=now + timedelta(seconds=EARLY_SECONDS)),
        pk=fetch_id, state__in=[State.PENDING, State.FETCHING],
    ).update(state=State.FETCHING, attempts=F("attempts") + 1,
             next_attempt_at=now + timedelta(seconds=_lease_seconds()))
    if claimed != 1:
        return None
    return ArticleFetch.objects.select_related("feed_entry__feed__source").filter(
        pk=fetch_id).first()


def _finish(item: ArticleFetch, *, state: str, reason: str, code: str = "",
            article_id: int | None = None, retry_at: datetime | None = None) -> bool:
    """Write the outcome, if this attempt still holds the fetch; the feed entry with it."""
    with transaction.atomic():
        updated = ArticleFetch.objects.filter(
            pk=item.pk, state=State.FETCHING, attempts=item.attempts).update(
            state=state, reason=_clip(reason), code=code[:32], article_id=article_id,
            next_attempt_at=retry_at, enqueued_at=None,
            finished_at=None if state == State.PENDING else timezone.now())
        if updated and state != State.PENDING:
            FeedEntry.objects.filter(fetch_id=item.pk).update(
                state=FeedEntry.State.DONE if state == State.DONE else FeedEntry.State.FAILED,
                reason=_clip(reason), article_id=article_id)
    return updated == 1


def _prepared(item: ArticleFetch, result: fetch.FetchResult, final: str):
    entry = getattr(item, "feed_entry", None)
    feed_source = entry.feed.source.name if entry and entry.feed.source_id else ""
    where = fetch.target(final)
    private = fetch.host_allowed(where.host, where.port)
    body = result.text()
    fields = {"title": item.title, "source_name": item.source_name or feed_source,
              "default_title": entry.title if entry else "",
              "published_at": entry.published_at if entry else None}
    if result.content_type == "text/plain":
        fields["text"] = body
        fields["default_title"] = fields["default_title"] or ingestion.title_from_text(
            body, where.host)
    else:
        fields["html"] = body
    if not private:
        return ingestion.article_prepare(url=final, **fields)
    # A host allowed by CLAIMTRACK_FETCH_ALLOW_HOSTS (development, tests) is private, which
    # an article's URL may not be: prepared without it, then given the fetched URL.
    fields["source_name"] = fields["source_name"] or where.host
    prepared = ingestion.article_prepare(url=None, **fields)
    if Article.objects.filter(url=final).exists():
        existing = Article.objects.filter(url=final).values_list("id", flat=True).first()
        raise DuplicateArticle(f"This article is already stored as article {existing}.",
                               existing_id=existing)
    return dataclasses.replace(prepared, url=final)


def article_fetch_run(*, fetch_id: int, now: datetime | None = None) -> str:
    """Fetch, extract and store the article of a pending fetch; record the outcome.

    Returns DONE, FAILED, RETRY or SKIPPED. Safe to run twice at once or after it finished:
    the attempt is claimed by a conditional update, and the page is fetched outside any
    transaction.
    """
    now = now or timezone.now()
    item = _take(fetch_id, now)
    if item is None:
        return SKIPPED
    if item.attempts > MAX_FETCH_ATTEMPTS:
        _finish(item, state=State.FAILED, code="interrupted",
                reason=f"Interrupted {item.attempts - 1} times (the worker stopped); "
                       "request the URL again to retry.")
        return FAILED
    try:
        already = Article.objects.filter(url=item.canonical_url).values_list("id", flat=True)
        if already:
            raise DuplicateArticle("Already stored.", existing_id=already[0])
        result = fetch.fetch(item.url, accept=fetch.ARTICLE_TYPES)
        final = fetch.canonical(result.final_url)
        prepared = _prepared(item, result, final)
        article = ingestion.article_create(prepared=prepared, submitted_by=item.requested_by,
                                           submitted_via=item.requested_via)
    except fetch.FetchError as exc:
        if exc.transient and item.attempts < MAX_FETCH_ATTEMPTS:
            delay = RETRY_BASE_SECONDS * 2 ** (item.attempts - 1)
            _finish(item, state=State.PENDING, code=exc.code,
                    reason=f"Attempt {item.attempts} failed, trying again in {delay} s: "
                           f"{exc.reason}",
                    retry_at=timezone.now() + timedelta(seconds=delay))
            return RETRY
        _finish(item, state=State.FAILED, reason=exc.reason, code=exc.code)
        logger.info("Article fetch %s of %s failed: %s", fetch_id, item.url, exc.reason)
        return FAILED
    except DuplicateArticle as exc:
        _finish(item, state=State.DONE, code="duplicate", article_id=exc.existing_id,
                reason=f"Already stored as article {exc.existing_id}.")
        return DONE
    except IngestError as exc:
        _finish(item, state=State.FAILED, reason=f"Fetched, but not stored: {exc.message}",
                code=exc.code)
        return FAILED
    _finish(item, state=State.DONE, reason="", article_id=article.pk)
    return DONE


def article_fetch_due_in(*, fetch_id: int) -> int:
    """Seconds until a pending fetch's next attempt (0 if due or not pending)."""
    due = ArticleFetch.objects.filter(pk=fetch_id, state=State.PENDING).values_list(
        "next_attempt_at", flat=True).first()
    return max(0, int((due - timezone.now()).total_seconds() + 0.999)) if due else 0


def article_fetches_sweep(*, now: datetime | None = None, limit: int = 500) -> int:
    """Send again each fetch whose message was lost, whose retry is due, or whose worker
    died (its lease ran out). Returns how many were sent; a second send is harmless."""
    now = now or timezone.now()
    grace = now - timedelta(seconds=enqueue.UNSENT_GRACE_SECONDS)
    lost = enqueue.LostWork("fetch", now)
    candidates = (ArticleFetch.objects.filter(
        Q(state=State.PENDING, created_at__lt=grace)
        & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        | Q(state=State.FETCHING, next_attempt_at__lte=now))
        .order_by("id").values_list("id", "state", "enqueued_at")[:limit])
    sent = 0
    for fetch_id, state, enqueued_at in candidates:
        if state == State.PENDING and not lost(enqueued_at):
            continue  # still waiting in the queue
        _enqueue_fetch(fetch_id)
        sent += 1
    return sent


# --- feeds ------------------------------------------------------------------------------------------


def _backoff_seconds(feed: Feed, failures: int) -> int:
    return min(feed.interval_minutes * 60 * 2 ** failures,
               int(settings.CLAIMTRACK_FEED_MAX_BACKOFF))


def feed_poll_request(*, feed_id: int, now: datetime | None = None, force: bool = False) -> bool:
    """Claim a feed's next poll and send it; False if it is not due (or another got it).

    The claim moves next_poll_at a lease ahead, so two beats, or the beat and the admin's
    "poll now", never poll the feed twice at once; a poll whose worker died is due again once
    the lease runs out. ``force`` polls a feed that is not due yet (the admin's action).
    """
    now = now or timezone.now()
    due = Q() if force else Q(next_poll_at__lte=now)
    claimed = Feed.objects.filter(due, pk=feed_id, active=True).update(
        next_poll_at=now + timedelta(seconds=_lease_seconds()))
    if claimed:
        enqueue.send_on_commit("feed_poll_task", feed_id, what=f"poll of feed {feed_id}")
    return claimed == 1


def feeds_poll_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """Send a poll for every active feed that is due; returns how many."""
    now = now or timezone.now()
    due = list(Feed.objects.filter(active=True, next_poll_at__lte=now)
               .order_by("next_poll_at", "id").values_list("id", flat=True)[:limit])
    return sum(feed_poll_request(feed_id=feed_id, now=now) for feed_id in due)


def _published(entry: dict) -> datetime | None:
    parsed = entry.get("published")
    if not parsed:
        return None
    try:
        return datetime(*parsed[:6], tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def _record_entry(feed: Feed, entry: dict) -> tuple[FeedEntry | None, str]:
    """A new FeedEntry for ``entry`` (None if the feed listed it before), and its
    canonical URL ("" if refused: the entry is then stored failed with the reason)."""
    link = (entry.get("link") or "").strip()
    fields = {"guid": _clip(entry.get("guid", ""), 2000), "title": _clip(entry["title"], 500),
              "published_at": _published(entry)}
    try:
        if not link:
            raise fetch.FetchError("The entry has no link.", "invalid_url")
        url, refusal = fetch.canonical(link), ""
    except fetch.FetchError as exc:
        url, refusal = _clip(link, 2000) or f"(no link) {fields['guid']}"[:2000], exc.reason
    if FeedEntry.objects.filter(feed=feed, url=url).exists():
        return None, url
    try:
        with transaction.atomic():
            row = FeedEntry.objects.create(
                feed=feed, url=url, **fields,
                state=FeedEntry.State.FAILED if refusal else FeedEntry.State.PENDING,
                reason=refusal)
    except IntegrityError:
        return None, url  # a concurrent poll recorded it
    return row, "" if refusal else url


def _poll_articles(feed: Feed, entries: list[dict]) -> int:
    new = 0
    for entry in entries:
        row, _ = _record_entry(feed, entry)
        new += row is not None
    # Each pending entry without its fetch gets one: the new ones, and any a poll that died
    # between recording an entry and requesting its fetch left behind.
    source_name = feed.source.name if feed.source else ""
    for row in FeedEntry.objects.filter(feed=feed, state=FeedEntry.State.PENDING,
                                        fetch__isnull=True).order_by("id"):
        try:
            article_fetch_request(url=row.url, source_name=source_name, entry=row)
        except fetch.FetchError as exc:  # checked when recorded; kept for a changed setting
            FeedEntry.objects.filter(pk=row.pk).update(state=FeedEntry.State.FAILED,
                                                       reason=exc.reason)
    return new


def _claimreview_pages(feed: Feed) -> list[str]:
    """Import the pages of a ClaimReview feed's pending entries, oldest first, until half the
    task's soft time limit has passed: the rest stay pending for the next poll (a 304 too),
    so a poll never runs into the limit and no entry recorded is left behind."""
    deadline = time.monotonic() + settings.CELERY_TASK_SOFT_TIME_LIMIT / 2
    problems, saved = [], 0
    pending = FeedEntry.objects.filter(feed=feed, state=FeedEntry.State.PENDING).order_by("id")
    for row in pending.only("id", "url")[:factcheck_import.MAX_FEED_PAGES]:
        if time.monotonic() >= deadline:
            break
        report = factcheck_import.page_import(row.url)
        FeedEntry.objects.filter(pk=row.pk, state=FeedEntry.State.PENDING).update(
            state=FeedEntry.State.FAILED if report.failures and not report.saved
            else FeedEntry.State.DONE, reason=_clip(report.summary()))
        problems.extend(report.failures)
        saved += report.saved
    if saved:
        claims_rematch_recent()
    return problems


def _poll_claimreview(feed: Feed, result: fetch.FetchResult) -> tuple[int, list[str]]:
    """A ClaimReview feed: its own reviews (JSON), or the pages its RSS/Atom entries link to."""
    if result.content_type in fetch.FEED_TYPES:
        parsed = factcheck_import.feed_entries(
            result.body, final_url=result.final_url, content_type=result.content_type,
            charset=result.charset)
        if parsed.error:
            raise fetch.FetchError(parsed.error, "malformed")
        new = 0
        for entry in parsed.entries[:settings.CLAIMTRACK_FEED_MAX_ENTRIES]:
            row, _ = _record_entry(feed, entry)
            new += row is not None
        return new, _claimreview_pages(feed)
    records, failures = factcheck_import.records_from_result(result)
    if not records:
        raise fetch.FetchError("; ".join(failures)[:2000] or "No ClaimReview in the feed.",
                               "malformed")
    report = factcheck_import.records_save(records, failures)
    if report.saved:
        claims_rematch_recent()
    return report.saved, report.failures


def _poll_failed(feed: Feed, reason: str, now: datetime) -> None:
    failures = feed.consecutive_failures + 1
    flagged = failures >= settings.CLAIMTRACK_FEED_FLAG_AFTER
    Feed.objects.filter(pk=feed.pk).update(
        last_polled_at=now, last_error=_clip(reason), consecutive_failures=failures,
        flagged=flagged, next_poll_at=now + timedelta(seconds=_backoff_seconds(feed, failures)))
    if flagged and not feed.flagged:
        logger.warning("Feed %s (%s) flagged after %s failed polls: %s", feed.pk, feed.url,
                       failures, reason)


def feed_poll(*, feed_id: int, now: datetime | None = None) -> dict:
    """Poll one feed: fetch it (conditionally), record new entries and send their fetches.

    Returns {"status": "ok" | "not_modified" | "failed" | "skipped", "new": n}.
    """
    now = now or timezone.now()
    feed = Feed.objects.select_related("source").filter(pk=feed_id, active=True).first()
    if feed is None:
        return {"status": "skipped", "new": 0}
    accept = (fetch.FEED_TYPES if feed.kind == Feed.Kind.ARTICLES
              else factcheck_import.ANY_TYPES)
    try:
        result = fetch.fetch(feed.url, accept=accept, etag=feed.etag or None,
                             last_modified=feed.last_modified or None)
    except fetch.FetchError as exc:
        _poll_failed(feed, exc.reason, now)
        return {"status": "failed", "new": 0, "reason": exc.reason}
    updates = {"last_polled_at": now, "last_error": "", "consecutive_failures": 0,
               "flagged": False, "next_poll_at": now + timedelta(minutes=feed.interval_minutes)}
    if result.not_modified:
        note = "Not modified since the last poll (HTTP 304)."
        if feed.kind == Feed.Kind.CLAIMREVIEW:
            problems = _claimreview_pages(feed)  # pages a previous poll left for later
            if problems:
                note += f" {len(problems)} problem(s): " + "; ".join(problems[:5])
        Feed.objects.filter(pk=feed.pk).update(**updates, last_note=_clip(note))
        return {"status": "not_modified", "new": 0}
    note = ""
    try:
        if feed.kind == Feed.Kind.ARTICLES:
            parsed = factcheck_import.feed_entries(
                result.body, final_url=result.final_url, content_type=result.content_type,
                charset=result.charset)
            if parsed.error:
                raise fetch.FetchError(parsed.error, "malformed")
            note = parsed.note
            new = _poll_articles(feed, parsed.entries[:settings.CLAIMTRACK_FEED_MAX_ENTRIES])
            if not feed.title and parsed.title:
                updates["title"] = _clip(parsed.title, 300)
        else:
            new, problems = _poll_claimreview(feed, result)
            if problems:
                note = f"{len(problems)} problem(s): " + "; ".join(problems[:5])
    except fetch.FetchError as exc:
        _poll_failed(feed, exc.reason, now)
        return {"status": "failed", "new": 0, "reason": exc.reason}
    Feed.objects.filter(pk=feed.pk).update(
        **updates, etag=_clip(result.etag, 500), last_modified=_clip(result.last_modified, 100),
        entries_seen=F("entries_seen") + new,
        last_note=_clip(note or f"{new} new entr{'y' if new == 1 else 'ies'}."))
    return {"status": "ok", "new": new}


def feed_reset(*, feed_id: int) -> bool:
    """Clear a feed's failures and flag, and make it due now (the admin's action)."""
    return Feed.objects.filter(pk=feed_id).update(
        consecutive_failures=0, flagged=False, last_error="", next_poll_at=timezone.now()) == 1
