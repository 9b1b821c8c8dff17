"""Attribution extraction as token tagging with a linear-chain CRF (python-crfsuite).

One sequence per sentence (the engine's splitter); tags BIO over SRC (source), CUE and CON
(content) — in PolNeAR these three never overlap across attributions, so one flat layer holds
them. Each decoded content span is linked to a source span: the nearest predicted source in its
sentence, else (hybrid) the engine's speaker for that text, else the latest source before it.

Features: word form, affixes, shape, quote marks and in-quotation state, the engine's
reporting-cue lexicon (single and multi-word forms, lemma), pronoun/role/speaker-noun lists,
distance to the nearest cue in the sentence, sentence position, a ±2 window; with
``engine=True`` also the rule engine's own tags (speaker/cue/content/own-statement) per token.

Pure Python + pycrfsuite; portable into claims/engine/ as-is (replace the sys.path lines).
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parents[1]
DATA_DIR = PROJECT.parent / "shared" / "data" / "attribution"

import re
import sys
import time

sys.path.insert(0, str(PROJECT))

import pycrfsuite  # noqa: E402

from claims.engine.attribution import _CUE_RE  # noqa: E402  (the engine's cue-form trie)
from claims.engine.lexicon import (  # noqa: E402
    CUE_FORMS,
    PRONOUNS,
    ROLE_WORDS,
    SPEAKER_NOUNS,
)
from claims.engine.sentences import split_sentences  # noqa: E402

_TOKEN_RE = re.compile(r"\w+(?:[-'’.]\w+)*|''|[^\w\s]")
_OPEN_Q = frozenset("“‘")
_CLOSE_Q = frozenset("”’")
_STRAIGHT_Q = frozenset(['"', "''"])
_DASHES = frozenset("—–―-")


def tokenize(text, a, b):
    return [(m.start(), m.end()) for m in _TOKEN_RE.finditer(text, a, b)]


def _shape(w):
    s = re.sub(r"[A-Z]", "X", w)
    s = re.sub(r"[a-z]", "x", s)
    s = re.sub(r"\d", "d", s)
    return re.sub(r"(.)\1{2,}", r"\1\1", s)


def _bucket(d):
    if d is None:
        return "none"
    s = "L" if d < 0 else "R"
    d = abs(d)
    return s + ("1" if d <= 1 else "2" if d <= 2 else "4" if d <= 4 else "8" if d <= 8 else "16" if d <= 16 else "far")


def engine_tags(text):
    """Per-character-range tags from the rule engine: list of (start, end, tag)."""
    from claims.engine import extract_claims
    out = []
    for c in extract_claims(text):
        if c.claimant is not None:
            out.append((c.content.start, c.content.end, "ECON"))
            m = c.claimant.mention
            if m is not None:
                out.append((m.start, m.end, "ESPK"))
        else:
            out.append((c.content.start, c.content.end, "EOWN"))
        if c.cue is not None:
            out.append((c.cue.start, c.cue.end, "ECUE"))
    return out


def _engine_speakers(text):
    from claims.engine import extract_claims
    res = []
    for c in extract_claims(text):
        if c.claimant is not None and c.claimant.mention is not None:
            m = c.claimant.mention
            res.append((c.content.start, c.content.end, (m.start, m.end)))
    return res


def doc_sequences(text, engine=False):
    """[(sentence_span, tokens, features)] for one article."""
    etags = engine_tags(text) if engine else []
    seqs = []
    prev_open_quote = False
    for s in split_sentences(text):
        toks = tokenize(text, s.start, s.end)
        if not toks:
            continue
        words = [text[a:b] for a, b in toks]
        lows = [w.lower() for w in words]
        n = len(toks)
        # cue lexicon (multiword aware) by character span
        cue_lemma = [None] * n
        for m in _CUE_RE.finditer(text, s.start, s.end):
            lemma = CUE_FORMS.get(m.group(0).lower(), "?")
            for i, (a, b) in enumerate(toks):
                if a >= m.start() and b <= m.end():
                    cue_lemma[i] = lemma
        cue_pos = [i for i in range(n) if cue_lemma[i]]
        # in-quotation state
        inq = []
        state = prev_open_quote
        for w in words:
            if w in _OPEN_Q or (w in _STRAIGHT_Q and not state):
                inq.append("open")
                state = True
            elif w in _CLOSE_Q and state or (w in _STRAIGHT_Q and state):
                inq.append("close")
                state = False
            else:
                inq.append("in" if state else "out")
        # engine tags per token
        et = ["-"] * n
        if etags:
            for i, (a, b) in enumerate(toks):
                for ea, eb, tag in etags:
                    if ea <= a and b <= eb:
                        if et[i] == "-" or tag in ("ESPK", "ECUE"):
                            et[i] = tag
        has_cue = bool(cue_pos)
        has_quote = any(w in _OPEN_Q or w in _STRAIGHT_Q for w in words)
        base = []
        for i, w in enumerate(words):
            lw = lows[i]
            f = [
                "w=" + lw, "suf3=" + lw[-3:], "suf2=" + lw[-2:], "pre3=" + lw[:3],
                "shape=" + _shape(w),
                "q=" + inq[i],
            ]
            if w[:1].isupper():
                f.append("cap")
            if w.isupper() and len(w) > 1:
                f.append("upper")
            if not w[0].isalnum():
                f.append("punct")
            if w in _DASHES:
                f.append("dash")
            if cue_lemma[i]:
                f.append("cue=" + cue_lemma[i])
                f.append("iscue")
            if lw in PRONOUNS:
                f.append("pron")
            if lw in ROLE_WORDS:
                f.append("role")
            if lw in SPEAKER_NOUNS:
                f.append("spknoun")
            left = [i - j for j in cue_pos if j < i]
            right = [j - i for j in cue_pos if j > i]
            f.append("cueL=" + _bucket(min(left) if left else None))
            f.append("cueR=" + _bucket(min(right) if right else None))
            f.append("pos=" + ("first" if i == 0 else "last" if i == n - 1 else
                               "early" if i < n / 3 else "mid" if i < 2 * n / 3 else "late"))
            if engine:
                f.append("e=" + et[i])
                f.append("e-1=" + (et[i - 1] if i else "BOS") + "|" + et[i])
            base.append(f)
        sent_f = ["s.cue=%d" % has_cue, "s.quote=%d" % has_quote, "s.first=" + lows[0]]
        feats = []
        for i in range(n):
            f = list(base[i]) + sent_f
            for off in (-2, -1, 1, 2):
                j = i + off
                if 0 <= j < n:
                    f.append(f"{off}:w=" + lows[j])
                    if cue_lemma[j]:
                        f.append(f"{off}:iscue")
                    f.append(f"{off}:q=" + inq[j])
                    if engine:
                        f.append(f"{off}:e=" + et[j])
                    if abs(off) == 1:
                        f.append(f"{off}:shape=" + _shape(words[j]))
                else:
                    f.append(f"{off}:BOS" if j < 0 else f"{off}:EOS")
            if i > 0:
                f.append("bigram=" + lows[i - 1] + "|" + lows[i])
            feats.append(f)
        prev_open_quote = state and text.find("\n", s.end, s.end + 3) < 0
        seqs.append(((s.start, s.end), toks, feats))
    return seqs


def gold_labels(toks, attributions):
    labels = ["O"] * len(toks)
    spans = []
    for a in attributions:
        for kind, key in (("CON", "content"), ("SRC", "source"), ("CUE", "cue")):
            v = a.get(key)
            if v:
                spans.append((v["start"], v["end"], kind))
    prio = {"CON": 0, "SRC": 1, "CUE": 2}
    spans.sort(key=lambda x: prio[x[2]])
    for sa, sb, kind in spans:
        inside = [i for i, (a, b) in enumerate(toks) if a < sb and b > sa and labels[i] == "O"]
        for k, i in enumerate(inside):
            prev_in = k > 0 and inside[k - 1] == i - 1
            labels[i] = ("I-" if prev_in else "B-") + kind
    return labels


def decode_spans(toks, tags):
    """BIO tags -> [(kind, start_char, end_char, i0, i1)] (lenient: I- after O starts a span)."""
    out = []
    cur = None
    for i, t in enumerate(tags):
        if t == "O":
            if cur:
                out.append(cur)
                cur = None
            continue
        p, kind = t.split("-", 1)
        if p == "B" or cur is None or cur[0] != kind:
            if cur:
                out.append(cur)
            cur = [kind, toks[i][0], toks[i][1], i, i]
        else:
            cur[2] = toks[i][1]
            cur[4] = i
    if cur:
        out.append(cur)
    return [tuple(x) for x in out]


def train(docs, model_path, engine=False, c1=0.05, c2=0.01, max_iter=150, minfreq=2, verbose=False):
    t0 = time.perf_counter()
    tr = pycrfsuite.Trainer(verbose=verbose)
    for d in docs:
        for _, toks, feats in doc_sequences(d["text"], engine=engine):
            tr.append(feats, gold_labels(toks, d["attributions"]))
    t1 = time.perf_counter()
    tr.set_params({"c1": c1, "c2": c2, "max_iterations": max_iter,
                   "feature.possible_transitions": True, "feature.minfreq": minfreq})
    tr.train(model_path)
    t2 = time.perf_counter()
    return {"featurize_s": t1 - t0, "train_s": t2 - t1}


class Extractor:
    def __init__(self, model_path, engine=False, link="nearest"):
        self.tagger = pycrfsuite.Tagger()
        self.tagger.open(model_path)
        self.engine = engine
        self.link = link

    def extract(self, text):
        seqs = doc_sequences(text, engine=self.engine)
        spans_by_sent = []
        for sent, toks, feats in seqs:
            tags = self.tagger.tag(feats)
            spans_by_sent.append((sent, decode_spans(toks, tags)))
        eng = _engine_speakers(text) if self.engine else []
        claims = []
        last_src = None
        for si, (sent, spans) in enumerate(spans_by_sent):
            srcs = [sp for sp in spans if sp[0] == "SRC"]
            for sp in spans:
                if sp[0] != "CON":
                    continue
                a, b = sp[1], sp[2]
                # trim surrounding spaces / bare punctuation tokens
                speaker = None
                if srcs:
                    def dist(x):
                        return (x[3] - sp[4]) if x[3] > sp[4] else (sp[3] - x[4])
                    best = min(srcs, key=lambda x: (dist(x), x[3] > sp[4]))
                    speaker = (best[1], best[2])
                if speaker is None and eng:
                    cand = [e for e in eng if min(e[1], b) > max(e[0], a)]
                    if cand:
                        speaker = cand[0][2]
                if speaker is None and self.link != "strict" and last_src is not None:
                    speaker = last_src
                if speaker is None:
                    continue
                claims.append({"start": a, "end": b, "text": text[a:b],
                               "speaker": {"start": speaker[0], "end": speaker[1],
                                           "text": text[speaker[0]:speaker[1]]},
                               "cue": None})
            if srcs:
                last_src = (srcs[-1][1], srcs[-1][2])
        return claims
