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
     all words    claims.candidates.claim_candidates with every word ORed (rows=0): the
                  query the product ran before the rare words (the GIN index)
     rare words   claim_candidates(rows=--rows, default 5000): claims holding two of the
                  claim's rarest words (within that many index entries), the GIN index
     rum          every word ORed, ranked inside a RUM index (`<=>`, extension rum; only
                  when the server has it: the index is built beside the GIN one)
     match        claims.matching.claim_match: candidates, re-scoring, relation, links written
                  (candidates as CLAIMTRACK_MATCH_CANDIDATE_ROWS says: 0, every word, unless
                  set in the environment), one claim a transaction
     match batch  claims.matching.claims_match over the same claims 12 at a time (an
                  article's worth, as a matching pass runs them): each batch's time / 12,
                  after the single matches' links are taken away again
     brute force  the all-words query with index scans turned off, so PostgreSQL computes
                  and ranks every stored claim's text vector (fewer queries at 1M: it is slow)
   and the ratios to brute force; of the all-words candidates, the share each path also
   finds, the share of those matching would score above zero (claims.matching's similarity)
   it finds, on how many queries its best candidate scores as high as the all-words one's,
   and the share of the claims the whole match linked.
   `--profile` prints where the whole match spends its time (cProfile, top 25).

`--keep --load-only` loads and indexes a database and keeps it; `--reuse NAME` measures again
in it (the code as it is now), grown first to `--sizes` when that is larger.

Goal (issue 17): whole match p50 <= 20 ms per new claim at 1M on the lexical path.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import hashlib
import itertools
import os
import pstats
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "bench"))
from retrieval import generate, load_queries, timed  # noqa: E402  (bench/retrieval.py)

ARTICLE_BATCH = 12  # claims matched together: about an article's (12.3 in bench/pipeline.py)

PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
CLAIMS_PER_ARTICLE = 20
SOURCES = 50
BATCH = 20_000
KINDS = ("assertion", "allegation", "denial", "quote", "warning")
INDEX = ("claim_search_vector_idx", "claims_claim")  # migration 0012
RUM_INDEX = "bench_claim_search_rum_idx"


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


def rum_available() -> bool:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'rum'")
        if cursor.fetchone() is None:
            return False
        cursor.execute("CREATE EXTENSION IF NOT EXISTS rum")
        return True


def build_index(rum: bool) -> dict[str, tuple[float, int]]:
    """The GIN index (and the RUM one): build seconds and bytes of each."""
    from django.db import connection

    name, table = INDEX
    built = {}
    with connection.cursor() as cursor:
        for label, index, method in (("gin", name, "gin (search_vector)"),
                                     ("rum", RUM_INDEX, "rum (search_vector rum_tsvector_ops)")):
            if label == "rum" and not rum:
                continue
            started = time.perf_counter()
            cursor.execute(f'CREATE INDEX "{index}" ON "{table}" USING {method}')
            seconds = time.perf_counter() - started
            cursor.execute("SELECT pg_relation_size(%s)", [index])
            built[label] = (seconds, cursor.fetchone()[0])
        cursor.execute(f'ANALYZE "{table}"')
    return built


def drop_index() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f'DROP INDEX IF EXISTS "{INDEX[0]}"')
        cursor.execute(f'DROP INDEX IF EXISTS "{RUM_INDEX}"')


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


def all_words(claim, limit: int):
    """The candidate query that ORs every word of the claim (before the rare words)."""
    from claims.candidates import claim_candidates

    return claim_candidates(claim, limit, rows=0)


def brute_force(claim, limit: int):
    """The all-words candidate query with index scans off: every row's vector."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        return all_words(claim, limit)


def rum_ranked(claim, limit: int):
    """Every word ORed, ranked by the RUM index's own distance (`<=>`, about 1 / ts_rank)."""
    from django.db.models import BooleanField, FloatField
    from django.db.models.expressions import RawSQL

    from claims.candidates import _search_words
    from claims.models import Claim

    query = " OR ".join(_search_words(claim.bears_on))
    if not query:
        return []
    hit = RawSQL("claims_claim.search_vector @@ websearch_to_tsquery('english', %s)", [query],
                 output_field=BooleanField())
    distance = RawSQL("claims_claim.search_vector <=> websearch_to_tsquery('english', %s)",
                      [query], output_field=FloatField())
    return list(Claim.objects.matchable().exclude(article_id=claim.article_id).filter(hit)
                .annotate(distance=distance).order_by("distance", "id")
                .select_related("article", "claimant")[:limit])


