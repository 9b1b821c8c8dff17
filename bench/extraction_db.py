"""The extraction stage's database work per article, in process, on PostgreSQL.

Run: `.venv/bin/python bench/extraction_db.py` (`--articles 100`; `--processes 2`; `--stored
100000` to store that many claims first). It

1. creates a throw-away PostgreSQL database (`BENCH_PG_URL`, default
   postgres://postgres@127.0.0.1:5432, named p17x_extraction_<pid>; dropped at the end, also
   on failure or Ctrl-C) and migrates it; with `--stored N`, stores N claims the way
   bench/matching.py does (its `load`, then the product's full-text index);
2. ingests M articles through `claims.ingestion.article_ingest`, generated as bench/pipeline.py
   generates them (7 paragraphs, ~12 claims each); their tasks go to an in-memory broker that
   nothing reads, so no article is extracted before it is measured;
3. extracts each article in process the way the worker's task does
   (`claims.extraction.article_process`: take, analyse, store) — with `--processes 2`, in
   two processes at once, each taking every other article, so their row locks meet as two
   workers' do — and reports the articles extracted a second and, per article, the median
   and p90 of
     queries        statements sent to the database (counted by an execute wrapper)
     service        ms in article_process (with any wait for the other process's locks)
     in queries     ms of it spent waiting on those statements
     engine alone   ms of `engine.analyse` on the same text, timed right after (the
                    reference: what extraction costs before any database work; the
                    engine's word caches are as warm as they were for the service's call)
     database work  service - engine alone
   and the machine's load average (`os.getloadavg`) at the start and the end.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from matching import PG_URL, SOURCES, admin, build_index, drop_index, load  # noqa: E402
from pipeline import UNSET, articles  # noqa: E402
from retrieval import generate  # noqa: E402


class Counted:
    """An execute wrapper: statements run and seconds spent in them."""

    def __init__(self) -> None:
        self.queries = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.queries += 1


def store_claims(count: int) -> None:
    """``count`` stored claims as bench/matching.py loads them, its full-text index built."""
    from claims.models import Source

    sources = Source.objects.bulk_create(
        [Source(name=f"Stored outlet {i}", domain=f"stored{i}.example") for i in range(SOURCES)])
    drop_index()
    started = time.perf_counter()
    load(generate(count), 0, count, sources)
    build_index(rum=False)
    print(f"-- stored {count:,} claims in {time.perf_counter() - started:.0f} s", flush=True)


def extract(pairs: list[tuple[int, str]]) -> list[dict]:
    """Extract each article (id, text) as the worker's task does, under the execute wrapper;
    then the engine alone on its text."""
    from django.db import connection

    from claims import engine
    from claims.extraction import article_process

    rows = []
    for article_id, text in pairs:
        counted = Counted()
        with connection.execute_wrapper(counted):
            started = time.perf_counter()
            outcome = article_process(article_id=article_id)
            service_ms = 1000 * (time.perf_counter() - started)
        started = time.perf_counter()
        engine.analyse(text)
        engine_ms = 1000 * (time.perf_counter() - started)
        if outcome.status != "done":
            raise RuntimeError(f"article {article_id} was not extracted: {outcome}")
        rows.append({"queries": counted.queries, "service": service_ms,
                     "in queries": 1000 * counted.seconds, "engine alone": engine_ms,
                     "database work": service_ms - engine_ms, "claims": outcome.created})
    from django.db import connections

    connections.close_all()
    return rows


def measure(made: list[dict], processes: int) -> tuple[list[dict], float]:
    """The rows of every article, and the articles extracted a second (wall time)."""
    import multiprocessing

    from django.db import connections

    from claims import engine
    from claims.ingestion import article_ingest

    pairs = [(article_ingest(**fields).pk, fields["text"]) for fields in made]
    engine.analyse(made[0]["text"])  # loads the engine's data once, as a running worker has
    if processes == 1:
        started = time.perf_counter()
        rows = extract(pairs)
        return rows, len(pairs) / (time.perf_counter() - started)
    connections.close_all()  # each process opens its own
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        started = time.perf_counter()
        shares = pool.map(extract, [pairs[n::processes] for n in range(processes)])
        seconds = time.perf_counter() - started
    return [row for share in shares for row in share], len(pairs) / seconds


def report(rows: list[dict], rate: float, processes: int, loads: tuple) -> None:
    def p90(values):
        return statistics.quantiles(values, n=10, method="inclusive")[-1]

    print(f"\n{len(rows)} articles, {statistics.mean(r['claims'] for r in rows):.1f} claims each, "
          f"extracted by {processes} process(es) at {rate:.1f} articles/s; "
          f"load average {loads[0]} at the start, {loads[1]} at the end")
    print(f"{'per article':16}{'median':>10}{'p90':>10}")
    for label, unit in (("queries", ""), ("service", " ms"), ("in queries", " ms"),
                        ("engine alone", " ms"), ("database work", " ms")):
        values = [r[label] for r in rows]
        print(f"{label + unit:16}{statistics.median(values):>10.1f}{p90(values):>10.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=100, help="articles extracted")
    parser.add_argument("--stored", type=int, default=0, help="claims stored before them")
    parser.add_argument("--processes", type=int, default=1,
                        help="processes extracting at once (2: as two workers would)")
    parser.add_argument("--keep", action="store_true", help="keep the database (to explore)")
    args = parser.parse_args()
    if args.articles < 2 * args.processes or args.processes < 1:
        parser.error("--articles must be at least twice --processes (and that at least 1)")

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    name = f"p17x_extraction_{os.getpid()}"
    for variable in (*UNSET, "CELERY_BROKER_URL"):
        os.environ.pop(variable, None)
    os.environ.update(DATABASE_URL=f"{PG_URL}/{name}", DJANGO_SETTINGS_MODULE="config.settings")
    admin(f'CREATE DATABASE "{name}"')
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        from config.celery import app

        settings.DEBUG = False
        # Sent to the in-memory broker and left there: this process extracts each article
        # itself, under the execute wrapper.
        app.conf.task_always_eager = False
        call_command("migrate", verbosity=0)
        if args.stored:
            store_claims(args.stored)
        start_load = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
        rows, rate = measure(articles(args.articles, 0), args.processes)
        report(rows, rate, args.processes, (start_load, "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())))
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        print(f"   {'kept' if args.keep else 'dropped'} {name}", flush=True)


if __name__ == "__main__":
    main()
