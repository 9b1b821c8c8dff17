"""/metrics: who may read it, and the series an operator watches (docs/operations.md)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from claims import ingestion, metrics, tasks, webhooks
from claims.clients import client_create
from claims.models import Article, WebhookDelivery
from config.celery import app as celery_app
from tests.conftest import require
from tests.test_pipeline_services import database_url_of_test_db, stop_worker
from tests.test_webhooks import Receiver

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "metrics-token-" + "k" * 24
STORY = (
    "Julia Marsh, the harbour master, said on Monday that the port handled 40 ships in a day. "
    "The shipping company denied that it had cut wages. "
    '"We will reopen the north quay in March," Marsh told reporters.'
)
PROCESS = metrics.PROCESS_TASK
WEBHOOK = metrics.WEBHOOK_TASK
REDIS = "redis://127.0.0.1:6379"


@pytest.fixture(autouse=True)
def fresh_counts():
    """Counts kept in this process start from nothing, and no pause is left from a test that
    pointed the cache at a dead Redis."""
    metrics._local_store.clear()
    metrics._paused_until = 0.0
    yield
    metrics._paused_until = 0.0


def scrape(client, **extra) -> dict[tuple[str, frozenset], float]:
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(response.content.decode())
            for sample in family.samples}


def value(samples, name: str, **labels) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def names(samples) -> set[str]:
    return {name for name, _ in samples}


# --- access -------------------------------------------------------------------------------------


def test_it_refuses_an_address_not_allowed_without_saying_why(client, db):
    response = client.get("/metrics", REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 404
    assert b"claimtrack" not in response.content


def test_it_serves_loopback_by_default(client, db):
    assert "claimtrack_articles" in names(scrape(client, REMOTE_ADDR="127.0.0.1"))
    assert client.get("/metrics", REMOTE_ADDR="::1").status_code == 200


def test_it_refuses_loopback_requests_relayed_by_a_proxy(client, db):
    """Behind a proxy on the same host, every visitor arrives from 127.0.0.1."""
    for header in ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP"):
        response = client.get("/metrics", REMOTE_ADDR="127.0.0.1", **{header: "203.0.113.9"})
        assert response.status_code == 404, header


def test_it_serves_a_bearer_of_the_token_from_anywhere(client, db, settings):
    settings.CLAIMTRACK_METRICS_TOKEN = TOKEN
    scrape(client, REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    scrape(client, REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="203.0.113.9",
           HTTP_AUTHORIZATION=f"bearer {TOKEN}")
    for wrong in (f"Bearer {TOKEN}x", f"Basic {TOKEN}", TOKEN, "Bearer "):
        response = client.get("/metrics", REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION=wrong)
        assert response.status_code == 404, wrong


def test_no_token_is_accepted_when_none_is_set(client, db, settings):
    settings.CLAIMTRACK_METRICS_TOKEN = ""
    response = client.get("/metrics", REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 404


def test_it_serves_the_networks_it_is_told_to_and_no_others(client, db, settings):
    settings.CLAIMTRACK_METRICS_ALLOW = ["10.0.0.0/8", "fd00::/8"]
    scrape(client, REMOTE_ADDR="10.20.30.40")
    scrape(client, REMOTE_ADDR="::ffff:10.20.30.40")  # IPv4 client of a server on [::]
    scrape(client, REMOTE_ADDR="fd00::5")
    for address in ("127.0.0.1", "11.0.0.1", "fe80::1", "not-an-address", ""):
        assert client.get("/metrics", REMOTE_ADDR=address).status_code == 404, address


def test_it_is_scraped_whatever_the_host_header_says(client, db, settings):
    """A scraper addresses the container by its IP; host checking is unchanged elsewhere."""
    settings.ALLOWED_HOSTS = ["claims.example.org"]
    scrape(client, REMOTE_ADDR="127.0.0.1", HTTP_HOST="172.18.0.5:8000")
    assert client.get("/admin/login/", HTTP_HOST="172.18.0.5:8000").status_code == 400


def test_it_answers_get_only(client, db):
    assert client.post("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 405


@pytest.mark.parametrize("env, message", [
    ({"CLAIMTRACK_METRICS_ALLOW": "127.0.0.1/32,intranet"}, "CLAIMTRACK_METRICS_ALLOW"),
    ({"CLAIMTRACK_METRICS_TOKEN": "short"}, "CLAIMTRACK_METRICS_TOKEN"),
    ({"CLAIMTRACK_READY_TIMEOUT": "forever"}, "CLAIMTRACK_READY_TIMEOUT"),
])
def test_a_bad_setting_stops_the_start_and_names_the_variable(env, message):
    from tests.test_settings import start_django

    result = start_django(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


# --- the series -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_it_reports_the_named_series_after_an_article_is_processed(client):
    assert client.get("/admin/login/").status_code == 200
    client.get("/no-such-page/")
    article = ingestion.article_ingest(title="Port busy", source_name="Harbour Times",
                                       text=STORY)
    article.refresh_from_db()
    assert article.state == Article.State.DONE

    samples = scrape(client)
    assert value(samples, "claimtrack_articles", state="done") == 1
    assert value(samples, "claimtrack_articles", state="pending") == 0
    assert value(samples, "claimtrack_articles", state="failed") == 0
    assert value(samples, "claimtrack_claims", status="new") == article.claims.count() >= 2
    assert value(samples, "claimtrack_claims", status="published") == 0
    assert value(samples, "claimtrack_webhook_deliveries", status="pending") == 0
    assert value(samples, "claimtrack_article_oldest_age_seconds", state="pending") == 0

    assert value(samples, "claimtrack_tasks_total", task=PROCESS, outcome="success") == 1
    count = value(samples, "claimtrack_task_duration_seconds_count", task=PROCESS)
    assert count == value(samples, "claimtrack_task_duration_seconds_bucket", task=PROCESS,
                          le="+Inf") == 1
    assert 0 < value(samples, "claimtrack_task_duration_seconds_sum", task=PROCESS) < 60
    buckets = [value(samples, "claimtrack_task_duration_seconds_bucket", task=PROCESS,
                     le=repr(float(bound))) for bound in metrics.TASK_DURATION.buckets]
    assert buckets == sorted(buckets) and buckets[-1] == 1  # cumulative
    assert value(samples, "claimtrack_article_processing_seconds_count") == 1

    assert value(samples, "claimtrack_http_request_duration_seconds_count",
                 method="GET", route="admin:login", status="2xx") == 1
    assert value(samples, "claimtrack_http_request_duration_seconds_count",
                 method="GET", route="unresolved", status="4xx") == 1
    # Bounded labels: no raw path, and probes and scrapes are not timed.
    routes = {dict(labels).get("route") for name, labels in samples
              if name.startswith("claimtrack_http_request")}
    assert routes == {"admin:login", "unresolved"}

    # In process there is no queue: no queue series, and every source was read.
    assert "claimtrack_queue_length" not in names(samples)
    for source in ("store", "database", "broker"):
        assert value(samples, "claimtrack_metrics_source_up", source=source) == 1


@pytest.mark.django_db
def test_the_oldest_pending_article_shows_its_age(client):
    from tests.factories import ArticleFactory

    ArticleFactory(state=Article.State.PENDING,
                   state_changed_at=timezone.now() - timedelta(minutes=20))
    ArticleFactory(state=Article.State.PENDING, state_changed_at=timezone.now())
    samples = scrape(client)
    assert 1195 < value(samples, "claimtrack_article_oldest_age_seconds", state="pending") < 1300
    assert value(samples, "claimtrack_article_oldest_age_seconds", state="processing") == 0
    assert value(samples, "claimtrack_articles", state="pending") == 2


@pytest.mark.django_db
def test_it_reports_feeds_by_status_and_fetches_by_state(client):
    from claims.models import ArticleFetch, Feed

    Feed.objects.create(url="https://a.example/feed")
    Feed.objects.create(url="https://b.example/feed", consecutive_failures=2)
    Feed.objects.create(url="https://c.example/feed", consecutive_failures=9, flagged=True)
    Feed.objects.create(url="https://d.example/feed", active=False, flagged=True)
    ArticleFetch.objects.create(url="https://a.example/1", canonical_url="https://a.example/1")
    samples = scrape(client)
    assert {status: value(samples, "claimtrack_feeds", status=status)
            for status in ("ok", "failing", "flagged", "paused")} == {
        "ok": 1, "failing": 1, "flagged": 1, "paused": 1}
    assert value(samples, "claimtrack_article_fetches", state="pending") == 1
    assert value(samples, "claimtrack_article_fetches", state="failed") == 0
    assert value(samples, "claimtrack_feed_entries", state="done") == 0


@celery_app.task(bind=True, name="tests.metrics.flaky_task")
def flaky_task(self, fail: bool = False):
    if fail:
        raise ValueError("broken on purpose")
    if self.request.retries == 0:
        raise self.retry(countdown=0, max_retries=1)
    return "ok"


@pytest.mark.django_db
def test_it_counts_failures_and_retries_by_task(client):
    from celery.exceptions import Retry

    # In process, failures and retries reach the caller as they do in tests and the demo.
    with pytest.raises(ValueError):
        flaky_task.delay(fail=True)
    with pytest.raises(Retry):
        flaky_task.delay()
    # As in a worker: Celery records the retry, then the task runs again and succeeds.
    assert flaky_task.apply(throw=False).get() == "ok"
    samples = scrape(client)
    task = "tests.metrics.flaky_task"
    assert value(samples, "claimtrack_tasks_total", task=task, outcome="failure") == 1
    assert value(samples, "claimtrack_tasks_total", task=task, outcome="retry") == 2
    assert value(samples, "claimtrack_tasks_total", task=task, outcome="success") == 1
    assert value(samples, "claimtrack_task_duration_seconds_count", task=task) == 4


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.mark.django_db
def test_it_counts_webhook_attempts_by_outcome(client, settings, receiver):
    settings.CLAIMTRACK_WEBHOOK_ALLOW_PRIVATE = True
    reader, _ = client_create(name="reader", scopes=["read"])
    endpoint, _ = webhooks.endpoint_register(client=reader, url=receiver.url,
                                             events=["claim.published"])

    def delivery():
        return WebhookDelivery.objects.create(
            endpoint=endpoint, event_id=uuid.uuid4(), event="claim.published",
            payload={"event": "claim.published"}, next_attempt_at=timezone.now())

    receiver.answers = [500]
    retried = delivery()
    # As in a worker (throw=False): Celery records the retry; the run it then makes at once
    # finds the delivery not due.
    tasks.deliver_webhook_task.apply(args=[retried.pk], throw=False)  # 500: retry later
    WebhookDelivery.objects.filter(pk=retried.pk).update(next_attempt_at=timezone.now())
    tasks.deliver_webhook_task.apply(args=[retried.pk], throw=False)  # 200
    gone = delivery()
    webhooks.endpoint_deactivate(endpoint_id=endpoint.pk)
    tasks.deliver_webhook_task.apply(args=[gone.pk], throw=False)  # endpoint gone: failed

    samples = scrape(client)
    assert value(samples, "claimtrack_webhook_attempts_total", outcome="retry") == 1
    assert value(samples, "claimtrack_webhook_attempts_total", outcome="delivered") == 1
    assert value(samples, "claimtrack_webhook_attempts_total", outcome="failed") == 1
    assert value(samples, "claimtrack_webhook_deliveries", status="delivered") == 1
    assert value(samples, "claimtrack_webhook_deliveries", status="failed") == 1
    assert value(samples, "claimtrack_tasks_total", task=WEBHOOK, outcome="retry") == 1


@pytest.mark.django_db(transaction=True)
def test_a_cache_that_is_down_breaks_neither_tasks_nor_requests_nor_the_scrape(
        client, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://:s3cret@127.0.0.1:1/0"}}
    article = ingestion.article_ingest(title="Port busy", source_name="Harbour Times",
                                       text=STORY)
    article.refresh_from_db()
    assert article.state == Article.State.DONE
    assert client.get("/admin/login/").status_code == 200

    response = client.get("/metrics")
    assert response.status_code == 200
    assert b"s3cret" not in response.content
    samples = scrape(client)
    assert value(samples, "claimtrack_metrics_source_up", source="store") == 0
    assert value(samples, "claimtrack_articles", state="done") == 1
    assert "claimtrack_tasks_total" not in names(samples)


# --- on real services -----------------------------------------------------------------------


def redis_reachable(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception as exc:  # noqa: BLE001 - any failure: Redis is not there
        require(False, f"Redis at {url} is unreachable: {exc}")


@pytest.mark.services
@pytest.mark.django_db
def test_it_reports_the_length_of_each_queue_from_redis(client, settings):
    require(django_settings.CELERY_BROKER_URL.startswith("redis"),
            "CELERY_BROKER_URL is not a Redis URL")
    redis_reachable(django_settings.CELERY_BROKER_URL)
    from kombu import Queue

    name = f"claimtrack-test-{uuid.uuid4().hex[:8]}"
    settings.CELERY_TASK_QUEUES = [Queue(name), Queue(f"{name}.match")]
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        for _ in range(3):
            celery_app.send_task("claims.tasks.articles_sweep_task", queue=Queue(name))
        samples = scrape(client)
    finally:
        celery_app.conf.task_always_eager = previous
        with celery_app.connection_for_write() as conn:
            for queue in (name, f"{name}.match"):
                conn.default_channel.queue_delete(queue)
    assert value(samples, "claimtrack_queue_length", queue=name) == 3
    assert value(samples, "claimtrack_queue_length", queue=f"{name}.match") == 0
    assert value(samples, "claimtrack_metrics_source_up", source="broker") == 1


@pytest.mark.django_db
def test_the_broker_source_is_down_when_the_broker_is(client):
    from tests.test_health import broker

    with broker("redis://:s3cret@127.0.0.1:1/0"):
        started = time.monotonic()
        response = client.get("/metrics")
        elapsed = time.monotonic() - started
    assert response.status_code == 200 and elapsed < 5
    assert b"s3cret" not in response.content
    samples = scrape(client)  # in process again
    body = response.content.decode()
    assert 'claimtrack_metrics_source_up{source="broker"} 0.0' in body
    assert 'claimtrack_metrics_source_up{source="database"} 1.0' in body
    assert "claimtrack_queue_length" not in body
    assert value(samples, "claimtrack_metrics_source_up", source="broker") == 1


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_counts_made_by_a_worker_process_are_read_by_the_web_process(client, settings):
    """The worker and the web server share the counts through the cache's Redis."""
    require(connection.vendor == "postgresql", "DATABASE_URL does not point at PostgreSQL")
    require(django_settings.CELERY_BROKER_URL.startswith("redis"),
            "CELERY_BROKER_URL is not a Redis URL")
    redis_reachable(django_settings.CELERY_BROKER_URL)
    cache_url = f"{REDIS}/12"
    redis_reachable(cache_url)
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": cache_url}}

    def done_count() -> float:
        found = value(scrape(client), "claimtrack_tasks_total", task=PROCESS, outcome="success")
        return found or 0

    before = done_count()
    queue = f"claimtrack-test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DATABASE_URL": database_url_of_test_db(), "CACHE_URL": cache_url,
           "CELERY_BROKER_URL": django_settings.CELERY_BROKER_URL,
           "CELERY_TASK_DEFAULT_QUEUE": queue}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo",
         "--without-gossip", "--without-mingle", "--loglevel=WARNING",
         f"--hostname=metrics-{queue}@%h"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_default_queue
    celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = False, queue
    try:
        article = ingestion.article_ingest(title="Port busy", source_name="Harbour Times",
                                           text=STORY)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            article.refresh_from_db()
            if article.state in ("done", "failed"):
                break
            time.sleep(0.25)
        assert article.state == Article.State.DONE, article.error
        samples = scrape(client)
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = previous
        stop_worker(worker)
        from config.celery import STAGES, queue_for

        with celery_app.connection_for_write() as conn:
            for stage in STAGES:
                conn.default_channel.queue_delete(queue_for(stage, base=queue))
    found = value(samples, "claimtrack_tasks_total", task=PROCESS, outcome="success")
    assert found is not None and found >= before + 1
    assert value(samples, "claimtrack_task_duration_seconds_count", task=PROCESS) >= 1
    assert value(samples, "claimtrack_article_processing_seconds_count") >= 1
    # The web process itself ran no task: the counts came from the worker, through Redis.
    assert metrics._local_store.read([metrics.TASKS.name]) == {metrics.TASKS.name: {}}
