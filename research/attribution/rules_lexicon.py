"""Rule change A2: extend the engine's reporting-cue lexicon with cue forms learned from the
training annotations (forms that PolNeAR marks as a cue often enough, relative to how often the
form occurs at all), then run the unchanged rules. Patched in this process only.

  python rules_lexicon.py heldout      learn on 80% of train, sweep thresholds on the 20% slice
  python rules_lexicon.py dev MIN RATE learn on all train with the chosen thresholds, score dev,
                                       write learned_cues.txt and preds/rules_lexicon_dev.jsonl
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parents[1]
DATA_DIR = PROJECT.parent / "shared" / "data" / "attribution"

import collections
import re
import sys
import time

from common import DEV, TRAIN, engine_claims, fmt, load, score, split_train, write_preds

import claims.engine.attribution as att  # noqa: E402
from claims.engine.lexicon import CUE_FORMS, trie_pattern  # noqa: E402

_ORIG_RE = att._CUE_RE
_WORD = re.compile(r"^[a-z][a-z' -]*[a-z]$")


def learn_cues(docs, min_count=5, min_rate=0.4):
    as_cue = collections.Counter()
    for d in docs:
        for a in d["attributions"]:
            if a["cue"]:
                c = " ".join(a["cue"]["text"].lower().split())
                if _WORD.match(c) and len(c.split()) <= 3:
                    as_cue[c] += 1
    cands = [c for c, n in as_cue.items() if n >= min_count and c not in CUE_FORMS]
    if not cands:
        return {}
    occ = collections.Counter()
    rx = re.compile(r"\b(" + "|".join(re.escape(c) for c in sorted(cands, key=len, reverse=True))
                    + r")\b", re.I)
    for d in docs:
        for m in rx.finditer(" ".join(d["text"].split())):
            occ[m.group(1).lower()] += 1
    return {c: as_cue[c] / occ[c] for c in cands if occ[c] and as_cue[c] / occ[c] >= min_rate}


def apply(extra):
    for c in extra:
        CUE_FORMS.setdefault(c, c)
    att._CUE_RE = re.compile(r"\b" + trie_pattern(CUE_FORMS) + r"\b", re.I) if extra else _ORIG_RE


def run(docs):
    t0 = time.perf_counter()
    preds = {d["id"]: engine_claims(d["text"]) for d in docs}
    return preds, sum(len(d["text"].split()) for d in docs) / (time.perf_counter() - t0)


def main():
    if sys.argv[1] == "heldout":
        fit, held = split_train(load(TRAIN))
        preds, _ = run(held)
        print(f"heldout engine baseline: {fmt(score(held, preds))}")
        base_forms = dict(CUE_FORMS)
        for mc, rate in [(3, 0.3), (5, 0.3), (5, 0.5), (10, 0.3), (10, 0.5), (5, 0.7)]:
            extra = learn_cues(fit, mc, rate)
            apply(extra)
            preds, _ = run(held)
            print(f"heldout +{len(extra)} learned cues (min {mc}, rate {rate}): {fmt(score(held, preds))}")
            CUE_FORMS.clear()
            CUE_FORMS.update(base_forms)
            apply({})
    else:
        mc, rate = int(sys.argv[2]), float(sys.argv[3])
        extra = learn_cues(load(TRAIN), mc, rate)
        with open(str(HERE) + "/learned_cues.txt", "w") as f:
            for c, r in sorted(extra.items(), key=lambda kv: -kv[1]):
                f.write(f"{c}\t{r:.2f}\n")
        apply(extra)
        dev = load(DEV)
        preds, wps = run(dev)
        write_preds(str(HERE) + "/preds/rules_lexicon_dev.jsonl", dev, preds)
        print(f"dev +{len(extra)} learned cues (min {mc}, rate {rate}): {fmt(score(dev, preds))} "
              f"{wps:.0f} words/s")


if __name__ == "__main__":
    main()
