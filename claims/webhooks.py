"""Webhooks: consumers register a URL and receive ``claim.published`` / ``claim.corrected``.

Each event becomes one ``WebhookDelivery`` per subscribed endpoint, written in the same
transaction as the change it reports and sent by a worker once that transaction commits.
A delivery is retried with exponential backoff and marked failed after ``MAX_ATTEMPTS``;
the admin shows the log and can send a failed one again.

What a consumer receives, and how to verify a signature, is in docs/api.md ("Webhooks").
Deliveries go only to public http(s) addresses: the host is resolved when the endpoint is
registered and again at every attempt, and the request goes to the address that was checked,
so a name that later resolves into the server's own network (DNS rebinding) is refused then;
``settings.CLAIMTRACK_WEBHOOK_ALLOW_PRIVATE = True`` lifts this, for development and tests.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import urllib3
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from urllib3.exceptions import HTTPError, NewConnectionError

from claims import enqueue, fetch, publishing
from claims.fetch import Target
from claims.models import ApiClient, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

Event = WebhookEndpoint.Event
Status = WebhookDelivery.Status

# What ``delivery_attempt`` did.
DELIVERED = "delivered"
RETRY = "retry"  # failed; another attempt is scheduled at next_attempt_at
FAILED = "failed"  # out of attempts, or the endpoint is gone: given up
SKIPPED = "skipped"  # not pending (already delivered or failed, or deleted): nothing sent
NOT_DUE = "not_due"  # pending but scheduled later, or another worker is sending it now

# 8 attempts 30 s · 2^(n-1) apart span about an hour (30 s … 32 min). Longer outages are
# covered by the admin's "Retry now" and by consumers re-syncing with ``updated_since``.
MAX_ATTEMPTS = 8
BACKOFF_BASE = 30
BACKOFF_CAP = 3600
# Seconds: a consumer that cannot accept the TCP connection in 5 s or answer in 10 s is
# treated as down; longer would let a few slow consumers tie up every worker.
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
# A host name may resolve to several addresses; try this many before counting a failure.
MAX_ADDRESSES = 3
# Enough of a failing consumer's answer to tell an error page from a stack trace.
ERROR_BODY_BYTES = 1024
# A retry scheduled by Celery may fire slightly before next_attempt_at on a worker whose
# clock runs a little ahead; that early it still counts as due.
EARLY_SECONDS = 5
# Each endpoint multiplies every event; a client needing more than this is unusual enough to
# ask for.
MAX_ENDPOINTS_PER_CLIENT = 10
USER_AGENT = "Claimtrack-Webhooks/1"
SIGNATURE_HEADER = "X-Claimtrack-Signature"


class WebhookError(ValueError):
    """A refused registration; ``message`` says what to change."""

    def __init__(self, message: str, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def _allow_private() -> bool:
    return bool(getattr(settings, "CLAIMTRACK_WEBHOOK_ALLOW_PRIVATE", False))


# --- addresses --------------------------------------------------------------------------------

def _target(url: str) -> Target:
    """The parts of a webhook URL a request needs; WebhookError if it is not http(s)."""
    if not (url or "").strip():
        raise WebhookError("Give the URL to deliver events to.", code="invalid_url")
    try:
        return fetch.target(url)
    except fetch.FetchError as exc:
        raise WebhookError(exc.reason, code=exc.code) from None


def _addresses(target: Target, *, allow_private: bool) -> list[str]:
    """The addresses to connect to, checked as fetched pages' are (``fetch.resolve``):
    WebhookError if the host is internal by name, does not resolve, or resolves to any
    internal address, unless ``allow_private``."""
    try:
        return fetch.resolve(target, allow_private=allow_private,
                             refusal="webhooks go only to public addresses")
    except fetch.FetchError as exc:
        raise WebhookError(exc.reason, code=exc.code) from None


# --- endpoints --------------------------------------------------------------------------------


def _events(events) -> list[str]:
    if isinstance(events, str) or not events or not all(isinstance(e, str) for e in events):
        raise WebhookError(f"Choose the events to receive: a list among {Event.values}.",
                           code="invalid_events")
    unknown = sorted(set(events) - set(Event.values))
    if unknown:
        raise WebhookError(f"Unknown events {unknown}; choose among {Event.values}.",
                           code="invalid_events")
    return sorted(set(events))


def endpoint_register(*, client: ApiClient, url: str, events) -> tuple[WebhookEndpoint, str]:
    """Register ``url`` to receive ``events`` for ``client``; returns it and its secret.

    The secret is not shown again (the API returns it in the create response only).
    """
    if not client.has_scope("read"):
        raise WebhookError("Only a client with the read scope receives events.",
                           code="not_allowed")
    url = (url or "").strip()
    target = _target(url)
    events = _events(events)
    # Resolved here, outside the transaction: DNS may take seconds.
    _addresses(target, allow_private=_allow_private())
    secret = secrets.token_hex(32)
    try:
        with transaction.atomic():
            # The client row is locked so two requests at once cannot both pass the limit.
            ApiClient.objects.select_for_update().get(pk=client.pk)
            if client.webhooks.count() >= MAX_ENDPOINTS_PER_CLIENT:
                raise WebhookError(f"A client may register at most {MAX_ENDPOINTS_PER_CLIENT} "
                                   "webhook endpoints; remove one first.", code="too_many")
            endpoint = WebhookEndpoint.objects.create(client=client, url=url, secret=secret,
                                                      events=events)
    except IntegrityError:
        raise WebhookError("This URL is already registered for your client; remove it "
                           "first to change its events.", code="duplicate") from None
    logger.info("Webhook endpoint %s registered by %s: %s %s", endpoint.pk, client, url, events)
    return endpoint, secret


def endpoint_remove(*, endpoint: WebhookEndpoint) -> None:
    """Remove an endpoint; its pending deliveries go with it (nothing more is sent)."""
    endpoint.delete()


def endpoint_deactivate(*, endpoint_id: int) -> bool:
    """Stop delivering to an endpoint (an operator's decision); pending deliveries fail."""
    return WebhookEndpoint.objects.filter(pk=endpoint_id, active=True).update(active=False) == 1


# --- events -----------------------------------------------------------------------------------


def claim_event(*, claim_id: int, event: str) -> int:
    """Record ``event`` for every active endpoint subscribed to it; send after commit.

    Called inside the transaction that published or corrected the claim: the deliveries
    are committed with it, or not at all. Returns how many deliveries were made.
    """
    if event not in Event.values:
        raise ValueError(f"Unknown webhook event {event!r}.")
    # Few endpoints exist, and JSON "contains" is not available on SQLite: filtered here.
    endpoints = [endpoint for endpoint in
                 WebhookEndpoint.objects.filter(active=True).select_related("client")
                 if event in endpoint.events and endpoint.client.has_scope("read")]
    if not endpoints:
        return 0
    now = timezone.now()
    # JSON-safe now, as it will be stored and sent.
    document = json.loads(json.dumps(publishing.public_claim_document(claim_id),
                                     cls=DjangoJSONEncoder))
    deliveries = []
    for endpoint in endpoints:
        event_id = uuid.uuid4()
        deliveries.append(WebhookDelivery.objects.create(
            endpoint=endpoint, event_id=event_id, event=event, claim_id=claim_id,
            payload={"event_id": str(event_id), "event": event,
                     "occurred_at": now.isoformat(), "claim": document},
            next_attempt_at=now))
    for delivery in deliveries:
        enqueue.webhook_delivery_enqueue(delivery_id=delivery.pk)
    return len(deliveries)


# --- delivery ---------------------------------------------------------------------------------


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Claimtrack-Signature`` value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode("utf-8"), str(timestamp).encode("ascii") + b"." + body,
                      hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def backoff(attempts: int) -> int:
    """Seconds to wait after the ``attempts``-th failed attempt: 30, 60, 120, … ≤ 1 h."""
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_CAP)


