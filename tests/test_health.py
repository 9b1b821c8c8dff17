"""/health/ (liveness), /ready/ (readiness) and the worker check compose runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from config.celery import app as celery_app
from tests.conftest import require
from tests.test_pipeline_services import stop_worker

ROOT = Path(__file__).resolve().parents[1]
REDIS_CACHE = "django.core.cache.backends.redis.RedisCache"
SECRET = "s3cret"


@contextmanager
def broker(url: str):
    """Celery on this broker, as a web process with a broker is (tasks not in process)."""
    previous = (os.environ.get("CELERY_BROKER_URL"), celery_app.conf.broker_url,
                celery_app.conf.task_always_eager)
    os.environ["CELERY_BROKER_URL"] = url  # Celery prefers it to its own setting
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = url, False
    try:
        yield
    finally:
        if previous[0] is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = previous[0]
        celery_app.conf.broker_url, celery_app.conf.task_always_eager = previous[1:]


def get_ready(client):
    started = time.monotonic()
    response = client.get("/ready/")
    return response, time.monotonic() - started


# --- /health/ -----------------------------------------------------------------------------------


def test_it_answers_health_without_touching_database_broker_or_cache(client, settings):
    # No database for this test (pytest-django refuses any query), a dead cache and broker.
    settings.CACHES = {"default": {"BACKEND": REDIS_CACHE, "LOCATION": "redis://127.0.0.1:1/0"}}
    with broker("redis://127.0.0.1:1/0"):
        started = time.monotonic()
        response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert time.monotonic() - started < 1
    assert "no-cache" in response["Cache-Control"]
    assert client.head("/health/").status_code == 200


def test_it_answers_probes_whatever_the_host_header_and_still_refuses_it_elsewhere(
        client, settings, db):
    """Load balancers probe a container by its IP; ALLOWED_HOSTS stays strict."""
    settings.ALLOWED_HOSTS = ["claims.example.org"]
    assert client.get("/health/", HTTP_HOST="172.18.0.5:8000").status_code == 200
    assert client.get("/ready/", HTTP_HOST="10.0.0.7").status_code == 200
    assert client.get("/admin/login/", HTTP_HOST="172.18.0.5:8000").status_code == 400
    assert client.get("/api/v1/", HTTP_HOST="172.18.0.5:8000").status_code == 400
    assert client.get("/admin/login/", HTTP_HOST="claims.example.org").status_code == 200


def test_probes_are_answered_first_under_a_path_prefix_too(settings):
    """Deployed under /desk/, the probes are /desk/health/ and /desk/ready/."""
    from django.test import Client
    from django.urls import set_script_prefix

    settings.ALLOWED_HOSTS = ["claims.example.org"]
    client = Client(SCRIPT_NAME="/desk", HTTP_HOST="10.0.0.9")  # answered before host checks
    set_script_prefix("/desk/")  # as the WSGI handler does for each request
    try:
        assert client.get("/health/").status_code == 200
        assert client.get("/admin/login/").status_code == 400
    finally:
        set_script_prefix("/")


def test_probes_answer_get_and_head_only(client, db):
    assert client.post("/health/").status_code == 405
    assert client.put("/ready/").status_code == 405


def test_probes_are_routed_by_name():
    from django.urls import reverse

    assert (reverse("health"), reverse("ready"), reverse("metrics")) == (
        "/health/", "/ready/", "/metrics")


# --- /ready/ ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_is_ready_in_process_with_every_check_timed(client):
    response, _ = get_ready(client)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and "failed" not in body
    assert set(body["checks"]) == {"database", "broker", "cache"}
    assert body["checks"]["broker"]["detail"] == "in process"
    assert body["checks"]["cache"]["detail"].startswith("local memory")
    for check in body["checks"].values():
        assert check["ok"] is True and isinstance(check["ms"], float) and check["ms"] >= 0


@pytest.mark.django_db
def test_a_dead_broker_makes_it_unready_quickly_naming_the_broker_without_its_password(client):
    with broker(f"redis://:{SECRET}@127.0.0.1:1/0"):
        response, elapsed = get_ready(client)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["failed"] == ["broker"]
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["broker"]["error"] == "OperationalError: connection refused"
    assert body["checks"]["database"]["ok"] and body["checks"]["cache"]["ok"]
    assert elapsed < 5
    assert SECRET not in response.content.decode() and "127.0.0.1:1" not in response.content.decode()


@pytest.mark.django_db
def test_a_dead_cache_makes_it_unready_naming_the_cache_without_its_password(client, settings):
    settings.CACHES = {"default": {"BACKEND": REDIS_CACHE,
                                   "LOCATION": f"redis://:{SECRET}@127.0.0.1:1/0"}}
    response, elapsed = get_ready(client)
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["cache"]
    assert body["checks"]["cache"]["error"] == "ConnectionError: connection refused"
    assert elapsed < 5
    assert SECRET not in response.content.decode()


PROBE = """
import json, django
django.setup()
from django.test import Client
response = Client().get("/ready/")
print(json.dumps({"status": response.status_code, "body": response.content.decode()}))
"""


def test_a_dead_database_makes_it_unready_naming_the_database():
    """A fresh process whose DATABASE_URL points at a port nothing listens on."""
    from tests.test_settings import BASE_ENV

    env = {**BASE_ENV, "DJANGO_SETTINGS_MODULE": "config.settings",
           "DATABASE_URL": f"postgres://claimtrack:{SECRET}@127.0.0.1:1/claimtrack"}
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    body = json.loads(answer["body"])
    assert answer["status"] == 503
    assert body["failed"] == ["database"]
    assert body["checks"]["database"]["error"] == "OperationalError: connection refused"
    assert body["checks"]["broker"]["ok"] and body["checks"]["cache"]["ok"]
    assert SECRET not in answer["body"]
    assert elapsed < 15  # a fresh Django process, then the check


@pytest.mark.services
@pytest.mark.django_db
def test_it_is_ready_on_postgresql_a_redis_broker_and_a_redis_cache(client, settings):
    require(connection.vendor == "postgresql", "DATABASE_URL does not point at PostgreSQL")
    require(django_settings.CELERY_BROKER_URL.startswith("redis"),
            "CELERY_BROKER_URL is not a Redis URL")
    settings.CACHES = {"default": {"BACKEND": REDIS_CACHE, "LOCATION": "redis://127.0.0.1:6379/12",
                                   "KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}"}}
    with broker(django_settings.CELERY_BROKER_URL):
        response, elapsed = get_ready(client)
    body = response.json()
    assert response.status_code == 200, body
    assert body["checks"]["database"]["detail"] == "postgresql"
    assert body["checks"]["broker"]["detail"] == "redis"
    assert body["checks"]["cache"]["detail"] == "redis"
    assert elapsed < 2


# --- the worker check (docker-compose healthcheck) ----------------------------------------------


@pytest.mark.services
def test_inspect_ping_answers_for_a_running_worker_and_fails_for_a_missing_one():
    require(django_settings.CELERY_BROKER_URL.startswith("redis"),
            "CELERY_BROKER_URL is not a Redis URL")
    node = f"celery@health-{uuid.uuid4().hex[:8]}"
    queue = f"claimtrack-test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "CELERY_BROKER_URL": django_settings.CELERY_BROKER_URL,
           "CELERY_TASK_DEFAULT_QUEUE": queue}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo",
         "--without-gossip", "--without-mingle", "--loglevel=WARNING", f"--hostname={node}"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def ping(name: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "celery", "-A", "config", "inspect", "ping", "-d", name,
             "--timeout", "5"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)

    try:
        deadline = time.monotonic() + 60
        while True:  # until the worker has started and answers
            answered = ping(node)
            if answered.returncode == 0 or time.monotonic() > deadline:
                break
        missing = ping(f"celery@nobody-{uuid.uuid4().hex[:8]}")
    finally:
        stop_worker(worker)
    assert answered.returncode == 0, answered.stdout + answered.stderr
    assert "pong" in answered.stdout and node in answered.stdout
    assert missing.returncode != 0
