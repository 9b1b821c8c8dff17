"""Celery tasks: take ids, call one service, retry only transient failures."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from claims import services, webhooks

logger = logging.getLogger(__name__)

# Database connection failures pass; anything else from extraction is permanent.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)
MAX_RETRIES = 5


def backoff(retries: int) -> int:
    """Seconds before retry number ``retries + 1``: 10, 20, 40, 80, 160."""
    return 10 * 2**retries


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def article_process_task(self, article_id: int) -> str:
    try:
        outcome = services.article_process(article_id=article_id)
    except TRANSIENT_ERRORS as exc:
        if self.request.retries >= self.max_retries:
            logger.error("Article %s: giving up after %s retries: %s", article_id,
                         self.request.retries, exc)
            try:
                services.article_fail(article_id=article_id,
                                      reason=f"Database unavailable after retries: {exc}")
            except TRANSIENT_ERRORS:
                pass  # still down: the sweep finds the article later
            raise
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc
    return outcome.status


@shared_task(acks_late=True)
def articles_sweep_task() -> dict:
    return services.articles_sweep()


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def article_match_task(self, article_id: int) -> dict:
    """Match every claim of a processed article across sources (idempotent suggestions)."""
    from claims import matching

    try:
        return matching.article_match(article_id=article_id)
    except TRANSIENT_ERRORS as exc:
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def claims_match_task(self, claim_ids: list[int]) -> int:
    """Match a batch of claims again (after a bulk import of fact-checks)."""
    from claims import matching
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
