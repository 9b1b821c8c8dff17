"""Sending work to the Celery workers: the one module that imports ``claims.tasks`` (lazily,
since the tasks import the stages that call these functions).

Every send happens after the current transaction commits and never raises into the caller:
the database already says what is to be done, so a send the broker refuses is repeated by
the sweep. A send that went out is recorded where the sweep can see it (``enqueued_at``,
``match_enqueued_at``), so the sweep never re-sends work that is only waiting in the queue.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

# Below this age, work not recorded as sent may still be in its on-commit send: the sweeps
# leave it alone.
UNSENT_GRACE_SECONDS = 30


def _broker_errors() -> tuple[type[BaseException], ...]:
    from kombu.exceptions import OperationalError as KombuOperationalError

    return (KombuOperationalError, ConnectionError, TimeoutError)


BROKER_ERRORS = _broker_errors()


# In process, a task sent by a running task waits until that one returns, as it would in a
# queue: a long article's matching passes run one after another, not nested ever deeper.
_in_process = threading.local()


def send_on_commit(task_name: str, *args, what: str, sent=None) -> None:
    """Send ``claims.tasks.<task_name>`` once the current transaction commits.

    ``sent`` is called after the broker took the message (in process, after the task ran).
    """

    def send() -> None:
        from claims import tasks

        try:
            getattr(tasks, task_name).delay(*args)
        except BROKER_ERRORS as exc:
            logger.warning("Broker unavailable, %s waits for the sweep: %s", what, exc)
            return
        if sent is not None:
            sent()

    transaction.on_commit(lambda: _run_in_turn(send), robust=True)


def _run_in_turn(send) -> None:
    from config.celery import app

    if not app.conf.task_always_eager:
        send()
        return
    waiting = getattr(_in_process, "waiting", None)
    if waiting is not None:
        waiting.append(send)  # a task is running: this one runs when it returns
        return
    after_response = getattr(_in_process, "after_response", None)
    if after_response is not None:
        after_response.append(send)  # a request is being answered: it runs once it has been
        return
    _in_process.waiting = [send]
    try:
        while _in_process.waiting:
            _in_process.waiting.pop(0)()
    finally:
        _in_process.waiting = None


def request_started(**kwargs) -> None:
    """In process, work a request sends runs after its response has gone out (the
    ``request_finished`` signal), so a long article saved from the admin does not hold the
    page: the article shows as pending until it has been processed."""
    _in_process.after_response = []


def request_finished(**kwargs) -> None:
    deferred = getattr(_in_process, "after_response", None)
    _in_process.after_response = None
    for send in deferred or ():
        _run_in_turn(send)


def article_enqueue(*, article_id: int) -> None:
    """Extract the article's claims in a worker once it is committed."""
    from claims.models import Article

    def sent() -> None:
        Article.objects.filter(pk=article_id, state=Article.State.PENDING).update(
            enqueued_at=timezone.now())

    send_on_commit("article_process_task", article_id, what=f"article {article_id}", sent=sent)


def article_match_enqueue(*, article_id: int) -> None:
    """Match the article's claims (the next chunk of them) once they are committed."""
    from claims.models import Article

    def sent() -> None:
        Article.objects.filter(pk=article_id, matched_at__isnull=True).update(
            match_enqueued_at=timezone.now())

    send_on_commit("article_match_task", article_id, what=f"matching of article {article_id}",
                   sent=sent)


def claims_match_enqueue(*, claim_ids: list[int]) -> None:
    send_on_commit("claims_match_task", claim_ids, what=f"matching of {len(claim_ids)} claims")


def webhook_delivery_enqueue(*, delivery_id: int) -> None:
    send_on_commit("deliver_webhook_task", delivery_id, what=f"webhook delivery {delivery_id}")


# --- what the broker holds ----------------------------------------------------------------------


@dataclass(frozen=True)
class QueueState:
    """What the sweep needs to know of one stage's queue to tell waiting work from lost work.

    ``waiting`` is None when the broker could not say (it is down, or tasks run in process);
    ``started_at`` is when the broker last started, None when unknown: a message sent before
    it may be gone (Redis without persistence keeps nothing across a restart).
    """

    waiting: int | None
    started_at: datetime | None

    def may_hold(self, sent_at: datetime) -> bool:
        """Whether a message sent at ``sent_at`` may still be waiting in this queue."""
        if self.started_at is not None and sent_at < self.started_at:
            return False
        return self.waiting != 0


def queue_state(stage: str) -> QueueState:
    """Messages waiting in ``stage``'s queue, and when the broker started."""
    from config.celery import app, queue_for

    if app.conf.task_always_eager:
        return QueueState(waiting=0, started_at=None)  # in process, nothing ever waits
    name = queue_for(stage)
    try:
        with app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1)
            channel = conn.default_channel
            try:
                _, waiting, _ = channel.queue_declare(queue=name, passive=True)
            except conn.channel_errors:
                waiting = 0  # Redis keeps no empty list: an unknown queue holds nothing
            started_at = None
            client = getattr(channel, "client", None)  # Redis transports only
            if client is not None:
                uptime = client.info("server").get("uptime_in_seconds")
                if uptime is not None:
                    started_at = timezone.now() - timedelta(seconds=int(uptime) + 1)
            return QueueState(waiting=int(waiting), started_at=started_at)
    except Exception as exc:  # noqa: BLE001 - any failure means "the broker cannot say"
        logger.warning("Broker unavailable, cannot tell the %s queue's depth: %s", stage, exc)
        return QueueState(waiting=None, started_at=None)


class LostWork:
    """``lost(sent_at)``: whether work of ``stage`` sent at ``sent_at`` (None: never sent) is
    no longer in its queue — sent longer than the pending timeout ago, and the queue cannot
    hold it any more. Asks the broker once, and only when that is the question."""

    def __init__(self, stage: str, now: datetime):
        from django.conf import settings

        self.stage = stage
        self.sent_cutoff = now - timedelta(seconds=settings.CLAIMTRACK_PENDING_TIMEOUT)
        self.queue: QueueState | None = None

    def __call__(self, sent_at: datetime | None) -> bool:
        if sent_at is None:
            return True
        if sent_at >= self.sent_cutoff:
            return False
        if self.queue is None:
            self.queue = queue_state(self.stage)
        return not self.queue.may_hold(sent_at)