def _lease_seconds() -> int:
    # While an attempt runs, its delivery is scheduled this far ahead, so neither the sweep
    # nor a duplicate task message starts a second one. Past the task's hard time limit: if
    # the worker died mid-request, the delivery becomes due again once the lease runs out.
    return int(getattr(settings, "CELERY_TASK_TIME_LIMIT", 300)) + 30


@dataclass(frozen=True)
class _Response:
    status: int | None  # None: no HTTP answer (connection error, timeout, refusal)
    error: str = ""


def _post(target: Target, body: bytes, headers: dict[str, str]) -> _Response:
    """POST ``body`` to ``target``, connecting only to addresses checked just now."""
    try:
        addresses = _addresses(target, allow_private=_allow_private())
    except WebhookError as exc:
        return _Response(None, f"Not sent: {exc.message}")
    timeout = urllib3.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT)
    headers = {**headers, "Host": target.host_header}
    error = ""
    for address in addresses[:MAX_ADDRESSES]:
        # The pool connects to the checked address itself, not to the name (which could
        # resolve differently a moment later); TLS still verifies the certificate against
        # the name, sent as SNI.
        if target.scheme == "https":
            pool = urllib3.HTTPSConnectionPool(
                address, target.port, timeout=timeout, retries=False, maxsize=1,
                server_hostname=target.host, assert_hostname=target.host)
        else:
            pool = urllib3.HTTPConnectionPool(address, target.port, timeout=timeout,
                                              retries=False, maxsize=1)
        try:
            response = pool.urlopen("POST", target.path, body=body, headers=headers,
                                    retries=False, redirect=False, preload_content=False,
                                    assert_same_host=False)
        except NewConnectionError as exc:  # nothing was sent: the next address may answer
            error = f"Could not connect to {address}: {_reason(exc)}"
            pool.close()
            continue
        except (HTTPError, OSError) as exc:  # timeouts, TLS and protocol errors
            pool.close()
            return _Response(None, f"{type(exc).__name__} from {address}: {_reason(exc)}")
        try:
            if 200 <= response.status < 300:
                return _Response(response.status)
            if 300 <= response.status < 400:
                location = response.headers.get("Location", "")
                return _Response(response.status, f"Redirect to {location[:500]!r} not "
                                 "followed: register the final URL.")
            try:
                text = response.read(ERROR_BODY_BYTES, decode_content=False)
            except (HTTPError, OSError):
                text = b""
            return _Response(response.status, f"HTTP {response.status}: "
                             f"{text.decode('utf-8', 'replace').strip()}".strip())
        finally:
            response.release_conn()
            pool.close()
    return _Response(None, error or "No address to connect to.")


