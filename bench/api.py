"""Requests/s and latency of the published-claims list of the API, against a plain Django JSON
view over the same rows, at 100k (and, with --sizes, up to 1M) published claims on PostgreSQL.

Run: `make bench-api` (= `.venv/bin/python bench/api.py`), about seven minutes at 100k (three
to load, four to measure);
`bench/api.py --sizes 100000 1000000` grows the database to 1M after measuring 100k (about
25 minutes more). It

1. creates a throw-away database on PostgreSQL (`BENCH_PG_URL`, default
   postgres://postgres@127.0.0.1:5432; dropped at the end, also on failure or Ctrl-C);
2. migrates it and bulk-loads, with direct `bulk_create` in batches of 10,000 rows (not through
   the review services: a benchmark needs the rows, not their history), per slice of 100,000
   published claims: 25,000 articles (~4 kB of text each) from 40 sources and 125,000 claims
   from 3,000 claimants — 100,000 published (status, verdict, rationale, published_at, one
   verdict version, one to three pieces of evidence), 25,000 still with the desk — plus 30,000
   links between its published claims and 5,000 propositions with four members each, so that
   the API does its real work: visibility, filters, cursor order, nested
   claimant/article/evidence/verdicts/related/proposition, ETag; then VACUUM ANALYZE;
3. serves the app with gunicorn (`config.wsgi`, 2 sync workers, DEBUG off, the anonymous
   throttle raised out of the way; the cache in each worker's memory, or `--cache-url`) and
   measures, from a separate process — wrk when it is installed (`apt-get install wrk`),
   otherwise a small Python client — with one request in flight per worker
   (`--connections`), 3 interleaved rounds of 15 s each, all five of
     plain:   /bench/plain/claims/?kind=allegation&verdict=false&page_size=50
     API:     /api/v1/claims/?kind=allegation&verdict=false&page_size=50   (anonymous)
     API new: the same with &fresh=<n>, a new n each request
     plain writing, API writing: plain and API while another process ingests drafts
   where "plain" is a Django view defined in bench/api_urls.py that returns the same 50 rows'
   basic fields as JSON (one query, `.values()`, JsonResponse); "API" is served from the page
   kept at the public moment (claims.api.pages: the published-set counter), "API new" is
   rendered every time, as every page is after a change to the published set; in the
   "writing" rounds a writer process (`write_drafts`) commits, `--write-rate` times a second,
   what ingestion and matching write: an article with five draft claims, a link from a draft
   to a published claim, the published claim's counts and priority, a session — none of which
   a public reader sees;
4. prints requests/s, p50 and p99 of each, the write-ahead log written during each round (by
   any database of the cluster), how often the public moment of the claim list moved (a move
   retires the kept page), the writer's transactions, and the ratios to plain.

Goal (docs/benchmarks.md, "API"): the API at >= 0.7x the plain view's requests/s at 100k,
p99 <= 50 ms at 1M.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import timedelta
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
QUERY = "kind=allegation&verdict=false&page_size=50"
TARGETS = {
    "plain": f"/bench/plain/claims/?{QUERY}",
    "API": f"/api/v1/claims/?{QUERY}",
    # The same page under a new URL each request (a parameter the view does not read, which
    # its next link repeats): never a kept page, always rendered — the cost after a write.
    "API new": f"/api/v1/claims/?{QUERY}&fresh=",
    # While write_drafts commits drafts: the write-ahead log moves, the public moment not.
    "plain writing": f"/bench/plain/claims/?{QUERY}",
    "API writing": f"/api/v1/claims/?{QUERY}",
}
WRITING = frozenset({"plain writing", "API writing"})
# wrk: a counter appended to a path with "fresh=<run>-" at its end.
WRK_FRESH = """
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, wrk.path .. n)
end
"""
SEED = 7
WORKERS = 2
SLICE = 100_000  # published claims a slice of the load adds
BATCH = 10_000  # rows per INSERT of bulk_create

ARTICLES = 25_000
PUBLISHED_PER_ARTICLE = 4  # 100,000 published claims
DRAFTS_PER_ARTICLE = 1  # 25,000 claims the desk has not published
ARTICLE_SENTENCES = 40
SOURCES = 40
CLAIMANTS = 3_000
CLAIM_LINKS = 30_000
PROPOSITIONS = 5_000
MEMBERS_PER_PROPOSITION = 4

KINDS = (["assertion"] * 8 + ["allegation"] * 4 + ["denial"] * 3 + ["quote"] * 3
         + ["warning"] * 2)
VERDICTS = (["false"] * 4 + ["mostly_false"] * 3 + ["misleading"] * 3 + ["mixed"] * 3
            + ["mostly_true"] * 3 + ["true"] * 3 + ["unverifiable"])
WORDS = ("port ships harbour minister said figures report wages tax budget election troops "
         "border talks agreement vaccine deaths growth inflation million percent council "
         "police protest energy prices gas pipeline contract fraud votes court ruling").split()


# --- the throw-away database -----------------------------------------------------------------


def admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as connection:
        connection.execute(sql)


def drop_database(name: str) -> None:
    admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- data ------------------------------------------------------------------------------------


def sentence(rng: random.Random, n: int = 12) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def load_shared(rng: random.Random) -> tuple[list, list]:
    """The sources and claimants every slice draws from."""
    from claims.models import Claimant, Source

    sources = Source.objects.bulk_create(
        Source(name=f"Outlet {i}", domain=f"outlet{i}.example") for i in range(SOURCES))
    claimants = Claimant.objects.bulk_create(
        Claimant(name=f"Speaker {i}", key=f"speaker {i}",
                 kind=rng.choice(["person", "person", "organisation", "country"]),
                 role=rng.choice(["", "minister", "spokesperson", "mayor"]))
        for i in range(CLAIMANTS))
    return sources, claimants


def load_slice(rng: random.Random, number: int, sources: list, claimants: list) -> dict:
    """Bulk-inserts one slice of 100,000 published claims (see the module docstring), its links
    and propositions among its own claims, in one transaction. Returns counts."""
    from django.db import transaction
    from django.utils import timezone

    from claims.models import (
        Article,
        Claim,
        ClaimLink,
        Evidence,
        Proposition,
        VerdictVersion,
    )

    now = timezone.now()
    batch = BATCH
    with transaction.atomic():
        articles, texts = [], []
        for i in range(number * ARTICLES, (number + 1) * ARTICLES):
            sentences = [sentence(rng) for _ in range(PUBLISHED_PER_ARTICLE + DRAFTS_PER_ARTICLE)]
            # A news story's length (~4 kB): the claims are its first sentences.
            text = " ".join(sentences + [sentence(rng, 14) for _ in range(ARTICLE_SENTENCES)])
            texts.append(sentences)
            articles.append(Article(
                source=rng.choice(sources), url=f"https://news.example/{i}",
                title=sentence(rng, 8)[:-1], text=text,
                content_hash=hashlib.sha256(text.encode() + str(i).encode()).hexdigest(),
                published_at=now - timedelta(minutes=rng.randrange(2 * 365 * 24 * 60)),
                state=Article.State.DONE, processed_at=now, extractor_version="bench"))
        articles = Article.objects.bulk_create(articles, batch_size=batch)

        claims, speakers = [], [*claimants, None]  # None: the outlet's own statement
        for article, sentences in zip(articles, texts):
            offset = 0
            for index, text in enumerate(sentences):
                published = index < PUBLISHED_PER_ARTICLE
                start, end = offset, offset + len(text)
                offset = end + 1
                claims.append(Claim(
                    article=article, claimant=rng.choice(speakers), text=text,
                    start=start, end=end, sentence_start=start, sentence_end=end,
                    cue="said", kind=rng.choice(KINDS), checkworthiness=rng.random(),
                    status=Claim.Status.PUBLISHED if published else Claim.Status.NEW,
                    verdict=rng.choice(VERDICTS) if published else "",
                    rationale=sentence(rng, 30) if published else "",
                    published_at=(article.published_at + timedelta(hours=rng.randrange(1, 72))
                                  if published else None),
                    extractor_version="bench"))
        claims = Claim.objects.bulk_create(claims, batch_size=batch)
        published = [c for c in claims if c.status == Claim.Status.PUBLISHED]

        VerdictVersion.objects.bulk_create(
            (VerdictVersion(claim=c, number=1, verdict=c.verdict, rationale=c.rationale,
                            published_at=c.published_at) for c in published), batch_size=batch)
        evidence = [Evidence(claim=c, url=f"https://records.example/{c.pk}/{n}",
                             note=sentence(rng, 10),
                             stance=rng.choice(["supports", "refutes", "context"]))
                    for c in published for n in range(rng.randint(1, 3))]
        Evidence.objects.bulk_create(evidence, batch_size=batch)

        pairs = set()
        while len(pairs) < CLAIM_LINKS:
            a, b = rng.sample(published, 2)
            if (b.pk, a.pk) not in pairs:
                pairs.add((a.pk, b.pk))
        ClaimLink.objects.bulk_create(
            (ClaimLink(claim_id=a, target_claim_id=b, relation=rng.choice(
                ["supports", "contradicts"]), score=round(rng.uniform(0.25, 0.9), 4),
                method="bench", status=rng.choice(["suggested", "confirmed", "rejected"]))
             for a, b in pairs), batch_size=batch)

        propositions = Proposition.objects.bulk_create(
            (Proposition(text=sentence(rng), first_seen_at=now) for _ in range(PROPOSITIONS)),
            batch_size=batch)
        members = rng.sample(claims, PROPOSITIONS * MEMBERS_PER_PROPOSITION)
        ClaimLink.objects.bulk_create(
            (ClaimLink(claim=claim, proposition=propositions[i // MEMBERS_PER_PROPOSITION],
                       relation=rng.choice(["supports", "contradicts", "neutral"]),
                       score=round(rng.uniform(0.3, 0.9), 4), method="bench")
             for i, claim in enumerate(members)), batch_size=batch)
    return {"articles": len(articles), "claims": len(claims), "published": len(published),
            "evidence": len(evidence)}


# Slices after the first are copies of it made inside PostgreSQL (INSERT ... SELECT): ids
# shifted by the first slice's largest, each article (and its claims, versions) moved back by
# its own number of minutes within two years, unique URLs and hashes made unique again. Making
# 125,000 claims as model objects in Python takes minutes a slice on a busy 2-core machine;
# the copy takes seconds. The columns, offsets and overrides per table:
COPIED = {
    "claims_article": ({
        "url": "t.url || '/' || k", "published_at": "t.published_at - {shift}",
        "content_hash": "encode(sha256((t.content_hash || k)::bytea), 'hex')"},
        "{shift_of}t.id"),
    "claims_claim": ({"article_id": "t.article_id + k * {claims_article}",
                                       "published_at": "t.published_at - {shift}"},
                     "{shift_of}t.article_id"),
    "claims_verdictversion": ({
        "claim_id": "t.claim_id + k * {claims_claim}",
        "published_at": "t.published_at - {shift}"},
        "{shift_of}(SELECT c.article_id FROM claims_claim c WHERE c.id = t.claim_id)"),
    "claims_evidence": ({"claim_id": "t.claim_id + k * {claims_claim}",
                                             "url": "t.url || '/' || k"}, ""),
    "claims_proposition": ({
        "first_claim_id": "t.first_claim_id + k * {claims_claim}"}, ""),
    "claims_claimlink": ({
        "claim_id": "t.claim_id + k * {claims_claim}",
        "target_claim_id": "t.target_claim_id + k * {claims_claim}",
        "proposition_id": "t.proposition_id + k * {claims_proposition}"}, ""),
}
SHIFT = "make_interval(mins => ((({row}) * 7919 + k * 104729) % 1051200)::int)"


def copy_slices(start: int, stop: int) -> None:
    """Slices ``start`` to ``stop`` as copies of slice 0 (COPIED above), one transaction each."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        largest = {}
        for table in COPIED:
            cursor.execute(f"SELECT max(id) FROM {table}")
            largest[table] = cursor.fetchone()[0]
        for k in range(start, stop):
            with transaction.atomic():
                for table, (overrides, shift_row) in COPIED.items():
                    cursor.execute(
                        "SELECT column_name FROM information_schema.columns WHERE "
                        "table_name = %s AND is_generated = 'NEVER' ORDER BY ordinal_position",
                        [table])
                    columns = [row[0] for row in cursor.fetchall()]
                    shift = SHIFT.format(row=shift_row.format(shift_of="")) if shift_row else ""
                    values = [f"t.id + k * {largest[table]}" if column == "id" else
                              overrides.get(column, f't."{column}"').format(shift=shift,
                                                                           **largest)
                              for column in columns]
                    names = ", ".join(f'"{column}"' for column in columns)
                    cursor.execute(
                        f"INSERT INTO {table} ({names}) SELECT {', '.join(values)} FROM "
                        f"{table} t, (SELECT {k} AS k) AS slice WHERE t.id <= {largest[table]}")
        for table in COPIED:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"(SELECT max(id) FROM {table}))")


