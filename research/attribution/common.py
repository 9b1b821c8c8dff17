"""Shared helpers for the attribution lab: data, splits, scoring (same logic as
../shared/data/score.py `attribution`), engine predictions."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parents[1]
DATA_DIR = PROJECT.parent / "shared" / "data" / "attribution"

import json
import random
import sys

sys.path.insert(0, str(PROJECT))

DATA = str(DATA_DIR)
TRAIN = f"{DATA}/train.jsonl"
DEV = f"{DATA}/dev.jsonl"


def load(path):
    return [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]


def split_train(docs, held_frac=0.2, seed=13):
    """Fixed held-out slice of train (by article), used for all tuning choices."""
    ids = sorted(d["id"] for d in docs)
    random.Random(seed).shuffle(ids)
    held = set(ids[: int(len(ids) * held_frac)])
    return [d for d in docs if d["id"] not in held], [d for d in docs if d["id"] in held]


def folds(docs, k=5, seed=13):
    ids = sorted(d["id"] for d in docs)
    random.Random(seed).shuffle(ids)
    for i in range(k):
        test = set(ids[i::k])
        yield [d for d in docs if d["id"] not in test], [d for d in docs if d["id"] in test]


def overlap(a, b):
    inter = max(0, min(a["end"], b["end"]) - max(a["start"], b["start"]))
    union = max(a["end"], b["end"]) - min(a["start"], b["start"])
    return inter / union if union else 0.0


def touches(a, b):
    return a is not None and b is not None and min(a["end"], b["end"]) > max(a["start"], b["start"])


def score(gold_docs, preds, threshold=0.5):
    """preds: {id: [claim dicts]} — identical arithmetic to score.py attribution."""
    n_gold = n_pred = matched_gold = matched_pred = src_total = src_ok = 0
    for g in gold_docs:
        golds = g["attributions"]
        ps = [c for c in preds.get(g["id"], []) if c.get("speaker")]
        n_gold += len(golds)
        n_pred += len(ps)
        used = set()
        for c in ps:
            best, best_i = 0.0, None
            for i, a in enumerate(golds):
                o = overlap(c, a["content"])
                if o > best:
                    best, best_i = o, i
            if best >= threshold:
                matched_pred += 1
                if best_i not in used:
                    used.add(best_i)
                    a = golds[best_i]
                    if a["source"] is not None:
                        src_total += 1
                        src_ok += touches(c["speaker"], a["source"])
        matched_gold += len(used)
    p = matched_pred / n_pred if n_pred else 0.0
    r = matched_gold / n_gold if n_gold else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    sa = src_ok / src_total if src_total else 0.0
    return {"P": p, "R": r, "F1": f1, "SA": sa, "product": f1 * sa, "n_gold": n_gold, "n_pred": n_pred}


def fmt(s):
    return (f"P {s['P']:.3f} R {s['R']:.3f} F1 {s['F1']:.3f} SA {s['SA']:.3f} "
            f"product {s['product']:.3f} (gold {s['n_gold']}, pred {s['n_pred']})")


def span(v):
    return None if v is None else {"start": v.start, "end": v.end, "text": v.text}


def engine_claims(text, extract=None):
    """The product's claims for ``text`` in the eval_extraction record shape (no check-worthiness:
    it does not affect the score). ``extract`` may be a patched copy of extract_claims."""
    if extract is None:
        from claims.engine import extract_claims as extract
    out = []
    for c in extract(text):
        cl = c.claimant
        out.append({"start": c.content.start, "end": c.content.end, "text": c.content.text,
                    "speaker": span(cl.mention) if cl else None, "cue": span(c.cue),
                    "kind": c.kind})
    return out


def write_preds(path, docs, preds):
    with open(path, "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps({"id": d["id"], "claims": preds.get(d["id"], [])},
                               ensure_ascii=False) + "\n")