def _reason(exc: Exception) -> str:
    return str(getattr(exc, "reason", None) or exc)[:500]


# Control characters a consumer may send back (PostgreSQL refuses NUL in text).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _loggable(error: str) -> str:
    return _CONTROL.sub("\ufffd", error)[:5000]


def delivery_attempt(*, delivery_id: int, now: datetime | None = None) -> str:
    """Send a pending delivery once, if it is due; record the outcome.

    Returns DELIVERED, RETRY (next_attempt_at is set), FAILED, SKIPPED or NOT_DUE. Safe to
    call twice at once or after the delivery succeeded: the attempt is claimed by a
    conditional update, and the request is made outside any transaction.
    """
    now = now or timezone.now()
    claimed = WebhookDelivery.objects.filter(
        Q(next_attempt_at__isnull=True)
        | Q(next_attempt_at__lte=now + timedelta(seconds=EARLY_SECONDS)),
        pk=delivery_id, status=Status.PENDING,
    ).update(attempts=F("attempts") + 1,
             next_attempt_at=now + timedelta(seconds=_lease_seconds()))
    if claimed != 1:
        status = WebhookDelivery.objects.filter(pk=delivery_id).values_list(
            "status", flat=True).first()
        return NOT_DUE if status == Status.PENDING else SKIPPED
    delivery = WebhookDelivery.objects.select_related("endpoint__client").get(pk=delivery_id)
    endpoint, attempt = delivery.endpoint, delivery.attempts
    # Later rows are written only while this attempt is still the current one: a worker
    # that outlived its lease must not overwrite a newer attempt's outcome.
    current = WebhookDelivery.objects.filter(pk=delivery_id, status=Status.PENDING,
                                             attempts=attempt)
    if not endpoint.active or not endpoint.client.has_scope("read"):
        current.update(status=Status.FAILED, next_attempt_at=None,
                       last_error="Not sent: the endpoint was deactivated or its client "
                                  "lost the read scope.")
        return FAILED

    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Claimtrack-Event": delivery.event,
        "X-Claimtrack-Delivery": str(delivery.event_id),
        SIGNATURE_HEADER: signature(secret=endpoint.secret, timestamp=timestamp, body=body),
    }
    try:
        response = _post(_target(endpoint.url), body, headers)
    except WebhookError as exc:  # the stored URL no longer parses
        response = _Response(None, f"Not sent: {exc.message}")
    finished = timezone.now()

    if response.status is not None and 200 <= response.status < 300:
        # Whatever happened meanwhile, the consumer has it now.
        WebhookDelivery.objects.filter(pk=delivery_id, status=Status.PENDING).update(
            status=Status.DELIVERED, delivered_at=finished, next_attempt_at=None,
            last_status_code=response.status, last_error="")
        return DELIVERED
    if attempt >= MAX_ATTEMPTS:
        current.update(status=Status.FAILED, next_attempt_at=None,
                       last_status_code=response.status,
                       last_error=_loggable(f"Gave up after {attempt} attempts. {response.error}"))
        logger.warning("Webhook delivery %s to %s failed for good: %s", delivery_id,
                       endpoint.url, response.error)
        return FAILED
    current.update(next_attempt_at=finished + timedelta(seconds=backoff(attempt)),
                   last_status_code=response.status, last_error=_loggable(response.error))
    logger.info("Webhook delivery %s to %s, attempt %s failed: %s", delivery_id, endpoint.url,
                attempt, response.error)
    return RETRY


