"""gunicorn settings shared by docker-compose and bench/api.py (`gunicorn -c config/gunicorn.conf.py`).

Worker processes: WEB_CONCURRENCY, gunicorn's own variable; 3 when unset, the number the image
always ran. This is the one place the number is set: the Docker image and compose pass no
--workers (bench/api.py passes its own -w, which wins over this file). gunicorn reads the
variable as it starts and stops on a value that is not a whole number; below 1 stops it here,
with the variable's name.

Once a worker has loaded the app, every object alive then (Django, DRF, the engine's models)
lives as long as the worker: moved out of the garbage collector's generations, the full
collections that allocation-heavy requests trigger no longer walk them.
"""

import gc
import os


def _workers(default: int = 3) -> int:
    raw = os.environ.get("WEB_CONCURRENCY", "").strip()
    value = int(raw) if raw else default
    if value < 1:
        raise SystemExit(f"WEB_CONCURRENCY={value}: at least 1 worker process.")
    return value


workers = _workers()


def post_worker_init(worker):
    gc.collect()
    gc.freeze()
