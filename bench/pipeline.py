"""Articles through the whole pipeline on real Celery workers, with N claims already stored.

Run: `make bench-pipeline` (= `.venv/bin/python bench/pipeline.py --sizes 100000`; add
`1000000` for both sizes). It

1. creates a throw-away PostgreSQL database (`BENCH_PG_URL`, default
   postgres://postgres@127.0.0.1:5432, named p17p_pipeline_<pid>), migrates it and empties the
   bench's Redis database (`BENCH_BROKER_URL`, default redis://127.0.0.1:6379/12);
2. stores N claims the way bench/matching.py does (its `load`: generated from the vclaims
   files, twenty to an article, the full-text index built after loading), growing the table
   to each size in turn;
3. starts two workers (`celery -A config worker -c 1` each, every queue; with `--split` one
   reads extraction's queue and one matching's, as compose splits them; the settings of
   production: acks late, prefetch 1, task events) with bench/pipeline_worker.py included,
   and measures the rate of a task that does nothing (the reference, same run);
4. ingests M articles through `claims.ingestion.article_ingest` (generated from
   chaos/articles.py: two of its small articles' sentences dealt into 7 paragraphs, ~12
   claims each), waits until each is extracted and matched (or failed), and reports
     articles/s extracted   M / (last processed_at - first ingest)
     articles/s end to end  M / (last matched_at - first ingest): extracted *and* matched
     time per article       each stage's task run time summed by the workers, / M
     worker RSS             peak of each worker's main and pool process (/proc)
   then stops the workers; the articles stay stored when the table grows to the next size.

Everything it started is stopped, the database dropped and the Redis database emptied at the
end, also on failure or Ctrl-C. Goal (issue 17): >= 20 articles/s end to end at 100k stored
claims on two workers, >= 10 at 1M.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from matching import SOURCES, admin, build_index, drop_index, load  # noqa: E402
from pipeline_worker import COUNT_KEY, STATS_KEY  # noqa: E402
from retrieval import generate  # noqa: E402

PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/12")
CELERY = Path(sys.executable).parent / "celery"
PARAGRAPHS = 7
# Variables of the caller's environment that would point the workers at shared services or
# at production settings.
UNSET = ("CACHE_URL", "CELERY_RESULT_BACKEND", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS",
         "CLAIMTRACK_ENV", "CELERY_TASK_DEFAULT_QUEUE")
STAGE_TASKS = {"extraction": "claims.tasks.article_process_task",
               "matching": "claims.tasks.article_match_task"}
_SENTENCE_END = re.compile(r"(?<=[.\u201d])\s+(?=[A-Z\u201c])")


def articles(count: int, first: int) -> list[dict]:
    """``count`` articles of 7 paragraphs: each the sentences of two of chaos/articles.py's
    small articles dealt in turn into the paragraphs (its texts are unique by number)."""
    from chaos.articles import generate as generate_articles

    small = generate_articles(2 * (first + count), seed=17)[2 * first:]
    made = []
    for number, (one, two) in enumerate(zip(small[::2], small[1::2]), start=first):
        sentences = _SENTENCE_END.split(one.text) + _SENTENCE_END.split(two.text)
        paragraphs = [" ".join(sentences[i::PARAGRAPHS]) for i in range(PARAGRAPHS)]
        made.append({"title": f"Bench pipeline {number}: {one.title}",
                     "source_name": one.source_name, "text": "\n\n".join(paragraphs)})
    return made


def index_build() -> float:
    """bench/matching.py's index build (the product's GIN index only): seconds it took."""
    return build_index(rum=False)["gin"][0]


def rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as found:
            return [int(child) for child in found.read().split()]
    except OSError:
        return []


class Workers:
    """The bench's Celery workers: started with the bench's environment, their logs kept in a
    temporary directory, their peak memory sampled, stopped as a process group."""

    def __init__(self, queues: list[list[str]], env: dict[str, str], logs: Path) -> None:
        self.processes: list[subprocess.Popen] = []
        self.peak: list[dict[str, int]] = []
        self.queues = queues
        for number, read in enumerate(queues):
            log = open(logs / f"worker{number}.log", "wb")  # noqa: SIM115 (kept while it runs)
            self.processes.append(subprocess.Popen(
                [str(CELERY), "-A", "config", "worker", "-c", "1", "-P", "prefork",
                 "-n", f"bench{number}-{os.getpid()}@%h", "-I", "pipeline_worker",
                 "--without-gossip", "--without-mingle", "--loglevel=WARNING",
                 *(["-Q", ",".join(read)] if read else [])],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True))
            self.peak.append({"main": 0, "pool": 0})

    def sample(self) -> None:
        for process, peak in zip(self.processes, self.peak):
            peak["main"] = max(peak["main"], rss_kib(process.pid))
            for child in children(process.pid):
                peak["pool"] = max(peak["pool"], rss_kib(child))

    def check(self) -> None:
        for number, process in enumerate(self.processes):
            if process.poll() is not None:
                raise RuntimeError(f"worker {number} exited with {process.returncode}")

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def wait_for(check, seconds: float, what: str, workers: Workers, step: float = 0.05):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if (answer := check()):
            return answer
        workers.sample()
        workers.check()
        time.sleep(step)
    raise RuntimeError(f"timed out after {seconds:.0f} s waiting for {what}")


def noop_rate(app, stats, workers: Workers, count: int) -> float:
    """Tasks a second the two workers run when a task does nothing (sent from here)."""
    def done() -> int:
        return int(stats.hget(COUNT_KEY, "bench.noop") or 0)

    # To each worker's first queue in turn (with --split each reads its own).
    queues = [read[0] if read else None for read in workers.queues]

    def send(number: int) -> None:
        app.send_task("bench.noop", queue=queues[number % len(queues)])

    for number in range(20):  # warm up: the pool processes import the module on first use
        send(number)
    wait_for(lambda: done() >= 20, 120, "the workers' first tasks", workers)
    started, base = time.perf_counter(), done()
    for number in range(count):
        send(number)
    wait_for(lambda: done() >= base + count, 300, f"{count} no-op tasks", workers, step=0.01)
    return count / (time.perf_counter() - started)


def run_size(size: int, app, stats, workers: Workers, made: list[dict], noop_count: int,
             deadline: float) -> dict:
    from django.db.models import Count, Max, Q
    from django.utils import timezone

    from claims.ingestion import article_ingest
    from claims.models import Article, Claim

    wait_for(lambda: len(app.control.ping(timeout=0.5)) >= len(workers.processes), 120,
             "the workers to answer", workers, step=0.5)
    noop = noop_rate(app, stats, workers, noop_count)
    stats.delete(STATS_KEY, COUNT_KEY)
    began = timezone.now()
    started = time.perf_counter()
    ids = [article_ingest(**fields).pk for fields in made]
    ingest_seconds = time.perf_counter() - started
    mine = Article.objects.filter(pk__in=ids)
    settled = (Q(state=Article.State.FAILED)
               | Q(state=Article.State.DONE, matched_at__isnull=False)
               | (Q(state=Article.State.DONE) & ~Q(error="")))
    last_report = time.monotonic()
    while (finished := mine.filter(settled).count()) < len(ids):
        workers.sample()
        workers.check()
        if time.perf_counter() - started > deadline:
            print(f"   deadline: {finished} of {len(ids)} articles settled", flush=True)
            break
        if time.monotonic() - last_report > 30:
            last_report = time.monotonic()
            print(f"   {finished} of {len(ids)} articles settled after "
                  f"{time.perf_counter() - started:.0f} s", flush=True)
        time.sleep(0.25)
    wall = time.perf_counter() - started
    workers.sample()
    totals = mine.aggregate(
        extracted=Count("pk", filter=Q(processed_at__isnull=False)),
        matched=Count("pk", filter=Q(matched_at__isnull=False)),
        failed=Count("pk", filter=Q(state=Article.State.FAILED)),
        last_processed=Max("processed_at"), last_matched=Max("matched_at"))
    totals["claims"] = Claim.objects.filter(article__in=ids).count()
    latencies = [(matched - created).total_seconds() for created, matched in
                 mine.filter(matched_at__isnull=False).values_list("created_at", "matched_at")]
    runtime = {k.decode(): float(v) for k, v in stats.hgetall(STATS_KEY).items()}
    counted = {k.decode(): int(v) for k, v in stats.hgetall(COUNT_KEY).items()}

    def rate(done: int, last) -> float:
        span = ((last or began) - began) or timedelta(microseconds=1)
        return done / span.total_seconds()

    return {
        "size": size, "articles": len(ids), "noop": noop, "ingest": len(ids) / ingest_seconds,
        "engine": engine_seconds(made) / max(len(made), 1),
        "wall": wall, **totals,
        "extracted_rate": rate(totals["extracted"], totals["last_processed"]),
        "matched_rate": rate(totals["matched"], totals["last_matched"]),
        "latency_p50": statistics.median(latencies) if latencies else float("nan"),
        "stage": {stage: (runtime.get(task, 0.0), counted.get(task, 0))
                  for stage, task in STAGE_TASKS.items()},
        "busy": sum(runtime.values()) / (wall * len(workers.processes)),
        "rss": [dict(peak) for peak in workers.peak], "queues": workers.queues,
    }


def engine_seconds(made: list[dict]) -> float:
    """The engine alone on the same texts, in this process: what extraction costs before its
    database work (the reference for the extraction stage's time per article)."""
    from claims import engine

    started = time.perf_counter()
    for fields in made:
        engine.analyse(fields["text"])
    return time.perf_counter() - started


def report(row: dict) -> None:
    n = row["articles"]
    print(f"\n== {row['size']:,} stored claims, {n} articles ingested "
          f"({row['claims'] / max(n, 1):.1f} claims each), workers reading "
          + "; ".join(",".join(read) or "every queue" for read in row["queues"]))
    print(f"no-op task rate (reference)        {row['noop']:>9.0f} tasks/s")
    print(f"ingestion (article_ingest, 1 proc) {row['ingest']:>9.1f} articles/s")
    print(f"extracted                          {row['extracted_rate']:>9.2f} articles/s "
          f"({row['extracted']} of {n})")
    print(f"extracted and matched, end to end  {row['matched_rate']:>9.2f} articles/s "
          f"({row['matched']} of {n}; {row['failed']} failed)")
    print(f"ratio end to end / no-op           {row['matched_rate'] / row['noop']:>9.4f}")
    print(f"ingest -> matched, p50             {row['latency_p50']:>9.1f} s")
    for stage, (seconds, tasks) in row["stage"].items():
        print(f"{stage + ' time per article':34} {1000 * seconds / max(n, 1):>9.0f} ms "
              f"({tasks} tasks)")
    print(f"{'engine alone (analyse, 1 proc)':34} {1000 * row['engine']:>9.1f} ms per article")
    print(f"workers busy                       {100 * row['busy']:>9.0f} % of the wall time")
    for number, peak in enumerate(row["rss"]):
        print(f"worker {number} peak RSS: main {peak['main'] / 1024:.0f} MiB, "
              f"pool process {peak['pool'] / 1024:.0f} MiB")
    goal = 20 if row["size"] <= 100_000 else 10
    print(f"goal >= {goal} articles/s end to end: "
          f"{'met' if row['matched_rate'] >= goal else 'missed'}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", nargs="+", default=["100000"],
                        help="stored claims, ascending: 100000 1000000 (or 100000,1000000)")
    parser.add_argument("--articles", type=int, default=200, help="articles ingested a size")
    parser.add_argument("--workers", type=int, default=2, help="each reading every queue")
    parser.add_argument("--split", action="store_true",
                        help="two workers as compose splits them: extraction, matching")
    parser.add_argument("--noop", type=int, default=2000, help="no-op tasks for the reference")
    parser.add_argument("--deadline", type=float, default=1800,
                        help="seconds a size may take to settle its articles")
    parser.add_argument("--keep", action="store_true", help="keep the database (to explore)")
    args = parser.parse_args()
    sizes = sorted(int(s) for value in args.sizes for s in value.split(",") if s)

    # A TERM (make interrupted, a timeout) ends the run through the clean-up below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    name = f"p17p_pipeline_{os.getpid()}"
    for variable in UNSET:
        os.environ.pop(variable, None)
    os.environ.update(DATABASE_URL=f"{PG_URL}/{name}", CELERY_BROKER_URL=BROKER_URL,
                      BENCH_STATS_URL=BROKER_URL, DJANGO_SETTINGS_MODULE="config.settings")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(BENCH)])}
    import redis

    stats = redis.Redis.from_url(BROKER_URL)
    stats.flushdb()  # the bench's own database: a queue left by an earlier run is not ours
    logs = Path(tempfile.mkdtemp(prefix="p17p_pipeline_"))
    admin(f'CREATE DATABASE "{name}"')
    workers = None
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        from claims.models import Source
        from config.celery import app, queue_for

        settings.DEBUG = False
        queues = ([[queue_for("extract")], [queue_for("match")]] if args.split
                  else [[] for _ in range(args.workers)])
        call_command("migrate", verbosity=0)
        sources = Source.objects.bulk_create(
            [Source(name=f"Outlet {i}", domain=f"outlet{i}.example") for i in range(SOURCES)])
        records = generate(sizes[-1])
        stored = 0
        for round_number, size in enumerate(sizes):
            drop_index()
            started = time.perf_counter()
            load(records, stored, size - stored, sources)
            seconds = index_build()
            print(f"-- loaded {size - stored:,} claims in {time.perf_counter() - started:.0f} s "
                  f"(index {seconds:.1f} s)", flush=True)
            stored = size
            from django.db import connections

            connections.close_all()  # the workers' connections, not the loader's, from here
            workers = Workers(queues, env, logs)
            try:
                row = run_size(size, app, stats, workers,
                               articles(args.articles, round_number * args.articles),
                               args.noop, args.deadline)
            finally:
                workers.stop()
            report(row)
    except BaseException:
        for log in sorted(logs.glob("worker*.log")):
            print(f"--- {log.name} (last lines)\n" + "\n".join(
                log.read_text(errors="replace").splitlines()[-20:]), file=sys.stderr)
        raise
    finally:
        if workers is not None:
            workers.stop()
        from django.db import connections

        connections.close_all()
        stats.flushdb()
        shutil.rmtree(logs, ignore_errors=True)
        if not args.keep:
            admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        print(f"   {'kept' if args.keep else 'dropped'} {name}", flush=True)


if __name__ == "__main__":
    main()
