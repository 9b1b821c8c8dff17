"""How complete is gold? Share of ' said ' occurrences that are a gold cue, by position in the article."""
import re, collections
from common import TRAIN, DEV, load
for path in (TRAIN, DEV):
    docs = load(path)
    pos = collections.Counter(); hit = collections.Counter(); cover = []
    for d in docs:
        t = d["text"]; cues = {a["cue"]["start"] for a in d["attributions"] if a["cue"]}
        last = max((a["content"]["end"] for a in d["attributions"]), default=0)
        cover.append(last / max(1, len(t)))
        for m in re.finditer(r"\bsaid\b", t):
            b = int(10 * m.start() / len(t)); pos[b] += 1; hit[b] += m.start() in cues
    print(path.split("/")[-1], "said-as-gold-cue by article decile:", " ".join(f"{hit[b]/pos[b]:.2f}" for b in range(10)))
    cover.sort(); print("  last gold content end / article length, quartiles:", [round(cover[int(q*(len(cover)-1))],2) for q in (0,.1,.25,.5,.75)])
