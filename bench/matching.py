"""Matching latency per new claim through the database, at 100k and 1M stored claims.

Run: `make bench-matching` (= `.venv/bin/python bench/matching.py`; `--sizes 100000` for a
quick run). It

1. creates a throw-away PostgreSQL database (`BENCH_PG_URL`, default
   postgres://postgres@127.0.0.1:5432; dropped at the end, also on failure or Ctrl-C) and
   migrates it;
2. bulk-loads stored claims generated from ../shared/data/retrieval/*/vclaims.jsonl as
   bench/retrieval.py does (seeded: the first half of one real claim joined to the second half
   of another), twenty to an article, then grows the table to the next size. The full-text
   index the product uses (migration 0012: GIN over the stored text vector) is dropped while
   loading and built again at each size: its build time and size are reported;
3. matches 200 new claims, whose texts are real queries (100 Snopes tweets, 100 PolitiFact
   debate sentences, each stored as a claim of its own article), and prints p50 / p95 of
     candidates   claims.candidates.claim_candidates: the product's lexical path (the GIN index)
     match        claims.matching.claim_match: candidates, re-scoring, relation, links written
     brute force  the same candidate query with index scans turned off, so PostgreSQL computes
                  and ranks every stored claim's text vector (fewer queries at 1M: it is slow)
   and the ratio brute force / candidates.

Goal (issue "Matching"): p50 <= 20 ms per new claim at 1M on the lexical path.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "bench"))
from retrieval import generate, load_queries, timed  # noqa: E402  (bench/retrieval.py)

PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
CLAIMS_PER_ARTICLE = 20
SOURCES = 50
BATCH = 20_000
KINDS = ("assertion", "allegation", "denial", "quote", "warning")
INDEX = ("claim_search_vector_idx", "claims_claim")  # migration 0012


def admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as connection:
        connection.execute(sql)


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def load(records, first: int, count: int, sources) -> None:
    """Stores ``count`` generated claims (ids from ``first``), twenty to an article."""
    from django.db import transaction

    from claims.matching import terms_count
    from claims.models import Article, Claim

    pending_articles, pending_claims = [], []

    def flush():
        with transaction.atomic():
            stored = Article.objects.bulk_create([a for a, _ in pending_articles])
            for article, (_, spans) in zip(stored, pending_articles):
                for start, end, text, kind in spans:
                    pending_claims.append(Claim(
                        article=article, start=start, end=end, sentence_start=start,
                        sentence_end=end, text=text, kind=kind, extractor_version="bench",
                        checkworthiness=0.5))
            Claim.objects.bulk_create(pending_claims, batch_size=BATCH)
            terms_count(claims=pending_claims)  # as extraction stores them: the stream's counts
        pending_articles.clear()
        pending_claims.clear()

    for offset in range(0, count, CLAIMS_PER_ARTICLE):
        texts = [next(records)["vclaim"].strip() or "Nothing." for _ in
                 range(min(CLAIMS_PER_ARTICLE, count - offset))]
        spans, cursor = [], 0
        for i, text in enumerate(texts):
            spans.append((cursor, cursor + len(text), text, KINDS[(first + offset + i) % 5]))
            cursor += len(text) + 1
        body = " ".join(texts)
        number = (first + offset) // CLAIMS_PER_ARTICLE
        pending_articles.append((Article(
            source=sources[number % len(sources)], title=f"Generated story {number}",
            text=body, content_hash=hashlib.sha256(f"bench-{number}".encode()).hexdigest(),
            state=Article.State.DONE, extractor_version="bench"), spans))
        if len(pending_articles) * CLAIMS_PER_ARTICLE >= BATCH:
            flush()
    if pending_articles:
        flush()


def build_index() -> tuple[float, int]:
    from django.db import connection

    name, table = INDEX
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(f'CREATE INDEX "{name}" ON "{table}" USING gin ("search_vector")')
        seconds = time.perf_counter() - started
        cursor.execute(f'ANALYZE "{table}"')
        cursor.execute("SELECT pg_relation_size(%s)", [name])
        return seconds, cursor.fetchone()[0]


def drop_index() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f'DROP INDEX IF EXISTS "{INDEX[0]}"')


def query_claims(queries: list[str]):
    """Each real query as a new claim of its own article (what extraction would store)."""
    from claims.models import Article, Claim, Source

    source, _ = Source.objects.get_or_create(name="Bench queries")
    made = []
    for i, text in enumerate(queries):
        text = " ".join(text.split())
        article = Article.objects.create(
            source=source, title=f"Query {i}", text=text, extractor_version="bench",
            content_hash=hashlib.sha256(f"query-{i}-{uuid.uuid4()}".encode()).hexdigest(),
            state=Article.State.DONE)
        made.append(Claim.objects.create(
            article=article, start=0, end=len(text), sentence_start=0, sentence_end=len(text),
            text=text, kind=KINDS[i % 5], extractor_version="bench"))
    from claims.matching import terms_count

    terms_count(claims=made)
    return made


def brute_force(claim, limit: int):
    """The candidate query of claims.candidates with index scans off: every row's vector."""
    from django.db import connection, transaction

    from claims.candidates import claim_candidates

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        return claim_candidates(claim, limit)


