"""Calibrate the "previously fact-checked" threshold (CLAIMTRACK_MATCH_FACTCHECK_MIN).

For each query of a CheckThat! retrieval split, the fact-checks the product would consider
(the top candidates of the in-process lexical index over the claim reviewed, as
``claims.candidates.factcheck_candidates`` builds it on SQLite) are scored with the product's
own similarity (``claims.matching.claim_vector`` / ``cosine``) and shared-term count, and each
pair is labelled by the qrels. The table says, for each threshold, how often "suggest if
similarity >= t and shared >= 3" would be right (precision, over suggested pairs) and how many
queries would get their fact-check suggested (recall, over judged queries).

Choose on train; dev is for reporting the chosen threshold once. Nothing is written to the
database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from claims.engine import retrieval
from claims.engine.retrieval_text import strip_social
from claims.errors import InvalidFactCheck
from claims.evaluation import atomic_output
from claims.factchecks import record_from_vclaim
from claims.management.commands.eval_retrieval import read_qrels, read_queries, read_vclaims
from claims.matching import claim_vector, cosine

DATASETS = ("snopes", "politifact")
# As in claims/matching.py: a fact-check link needs this many shared terms besides the score.
MIN_SHARED_TERMS = 3
THRESHOLDS = tuple(round(0.30 + 0.05 * i, 2) for i in range(14))  # 0.30 .. 0.95
# A wrong "previously fact-checked" suggestion costs an editor more than a missed one.
BETA = 0.5


@dataclass(frozen=True)
class Pair:
    """One (query, candidate fact-check) pair as the product would score it."""

    query_id: str
    vclaim_id: str
    similarity: float
    shared: int
    relevant: bool

    def suggested(self, threshold: float) -> bool:
        return self.similarity >= threshold and self.shared >= MIN_SHARED_TERMS


@dataclass
class DatasetPairs:
    judged: int  # queries with at least one relevant fact-check in the qrels
    gold_in_candidates: int  # of those, queries whose fact-check is among the candidates
    pairs: list[Pair]


def claims_reviewed(records: list[dict]) -> dict[str, str]:
    """vclaim id -> the text the importer stores as ``FactCheck.claim_reviewed``."""
    reviewed = {}
    for record in records:
        try:
            reviewed[retrieval.record_id(record)] = record_from_vclaim(record).claim_reviewed
        except InvalidFactCheck:
            continue  # the importer refuses it, so the product never sees it
    return reviewed


def score_pairs(reviewed: dict[str, str], queries: list[tuple[str, str]],
                gold: dict[str, set[str]], depth: int) -> DatasetPairs:
    # The same index as the product's SQLite candidates: one field, the claim reviewed.
    index = retrieval.Index.build(({"id": rid, "text": text} for rid, text in reviewed.items()),
                                  {"text": 1.0})
    vectors: dict[str, object] = {}
    pairs = []
    judged = found = 0
    for query_id, text in queries:
        relevant = gold.get(query_id)
        if not relevant:
            continue  # unjudged: neither right nor wrong
        judged += 1
        # Queries are tweets and debate lines; the product compares an extracted claim, which
        # never carries links or a tweet's trailer (nor its author, which the index would
        # otherwise read as the claimant), so that furniture is removed first, for both steps.
        text = strip_social(text)
        content = claim_vector(text)
        candidates = [rid for rid, _ in index.search(text, depth)]
        found += bool(relevant.intersection(candidates))
        for rid in candidates:
            checked = vectors.get(rid)
            if checked is None:
                checked = vectors[rid] = claim_vector(reviewed[rid])
            pairs.append(Pair(query_id, rid, cosine(content, checked),
                              len(content.keys() & checked.keys()), rid in relevant))
    return DatasetPairs(judged, found, pairs)


def f_beta(precision: float, recall: float, beta: float) -> float:
    b2 = beta * beta
    denominator = b2 * precision + recall
    return (1 + b2) * precision * recall / denominator if denominator else 0.0


def threshold_table(pairs: list[Pair], judged: int,
                    thresholds=THRESHOLDS) -> list[dict]:
    """One row a threshold: suggested and correct pairs, precision, recall, F1, F0.5.

    Precision is over suggested pairs (no suggestion at all: precision 0); recall is the share
    of judged queries with a relevant fact-check among their suggestions.
    """
    rows = []
    for threshold in thresholds:
        suggested = [p for p in pairs if p.suggested(threshold)]
        correct = sum(p.relevant for p in suggested)
        found = len({p.query_id for p in suggested if p.relevant})
        precision = correct / len(suggested) if suggested else 0.0
        recall = found / judged if judged else 0.0
        rows.append({"threshold": threshold, "suggested": len(suggested), "correct": correct,
                     "queries_found": found, "precision": precision, "recall": recall,
                     "f1": f_beta(precision, recall, 1.0),
                     "f0_5": f_beta(precision, recall, BETA)})
    return rows


def best_row(rows: list[dict]) -> dict:
    """The row with the best F0.5; on a tie, the higher threshold (fewer wrong suggestions)."""
    return max(rows, key=lambda row: (row["f0_5"], row["threshold"]))


class Command(BaseCommand):
    help = (
        "Calibrate the fact-check suggestion threshold: for each query of a CheckThat! "
        "retrieval split, score the top lexical candidates with the product's similarity and "
        "print precision, recall, F1 and F0.5 of 'similarity >= t and >= 3 shared terms' per "
        "dataset and pooled, and the threshold with the best pooled F0.5. Writes nothing to "
        "the database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--data", type=Path,
                            default=settings.BASE_DIR.parent / "shared" / "data" / "retrieval",
                            help="folder with snopes/ and politifact/ (default "
                                 "../shared/data/retrieval)")
        parser.add_argument("--split", default="train",
                            help="reads queries-SPLIT.tsv and qrels-SPLIT.tsv (default train; "
                                 "choose on train, report dev once)")
        parser.add_argument("--datasets", nargs="+", default=list(DATASETS), metavar="NAME",
                            help=f"subfolders of --data (default {' '.join(DATASETS)})")
        parser.add_argument("--candidates", type=int,
                            default=settings.CLAIMTRACK_MATCH_CANDIDATES,
                            help="candidates a query (default CLAIMTRACK_MATCH_CANDIDATES, "
                                 f"{settings.CLAIMTRACK_MATCH_CANDIDATES})")
        parser.add_argument("--output", type=Path, help="also write the tables as JSON")

    def handle(self, *args, data: Path, split: str, datasets: list[str], candidates: int,
               output: Path | None, **options):
        if candidates < 1:
            raise CommandError(f"--candidates must be 1 or more, not {candidates}.")
        tables = {}
        pooled_pairs: list[Pair] = []
        pooled_judged = 0
        for name in datasets:
            folder = data / name
            paths = [folder / "vclaims.jsonl", folder / f"queries-{split}.tsv",
                     folder / f"qrels-{split}.tsv"]
            missing = [str(p) for p in paths if not p.is_file()]
            if missing:
                raise CommandError(f"Missing file(s): {', '.join(missing)}")
            reviewed = claims_reviewed(read_vclaims(paths[0]))
            scored = score_pairs(reviewed, read_queries(paths[1]), read_qrels(paths[2]),
                                 candidates)
            if not scored.judged:
                raise CommandError(f"{paths[2]}: no relevant record for any query of {paths[1]}.")
            rows = threshold_table(scored.pairs, scored.judged)
            tables[name] = {"queries": scored.judged,
                            "gold_in_candidates": scored.gold_in_candidates,
                            "pairs": len(scored.pairs), "rows": rows}
            pooled_pairs.extend(scored.pairs)
            pooled_judged += scored.judged
            self._print_table(f"{name} {split}", tables[name])
        pooled = {"queries": pooled_judged,
                  "gold_in_candidates": sum(t["gold_in_candidates"] for t in tables.values()),
                  "pairs": len(pooled_pairs),
                  "rows": threshold_table(pooled_pairs, pooled_judged)}
        self._print_table(f"pooled {split}", pooled)
        best = best_row(pooled["rows"])
        self.stdout.write(
            f"Best F0.5 pooled over {', '.join(datasets)} ({split}): threshold "
            f"{best['threshold']:.2f} (precision {best['precision']:.3f}, recall "
            f"{best['recall']:.3f}, F1 {best['f1']:.3f}, F0.5 {best['f0_5']:.3f})"
            + ("" if split == "train" else "; for reporting only: choose on train"))
        if output is not None:
            report = {"split": split, "candidates": candidates, "min_shared": MIN_SHARED_TERMS,
                      "beta": BETA, "datasets": tables, "pooled": pooled,
                      "best_threshold": best["threshold"]}
            try:
                with atomic_output(output) as handle:
                    json.dump(report, handle, indent=1)
                    handle.write("\n")
            except OSError as exc:
                raise CommandError(f"Cannot write {output}: {exc}") from None
            self.stdout.write(f"Wrote {output}")

    def _print_table(self, title: str, table: dict) -> None:
        self.stdout.write(
            f"{title}: {table['queries']} judged queries, fact-check among the top candidates "
            f"for {table['gold_in_candidates']}, {table['pairs']} pairs")
        self.stdout.write("  t     suggested correct  precision recall  F1     F0.5")
        for row in table["rows"]:
            self.stdout.write(
                f"  {row['threshold']:.2f}  {row['suggested']:9d} {row['correct']:7d}  "
                f"{row['precision']:.3f}     {row['recall']:.3f}   {row['f1']:.3f}  "
                f"{row['f0_5']:.3f}")
