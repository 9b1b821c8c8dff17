"""Stream leader clustering variants on propositions/dev.csv, scored like score.py.

Split by gold group (sha1 of the group id): 'tune' two thirds, 'held' one third.
    python research/matching/cluster_probe.py [--dense]
"""
import contextlib
import csv
import hashlib
import importlib.util
import io
import math
import os
import sys
import tempfile
from collections import Counter, defaultdict

sys.path.insert(0, ".")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django; django.setup()  # noqa: E702, I001 (a script: settings before imports)
from claims.engine import relation as R
from claims.engine.propositions import normalise_term as _normalise_term
from claims.engine.retrieval_text import analyse as analyse_terms

spec = importlib.util.spec_from_file_location("score", "../shared/data/score.py")
score = importlib.util.module_from_spec(spec); spec.loader.exec_module(score)

gold = {r["id"]: r for r in csv.DictReader(open("../shared/data/stance/dev.csv"))}
stream = [r for r in csv.DictReader(open("../shared/data/propositions/dev.csv"))]
part = lambda g: "held" if int(hashlib.sha1(g.encode()).hexdigest(), 16) % 3 == 0 else "tune"

def negative(t):
    s = R._side(t, as_text=True)
    if s.non_committal: return False
    return bool(s.refute) or s.leading_no or bool(s.negators)

DROP = R._DENY_WORDS | R._DEBUNK_WORDS
STANCE = {_normalise_term(x) for w in DROP | R._HEDGE_WORDS for x in analyse_terms(w, social=False)[0]}
def terms(t, drop=True):
    ts, names = analyse_terms(t, social=False)
    c = Counter(_normalise_term(x) for x in ts + names)
    if drop:
        for x in list(c):
            if x in STANCE: del c[x]
    return c

def run(rows, threshold, mode="leader", idf=True, vecs=None, dense_w=0.0):
    df = Counter(); n = 0
    props = []  # (leader terms, leader dense)
    index = defaultdict(set)
    out = {}
    for r in rows:
        tv = terms(r["text"])
        n += 1
        for t in tv: df[t] += 1
        w = lambda t: math.log((n + 1) / (df[t] + 0.5)) if idf else 1.0
        q = {t: c * w(t) for t, c in tv.items()}
        qn = math.sqrt(sum(v * v for v in q.values())) or 1
        cands = set()
        for t in tv: cands |= index[t]
        if vecs is not None and dense_w: cands = range(len(props))
        best, bs = None, 0.0
        for p in cands:
            lv, ld = props[p]
            l = {t: c * w(t) for t, c in lv.items()}
            ln = math.sqrt(sum(v * v for v in l.values())) or 1
            s = sum(q[t] * l.get(t, 0) for t in q) / (qn * ln)
            if vecs is not None:
                d = float(vecs[r["id"]] @ ld)
                s = (1 - dense_w) * s + dense_w * d
            if s > bs: best, bs = p, s
        if best is not None and bs >= threshold:
            pid = best
            if mode == "centroid":
                ld = props[pid][1]
                if ld is not None:
                    import numpy as np
                    ld = ld + vecs[r["id"]]; ld = ld / np.linalg.norm(ld)
                props[pid] = (props[pid][0] + tv, ld)
                for t in tv: index[t].add(pid)
        else:
            pid = len(props); props.append((tv, vecs[r["id"]] if vecs is not None else None))
            for t in tv: index[t].add(pid)
        out[r["id"]] = (pid, "contradicts" if negative(r["text"]) else "supports")
    return out

def evaluate(out, which):
    ids = [i for i in out if which == "all" or part(gold[i]["group"]) == which]
    with tempfile.TemporaryDirectory() as d:
        g, p = os.path.join(d, "g.csv"), os.path.join(d, "p.csv")
        with open(g, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=["id", "claim", "text", "label", "group"]); w.writeheader()
            for i in ids: w.writerow(gold[i])
        with open(p, "w", newline="") as f:
            w = csv.writer(f); w.writerow(["id", "proposition", "stance"])
            for i in ids: w.writerow([i, out[i][0], out[i][1]])
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf): v = score.propositions(g, p)
        lines = buf.getvalue().splitlines()
        return v, lines[1].split()[-1], lines[2].split()[3]

if __name__ == "__main__":
    vecs = None
    if "--dense" in sys.argv:
        from claims.engine.dense import load_encoder
        enc = load_encoder()
        M = enc.encode([r["text"] for r in stream], normalize_embeddings=True, batch_size=64)
        vecs = {r["id"]: M[k] for k, r in enumerate(stream)}
    configs = []
    for mode in ("centroid",):
        for idf in (True,):
            for th in (0.15, 0.2, 0.25):
                configs.append(dict(mode=mode, idf=idf, threshold=th))
    if vecs is not None:
        configs = [dict(mode="centroid", idf=True, threshold=th, dense_w=dw)
                   for dw in (0.5, 0.65, 0.8, 1.0) for th in (0.35, 0.4, 0.45, 0.5, 0.55, 0.6)]
    for c in configs:
        out = run(stream, vecs=vecs, **c)
        print(c, "tune", evaluate(out, "tune"), "held", evaluate(out, "held"), "all", evaluate(out, "all")[0], flush=True)

def pr(out):
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "p.csv")
        with open(p, "w", newline="") as f:
            w = csv.writer(f); w.writerow(["id", "proposition", "stance"])
            for i in out: w.writerow([i, out[i][0], out[i][1]])
        score.propositions("../shared/data/stance/dev.csv", p)