def measure(size: int, claims, brute_queries: int) -> dict:
    from django.conf import settings

    from claims.candidates import claim_candidates
    from claims.matching import claim_match

    limit = settings.CLAIMTRACK_MATCH_CANDIDATES
    # Same answers from both paths (the order may differ only where ranks tie exactly).
    sample = claims[:brute_queries]
    agree = sum({c.pk for c in claim_candidates(q, limit)} == {c.pk for c in brute_force(q, limit)}
                for q in sample[:10])
    claim_candidates(claims[0], limit)  # warm the cache the way a running worker is
    candidates = timed(lambda c: claim_candidates(c, limit), claims)
    match = timed(lambda c: claim_match(claim_id=c.pk), claims)
    brute = timed(lambda c: brute_force(c, limit), sample)
    return {"size": size, "candidates": candidates, "match": match, "brute": brute,
            "agree": agree, "checked": min(10, len(sample))}


def report(row: dict, build: tuple[float, int]) -> None:
    seconds, size = build
    c, m, b = row["candidates"], row["match"], row["brute"]
    print(f"\n== {row['size']:,} stored claims: index built in {seconds:.1f} s, "
          f"{size / 2**20:.0f} MiB; same candidates as brute force on {row['agree']} of "
          f"{row['checked']} queries")
    print(f"{'':14}{'p50 ms':>10}{'p95 ms':>10}{'queries':>9}")
    for label, values in (("candidates", c), ("match", m), ("brute force", b)):
        print(f"{label:14}{pct(values, 50):>10.1f}{pct(values, 95):>10.1f}{len(values):>9}")
    print(f"ratio brute force / candidates (p50): {pct(b, 50) / pct(c, 50):.0f}x; goal p50 <= "
          f"20 ms at 1M: candidates {pct(c, 50):.1f} ms, whole match {pct(m, 50):.1f} ms",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--keep", action="store_true", help="keep the database (to explore)")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))

    name = f"claimtrack_bench_matching_{os.getpid()}"
    admin(f'CREATE DATABASE "{name}"')
    try:
        os.environ["DATABASE_URL"] = f"{PG_URL}/{name}"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        settings.DEBUG = False
        call_command("migrate", verbosity=0)
        from claims.models import Source

        sources = Source.objects.bulk_create(
            [Source(name=f"Outlet {i}", domain=f"outlet{i}.example") for i in range(SOURCES)])
        records = generate(sizes[-1])
        queries = load_queries()
        stored = 0
        for size in sizes:
            drop_index()
            started = time.perf_counter()
            load(records, stored, size - stored, sources)
            print(f"-- loaded {size - stored:,} claims in {time.perf_counter() - started:.0f} s",
                  flush=True)
            stored = size
            build = build_index()
            claims = query_claims(queries)
            row = measure(size, claims, brute_queries=50 if size <= 100_000 else 10)
            report(row, build)
            from claims.models import Claim, ClaimLink, Proposition

            # The next size starts from the stored claims only.
            ClaimLink.objects.filter(claim__in=claims).delete()
            ClaimLink.objects.filter(target_claim__in=claims).delete()
            Proposition.objects.filter(links__isnull=True).delete()
            Claim.objects.filter(pk__in=[c.pk for c in claims]).delete()
    finally:
        from django.db import connections

        connections.close_all()
        if args.keep:
            print(f"   kept {name}", flush=True)
        else:
            admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            print(f"   dropped {name}", flush=True)


if __name__ == "__main__":
    main()