def load(rng: random.Random, start: int, stop: int, shared: tuple[list, list]) -> dict:
    """Slices ``start`` to ``stop`` (100,000 published claims each: the first generated, the
    others copied from it), then VACUUM ANALYZE: the planner's statistics, and nothing left
    for autovacuum to write while requests are measured (a write moves the database moment
    and retires the API's kept pages). Returns the rows there are now."""
    from django.db import connection

    if start == 0:
        load_slice(rng, 0, *shared)
        connection.close()  # let the slice's objects go
        start = 1
    if stop > start:
        copy_slices(start, stop)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
        counts = {}
        for name, sql in (("articles", "SELECT count(*) FROM claims_article"),
                          ("claims", "SELECT count(*) FROM claims_claim"),
                          ("evidence", "SELECT count(*) FROM claims_evidence")):
            cursor.execute(sql)
            counts[name] = cursor.fetchone()[0]
    return counts


# --- serving and measuring --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(database_url: str, port: int, cache_url: str = "") -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "bench.api_settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # One address sends every request: the per-address limit (120/min) would answer 429.
        "CLAIMTRACK_API_ANON_RATE": "100000000/min",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("CACHE_URL", None)  # throttle counts in each worker's memory, as on a laptop
    if cache_url:  # ...or in Redis, as in production (and the API's kept pages with them)
        env["CACHE_URL"] = cache_url
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "-c", "config/gunicorn.conf.py",
         "-w", str(WORKERS),
         "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True)