def delivery_due_in(*, delivery_id: int, now: datetime | None = None) -> int:
    """Seconds until a pending delivery's next attempt (0 if due or not pending)."""
    now = now or timezone.now()
    due = WebhookDelivery.objects.filter(pk=delivery_id, status=Status.PENDING).values_list(
        "next_attempt_at", flat=True).first()
    return max(0, int((due - now).total_seconds() + 0.999)) if due else 0


def delivery_retry(*, delivery_id: int) -> bool:
    """Give a failed delivery a fresh set of attempts, starting now (the admin's action)."""
    restarted = WebhookDelivery.objects.filter(pk=delivery_id, status=Status.FAILED).update(
        status=Status.PENDING, attempts=0, next_attempt_at=timezone.now())
    if restarted:
        enqueue.webhook_delivery_enqueue(delivery_id=delivery_id)
    return restarted == 1


def webhooks_sweep(*, now: datetime | None = None, limit: int = 500) -> int:
    """Send every pending delivery that is due: those whose task was lost (broker down,
    worker gone) or whose retry message never came. Returns how many were sent.

    Sending one twice is harmless: ``delivery_attempt`` claims each attempt.
    """
    now = now or timezone.now()
    due = list(WebhookDelivery.objects.filter(status=Status.PENDING, next_attempt_at__lte=now)
               .order_by("next_attempt_at", "id").values_list("id", flat=True)[:limit])
    for delivery_id in due:
        enqueue.webhook_delivery_enqueue(delivery_id=delivery_id)
    return len(due)
