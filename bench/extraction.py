"""Extraction throughput on real news text, as a ratio to plain tokenisation of the same text.

Run: `make bench` (or `.venv/bin/python bench/extraction.py`). Reads the PolNeAR articles from
../shared/data/attribution/dev.jsonl and the demo corpus; prints words/s for each path, the
ratio, and the peak memory of this process.
"""

from __future__ import annotations

import json
import platform
import re
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from claims import engine  # noqa: E402  (pure Python: no Django set-up needed)

DATA = ROOT.parent / "shared" / "data" / "attribution" / "dev.jsonl"
DEMO = ROOT / "demo" / "corpus" / "ukraine-week-2022-01.jsonl"
WORD = re.compile(r"\w+|[^\w\s]")
REPEATS = 5


def load_texts() -> list[str]:
    texts = []
    for path in (DATA, DEMO):
        if path.is_file():
            texts += [json.loads(line)["text"] for line in path.open(encoding="utf-8") if line.strip()]
    if not texts:
        raise SystemExit(f"No texts found at {DATA} or {DEMO}")
    return texts


def best_seconds(work, texts) -> float:
    runs = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        for text in texts:
            work(text)
        runs.append(time.perf_counter() - started)
    return min(runs), statistics.median(runs)


def main() -> None:
    texts = load_texts()
    words = sum(len(text.split()) for text in texts)
    baseline_best, baseline_median = best_seconds(WORD.findall, texts)
    extract_best, extract_median = best_seconds(engine.extract_claims, texts)
    claims = sum(len(engine.extract_claims(t)) for t in texts)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"engine {engine.ENGINE_VERSION}")
    print(f"corpus: {len(texts)} articles, {words:,} words, {claims:,} claims extracted")
    print(f"tokenisation (baseline): {words / baseline_best:,.0f} words/s "
          f"(best of {REPEATS}; median {words / baseline_median:,.0f})")
    print(f"extract_claims:          {words / extract_best:,.0f} words/s "
          f"(best of {REPEATS}; median {words / extract_median:,.0f})")
    print(f"ratio extraction/tokenisation: {baseline_best / extract_best:.3f}")
    print(f"peak RSS of this process: {peak_mb:,.0f} MiB")


if __name__ == "__main__":
    main()
