"""Candidates ranked by the stream's weights instead of ``ts_rank`` (issue 17): measured, not
adopted (docs/quality.md "Candidates by the stream's weights", docs/benchmarks.md).

The product's PostgreSQL candidates OR every word of a claim over the GIN index and rank the
rows by ``ts_rank``, which weighs a common word as much as a rare one, so the rows ranked grow
with the table. This path, outside the product:

- keeps only the claim's *essential* words in the filter: the lightest words (by the stream's
  inverse document frequency, ``TermStat``; stance, reporting and stop words weigh 0) are left
  out while the terms only they hold weigh less than ``--share`` of the claim's weighted
  vector, so a claim sharing nothing else has a pairwise cosine below ``--share``;
- ranks the rows holding one of them by ``--rank``: ``dot`` (sum of the shared words' weights
  squared: the scorer's dot product), ``idf`` (sum of the weights), ``cosine`` (dot over the
  square root of the row's lexemes) or ``ts_rank`` over every word, as the product does.

Run from the repository root with ``DATABASE_URL`` at a PostgreSQL database of one's own:

    python research/matching/candidate_ranking.py eval --rank dot --share 0.2 --output OUT.csv
    python3 ../shared/data/score.py propositions ../shared/data/stance/dev.csv OUT.csv
    python research/matching/candidate_ranking.py moved OUT.csv OTHER.csv  # claims regrouped
    python research/matching/candidate_ranking.py time --share 0.2   # in a kept bench database
      (DATABASE_URL at one kept by `bench/matching.py --keep --load-only`)

``eval`` is the product's ``eval_propositions`` on propositions/dev.csv with this path patched
in; ``time`` matches nothing: it times the candidate query alone for bench/matching.py's 200
real queries, and compares each path's candidates with the product's as bench/matching.py does.
"""
import argparse
import csv
import os
import statistics
import sys
import time

