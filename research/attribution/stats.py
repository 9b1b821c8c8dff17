from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parents[1]
DATA_DIR = PROJECT.parent / "shared" / "data" / "attribution"
import json, sys, collections
sys.path.insert(0, str(PROJECT))
from claims.engine import split_sentences
docs = [json.loads(l) for l in open(str(DATA_DIR) + "/train.jsonl")]
n = 0; nosrc = 0; nocue = 0; cross = 0; nested = 0; words = 0; lens = []
overlapping = 0
for d in docs:
    t = d["text"]; words += len(t.split())
    sents = split_sentences(t)
    atts = d["attributions"]
    for a in atts:
        n += 1
        c = a["content"]
        nosrc += a["source"] is None; nocue += a["cue"] is None
        lens.append(len(t[c["start"]:c["end"]].split()))
        ins = [s for s in sents if s.start < c["end"] and c["start"] < s.end]
        cross += len(ins) > 1
        for b in atts:
            if b is not a and b["content"]["start"] >= c["start"] and b["content"]["end"] <= c["end"] and (b["content"]["start"], b["content"]["end"]) != (c["start"], c["end"]):
                nested += 1; break
print("docs", len(docs), "words", words, "atts", n, "nosrc", nosrc, "nocue", nocue, "cross-sentence", cross, "contains another", nested)
import statistics
print("content words median", statistics.median(lens), "mean", statistics.mean(lens))
# sample
d = docs[3]
for a in d["attributions"][:15]:
    print({k: (v["text"][:80] if v else None) for k, v in a.items()})
