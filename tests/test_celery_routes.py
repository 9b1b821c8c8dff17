"""Every task goes to its stage's queue, and every queue has a worker that reads it: in
docker-compose.yml, and in the README's production commands. A task added without a route
would land on the extraction queue and wait behind long articles; a queue no worker reads
would hold its tasks for ever."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from config.celery import STAGES, TASK_STAGES, app, queue_for, route_task

ROOT = Path(__file__).resolve().parent.parent
# Compose and the README name the queues as they are with the default base name.
BASE = "claimtrack"


@pytest.fixture(scope="module")
def claims_tasks() -> set[str]:
    import claims.tasks  # noqa: F401  (registers the shared tasks)

    return {name for name in app.tasks if name.startswith("claims.")}


def queues_read(command: list[str]) -> set[str]:
    """The queues a `celery -A config worker` command consumes (no -Q: every queue)."""
    for flag in ("-Q", "--queues"):
        if flag in command:
            return set(command[command.index(flag) + 1].split(","))
        for word in command:
            if word.startswith(f"{flag}="):
                return set(word.split("=", 1)[1].split(","))
    return {queue_for(stage, base=BASE) for stage in STAGES}


def test_every_claims_task_routes_to_its_stages_queue(claims_tasks):
    queues = {queue.name for queue in settings.CELERY_TASK_QUEUES}
    assert "claims.tasks.notification_email_task" in claims_tasks  # the newest one
    assert claims_tasks == set(TASK_STAGES), "a task without a route, or a route without a task"
    for name in sorted(claims_tasks):
        route = route_task(name, [], {}, {})
        assert route == {"queue": queue_for(TASK_STAGES[name])}, name
        assert route["queue"] in queues, name
        # Celery's own router, as configured by the settings, agrees.
        assert app.amqp.router.route({}, name)["queue"].name == route["queue"], name


def test_the_stages_have_the_queues_the_settings_declare():
    base = settings.CELERY_TASK_DEFAULT_QUEUE
    declared = {queue.name for queue in settings.CELERY_TASK_QUEUES}
    assert declared == {queue_for(stage, base=base) for stage in STAGES}
    assert set(TASK_STAGES.values()) == set(STAGES)
    assert queue_for("extract", base="q") == "q" and queue_for("match", base="q") == "q.match"


def test_matching_and_extraction_have_queues_of_their_own():
    assert queue_for(TASK_STAGES["claims.tasks.article_process_task"]) != queue_for(
        TASK_STAGES["claims.tasks.article_match_task"])
    assert TASK_STAGES["claims.tasks.notification_email_task"] == "webhooks"


def compose_workers() -> dict[str, set[str]]:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    workers = {}
    for name, service in services["services"].items():
        command = shlex.split(service.get("command") or "")
        if command[:4] == ["celery", "-A", "config", "worker"]:
            workers[name] = queues_read(command)
    return workers


def test_compose_has_one_worker_per_queue_group_and_each_queue_is_read():
    workers = compose_workers()
    every = {queue_for(stage, base=BASE) for stage in STAGES}
    read = set().union(*workers.values())
    assert read == every, f"unread: {every - read}, unknown: {read - every}"
    # Each group has its own service, so it scales on its own: none reads every queue, and
    # extraction and matching never share one.
    for name, queues in workers.items():
        assert queues != every, name
        assert not {BASE, f"{BASE}.match"} <= queues, name
    assert len(workers) >= 4


def test_the_readme_lists_a_worker_command_for_every_queue():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Running for production", 1)[1].split("\n## ", 1)[0]
    commands = [shlex.split(line.split("#", 1)[0]) for line in section.splitlines()
                if re.match(r"celery -A config worker\b", line)]
    groups = [queues_read(command) for command in commands if "-Q" in command]
    assert set().union(*groups) == {queue_for(stage, base=BASE) for stage in STAGES}
    # The same split as compose's worker services.
    assert sorted(map(sorted, groups)) == sorted(map(sorted, compose_workers().values()))
