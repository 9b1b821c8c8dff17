"""Why do CRF-linked speakers miss? (held-out, plain CRF, nearest linking)"""
import collections, sys
from common import TRAIN, load, overlap, touches, split_train
from crf_attr import Extractor, doc_sequences, decode_spans
ex = Extractor(sys.argv[1], engine="--engine" in sys.argv)
held = split_train(load(TRAIN))[1]
cat = collections.Counter()
for d in held:
    t = d["text"]
    srcs = []
    for sent, toks, feats in doc_sequences(t, engine=ex.engine):
        srcs += [(s[1], s[2]) for s in decode_spans(toks, ex.tagger.tag(feats)) if s[0] == "SRC"]
    for c in ex.extract(t):
        best = max(d["attributions"], key=lambda a: overlap(c, a["content"]))
        if overlap(c, best["content"]) < 0.5 or best["source"] is None: continue
        g = best["source"]
        if touches(c["speaker"], g): cat["right"] += 1; continue
        tagged = any(min(b, g["end"]) > max(a, g["start"]) for a, b in srcs)
        same_sent = abs(g["start"] - c["start"]) < 300
        cat[("gold source tagged SRC" if tagged else "gold source NOT tagged") + (", near" if same_sent else ", far")] += 1
print(cat)
