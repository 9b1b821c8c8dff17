from __future__ import annotations

import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from claims.engine import dense as dense_path
from claims.engine import retrieval

RUN_DEPTH = 5  # the data README's run format: 5 lines a query


def read_vclaims(path: Path) -> list[dict]:
    records = []
    try:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise CommandError(f"{path}:{number}: not a JSON object ({exc.msg}).") from None
                if not isinstance(record, dict):
                    raise CommandError(f"{path}:{number}: not a JSON object.")
                try:
                    retrieval.record_id(record)
                except ValueError:
                    raise CommandError(f"{path}:{number}: no vclaim_id (or id).") from None
                records.append(record)
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"Cannot read {path}: {exc}") from None
    if not records:
        raise CommandError(f"{path}: no records.")
    return records


def read_queries(path: Path) -> list[tuple[str, str]]:
    queries = []
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            for number, line in enumerate(handle, start=1):
                line = line.rstrip("\r\n")
                if not line.strip():
                    continue
                query_id, tab, text = line.partition("\t")
                if not tab or not query_id.strip():
                    raise CommandError(
                        f"{path}:{number}: expected two tab-separated columns query_id, text.")
                if number == 1 and query_id.strip().lower() in ("query_id", "qid", "id"):
                    continue  # a header line
                queries.append((query_id.strip(), text))
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"Cannot read {path}: {exc}") from None
    return queries


def read_qrels(path: Path) -> dict[str, set[str]]:
    """TREC qrels ``query_id 0 vclaim_id relevance`` -> query id -> relevant record ids."""
    qrels: dict[str, set[str]] = {}
    try:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                parts = line.split()
                if not parts:
                    continue
                if len(parts) != 4:
                    raise CommandError(
                        f"{path}:{number}: expected 4 columns query_id 0 vclaim_id relevance.")
                try:
                    relevant = int(parts[3]) > 0
                except ValueError:
                    raise CommandError(f"{path}:{number}: relevance is not a number.") from None
                entry = qrels.setdefault(parts[0], set())
                if relevant:
                    entry.add(parts[2])
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"Cannot read {path}: {exc}") from None
    return qrels


class Command(BaseCommand):
    help = (
        "Rank verified claims for each query: reads fact-check records (JSONL with vclaim_id "
        "and text fields such as vclaim, title, subtitle, speaker) and queries (TSV "
        "query_id<TAB>text) and writes a TREC run, 5 lines a query: "
        "query_id Q0 vclaim_id rank score tag. With --qrels, prints MAP@5."
    )

    def add_arguments(self, parser):
        parser.add_argument("--vclaims", type=Path, required=True)
        parser.add_argument("--queries", type=Path, required=True)
        parser.add_argument("--output", type=Path, required=True)
        parser.add_argument("--qrels", type=Path, help="TREC qrels: print MAP@5 of the run")
        parser.add_argument("--tag", default=None,
                            help="run tag (default claimtrack-bm25f, or claimtrack-hybrid with "
                                 "--dense)")
        parser.add_argument(
            "--dense", type=float, nargs="?", const=dense_path.DENSE_WEIGHT, default=None,
            metavar="WEIGHT",
            help="hybrid: fuse BM25F with sentence-embedding cosine (needs the 'dense' extra); "
                 "WEIGHT 0..1 is the dense share of the normalised scores, default "
                 f"{dense_path.DENSE_WEIGHT:g} (chosen on train); 1 = dense only")
        parser.add_argument("--dense-cache", type=Path, metavar="DIR",
                            help="with --dense: keep the encoded vclaims in DIR as .npy, keyed "
                                 "by a hash of the vclaims file")

    def handle(self, *args, vclaims: Path, queries: Path, output: Path, qrels: Path | None,
               tag: str | None, dense: float | None = None, dense_cache: Path | None = None,
               **options):
        if dense is not None and not 0.0 <= dense <= 1.0:
            raise CommandError(f"--dense weight must be within 0..1, not {dense:g}.")
        if dense_cache is not None and dense is None:
            raise CommandError("--dense-cache needs --dense.")
        if tag is None:
            tag = "claimtrack-bm25f" if dense is None else "claimtrack-hybrid"
        records = read_vclaims(vclaims)
        fields = retrieval.detect_fields(records)
        if not fields:
            raise CommandError(
                f"{vclaims}: no text field in any record (looked for "
                f"{', '.join(retrieval.TEXT_FIELDS)}).")
        query_rows = read_queries(queries)
        gold = read_qrels(qrels) if qrels else None

        started = time.perf_counter()
        index = retrieval.Index.build(records, fields)
        built = time.perf_counter() - started
        dense_index = vectors = None
        dense_note = ""
        if dense is not None:
            started = time.perf_counter()
            try:
                encoder = dense_path.load_encoder()
            except dense_path.DenseUnavailable as exc:
                raise CommandError(str(exc)) from None
            dense_index = dense_path.DenseIndex.build(records, encoder, cache_dir=dense_cache,
                                                      source=vclaims)
            encoded = time.perf_counter() - started
            started = time.perf_counter()
            vectors = dense_index.query_vectors([text for _, text in query_rows])
            dense_note = (f"; dense weight {dense:g}, vclaims "
                          f"{'from cache' if dense_index.encoded_from_cache else 'encoded'} "
                          f"{encoded:.1f} s, queries encoded {time.perf_counter() - started:.1f} s")
        run: dict[str, list[str]] = {}
        lines = []
        started = time.perf_counter()
        for number, (query_id, text) in enumerate(query_rows):
            if dense_index is None:
                ranked = index.search(text, RUN_DEPTH)
            else:
                ranked = dense_path.hybrid_search(index, dense_index, text, RUN_DEPTH,
                                                  weight=dense, vector=vectors[number])
            if len(ranked) < RUN_DEPTH:
                # A query sharing no term with enough records still gets its 5 lines.
                seen = {rid for rid, _ in ranked}
                for rid in index.ids:
                    if len(ranked) >= RUN_DEPTH:
                        break
                    if rid not in seen:
                        ranked.append((rid, 0.0))
                        seen.add(rid)
            run[query_id] = [rid for rid, _ in ranked]
            for rank, (rid, score) in enumerate(ranked, start=1):
                lines.append(f"{query_id}\tQ0\t{rid}\t{rank}\t{score:.6f}\t{tag}\n")
        searched = time.perf_counter() - started
        try:
            with output.open("w", encoding="utf-8") as handle:
                handle.writelines(lines)
        except OSError as exc:
            raise CommandError(f"Cannot write {output}: {exc}") from None
        field_list = ", ".join(f"{f} {w:g}" for f, w in fields.items())
        self.stdout.write(
            f"Ranked {len(records)} records ({field_list}) for {len(query_rows)} queries into "
            f"{output} (index {built:.1f} s, search {searched:.1f} s{dense_note}).")
        if gold is not None:
            asked = {query_id for query_id, _ in query_rows}
            judged = {q: rel for q, rel in gold.items() if q in asked and rel}
            if not judged:
                raise CommandError(f"{qrels}: no relevant record for any query of {queries}.")
            score = retrieval.mean_average_precision(run, judged, k=RUN_DEPTH)
            self.stdout.write(f"MAP@5 {score:.4f} over {len(judged)} queries")
