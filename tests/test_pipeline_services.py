"""End to end on real services: a Celery worker on Redis writes the seed's claims to PostgreSQL.

Skipped without DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (Redis); under
REQUIRE_SERVICES=1, as in CI, they fail instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from claims import ingestion
from claims.models import Article, Claim
from config.celery import STAGES, queue_for
from config.celery import app as celery_app
from tests.conftest import require

ROOT = Path(__file__).resolve().parents[1]


def database_url_of_test_db() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def services_required():
    require(connection.vendor == "postgresql",
            "DATABASE_URL does not point at PostgreSQL")
    require(settings.CELERY_BROKER_URL.startswith("redis"), "CELERY_BROKER_URL is not a Redis URL")
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as exc:  # noqa: BLE001 - any failure means the broker is unusable
        require(False, f"the broker at {settings.CELERY_BROKER_URL} is unreachable: {exc}")


def stop_worker(process: subprocess.Popen) -> None:
    """Stop a worker started by a test, and print the end of its log for a failure's report."""
    process.terminate()
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    print(output[-4000:])


@pytest.fixture
def worker_factory(services_required):
    """Starts real worker processes on queues of this test's own (one per stage, named
    after its own default queue), so no other run's messages reach them; tasks sent during
    the test go to those queues."""
    queue = f"claimtrack-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url_of_test_db(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
    }
    processes = []

    def start(pool: str = "solo", **extra_env: str) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", f"--pool={pool}",
             "--concurrency=1", "--without-gossip", "--without-mingle",
             "--loglevel=INFO", f"--hostname=test-{queue}-{len(processes)}@%h"],
            cwd=ROOT, env={**env, **extra_env}, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True,
        )
        processes.append(process)
        return process

    previous = (celery_app.conf.task_always_eager, celery_app.conf.task_default_queue)
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    try:
        yield start
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = previous
        for process in processes:
            stop_worker(process)
        with celery_app.connection_for_write() as conn:
            for stage in STAGES:
                conn.default_channel.queue_delete(queue_for(stage, base=queue))


@pytest.fixture
def worker(worker_factory):
    return worker_factory()


def wait_for_state(article_id: int, states: set[str], timeout: float = 90) -> Article:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        article = Article.objects.get(pk=article_id)
        if article.state in states:
            return article
        time.sleep(0.25)
    raise AssertionError(f"article {article_id} still {article.state} after {timeout}s")


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_processes_the_seed_article_into_committed_claims(worker, seed_text):
    article = ingestion.article_ingest(
        title="US Envoy: NATO Won't Discuss Its Open Door Policy With Russia",
        source_name="teleSUR", text=seed_text,
    )
    done = wait_for_state(article.pk, {"done", "failed"})
    assert done.state == Article.State.DONE, done.error
    claims = list(Claim.objects.filter(article=done).select_related("claimant"))
    kinds = {(c.kind, c.claimant.name if c.claimant else None) for c in claims}
    assert ("allegation", "Julianne Smith") in kinds
    assert ("denial", "Russia") in kinds
    for claim in claims:
        assert done.text[claim.start:claim.end] == claim.text
    # Delivered again (as after a lost acknowledgement): still exactly one set of claims.
    from claims.tasks import article_process_task

    again = article_process_task.apply_async(args=[article.pk], ignore_result=False)
    assert again.get(timeout=60) == "skipped"
    assert Claim.objects.filter(article=done).count() == len(claims)


@pytest.mark.services
@pytest.mark.django_db
def test_it_runs_on_postgresql_and_redis_when_services_are_required(services_required):
    assert connection.vendor == "postgresql"
    assert settings.CELERY_BROKER_URL.startswith("redis://")


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_an_article_accepted_while_no_worker_runs_is_processed_when_one_starts(worker_factory):
    article = ingestion.article_ingest(
        title="Quay news", source_name="Harbour Times",
        text="The harbour master said on Monday that the port handled 40 ships in one day.",
    )
    time.sleep(1)
    assert Article.objects.get(pk=article.pk).state == Article.State.PENDING
    worker_factory()
    done = wait_for_state(article.pk, {"done", "failed"})
    assert done.state == Article.State.DONE, done.error
    assert done.claims.exists()
