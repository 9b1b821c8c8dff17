"""Celery tasks: take ids, call one service, retry only transient failures."""

from __future__ import annotations

import logging
import time
from datetime import datetime

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError

from claims import extraction, feeds, matching, notifications, webhooks

logger = logging.getLogger(__name__)

# Database connection failures pass; anything else from extraction is permanent.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)
MAX_RETRIES = 5


def backoff(retries: int) -> int:
    """Seconds before retry number ``retries + 1``: 10, 20, 40, 80, 160."""
    return 10 * 2**retries


def _lease(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def article_process_task(self, article_id: int, lease: str | None = None) -> str:
    """Extract an article's claims. A retry after a database error carries the lease its
    delivery took, so it resumes its own work instead of waiting for the lease to run out."""
    taken = None
    try:
        taken = extraction.article_take(article_id=article_id, lease=_lease(lease))
        if taken is None:
            return extraction.article_untaken(article_id=article_id).status
        return extraction.article_extract(article_id=article_id, lease=taken).status
    except TRANSIENT_ERRORS as exc:
        if self.request.retries >= self.max_retries:
            logger.error("Article %s: giving up after %s retries: %s", article_id,
                         self.request.retries, exc)
            try:
                extraction.article_fail(article_id=article_id, lease=taken,
                                      reason=f"Database unavailable after retries: {exc}")
            except TRANSIENT_ERRORS:
                pass  # still down: the sweep hands the article back when its lease runs out
            raise
        raise self.retry(
            exc=exc, countdown=backoff(self.request.retries),
            kwargs={"article_id": article_id, "lease": taken.isoformat() if taken else lease},
        ) from exc


@shared_task(acks_late=True)
def articles_sweep_task() -> dict:
    """Recover extraction, then matching (docs/reliability.md)."""
    return {**extraction.articles_sweep(), **matching.articles_match_sweep()}


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def article_match_task(self, article_id: int, lease: str | None = None) -> dict | None:
    """One matching pass over a processed article. The pass stops at half the soft time
    limit and sends the rest on, so it ends inside the limit; a retry after a database
    error carries its lease, like extraction's."""
    deadline = time.monotonic() + settings.CELERY_TASK_SOFT_TIME_LIMIT / 2
    taken = None
    try:
        taken = matching.article_match_take(article_id=article_id, lease=_lease(lease))
        if taken is None:
            return None
        return matching.article_match_pass(article_id=article_id, taken=taken,
                                           deadline=deadline)
    except SoftTimeLimitExceeded:
        # A batch took longer than half the limit: the batches written are kept (the one
        # cut short rolls back whole) and the rest goes to a new pass (attempts count, so a
        # claim that always overruns ends it).
        if taken is not None:
            matching.article_match_release(article_id=article_id, lease=taken.lease)
        return None
    except TRANSIENT_ERRORS as exc:
        raise self.retry(
            exc=exc, countdown=backoff(self.request.retries),
            kwargs={"article_id": article_id,
                    "lease": taken.lease.isoformat() if taken else lease},
        ) from exc


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def claims_match_task(self, claim_ids: list[int]) -> int:
    """Match a batch of claims again (after a bulk import of fact-checks)."""
    from claims.models import Claim

    try:
        for claim_id in Claim.objects.filter(pk__in=claim_ids).values_list("id", flat=True):
            matching.claim_match(claim_id=claim_id)
    except TRANSIENT_ERRORS as exc:
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc
    return len(claim_ids)


# --- webhooks ---------------------------------------------------------------------------------


@shared_task(bind=True, acks_late=True, max_retries=webhooks.MAX_ATTEMPTS + MAX_RETRIES)
def deliver_webhook_task(self, delivery_id: int) -> str:
    """Attempt one webhook delivery; on failure, come back when the service scheduled it.

    The service counts attempts and gives up after its own limit; Celery's bound only stops
    a loop if that bookkeeping fails. A retry that fires early (or runs at once, in process)
    finds the delivery not yet due and ends: the sweep sends it when it is.
    """
    try:
        outcome = webhooks.delivery_attempt(delivery_id=delivery_id)
    except TRANSIENT_ERRORS as exc:
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc
    if outcome == webhooks.RETRY:
        raise self.retry(countdown=webhooks.delivery_due_in(delivery_id=delivery_id))
    return outcome


@shared_task(acks_late=True)
def webhooks_sweep_task() -> int:
    return webhooks.webhooks_sweep()


# --- ingestion channels -----------------------------------------------------------------------


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def article_fetch_task(self, fetch_id: int) -> str:
    """Fetch an article's page and store it. A transient failure of the page is the
    service's to schedule (the sweep sends it when due); only database errors retry here."""
    try:
        return feeds.article_fetch_run(fetch_id=fetch_id)
    except TRANSIENT_ERRORS as exc:
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc


@shared_task(acks_late=True)
def fetches_sweep_task() -> int:
    return feeds.article_fetches_sweep()


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def feed_poll_task(self, feed_id: int) -> dict:
    """Poll one feed that ``feed_poll_request`` claimed. A poll lost with its worker is due
    again when the claim's lease runs out."""
    try:
        return feeds.feed_poll(feed_id=feed_id)
    except TRANSIENT_ERRORS as exc:
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc


@shared_task(acks_late=True)
def feeds_poll_due_task() -> int:
    return feeds.feeds_poll_due()


# --- desk notifications -----------------------------------------------------------------------


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def notification_email_task(self, notification_id: int) -> str:
    """Send one notification's e-mail. The service claims the row before sending, so a
    redelivery sends nothing twice; a failed send gave the claim back and is retried with
    growing delays (10 s to 160 s, about five minutes in all), then left in the log: the
    desk's change stands either way, and the notification is in the inbox."""
    try:
        return notifications.notification_email_send(notification_id=notification_id)
    except notifications.MailFailed as exc:
        if self.request.retries >= self.max_retries:
            logger.error("Notification %s: the notification e-mail was not sent after %s "
                         "retries, giving up: %s", notification_id, self.request.retries, exc)
            return "failed"
        countdown = backoff(self.request.retries)
        logger.warning("Notification %s: sending the notification e-mail failed, retrying in "
                       "%s s: %s", notification_id, countdown, exc)
        if self.request.is_eager:
            # In process a raised Retry propagates into the on-commit hook as an error and
            # nothing retries (no sweep sends mail); returned, Celery runs the retry at once.
            return self.retry(exc=exc, countdown=countdown, throw=False)
        raise self.retry(exc=exc, countdown=countdown) from exc
    except TRANSIENT_ERRORS as exc:
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc
