"""Prometheus metrics: what the operator of a desk watches (docs/operations.md).

Two kinds of series:

- **Counted as they happen** (request latency, task outcomes and durations, webhook attempts,
  article processing time). Web processes and Celery workers are separate processes, often in
  separate containers, and a scrape reaches one web process: the counts live where all of them
  see the same numbers, one Redis hash per metric in the cache's Redis (``CACHE_URL``), each
  increment an ``HINCRBYFLOAT`` (atomic), a whole event one pipelined round trip. Without a
  Redis cache (the laptop default) they live in the process, which is where tasks run then.
- **Read at scrape time** from the database (articles by state, claims by status, webhook
  deliveries by status, the oldest pending and processing article) and from the broker (queue
  lengths), by a collector: always the current truth, nothing to keep in step.

Recording never breaks the work it records: a failure is logged and recording pauses for a
while, so a cache that is down costs a task or a request one short timeout, not one each time.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from prometheus_client.core import (
    CollectorRegistry,
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)

logger = logging.getLogger(__name__)

PROCESS_TASK = "claims.tasks.article_process_task"
WEBHOOK_TASK = "claims.tasks.deliver_webhook_task"
# The outcomes of a webhook attempt (claims.webhooks): "skipped" and "not_due" sent nothing.
WEBHOOK_OUTCOMES = ("delivered", "retry", "failed")
# Celery's final states, as task outcomes; IGNORED and REJECTED are neither.
TASK_OUTCOMES = {"SUCCESS": "success", "FAILURE": "failure", "RETRY": "retry"}
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# After a failure to record, nothing is recorded for this long (seconds).
PAUSE_AFTER_FAILURE = 30
# The store's Redis connection: a Redis that stops answering costs this much, then a pause.
STORE_TIMEOUT = 1.0


# --- Shared series: definitions -----------------------------------------------------------------


def _field(labels: tuple[str, ...], part: str) -> str:
    return json.dumps(labels) + "\t" + part


@dataclass(frozen=True)
class SharedCounter:
    name: str  # without "_total", which the exposition adds
    doc: str
    labels: tuple[str, ...]

    def increments(self, labels: tuple[str, ...], amount: float = 1) -> dict[str, float]:
        return {_field(labels, "value"): amount}

    def family(self, fields: dict[str, float]) -> CounterMetricFamily:
        family = CounterMetricFamily(self.name, self.doc, labels=self.labels)
        for field, value in sorted(fields.items()):
            labels, _, part = field.partition("\t")
            if part == "value":
                family.add_metric(json.loads(labels), value)
        return family


@dataclass(frozen=True)
class SharedHistogram:
    name: str
    doc: str
    labels: tuple[str, ...]
    buckets: tuple[float, ...]  # upper bounds, ascending; +Inf is implied

    def increments(self, labels: tuple[str, ...], value: float) -> dict[str, float]:
        # Each observation counts in one bucket (the first bound it fits under); the
        # cumulative counts Prometheus expects are summed at scrape time.
        index = next((i for i, bound in enumerate(self.buckets) if value <= bound),
                     len(self.buckets))
        return {_field(labels, f"b{index}"): 1, _field(labels, "sum"): value,
                _field(labels, "count"): 1}

    def family(self, fields: dict[str, float]) -> HistogramMetricFamily:
        series: dict[str, dict[str, float]] = defaultdict(dict)
        for field, value in fields.items():
            labels, _, part = field.partition("\t")
            series[labels][part] = value
        family = HistogramMetricFamily(self.name, self.doc, labels=self.labels)
        for labels, parts in sorted(series.items()):
            running, buckets = 0.0, []
            for index, bound in enumerate(self.buckets):
                running += parts.get(f"b{index}", 0)
                buckets.append((_bound(bound), running))
            count = parts.get("count", running + parts.get(f"b{len(self.buckets)}", 0))
            buckets.append(("+Inf", count))
            family.add_metric(json.loads(labels), buckets, sum_value=parts.get("sum", 0.0))
        return family


def _bound(value: float) -> str:
    return repr(float(value))


REQUEST_DURATION = SharedHistogram(
    "claimtrack_http_request_duration_seconds",
    "Time to answer an HTTP request, by method, route (URL name) and status class.",
    ("method", "route", "status"),
    (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
TASKS = SharedCounter(
    "claimtrack_tasks",
    "Celery task runs by task and outcome (success, failure, retry).",
    ("task", "outcome"),
)
TASK_DURATION = SharedHistogram(
    "claimtrack_task_duration_seconds",
    "Time a Celery task ran, whatever its outcome, by task.",
    ("task",),
    (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
WEBHOOK_ATTEMPTS = SharedCounter(
    "claimtrack_webhook_attempts",
    "Webhook delivery attempts by outcome: delivered, retry (another attempt is scheduled), "
    "failed (given up).",
    ("outcome",),
)
ARTICLE_PROCESSING = SharedHistogram(
    "claimtrack_article_processing_seconds",
    "Time from an article becoming pending (stored, or queued again) to its claims "
    "extracted: queue wait and extraction.",
    (),
    (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600),
)
SHARED = (REQUEST_DURATION, TASKS, TASK_DURATION, WEBHOOK_ATTEMPTS, ARTICLE_PROCESSING)


# --- Shared series: the store -------------------------------------------------------------------


class LocalStore:
    """In the process: with tasks in process (no broker), every count is made here."""

    def __init__(self):
        self._lock = threading.Lock()
        self._data: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))

    def add(self, increments: dict[str, dict[str, float]]) -> None:
        with self._lock:
            for key, fields in increments.items():
                for field, amount in fields.items():
                    self._data[key][field] += amount

    def read(self, keys: list[str]) -> dict[str, dict[str, float]]:
        with self._lock:
            return {key: dict(self._data.get(key, {})) for key in keys}

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


class RedisStore:
    """One hash per metric in the cache's Redis, under the cache's KEY_PREFIX."""

    def __init__(self, url: str, prefix: str):
        import redis

        self.client = redis.Redis.from_url(
            url, socket_connect_timeout=STORE_TIMEOUT, socket_timeout=STORE_TIMEOUT)
        self.prefix = prefix

    def add(self, increments: dict[str, dict[str, float]]) -> None:
        pipe = self.client.pipeline(transaction=False)
        for key, fields in increments.items():
            for field, amount in fields.items():
                pipe.hincrbyfloat(self.prefix + key, field, amount)
        pipe.execute()

    def read(self, keys: list[str]) -> dict[str, dict[str, float]]:
        pipe = self.client.pipeline(transaction=False)
        for key in keys:
            pipe.hgetall(self.prefix + key)
        return {key: {field.decode(): float(value) for field, value in found.items()}
                for key, found in zip(keys, pipe.execute(), strict=True)}

    def clear(self) -> None:
        self.client.delete(*(self.prefix + metric.name for metric in SHARED))


_local_store = LocalStore()
_redis_stores: dict[tuple[str, str], RedisStore] = {}
_paused_until = 0.0


def store() -> LocalStore | RedisStore:
    """The Redis of the default cache when it is a Redis cache, else this process."""
    cache = settings.CACHES.get("default", {})
    if not cache.get("BACKEND", "").endswith("RedisCache"):
        return _local_store
    location = cache.get("LOCATION")
    if isinstance(location, (list, tuple)):
        location = location[0]
    url = str(location).split(",")[0].strip()  # the first server is the one written to
    prefix = f"{cache.get('KEY_PREFIX') or ''}:claimtrack:metrics:"
    key = (url, prefix)
    if key not in _redis_stores:
        _redis_stores[key] = RedisStore(url, prefix)
    return _redis_stores[key]


def record(increments: dict[SharedCounter | SharedHistogram, dict[str, float]]) -> None:
    """Add to shared series; never raises (a metric is not worth a failed task or request)."""
    global _paused_until
    if not increments or time.monotonic() < _paused_until:
        return
    try:
        store().add({metric.name: fields for metric, fields in increments.items()})
    except Exception as exc:  # noqa: BLE001 - anything from the store: log and pause
        _paused_until = time.monotonic() + PAUSE_AFTER_FAILURE
        logger.warning("Metrics not recorded (paused %ss): %s: %s", PAUSE_AFTER_FAILURE,
                       type(exc).__name__, exc)


def _merge(*parts: tuple[SharedCounter | SharedHistogram, dict[str, float]]) -> dict:
    merged: dict = defaultdict(dict)
    for metric, fields in parts:
        merged[metric].update(fields)
    return merged


# --- Requests -----------------------------------------------------------------------------------


def request_route(request) -> str:
    """A bounded label for what was asked: the URL's name (namespaced), else its view."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name or match._func_path
    static = "/" + settings.STATIC_URL.lstrip("/")
    if request.path_info.startswith(static):
        return "static"
    return "unresolved"


class RequestMetricsMiddleware:
    """Times every request from the outermost layer but one (settings: MIDDLEWARE)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        try:
            labels = (request.method if request.method in HTTP_METHODS else "other",
                      request_route(request), f"{response.status_code // 100}xx")
            record({REQUEST_DURATION: REQUEST_DURATION.increments(
                labels, time.perf_counter() - started)})
        except Exception:  # noqa: BLE001 - never fail the response for its metric
            logger.exception("Request metrics failed")
        return response


# --- Celery tasks (signal handlers, connected in ClaimsConfig.ready) ------------------------------

# Start times by task id; a list, since a retry in process runs inside its own first run.
_started: dict[str, list[float]] = defaultdict(list)
# When the article a processing task is about to take became pending, by task id.
_pending_since: dict[str, object] = {}


def task_prerun(sender=None, task_id=None, args=None, kwargs=None, **extra) -> None:
    _started[task_id].append(time.monotonic())
    if getattr(sender, "name", None) == PROCESS_TASK:
        try:
            since = _article_pending_since(args or (), kwargs or {})
        except Exception:  # noqa: BLE001 - never fail a task for its metric
            logger.exception("Task metrics failed for %s", task_id)
            since = None
        if since is not None:
            _pending_since[task_id] = since


def task_postrun(sender=None, task_id=None, retval=None, state=None, **extra) -> None:
    try:
        starts = _started.get(task_id)
        duration = time.monotonic() - starts.pop() if starts else None
        if starts == []:
            del _started[task_id]
        pending_since = _pending_since.pop(task_id, None)
        name = getattr(sender, "name", None) or "unknown"
        if name.startswith("celery."):
            return  # Celery's own housekeeping
        if state is None:
            # In process, a failure or a retry propagates to the caller before Celery names
            # the state; this signal is sent while the exception is on its way out.
            state, retval = _propagating(retval)
        record(_merge(*task_increments(name, state, retval, duration, pending_since)))
    except Exception:  # noqa: BLE001 - never fail a task for its metric
        logger.exception("Task metrics failed for %s", task_id)


def _propagating(retval):
    from celery.exceptions import Retry

    exc = sys.exc_info()[1]
    if exc is None:
        return None, retval
    return ("RETRY" if isinstance(exc, Retry) else "FAILURE"), exc


def task_increments(name: str, state: str | None, retval, duration: float | None,
                    pending_since=None):
    outcome = TASK_OUTCOMES.get(state or "")
    if outcome is not None:
        yield TASKS, TASKS.increments((name, outcome))
    if duration is not None:
        yield TASK_DURATION, TASK_DURATION.increments((name,), duration)
    if name == WEBHOOK_TASK:
        attempt = webhook_attempt_outcome(state, retval)
        if attempt is not None:
            yield WEBHOOK_ATTEMPTS, WEBHOOK_ATTEMPTS.increments((attempt,))
    if pending_since is not None and state == "SUCCESS" and retval == "done":
        seconds = max((timezone.now() - pending_since).total_seconds(), 0.0)
        yield ARTICLE_PROCESSING, ARTICLE_PROCESSING.increments((), seconds)


def webhook_attempt_outcome(state: str | None, retval) -> str | None:
    """The attempt's outcome as ``deliver_webhook_task`` ends: it returns "delivered" or
    "failed", and raises Retry without an exception for a scheduled retry (a Retry that
    carries one is a database error: no attempt was made)."""
    if state == "SUCCESS" and retval in ("delivered", "failed"):
        return retval
    if state == "RETRY" and getattr(retval, "exc", True) is None:
        return "retry"
    return None


def _article_pending_since(args, kwargs):
    """When the task's article became pending (stored, or queued again), if it still is:
    a retry finds it processing already and is not timed from there."""
    from claims.models import Article

    article_id = args[0] if args else kwargs.get("article_id")
    return (Article.objects.filter(pk=article_id, state=Article.State.PENDING)
            .values_list("state_changed_at", flat=True).first())


def connect_signals() -> None:
    from celery import signals

    signals.task_prerun.connect(task_prerun, weak=False, dispatch_uid="claims.metrics.prerun")
    signals.task_postrun.connect(task_postrun, weak=False, dispatch_uid="claims.metrics.postrun")


# --- Read at scrape time ---------------------------------------------------------------------


class ClaimtrackCollector:
    """Every series, read when Prometheus scrapes. A source that cannot be read leaves its
    series out and says so in ``claimtrack_metrics_source_up``."""

    def collect(self):
        up = GaugeMetricFamily(
            "claimtrack_metrics_source_up",
            "Whether a source of these metrics could be read at this scrape (1) or not (0).",
            labels=("source",))
        for source, read in (("store", self._shared), ("database", self._database),
                             ("broker", self._broker)):
            try:
                families = list(read())
            except Exception as exc:  # noqa: BLE001 - one source down: report, carry on
                logger.warning("Metrics: the %s could not be read: %s: %s", source,
                               type(exc).__name__, exc)
                up.add_metric((source,), 0)
                continue
            up.add_metric((source,), 1)
            yield from families
        yield up

    def _shared(self):
        found = store().read([metric.name for metric in SHARED])
        for metric in SHARED:
            yield metric.family(found.get(metric.name, {}))

    def _database(self):
        from django.db.models import Min

        from claims.models import Article, Claim, WebhookDelivery

        yield gauge_by(Article, "state", "claimtrack_articles", "Articles by processing state.")
        yield gauge_by(Claim, "status", "claimtrack_claims", "Claims by review status.")
        yield gauge_by(WebhookDelivery, "status", "claimtrack_webhook_deliveries",
                       "Webhook deliveries by status.")
        oldest = GaugeMetricFamily(
            "claimtrack_article_oldest_age_seconds",
            "Seconds the oldest article has been in this state (0: none is).",
            labels=("state",))
        now = timezone.now()
        for state in (Article.State.PENDING, Article.State.PROCESSING):
            since = Article.objects.filter(state=state).aggregate(
                since=Min("state_changed_at"))["since"]
            oldest.add_metric((state.value,),
                              max((now - since).total_seconds(), 0.0) if since else 0.0)
        yield oldest
        yield from self._ingestion()

    def _ingestion(self):
        from django.db.models import Count, Q

        from claims.models import ArticleFetch, Feed, FeedEntry

        yield gauge_by(ArticleFetch, "state", "claimtrack_article_fetches",
                       "Requests to fetch an article from its URL, by state.")
        yield gauge_by(FeedEntry, "state", "claimtrack_feed_entries",
                       "Feed entries by state (each fetched and ingested once).")
        statuses = {
            "ok": Q(active=True, flagged=False, consecutive_failures=0),
            "failing": Q(active=True, flagged=False, consecutive_failures__gt=0),
            "flagged": Q(active=True, flagged=True),
            "paused": Q(active=False),
        }
        counts = Feed.objects.aggregate(**{
            f"n_{status}": Count("pk", filter=where) for status, where in statuses.items()})
        feeds = GaugeMetricFamily(
            "claimtrack_feeds", "Feeds by status: ok, failing (its last poll failed), flagged "
            "(failing again and again), paused (not active).", labels=("status",))
        for status in statuses:
            feeds.add_metric((status,), counts[f"n_{status}"])
        yield feeds

    def _broker(self):
        from config.celery import app

        if app.conf.task_always_eager:
            return  # tasks run in process: there is no queue, and no series
        family = GaugeMetricFamily(
            "claimtrack_queue_length", "Messages waiting in a Celery queue.", labels=("queue",))
        with broker_connection(app) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0,
                                   timeout=STORE_TIMEOUT * 2)
            channel = conn.default_channel
            for queue in settings.CELERY_TASK_QUEUES:
                try:
                    _, waiting, _ = channel.queue_declare(queue=queue.name, passive=True)
                except conn.channel_errors:
                    waiting = 0  # Redis keeps no empty list: a queue never used holds nothing
                family.add_metric((queue.name,), int(waiting))
        yield family


def gauge_by(model, field: str, name: str, doc: str, label: str | None = None):
    """Rows of ``model`` counted by ``field``: every choice, 0 when none has it."""
    from django.db.models import Count

    counts = dict(model.objects.order_by().values_list(field).annotate(n=Count("pk")))
    family = GaugeMetricFamily(name, doc, labels=(label or field,))
    for value, _ in model._meta.get_field(field).choices or ():
        family.add_metric((str(value),), counts.pop(value, 0))
    for value, n in sorted(counts.items(), key=lambda item: str(item[0])):
        family.add_metric((str(value),), n)  # a value the choices no longer list
    return family


def broker_connection(app, timeout: float = STORE_TIMEOUT * 2):
    """A broker connection that gives up within ``timeout`` seconds."""
    options = {**(app.conf.broker_transport_options or {}),
               "socket_connect_timeout": timeout, "socket_timeout": timeout}
    return app.connection_for_write(connect_timeout=timeout, transport_options=options)


REGISTRY = CollectorRegistry(auto_describe=False)
REGISTRY.register(ClaimtrackCollector())
