"""Linking and combination strategies on top of a trained CRF (no retraining).

  python hybrid.py heldout MODEL [--engine]   compare strategies on the 20% held-out slice
  python hybrid.py dev MODEL [--engine] STRATEGY   score one strategy on dev, write preds

Strategies (content spans from the CRF unless said otherwise; speaker linking):
  nearest          nearest predicted SRC in the sentence, else the latest SRC before (baseline)
  engine_speaker   the speaker of the engine claim that overlaps the span most, else nearest
  union            engine claims + CRF spans (engine_speaker linking) that overlap no engine claim
  crf_then_engine  CRF spans (engine_speaker) + engine claims that overlap no CRF span
  union_strict     as union, but a CRF span is added only when its sentence has a predicted SRC
                   (no fall-back to an earlier sentence's source)
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parents[1]
DATA_DIR = PROJECT.parent / "shared" / "data" / "attribution"

import sys
import time

from common import DEV, TRAIN, engine_claims, fmt, load, overlap, score, split_train, write_preds
from crf_attr import Extractor


def combine(text, crf_claims, eng, strategy):
    eng_att = [c for c in eng if c["speaker"]]
    out = []
    for c in crf_claims:
        c = dict(c)
        if strategy != "nearest":
            best = max(eng_att, key=lambda e: overlap(e, c), default=None)
            if best is not None and overlap(best, c) > 0:
                c["speaker"] = best["speaker"]
                c["cue"] = best["cue"]
        out.append(c)
    if strategy == "union":
        out = eng_att + [c for c in out if not any(overlap(c, e) > 0 for e in eng_att)]
    elif strategy == "crf_then_engine":
        out = out + [e for e in eng_att if not any(overlap(e, c) > 0 for c in out)]
    return out


STRATEGIES = ("nearest", "engine_speaker", "union", "crf_then_engine", "union_strict")


def main():
    which, model = sys.argv[1], sys.argv[2]
    use_engine = "--engine" in sys.argv
    ex = Extractor(model, engine=use_engine)
    exs = Extractor(model, engine=use_engine, link="strict")
    docs = split_train(load(TRAIN))[1] if which == "heldout" else load(DEV)
    strategies = STRATEGIES if which == "heldout" else [a for a in sys.argv[3:] if not a.startswith("--")]
    t0 = time.perf_counter()
    cached = {d["id"]: (ex.extract(d["text"]), engine_claims(d["text"])) for d in docs}
    strict = {d["id"]: exs.extract(d["text"]) for d in docs}
    dt = time.perf_counter() - t0
    words = sum(len(d["text"].split()) for d in docs)
    print(f"{which}: CRF+engine extraction {words / dt:.0f} words/s")
    for st in strategies:
        if st == "union_strict":
            preds = {d["id"]: combine(d["text"], strict[d["id"]], cached[d["id"]][1], "union")
                     for d in docs}
        else:
            preds = {d["id"]: combine(d["text"], *cached[d["id"]], st) for d in docs}
        print(f"{which} {model.split('/')[-1]} {st}: {fmt(score(docs, preds))}")
        if which == "dev":
            write_preds(f"{HERE}/preds/hybrid_{st}_dev.jsonl", docs, preds)


if __name__ == "__main__":
    main()