sys.path.insert(0, ".")
sys.path.insert(0, "bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django; django.setup()  # noqa: E702, I001 (a script: settings before imports)
from django.core.management import call_command
from django.db.models import BooleanField, FloatField
from django.db.models.expressions import RawSQL

from claims import candidates as product
from claims import matching
from claims.engine import propositions as engine
from claims.models import Claim

WORD_QUERY = product._WORD_QUERY


def word_weights(words):
    """Each word's terms and weight: the stream weight of its heaviest term, 0 without one."""
    terms = {word: tuple(engine.terms_of(word)) for word in words}
    weights = matching.stream_weights(*terms.values())
    return {word: (found, max((weights(t) for t in found), default=0.0))
            for word, found in terms.items()}


def essential_words(weighed, share):
    """The words a candidate must hold one of to reach a pairwise cosine of ``share``."""
    term_weight = {t: w for found, w in weighed.values() for t in found}
    total = sum(w * w for w in term_weight.values())
    left, covered, dropped = set(), set(), 0.0
    for word, (found, weight) in sorted(weighed.items(), key=lambda i: (i[1][1], i[0])):
        extra = sum(term_weight[t] ** 2 for t in found if t not in covered)
        if weight and dropped + extra >= share * share * total:
            break
        left.add(word)
        covered.update(found)
        dropped += extra
    return [w for w, (_, weight) in weighed.items() if w not in left and weight]


def weighted_candidates(claim, limit, *, share, rank):
    others = Claim.objects.matchable().exclude(article_id=claim.article_id)
    words = product._search_words(claim.bears_on)
    weighed = word_weights(words)
    essential = essential_words(weighed, share)
    if not essential:
        return []
    if rank == "ts_rank":
        return product._ranked(others, product._any_of(essential), " OR ".join(words), limit)
    hit = RawSQL(f"claims_claim.search_vector @@ {WORD_QUERY}", [" OR ".join(essential)],
                 output_field=BooleanField())
    scoring = [(w, weight) for w, (_, weight) in weighed.items() if weight]
    sql = " + ".join(f"(CASE WHEN claims_claim.search_vector @@ {WORD_QUERY} THEN %s ELSE 0 END)"
                     for _ in scoring)
    params = [v for w, weight in scoring for v in (w, weight if rank == "idf" else weight ** 2)]
    if rank == "cosine":
        sql = f"({sql}) / sqrt(greatest(length(claims_claim.search_vector), 1))"
    ids = list(others.filter(hit).annotate(rank=RawSQL(f"({sql})", params,
                                                       output_field=FloatField()))
               .order_by("-rank", "id").values_list("pk", flat=True)[:limit])
    return product._fetched(ids)


def evaluate(args):
    matching.claim_candidates = lambda claim, limit: weighted_candidates(
        claim, limit, share=args.share, rank=args.rank)
    call_command("eval_propositions", "--input", args.input, "--output", args.output)


def moved(args):
    """Claims whose group (the other claims in their proposition) differs between two runs."""
    def groups(path):
        with open(path, encoding="utf-8") as handle:
            rows = {row["id"]: row["proposition"] for row in csv.DictReader(handle)}
        members = {}
        for claim, proposition in rows.items():
            members.setdefault(proposition, set()).add(claim)
        return {claim: members[proposition] for claim, proposition in rows.items()}

    a, b = groups(args.a), groups(args.b)
    print(f"{sum(a[claim] != b.get(claim) for claim in a)} of {len(a)} claims in another group")


def timing(args):
    from matching import found_share, load_queries, query_claims, scoring  # bench/matching.py

    claims = query_claims(load_queries())
    paths = {"product (every word, ts_rank)": lambda c, k: product.claim_candidates(c, k, rows=0)}
    for rank in args.ranks.split(","):
        paths[f"essential {args.share}, {rank}"] = (
            lambda c, k, rank=rank: weighted_candidates(c, k, share=args.share, rank=rank))
    try:
        reference = None
        print(f"{'path':34}{'p50 ms':>8}{'p95 ms':>8}{'of scoring':>12}{'best as good':>14}")
        for label, path in paths.items():
            path(claims[0], 20)  # caches warm, as in a running worker
            times, answers = [], []
            for claim in claims:
                started = time.perf_counter()
                answers.append(path(claim, 20))
                times.append((time.perf_counter() - started) * 1000)
            scored = [scoring(c, a) for c, a in zip(claims, answers)]
            if reference is None:
                reference = scored
            share = found_share([[o.pk for o in a] for a in answers],
                                [[pk for _, pk in s] for s in reference])
            best = sum(bool(s) and bool(r) and s[0][0] >= r[0][0] - 1e-9
                       for s, r in zip(scored, reference))
            print(f"{label:34}{statistics.median(times):8.1f}"
                  f"{statistics.quantiles(times, n=20)[18]:8.1f}"
                  f"{share:12.3f}"
                  f"{best:>9}/{sum(map(bool, reference))}", flush=True)
    finally:
        matching.terms_count(claims=claims, sign=-1)
        Claim.objects.filter(pk__in=[c.pk for c in claims]).delete()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ev = sub.add_parser("eval")
    ev.add_argument("--rank", choices=("dot", "idf", "cosine", "ts_rank"), default="dot")
    ev.add_argument("--share", type=float, default=engine.JOIN_MIN)
    ev.add_argument("--input", default="../shared/data/propositions/dev.csv")
    ev.add_argument("--output", required=True)
    tm = sub.add_parser("time")
    tm.add_argument("--share", type=float, default=engine.JOIN_MIN)
    tm.add_argument("--ranks", default="ts_rank,dot,cosine", help="rankings to time, by comma")
    mv = sub.add_parser("moved")
    mv.add_argument("a")
    mv.add_argument("b")
    args = parser.parse_args()
    {"eval": evaluate, "time": timing, "moved": moved}[args.command](args)
