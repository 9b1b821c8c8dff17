"""Per-cue view of the engine on train: which gold cues it misses, which of its cues misfire."""
import collections
from common import TRAIN, engine_claims, load, overlap
docs = load(TRAIN)
miss = collections.Counter(); tot = collections.Counter()
pc_ok = collections.Counter(); pc_all = collections.Counter()
for d in docs:
    preds = engine_claims(d["text"])
    att = [c for c in preds if c["speaker"]]
    for a in d["attributions"]:
        cue = (a["cue"] or {}).get("text", "").lower().replace("\xa0", " ")
        tot[cue] += 1
        if not any(overlap(c, a["content"]) > 0 for c in att):
            miss[cue] += 1
    for c in att:
        k = (c["cue"] or {}).get("text", "").lower()
        pc_all[k] += 1
        pc_ok[k] += max((overlap(c, a["content"]) for a in d["attributions"]), default=0) >= 0.5
print("gold cues most often missed (missed/total):")
for k, v in miss.most_common(45):
    print(f"  {k!r:30s} {v:5d}/{tot[k]:5d}")
print("distinct gold cue strings", len(tot), "; missed attributions whose cue string occurs <=2 times in train:",
      sum(v for k, v in miss.items() if tot[k] <= 2))
print("\nengine cues by misfires (pred not matching gold >=0.5):")
for k, v in sorted(pc_all.items(), key=lambda kv: -(kv[1] - pc_ok[kv[0]]))[:30]:
    print(f"  {k!r:25s} ok {pc_ok[k]:5d} / {v:5d} = {pc_ok[k]/v:.2f}")
