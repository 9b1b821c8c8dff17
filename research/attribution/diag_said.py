"""Engine 'said' predictions that do not match gold: what does gold have there?"""
import collections, random
from common import TRAIN, engine_claims, load, overlap
docs = load(TRAIN)
cat = collections.Counter(); ex = collections.defaultdict(list)
for d in docs:
    t = d["text"]
    for c in engine_claims(d["text"]):
        if not c["speaker"] or (c["cue"] or {}).get("text", "").lower() != "said":
            continue
        best = max(d["attributions"], key=lambda a: overlap(c, a["content"]), default=None)
        o = overlap(c, best["content"]) if best else 0
        if o >= 0.5: continue
        if o == 0:
            # does any gold attribution use this cue span?
            if any(a["cue"] and a["cue"]["start"] == c["cue"]["start"] for a in d["attributions"]):
                k = "gold has this cue, content elsewhere"
            else:
                k = "no gold attribution here"
        else:
            g = best["content"]
            k = "too long" if c["start"] <= g["start"] and c["end"] >= g["end"] else "too short" if c["start"] >= g["start"] and c["end"] <= g["end"] else "shifted"
        cat[k] += 1
        ex[k].append((c["text"][:150], (best["content"]["text"][:150] if best and o > 0 else ""), t[max(0,c["start"]-80):c["end"]+40].replace("\n"," / ")))
print(cat)
r = random.Random(2)
for k, v in ex.items():
    print("==", k)
    for e in r.sample(v, min(8, len(v))): print("   PRED:", e[0], "\n   GOLD:", e[1], "\n   CTX:", e[2][:300])
