"""Where does the rule engine lose? Compare engine output with gold on train (or any file).

usage: python diag_engine.py [train|dev] [--examples N]
"""


import collections
import random
import re
import sys
import time

from common import DEV, TRAIN, engine_claims, fmt, load, overlap, score, touches

CUE_WORDS = re.compile(r"\b(said|says|say|told|tells|according to)\b", re.I)


def cue_class(a):
    cue = (a["cue"] or {}).get("text", "").lower()
    if not cue:
        return "no-cue"
    if re.fullmatch(r"(said|says|say|saying|told|tells|tell)", cue):
        return "say/tell"
    if "according" in cue:
        return "according to"
    if cue in (":", "—", "-"):
        return "punct"
    if len(cue.split()) > 1:
        return "multiword cue"
    return "other verb/noun"


def main():
    which = sys.argv[1] if len(sys.argv) > 1 else "train"
    n_ex = int(sys.argv[sys.argv.index("--examples") + 1]) if "--examples" in sys.argv else 0
    docs = load(TRAIN if which == "train" else DEV)
    t0 = time.perf_counter()
    preds = {d["id"]: engine_claims(d["text"]) for d in docs}
    dt = time.perf_counter() - t0
    words = sum(len(d["text"].split()) for d in docs)
    print(f"engine on {which}: {fmt(score(docs, preds))}")
    print(f"speed: {words} words in {dt:.1f}s = {words / dt:.0f} words/s (extract_claims only)")

    gcat = collections.Counter()
    miss_by_cue = collections.Counter()
    all_by_cue = collections.Counter()
    bound = collections.Counter()
    src_err = collections.Counter()
    ex = collections.defaultdict(list)
    for d in docs:
        t = d["text"]
        att = [c for c in preds[d["id"]] if c["speaker"]]
        unatt = [c for c in preds[d["id"]] if not c["speaker"]]
        for a in d["attributions"]:
            g = a["content"]
            cc = cue_class(a)
            all_by_cue[cc] += 1
            best = max(att, key=lambda c: overlap(c, g), default=None)
            o = overlap(best, g) if best else 0.0
            if o >= 0.5:
                if a["source"] is None:
                    cat = "matched (gold source null)"
                elif touches(best["speaker"], a["source"]):
                    cat = "matched, source right"
                else:
                    cat = "matched, source WRONG"
                    s = a["source"]["text"].lower()
                    p = best["speaker"]["text"].lower()
                    if best["speaker"]["start"] < g["start"] - 300 or best["speaker"]["start"] > g["end"] + 300:
                        src_err["speaker far away (resolver mention)"] += 1
                    elif s in ("he", "she", "they", "i", "we", "it"):
                        src_err["gold pronoun, pred other mention"] += 1
                    else:
                        src_err["other"] += 1
                    ex[cat].append((t[max(0, g['start'] - 150):g['end'] + 60], a["source"]["text"], best["speaker"]["text"]))
            elif o > 0:
                cat = "boundary (overlap <0.5)"
                if best["start"] <= g["start"] and best["end"] >= g["end"]:
                    bound["pred too long (contains gold)"] += 1
                    ex["too long"].append((t[g['start']:g['end']], best["text"]))
                elif best["start"] >= g["start"] and best["end"] <= g["end"]:
                    bound["pred too short (inside gold)"] += 1
                    ex["too short"].append((t[g['start']:g['end']], best["text"]))
                else:
                    bound["shifted"] += 1
                    ex["shifted"].append((t[g['start']:g['end']], best["text"]))
            else:
                ub = max(unatt, key=lambda c: overlap(c, g), default=None)
                if ub and overlap(ub, g) >= 0.5:
                    cat = "found without speaker (own statement/quote)"
                    ex[cat].append((t[g['start']:g['end']], a["source"] and a["source"]["text"], a["cue"] and a["cue"]["text"]))
                else:
                    cat = "missed entirely"
                    miss_by_cue[cc] += 1
                    ex[cat].append((t[g['start']:g['end']], a["source"] and a["source"]["text"], a["cue"] and a["cue"]["text"]))
            gcat[cat] += 1
    n = sum(gcat.values())
    print(f"\nGold attributions ({n}) by outcome:")
    for k, v in gcat.most_common():
        print(f"  {k:45s} {v:6d} {v / n:6.1%}")
    print("  boundary breakdown:", dict(bound))
    print("  source-error breakdown:", dict(src_err))
    print("\nMissed entirely, by gold cue type (missed / all of that type):")
    for k, v in all_by_cue.most_common():
        print(f"  {k:20s} {miss_by_cue[k]:6d} / {v:6d}  ({miss_by_cue[k] / v:.0%} missed)")

    pcat = collections.Counter()
    for d in docs:
        golds = d["attributions"]
        for c in preds[d["id"]]:
            if not c["speaker"]:
                continue
            o = max((overlap(c, a["content"]) for a in golds), default=0.0)
            if o >= 0.5:
                pcat["matched"] += 1
            elif o > 0:
                pcat["boundary (overlap <0.5)"] += 1
            else:
                pcat["spurious (no overlap)"] += 1
                ex["spurious"].append((c["text"], c["speaker"]["text"], (c["cue"] or {}).get("text")))
    n = sum(pcat.values())
    print(f"\nAttributed predictions ({n}) by outcome:")
    for k, v in pcat.most_common():
        print(f"  {k:45s} {v:6d} {v / n:6.1%}")
    rnd = random.Random(1)
    for k, v in ex.items():
        if n_ex:
            print(f"\n=== examples: {k}")
            for e in rnd.sample(v, min(n_ex, len(v))):
                print("  ", " || ".join(str(x)[:200] for x in e))


if __name__ == "__main__":
    main()