def scoring(claim, candidates) -> list[tuple[float, int]]:
    """Of ``candidates``, those matching would score above zero against ``claim`` (the
    stream-weighted similarity of claims.matching): (score, id), best first."""
    from claims.engine import propositions as engine
    from claims.matching import stream_weights

    terms = engine.terms_of(claim.bears_on)
    others = {c.pk: engine.terms_of(c.bears_on) for c in candidates}
    weights = stream_weights(terms, *others.values())
    scored = sorted(((engine.similarity(terms, t, weights), -pk) for pk, t in others.items()),
                    reverse=True)
    return [(score, -pk) for score, pk in scored if score > 0]


def unmatch(claims) -> None:
    """Take away what matching these claims made: their links and emptied propositions."""
    from claims.models import ClaimLink, Proposition

    ClaimLink.objects.filter(claim__in=claims).delete()
    ClaimLink.objects.filter(target_claim__in=claims).delete()
    Proposition.objects.filter(links__isnull=True).delete()


def found_share(path, reference) -> float:
    """Of the claims in ``reference`` (lists of ids a query), the share ``path`` also finds."""
    wanted = sum(len(ids) for ids in reference)
    return sum(len(set(a) & set(b)) for a, b in zip(path, reference)) / wanted if wanted else 1.0


def measure(size: int, claims, brute_queries: int, rum: bool, profile: bool,
            rows: int) -> dict:
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from claims.candidates import claim_candidates
    from claims.matching import claim_match, claims_match
    from claims.models import ClaimLink

    limit = settings.CLAIMTRACK_MATCH_CANDIDATES
    # Same answers from the index and without it (the order may differ only where ranks tie).
    sample = claims[:brute_queries]
    agree = sum({c.pk for c in all_words(q, limit)} == {c.pk for c in brute_force(q, limit)}
                for q in sample[:10])
    paths = {"all words": all_words,
             "rare words": lambda claim, limit: claim_candidates(claim, limit, rows=rows)}
    if rum:
        paths["rum"] = rum_ranked
    for path in paths.values():
        path(claims[0], limit)  # warm the caches the way a running worker is
    times, found, scored = {}, {}, {}
    for label, path in paths.items():
        found[label] = answers = []
        times[label] = timed(lambda c, path=path, answers=answers: answers.append(
            path(c, limit)), claims)
        scored[label] = [scoring(c, answer) for c, answer in zip(claims, answers)]
        found[label] = [[o.pk for o in answer] for answer in answers]
    # As good a best candidate: one scoring at least as high as the all-words path's best
    # (the same claim, or another the all-words query ranked below its twentieth).
    best = {label: sum(bool(b) and bool(a) and a[0][0] >= b[0][0] - 1e-9
                       for a, b in zip(scores, scored["all words"]))
            for label, scores in scored.items()}
    # --profile: where the time goes (cProfile) and how many queries a match sends.
    profiler = cProfile.Profile() if profile else None
    with CaptureQueriesContext(connection) if profile else contextlib.nullcontext() as queries:
        if profiler:
            profiler.enable()
        match = timed(lambda c: claim_match(claim_id=c.pk), claims)
        if profiler:
            profiler.disable()
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        print(f"{len(queries) / len(claims):.1f} queries a match "
              f"({len(queries)} over {len(claims)} matches)")
    linked = [list(ClaimLink.objects.filter(claim=c, target_claim__isnull=False)
                   .values_list("target_claim_id", flat=True)) for c in claims]
    unmatch(claims)
    batches = [claims[i:i + ARTICLE_BATCH] for i in range(0, len(claims), ARTICLE_BATCH)]
    with CaptureQueriesContext(connection) as batch_queries:
        batched = [seconds / len(batch) for seconds, batch in zip(
            timed(lambda b: claims_match(claim_ids=[c.pk for c in b]), batches), batches)]
    print(f"{len(batch_queries) / len(claims):.1f} queries a claim matched in batches of "
          f"{ARTICLE_BATCH}", flush=True)
    brute = timed(lambda c: brute_force(c, limit), sample)
    return {"size": size, "rows": rows, "times": times, "match": match, "batched": batched,
            "brute": brute,
            "agree": agree,
            "checked": min(10, len(sample)),
            "overlap": {label: found_share(ids, found["all words"])
                        for label, ids in found.items()},
            "linked": {label: found_share(ids, linked) for label, ids in found.items()},
            "scoring": {label: found_share(ids, [[pk for _, pk in ranked]
                                                for ranked in scored["all words"]])
                        for label, ids in found.items()},
            "best": best, "scored": sum(bool(s) for s in scored["all words"]),
            "links": sum(map(len, linked))}


