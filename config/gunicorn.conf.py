"""gunicorn settings shared by docker-compose and bench/api.py (`gunicorn -c config/gunicorn.conf.py`).

Once a worker has loaded the app, every object alive then (Django, DRF, the engine's models)
lives as long as the worker: moved out of the garbage collector's generations, the full
collections that allocation-heavy requests trigger no longer walk them.
"""

import gc


def post_worker_init(worker):
    gc.collect()
    gc.freeze()
