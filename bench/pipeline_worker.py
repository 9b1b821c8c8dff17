"""Loaded only into the workers of bench/pipeline.py (`celery ... worker -I pipeline_worker`).

Two things the product's workers do not have:

- ``bench_noop``: a task that does nothing, the reference the pipeline's task rate is read
  against (what Celery, Redis and this machine cost a task, measured in the same run);
- each task's run time, summed per task name in a Redis hash of the bench's own database
  (``BENCH_STATS_URL``), so the bench reports the time per article of every stage. One
  pipelined round trip a task; the no-op pays it too, so the ratio compares like with like.
"""

from __future__ import annotations

import os
import time

import redis
from celery import shared_task
from celery.signals import task_postrun, task_prerun

STATS_KEY = "bench:pipeline:runtime"  # {task name: seconds summed}
COUNT_KEY = "bench:pipeline:count"  # {task name: tasks run}
_started: dict[str, float] = {}
_client: redis.Redis | None = None


def stats() -> redis.Redis:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(os.environ["BENCH_STATS_URL"])
    return _client


@shared_task(name="bench.noop", ignore_result=True)
def bench_noop() -> None:
    """Nothing: what is left of a task's cost is the broker, the worker and the bookkeeping."""


@task_prerun.connect
def _start(task_id=None, **kwargs) -> None:
    _started[task_id] = time.perf_counter()


@task_postrun.connect
def _stop(task_id=None, task=None, **kwargs) -> None:
    started = _started.pop(task_id, None)
    if started is None:
        return
    pipe = stats().pipeline(transaction=False)
    pipe.hincrbyfloat(STATS_KEY, task.name, time.perf_counter() - started)
    pipe.hincrby(COUNT_KEY, task.name, 1)
    pipe.execute()
