"""Settings fail at start with a message naming the bad variable (run in a fresh process)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.env import env_bool, env_int

BASE_ENV = {k: v for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "SECRET_KEY", "DEBUG",
                         "CLAIMTRACK_ENV", "ALLOWED_HOSTS"}}
STRONG_KEY = "x" * 20 + "a-real-random-secret-value-here"


def start_django(**env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        env={**BASE_ENV, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True, text=True, timeout=60,
    )


def test_it_starts_with_laptop_defaults():
    result = start_django()
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


@pytest.mark.parametrize("env, variable", [
    ({"DEBUG": "maybe"}, "DEBUG"),
    ({"DATABASE_URL": "mysql://root@localhost/x"}, "DATABASE_URL"),
    ({"CELERY_BROKER_URL": "localhost:6379"}, "CELERY_BROKER_URL"),
    ({"CLAIMTRACK_ARTICLE_MAX_BYTES": "lots"}, "CLAIMTRACK_ARTICLE_MAX_BYTES"),
    ({"CLAIMTRACK_ENV": "staging"}, "CLAIMTRACK_ENV"),
    ({"CELERY_BROKER_URL": "memory://"}, "CELERY_BROKER_URL"),
    ({"DATABASE_URL": ""}, "DATABASE_URL"),
    ({"LOG_LEVEL": "chatty"}, "LOG_LEVEL"),
    ({"CELERY_TASK_TIME_LIMIT": "300", "CLAIMTRACK_PROCESSING_TIMEOUT": "100"},
     "CLAIMTRACK_PROCESSING_TIMEOUT"),
])
def test_it_refuses_to_start_with_a_bad_value_and_names_the_variable(env, variable):
    result = start_django(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr


def test_it_refuses_production_with_the_default_secret():
    result = start_django(CLAIMTRACK_ENV="production", ALLOWED_HOSTS="claims.example")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_it_refuses_debug_off_with_the_default_secret():
    result = start_django(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


PRODUCTION = {"CLAIMTRACK_ENV": "production", "SECRET_KEY": STRONG_KEY,
              "ALLOWED_HOSTS": "claims.example",
              "DATABASE_URL": "postgres://claimtrack@db.example:5432/claimtrack",
              "CELERY_BROKER_URL": "redis://redis.example:6379/0",
              "CACHE_URL": "redis://redis.example:6379/1"}


def test_it_starts_in_production_with_a_real_secret_hosts_database_and_broker():
    result = start_django(**PRODUCTION)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("variable", ["DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL"])
def test_it_refuses_production_on_the_laptop_defaults(variable):
    result = start_django(**{**PRODUCTION, variable: ""}) if variable == "CELERY_BROKER_URL" \
        else start_django(**{k: v for k, v in PRODUCTION.items() if k != variable})
    assert result.returncode != 0
    assert variable in result.stderr


def test_it_refuses_debug_in_production():
    result = start_django(**PRODUCTION, DEBUG="1")
    assert result.returncode != 0
    assert "DEBUG" in result.stderr


def test_it_requires_allowed_hosts_in_production():
    result = start_django(**{k: v for k, v in PRODUCTION.items() if k != "ALLOWED_HOSTS"})
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_it_parses_booleans_and_numbers(monkeypatch):
    monkeypatch.setenv("FLAG", "Yes")
    monkeypatch.setenv("COUNT", "12")
    assert env_bool("FLAG") is True
    assert env_int("COUNT", 3) == 12
    assert env_int("UNSET_COUNT_VARIABLE", 3) == 3


def test_the_gunicorn_config_freezes_what_a_worker_loaded():
    import gc
    import runpy

    hooks = runpy.run_path(str(Path(__file__).resolve().parents[1] / "config" /
                               "gunicorn.conf.py"))
    try:
        hooks["post_worker_init"](None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
