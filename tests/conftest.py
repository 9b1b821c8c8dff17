from __future__ import annotations

import os
from pathlib import Path

import pytest

from config.celery import app as celery_app

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES", "") == "1"
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SEED_PATH = SHARED_DATA / "seed" / "telesur-2022-01-11-us-envoy-nato-open-door.txt"


def require(condition: bool, why: str) -> None:
    """Skip a test whose service is missing, or fail it when REQUIRE_SERVICES=1 (CI)."""
    if condition:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {why}", pytrace=False)
    pytest.skip(why)


def require_data(path: Path) -> Path:
    """A file of ../shared/data: skipped where it is absent, a failure in CI, which has it."""
    if path.exists():
        return path
    if REQUIRE_SERVICES or os.environ.get("CI"):
        pytest.fail(f"{path} is missing; CI runs with ../shared/data beside the checkout",
                    pytrace=False)
    pytest.skip(f"{path} is not here")


@pytest.fixture(autouse=True)
def in_process_tasks(request):
    """Run tasks in process, as the embedded default does, unless a test needs real workers."""
    if request.node.get_closest_marker("services"):
        yield
        return
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def seed_text() -> str:
    return require_data(SEED_PATH).read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def empty_cache():
    """Throttle counts and the API's Last-Modified moments live in the cache: none carried
    over from another test."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Tests create many users; the production hasher is slow on purpose."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def desk_people(db):
    """Make desk members, each with a signed-in client: ``desk_people([(name, role), ...])``
    gives ``{name: (user, client)}`` (role None: staff without a role)."""
    from django.test import Client

    from tests.factories import desk_user

    def make(pairs):
        people = {}
        for name, role in pairs:
            user = desk_user(name, role)
            client = Client()
            client.force_login(user)
            people[name] = (user, client)
        return people

    return make


@pytest.fixture
def server(settings):
    """A web server of the test's own on 127.0.0.1 (tests/httpserver.py), the one host the
    fetcher may reach although private, with short timeouts."""
    from tests.httpserver import LocalServer

    with LocalServer() as local:
        settings.CLAIMTRACK_FETCH_ALLOW_HOSTS = [local.host]
        settings.CLAIMTRACK_FETCH_TOTAL_TIMEOUT = 2
        settings.CLAIMTRACK_FETCH_READ_TIMEOUT = 1
        yield local
