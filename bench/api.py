"""Requests/s and latency of the published-claims list of the API, against a plain Django JSON
view over the same rows, at 100k published claims on PostgreSQL.

Run: `make bench-api` (= `.venv/bin/python bench/api.py`), about three minutes. It

1. creates a throw-away database on PostgreSQL (`BENCH_PG_URL`, default
   postgres://postgres@127.0.0.1:5432; dropped at the end, also on failure or Ctrl-C);
2. migrates it and bulk-loads, with direct `bulk_create` (not through the review services: a
   benchmark needs the rows, not their history) 25,000 articles (~4 kB of text each) from 40
   sources and 125,000 claims from 3,000 claimants — 100,000 published (status, verdict, rationale,
   published_at, one verdict version, one to three pieces of evidence), 25,000 still with the
   desk — plus 30,000 links between published claims and 5,000 propositions with four members
   each, so that the API does its real work: visibility, filters, cursor order, nested
   claimant/article/evidence/verdicts/related/proposition, ETag;
3. serves the app with gunicorn (`config.wsgi`, 2 sync workers, DEBUG off, the anonymous
   throttle raised out of the way) and measures, from a separate process — wrk when it is
   installed (`apt-get install wrk`), otherwise a small Python client — with one request in
   flight per worker (`--connections`), 3 interleaved rounds of 15 s each, both
     API:   /api/v1/claims/?kind=allegation&verdict=false&page_size=50   (anonymous)
     plain: /bench/plain/claims/?kind=allegation&verdict=false&page_size=50
   where "plain" is a Django view defined in bench/api_urls.py that returns the same 50 rows'
   basic fields as JSON (one query, `.values()`, JsonResponse);
4. prints requests/s, p50 and p99 of each and the ratio API / plain.

Goal (docs/benchmarks.md, "API"): the API at >= 0.7x the plain view's requests/s, p99 <= 50 ms.
"""

from __future__ import annotations

import argparse
import hashlib
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
}
SEED = 7
WORKERS = 2

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


def load() -> dict:
    """Bulk-inserts the rows (see the module docstring). Returns counts."""
    from django.db import connection, transaction
    from django.utils import timezone

    from claims.models import (
        Article,
        Claim,
        Claimant,
        ClaimLink,
        Evidence,
        Proposition,
        Source,
        VerdictVersion,
    )

    rng = random.Random(SEED)
    now = timezone.now()
    batch = 5_000
    with transaction.atomic():
        sources = Source.objects.bulk_create(
            Source(name=f"Outlet {i}", domain=f"outlet{i}.example") for i in range(SOURCES))
        claimants = Claimant.objects.bulk_create(
            Claimant(name=f"Speaker {i}", key=f"speaker {i}",
                     kind=rng.choice(["person", "person", "organisation", "country"]),
                     role=rng.choice(["", "minister", "spokesperson", "mayor"]))
            for i in range(CLAIMANTS))

        articles, texts = [], []
        for i in range(ARTICLES):
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
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"articles": len(articles), "claims": len(claims), "published": len(published),
            "evidence": len(evidence)}


# --- serving and measuring --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(database_url: str, port: int) -> subprocess.Popen:
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
    out = subprocess.run(
        ["wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "--latency", url],
        capture_output=True, text=True, check=True).stdout
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

    def loop():
        mine = []
        while time.perf_counter() < stop:
            started = time.perf_counter()
            connection = HTTPConnection(host, int(port), timeout=10)
            connection.request("GET", path)
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
    """Both answer 200 with the same 50 claims, newest first."""
    _, api = fetch(base + TARGETS["API"])
    _, plain = fetch(base + TARGETS["plain"])
    api_ids = [row["id"] for row in json.loads(api)["results"]]
    plain_ids = [row["id"] for row in json.loads(plain)["results"]]
    if len(api_ids) != 50 or api_ids != plain_ids:
        raise SystemExit(f"The API and the plain view disagree: {api_ids[:5]} / {plain_ids[:5]}")
    print(f"   both answer the same 50 claims; API body {len(api):,} bytes, plain "
          f"{len(plain):,} bytes", flush=True)


def measure(base: str, seconds: int, rounds: int, connections: int) -> dict:
    client = "wrk" if shutil.which("wrk") else "python"
    run = run_wrk if client == "wrk" else run_python_client
    print(f"   load generator: {client}, {connections} connections, {rounds} rounds of "
          f"{seconds} s per target, interleaved", flush=True)
    for path in TARGETS.values():  # warm both workers' connections and caches
        run(base + path, 3, connections)
    results: dict[str, list[dict]] = {name: [] for name in TARGETS}
    for _ in range(rounds):
        for name, path in TARGETS.items():
            results[name].append(run(base + path, seconds, connections))
    # The median round by requests/s, with its own latencies.
    return {name: sorted(rows, key=lambda r: r["rps"])[len(rows) // 2]
            for name, rows in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15, help="per round and target")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=WORKERS,
                        help="concurrent requests (default: one per gunicorn worker)")
    parser.add_argument("--keep", action="store_true",
                        help="serve the loaded database until Ctrl-C after measuring")
    args = parser.parse_args()

    name = f"claimtrack_bench_api_{os.getpid()}"
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

        settings.DEBUG = False  # no query log while loading
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        counts = load()
        print(f"== database {name}: {counts['published']:,} published claims of "
              f"{counts['claims']:,}, {counts['articles']:,} articles, {counts['evidence']:,} "
              f"evidence rows (migrated and loaded in {time.perf_counter() - started:.0f} s)",
              flush=True)
        from django.db import connections

        connections.close_all()

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = serve(database_url, port)
        wait_until_up(base, server)
        check_answers(base)
        results = measure(base, args.seconds, args.rounds, args.connections)
        print(f"\n{'':8}{'requests/s':>12}{'p50 ms':>10}{'p99 ms':>10}")
        for label, row in results.items():
            print(f"{label:8}{row['rps']:>12,.0f}{row['p50']:>10.1f}{row['p99']:>10.1f}")
        ratio = results["API"]["rps"] / results["plain"]["rps"]
        print(f"ratio API / plain: {ratio:.2f} (goal >= 0.7); API p99 "
              f"{results['API']['p99']:.1f} ms (goal <= 50 ms)", flush=True)
        if args.keep:
            print(f"serving on {base} until Ctrl-C", flush=True)
            server.wait()
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
