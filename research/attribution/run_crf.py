"""Train and evaluate the CRF tagger.

  python run_crf.py heldout [--engine] [--c1 X] [--c2 X] [--iters N] [--link nearest|strict]
      train on 80% of train.jsonl, score on the fixed 20% held-out slice (all choices made here)
  python run_crf.py final [--engine] ...
      train on all of train.jsonl, save models/crf[_engine].crfsuite, score dev, write
      preds/crf[_engine]_dev.jsonl and report extraction speed (one core)
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parents[1]
DATA_DIR = PROJECT.parent / "shared" / "data" / "attribution"

import argparse
import os
import time

from common import DEV, TRAIN, fmt, load, score, split_train, write_preds
from crf_attr import Extractor, train


def evaluate(model, docs, engine, link):
    ex = Extractor(model, engine=engine, link=link)
    t0 = time.perf_counter()
    preds = {d["id"]: ex.extract(d["text"]) for d in docs}
    dt = time.perf_counter() - t0
    words = sum(len(d["text"].split()) for d in docs)
    return preds, words / dt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["heldout", "final"])
    ap.add_argument("--engine", action="store_true")
    ap.add_argument("--c1", type=float, default=0.05)
    ap.add_argument("--c2", type=float, default=0.01)
    ap.add_argument("--iters", type=int, default=150)
    ap.add_argument("--minfreq", type=int, default=2)
    ap.add_argument("--link", default="nearest")
    args = ap.parse_args()
    os.makedirs(str(HERE) + "/models", exist_ok=True)
    os.makedirs(str(HERE) + "/preds", exist_ok=True)
    tag = "crf_engine" if args.engine else "crf"
    train_docs = load(TRAIN)
    if args.mode == "heldout":
        fit, held = split_train(train_docs)
        model = f"{HERE}/models/{tag}_heldout_c1{args.c1}_c2{args.c2}_i{args.iters}.crfsuite"
        tm = train(fit, model, engine=args.engine, c1=args.c1, c2=args.c2, max_iter=args.iters,
                   minfreq=args.minfreq)
        preds, wps = evaluate(model, held, args.engine, args.link)
        print(f"{tag} heldout c1={args.c1} c2={args.c2} iters={args.iters} link={args.link}: "
              f"{fmt(score(held, preds))}")
    else:
        model = f"{HERE}/models/{tag}.crfsuite"
        tm = train(train_docs, model, engine=args.engine, c1=args.c1, c2=args.c2,
                   max_iter=args.iters, minfreq=args.minfreq)
        dev = load(DEV)
        preds, wps = evaluate(model, dev, args.engine, args.link)
        write_preds(f"{HERE}/preds/{tag}_dev.jsonl", dev, preds)
        print(f"{tag} DEV c1={args.c1} c2={args.c2} iters={args.iters}: {fmt(score(dev, preds))}")
    print(f"featurize {tm['featurize_s']:.0f}s train {tm['train_s']:.0f}s; model "
          f"{os.path.getsize(model) / 1e6:.2f} MB; extraction {wps:.0f} words/s")


if __name__ == "__main__":
    main()
