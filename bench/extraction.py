"""Extraction throughput on real news text, as a ratio to plain tokenisation of the same text.

Run: `make bench` (or `.venv/bin/python bench/extraction.py`). Reads the PolNeAR articles from
../shared/data/attribution/dev.jsonl and the demo corpus; prints words/s for tokenisation (the
baseline), extract_claims and analyse (extraction plus check-worthiness, what the workers run),
the ratios, and the peak memory of a process set up like a worker (Django, Celery, the model).
"""

from __future__ import annotations

import json
import platform
import re
import resource
import statistics
import subprocess
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


WORKER_SCRIPT = """
import json, resource, sys, django
django.setup()
from config.celery import app
from claims import engine, tasks
for path in sys.argv[1:]:
    for line in open(path, encoding="utf-8"):
        if line.strip():
            engine.analyse(json.loads(line)["text"])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def worker_peak_mb() -> float:
    """Peak RSS (MiB) of a fresh process that loads what a worker loads and analyses the corpus."""
    paths = [str(p) for p in (DATA, DEMO) if p.is_file()]
    result = subprocess.run(
        [sys.executable, "-c", WORKER_SCRIPT, *paths], cwd=ROOT, capture_output=True, text=True,
        env={"DJANGO_SETTINGS_MODULE": "config.settings", "PATH": "/usr/bin:/bin"}, check=True,
    )
    return int(result.stdout.strip().splitlines()[-1]) / 1024


def main() -> None:
    texts = load_texts()
    words = sum(len(text.split()) for text in texts)
    baseline_best, baseline_median = best_seconds(WORD.findall, texts)
    extract_best, extract_median = best_seconds(engine.extract_claims, texts)
    engine.analyse(texts[0])  # load the check-worthiness model outside the timing
    analyse_best, analyse_median = best_seconds(engine.analyse, texts)
    claims = sum(len(engine.extract_claims(t)) for t in texts)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker_mb = worker_peak_mb()
    print(f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"engine {engine.ENGINE_VERSION}")
    print(f"corpus: {len(texts)} articles, {words:,} words, {claims:,} claims extracted")
    print(f"tokenisation (baseline): {words / baseline_best:,.0f} words/s "
          f"(best of {REPEATS}; median {words / baseline_median:,.0f})")
    print(f"extract_claims:          {words / extract_best:,.0f} words/s "
          f"(best of {REPEATS}; median {words / extract_median:,.0f})")
    print(f"analyse (+check-worthiness): {words / analyse_best:,.0f} words/s "
          f"(best of {REPEATS}; median {words / analyse_median:,.0f})")
    print(f"ratio extract_claims/tokenisation: {baseline_best / extract_best:.3f}")
    print(f"ratio analyse/tokenisation: {baseline_best / analyse_best:.3f}")
    print(f"peak RSS of this benchmark process: {peak_mb:,.0f} MiB")
    print(f"peak RSS of a worker-like process (Django + Celery + model, corpus analysed): "
          f"{worker_mb:,.0f} MiB")


if __name__ == "__main__":
    main()