def report(row: dict, built: dict) -> None:
    from django.conf import settings

    print(f"\n== {row['size']:,} stored claims; same all-words candidates as brute force on "
          f"{row['agree']} of {row['checked']} queries; rare words within {row['rows']} "
          f"entries; the match ran with CLAIMTRACK_MATCH_CANDIDATE_ROWS "
          f"{settings.CLAIMTRACK_MATCH_CANDIDATE_ROWS}")
    for label, (seconds, size) in built.items():
        print(f"{label} index built in {seconds:.1f} s, {size / 2**20:.0f} MiB")
    b = row["brute"]
    print(f"{'':14}{'p50 ms':>10}{'p95 ms':>10}{'queries':>9}{'brute/p50':>11}"
          f"{'of all-words':>14}{'of scoring':>12}{'best as good':>14}{'of linked':>11}")
    for label, values in (*row["times"].items(), ("match", row["match"]),
                          ("match batch", row["batched"]), ("brute force", b)):
        extra = ""
        if label in row["overlap"]:
            extra = (f"{row['overlap'][label]:>14.3f}{row['scoring'][label]:>12.3f}"
                     f"{row['best'][label]:>10}/{row['scored']:<3}{row['linked'][label]:>11.3f}")
        print(f"{label:14}{pct(values, 50):>10.1f}{pct(values, 95):>10.1f}{len(values):>9}"
              f"{pct(b, 50) / pct(values, 50):>10.1f}x{extra}")
    print(f"{row['links']} claim links written by the whole match; goal p50 <= 20 ms at 1M: "
          f"rare words {pct(row['times']['rare words'], 50):.1f} ms, whole match "
          f"{pct(row['match'], 50):.1f} ms, in batches {pct(row['batched'], 50):.1f} ms a claim",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", help="stored claims to measure at (default 100000,1000000; "
                        "with --reuse: as kept)")
    parser.add_argument("--keep", action="store_true", help="keep the database (to explore)")
    parser.add_argument("--profile", action="store_true", help="cProfile the whole match")
    parser.add_argument("--no-rum", action="store_true", help="skip the RUM index")
    parser.add_argument("--rows", type=int, default=5000,
                        help="index entries the rare words may hold (claim_candidates rows=)")
    parser.add_argument("--reuse", metavar="NAME",
                        help="measure again in a database kept by --keep (kept again)")
    parser.add_argument("--load-only", action="store_true",
                        help="load and index, measure nothing (with --keep, for --reuse)")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in (args.sizes or "100000,1000000").split(","))

    name = args.reuse or (os.environ.get("BENCH_DB_PREFIX", "claimtrack_bench_matching_")
                          + str(os.getpid()))
    args.keep = args.keep or bool(args.reuse)
    if not args.reuse:
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
        from claims.matching import terms_count
        from claims.models import Claim, Source

        rum = not args.no_rum and rum_available()
        queries = load_queries()
        stored = 0
        if args.reuse:
            # Grown to the largest size asked for, from where the kept database stopped.
            stored = Claim.objects.count()
            sizes = [max(stored, sizes[-1])] if args.sizes else [stored]
            sources = list(Source.objects.filter(name__startswith="Outlet ").order_by("pk"))
        else:
            sources = Source.objects.bulk_create(
                [Source(name=f"Outlet {i}", domain=f"outlet{i}.example") for i in range(SOURCES)])
        records = itertools.islice(generate(sizes[-1]), stored, None)
        for size in sizes:
            built = {}
            if size > stored:
                drop_index()
                started = time.perf_counter()
                load(records, stored, size - stored, sources)
                print(f"-- loaded {size - stored:,} claims in "
                      f"{time.perf_counter() - started:.0f} s", flush=True)
                stored = size
                built = build_index(rum)
            if args.load_only:
                continue
            claims = query_claims(queries)
            row = measure(size, claims, brute_queries=50 if size <= 100_000 else 10, rum=rum,
                          profile=args.profile, rows=args.rows)
            report(row, built)
            # The next size (or run) starts from the stored claims only.
            terms_count(claims=claims, sign=-1)
            unmatch(claims)
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
