"""What request metrics cost: the same requests with and without RequestMetricsMiddleware.

Run: `make bench-metrics` (= `.venv/bin/python bench/metrics.py`), under a minute. It

1. migrates a throw-away SQLite database in a temporary directory, with the cache (where the
   request counts go, as in production) on Redis at `BENCH_REDIS_URL` (default
   redis://127.0.0.1:6379/9; only the metric hashes under ":claimtrack:metrics:" are written,
   and they are deleted at the end);
2. serves two cheap pages in process through Django's test client — the API's claim list
   (empty: DRF, filters, pagination, no rows) and the admin's login page (a template) — where a
   fixed cost per request shows the most;
3. alternates rounds of N requests with the middleware and without it, and prints per request
   the median time of each, the ratio with / without, and the difference in microseconds.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

METRICS_MIDDLEWARE = "claims.metrics.RequestMetricsMiddleware"
PAGES = {"API claim list": "/api/v1/claims/?page_size=5", "admin login": "/admin/login/"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--requests", type=int, default=200, help="requests a round")
    args = parser.parse_args()

    var_dir = tempfile.mkdtemp(prefix="claimtrack-bench-metrics-")
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "CLAIMTRACK_VAR_DIR": var_dir,
        "CACHE_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9"),
        "LOG_LEVEL": "WARNING",
        # As served: DEBUG off (no query log), which wants a real key.
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "testserver",
        "CLAIMTRACK_API_ANON_RATE": "100000000/min",  # a bench is one address
    })
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("CELERY_BROKER_URL", None)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client, override_settings

    from claims import metrics

    call_command("migrate", verbosity=0)
    assert isinstance(metrics.store(), metrics.RedisStore), "the cache must be Redis"
    without = [m for m in settings.MIDDLEWARE if m != METRICS_MIDDLEWARE]
    assert len(without) == len(settings.MIDDLEWARE) - 1, "the middleware is not installed"

    def client(middleware: list[str]) -> Client:
        # The test client builds its middleware chain at its first request: made inside the
        # override, the chain keeps that list.
        made = Client()
        with override_settings(MIDDLEWARE=middleware):
            for url in PAGES.values():
                assert made.get(url).status_code == 200, url
        return made

    clients = {"with metrics": client(list(settings.MIDDLEWARE)), "without": client(without)}
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; cache on "
          f"{os.environ['CACHE_URL']}; {args.rounds} rounds x {args.requests} requests each")
    try:
        for page, url in PAGES.items():
            times: dict[str, list[float]] = {name: [] for name in clients}
            for _ in range(args.rounds):
                for name, made in clients.items():
                    started = time.perf_counter()
                    for _ in range(args.requests):
                        made.get(url)
                    times[name].append((time.perf_counter() - started) / args.requests)
            on = statistics.median(times["with metrics"])
            off = statistics.median(times["without"])
            ratios = [a / b for a, b in zip(times["with metrics"], times["without"], strict=True)]
            print(f"{page:16s} with {on * 1e3:7.3f} ms  without {off * 1e3:7.3f} ms  "
                  f"ratio {statistics.median(ratios):.3f} (min {min(ratios):.3f}, "
                  f"max {max(ratios):.3f})  +{(on - off) * 1e6:.0f} us a request")
    finally:
        metrics.store().clear()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