def fetch(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read()


def wait_until_up(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        try:
            fetch(base + TARGETS["plain"])
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not answer within 60 s")


WRK_LATENCY = re.compile(r"^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", re.M)
UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def run_wrk(url: str, seconds: int, connections: int) -> dict:
    command = ["wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "--latency"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        if "fresh=" in url:
            script.write(WRK_FRESH)
            script.flush()
            command += ["-s", script.name]
        out = subprocess.run(command + [url], capture_output=True, text=True,
                             check=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit(f"wrk saw errors:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = {int(p): float(v) * UNIT_MS[unit] for p, v, unit in WRK_LATENCY.findall(out)}
    return {"rps": rps, "p50": latency[50], "p99": latency[99]}


def run_python_client(url: str, seconds: int, connections: int) -> dict:
    """A closed loop per thread (gunicorn's sync workers close each connection)."""
    host, port = url.split("/")[2].split(":")
    path = "/" + url.split("/", 3)[3]
    latencies: list[float] = []
    errors: list[int] = []
    stop = time.perf_counter() + seconds

    fresh = itertools.count()

    def loop():
        mine = []
        while time.perf_counter() < stop:
            started = time.perf_counter()
            connection = HTTPConnection(host, int(port), timeout=10)
            connection.request("GET", path + str(next(fresh)) if "fresh=" in path else path)
            response = connection.getresponse()
            response.read()
            connection.close()
            mine.append((time.perf_counter() - started) * 1000)
            if response.status != 200:
                errors.append(response.status)
        latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=loop) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(f"{len(errors)} non-200 answers, e.g. {errors[0]}")
    latencies.sort()
    return {"rps": len(latencies) / elapsed, "p50": statistics.median(latencies),
            "p99": latencies[int(len(latencies) * 0.99) - 1]}


def check_answers(base: str) -> None:
    """All answer 200 with the same 50 claims, newest first; a kept page is the page."""
    _, api = fetch(base + TARGETS["API"])
    _, kept = fetch(base + TARGETS["API"])
    _, new = fetch(base + TARGETS["API new"] + "0")
    _, plain = fetch(base + TARGETS["plain"])
    api_ids = [row["id"] for row in json.loads(api)["results"]]
    plain_ids = [row["id"] for row in json.loads(plain)["results"]]
    new_ids = [row["id"] for row in json.loads(new)["results"]]
    if len(api_ids) != 50 or not api_ids == plain_ids == new_ids:
        raise SystemExit(f"The API and the plain view disagree: {api_ids[:5]} / {plain_ids[:5]}")
    if kept != api:
        raise SystemExit("A kept page differs from the page.")
    print(f"   all answer the same 50 claims; API body {len(api):,} bytes, plain "
          f"{len(plain):,} bytes", flush=True)


def wal_position() -> int:
    """Where the cluster's write-ahead log ends, in bytes: how much was written meanwhile (by
    any database of the cluster) says whether a page kept at the log's position (the desk's)
    could be served."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_insert_lsn() - '0/0'::pg_lsn")
        return int(cursor.fetchone()[0])


def public_moment() -> int:
    """The claim list's published-set counter (migration 0020): each move retires its public
    kept pages."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT claims FROM claims_public_moment WHERE id = 1")
        return int(cursor.fetchone()[0])


def write_drafts(database_url: str, rate: float, stop, written) -> None:
    """A writer process: ``rate`` times a second until ``stop`` is set, one transaction of what
    ingestion and matching write and a reader of the public list never sees — an article with
    five draft claims, a link from one of them to a published claim, that claim's counts and
    priority (matching's refresh) — and a session saved. Counts its commits in ``written``."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.api_settings"
    import django

    django.setup()
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import transaction
    from django.utils import timezone

    from claims.models import Article, Claim, ClaimLink, Source

    rng = random.Random(os.getpid())
    sources = list(Source.objects.values_list("pk", flat=True))
    published = list(Claim.objects.published().order_by("?").values_list("pk", flat=True)[:1000])
    interval = 1 / rate
    due = time.perf_counter()
    while not stop.is_set():
        n = written.value + 1
        text = " ".join(sentence(rng) for _ in range(ARTICLE_SENTENCES))
        with transaction.atomic():
            article = Article.objects.create(
                source_id=rng.choice(sources), url=f"https://drafts.example/{os.getpid()}/{n}",
                title=sentence(rng, 8)[:-1], text=text, published_at=timezone.now(),
                content_hash=hashlib.sha256(f"{os.getpid()} {n} {text}".encode()).hexdigest(),
                state=Article.State.DONE, processed_at=timezone.now(), extractor_version="bench")
            offsets = [(m.start(), m.end()) for m in re.finditer(r"[^.]+\.", text)][:5]
            drafts = Claim.objects.bulk_create(
                Claim(article=article, text=text[start:end], start=start, end=end,
                      sentence_start=start, sentence_end=end, cue="said",
                      kind=rng.choice(KINDS), checkworthiness=rng.random(),
                      extractor_version="bench") for start, end in offsets)
            target = rng.choice(published)
            ClaimLink.objects.create(claim=drafts[0], target_claim_id=target,
                                     relation="supports", score=0.5, method="bench")
            Claim.objects.filter(pk=target).update(corroborations=n % 7, priority=rng.random())
        SessionStore().save(must_create=True)
        written.value = n
        due += interval
        time.sleep(max(0.0, due - time.perf_counter()))


def measure(base: str, seconds: int, rounds: int, connections: int, database_url: str,
            write_rate: float) -> dict:
    import multiprocessing

    client = "wrk" if shutil.which("wrk") else "python"
    run = run_wrk if client == "wrk" else run_python_client
    print(f"   load generator: {client}, {connections} connections, {rounds} rounds of "
          f"{seconds} s per target, interleaved; writer at {write_rate:g} transactions/s in "
          "the writing rounds", flush=True)
    runs = itertools.count()
    spawn = multiprocessing.get_context("spawn")  # a process of its own, Django set up anew

    def url(path: str) -> str:  # "fresh=" URLs new in every run
        return base + (path + f"{next(runs)}-" if path.endswith("fresh=") else path)

    def writing(path: str) -> dict:
        stop, written = spawn.Event(), spawn.Value("l", 0)
        writer = spawn.Process(target=write_drafts,
                               args=(database_url, write_rate, stop, written))
        writer.start()
        try:
            time.sleep(2)  # Django set up and writing before the round starts
            if not writer.is_alive():
                raise SystemExit(f"the writer exited with {writer.exitcode}")
            before = written.value
            row = run(url(path), seconds, connections)
            row["writes"] = (written.value - before) / seconds
        finally:
            stop.set()
            writer.join(timeout=30)
        if writer.exitcode:
            raise SystemExit(f"the writer exited with {writer.exitcode}")
        return row

    for name, path in TARGETS.items():  # warm both workers' connections and caches
        if name not in WRITING:
            run(url(path), 3, connections)
    results: dict[str, list[dict]] = {name: [] for name in TARGETS}
    for _ in range(rounds):
        for name, path in TARGETS.items():
            before, moment = wal_position(), public_moment()
            row = (writing(path) if name in WRITING
                   else run(url(path), seconds, connections))
            row["wal"] = wal_position() - before
            row["moves"] = public_moment() - moment
            results[name].append(row)
    # The median round by requests/s, with its own latencies.
    return {name: sorted(rows, key=lambda r: r["rps"])[len(rows) // 2]
            for name, rows in results.items()}


def report(results: dict, published: int) -> None:
    print(f"\n== {published:,} published claims\n{'':14}{'requests/s':>11}{'p50 ms':>9}"
          f"{'p99 ms':>9}{'WAL written':>16}{'public moves':>14}{'writes/s':>10}")
    for label, row in results.items():
        writes = f"{row['writes']:>10.1f}" if "writes" in row else f"{'-':>10}"
        print(f"{label:14}{row['rps']:>11,.0f}{row['p50']:>9.1f}{row['p99']:>9.1f}"
              f"{row['wal']:>14,} B{row['moves']:>14}{writes}")
    plain = results["plain"]["rps"]
    print(f"ratio API / plain: {results['API']['rps'] / plain:.2f} (goal >= 0.7), every page "
          f"new {results['API new']['rps'] / plain:.2f}; while drafts are written: API / plain "
          f"writing {results['API writing']['rps'] / results['plain writing']['rps']:.2f}, "
          f"API writing / API {results['API writing']['rps'] / results['API']['rps']:.2f}; "
          f"API p99 {results['API']['p99']:.1f} ms (goal <= 50 ms), writing "
          f"{results['API writing']['p99']:.1f} ms, every page new "
          f"{results['API new']['p99']:.1f} ms", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[SLICE], metavar="N",
                        help="published claims to measure at, ascending, whole multiples of "
                        f"{SLICE:,}: the database grows from one to the next (e.g. 100000 "
                        "1000000)")
    parser.add_argument("--seconds", type=int, default=15, help="per round and target")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=WORKERS,
                        help="concurrent requests (default: one per gunicorn worker)")
    parser.add_argument("--write-rate", type=float, default=10.0,
                        help="transactions/s of the draft writer in the writing rounds "
                        "(default 10: an article with its drafts, a link, a session each)")
    parser.add_argument("--cache-url", default="",
                        help="the web processes' CACHE_URL (a Redis URL, as in production); "
                        "default: each worker's own memory")
    parser.add_argument("--name-prefix", default="claimtrack_bench_api_",
                        help="of the throw-away database's name")
    parser.add_argument("--keep", action="store_true",
                        help="serve the loaded database until Ctrl-C after measuring")
    args = parser.parse_args()
    if any(size % SLICE or size <= 0 for size in args.sizes) or args.sizes != sorted(
            args.sizes):
        parser.error(f"--sizes: ascending whole multiples of {SLICE:,}")
    if args.write_rate <= 0:
        parser.error("--write-rate: transactions per second, more than 0")

    name = f"{args.name_prefix}{os.getpid()}"
    database_url = f"{PG_URL}/{name}"
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the finally drops it
    admin(f'CREATE DATABASE "{name}"')
    server = None
    try:
        os.environ["DATABASE_URL"] = database_url
        os.environ["DJANGO_SETTINGS_MODULE"] = "bench.api_settings"
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connections

        settings.DEBUG = False  # no query log while loading
        call_command("migrate", verbosity=0)
        rng = random.Random(SEED)
        shared = load_shared(rng)
        loaded = 0
        for size in args.sizes:
            started = time.perf_counter()
            counts = load(rng, loaded // SLICE, size // SLICE, shared)
            loaded = size
            print(f"== database {name}: {size:,} published claims; now "
                  f"{counts['claims']:,} claims, {counts['articles']:,} articles, "
                  f"{counts['evidence']:,} evidence rows, loaded in "
                  f"{time.perf_counter() - started:.0f} s (with VACUUM ANALYZE)", flush=True)
            connections.close_all()
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            server = serve(database_url, port, args.cache_url)
            try:
                wait_until_up(base, server)
                check_answers(base)
                report(measure(base, args.seconds, args.rounds, args.connections,
                               database_url, args.write_rate), size)
                if args.keep and size == args.sizes[-1]:
                    print(f"serving on {base} until Ctrl-C", flush=True)
                    server.wait()
            finally:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(timeout=30)
            connections.close_all()
    except KeyboardInterrupt:
        pass
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        from django.db import connections

        connections.close_all()
        drop_database(name)
        print(f"   dropped {name}", flush=True)


if __name__ == "__main__":
    main()
