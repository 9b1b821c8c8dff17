"""Prototype rule changes for the engine's content boundaries, applied by patching a loaded copy
of claims.engine.attribution in this process only (the project files are not touched).

  python rules_patch.py train|heldout|dev [variant ...]

Variants (each measured alone and combined; choose on train, report dev):
  clausal_stops  apply the noun-phrase stops (dash aside, ", which/who/where/with/after/before/
                 as/while/despite") to clausal content as well ("said X, which ..." stops at ",")
  coord_cue      content stops before a coordinated second predicate: ", and said", " but added",
                 " and has repeatedly denied" — "and/but" + optional adverb + a past-tense verb
  participle     content stops before ", <verb>ing" ("..., saying ...", "..., telling Fox ...")
  comma_clause   content stops before ", <subject> <verb>" with a lower-case or pronoun subject
                 ("it was great to be home, a man yelled")
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parents[1]
DATA_DIR = PROJECT.parent / "shared" / "data" / "attribution"

import re
import sys
import time

from common import DEV, TRAIN, engine_claims, fmt, load, score, split_train

import claims.engine.attribution as att  # noqa: E402

_ORIG_CONTENT_END = att._content_end

STOPS = {
    "clausal_stops": att._PHRASE_STOP_RE,
    "coord_cue": re.compile(
        r",?\s+(?:and|but)\s+(?:also\s+|then\s+|later\s+|has\s+|had\s+|have\s+)?"
        r"(?:[a-z]+ly\s+)?(?:[a-z]{3,}ed|said|told|wrote|made|took|gave|spoke)\b"),
    "participle": re.compile(r",\s+(?!including\b|according\b)[a-z]{3,}ing\b"),
    "comma_clause": re.compile(
        r",\s+(?:(?:a|an|the|he|she|they|it|we|I|his|her|their)\s+)(?:[a-z]+\s+){0,2}?"
        r"(?:[a-z]{3,}ed|said|was|were|is|are|has|had|will|would)\b"),
}


def make_content_end(variants):
    extra = [STOPS[v] for v in variants if v != "clausal_stops"]

    def _content_end(text, a, b, quotes):
        b = _ORIG_CONTENT_END(text, a, b, quotes)
        rxs = list(extra)
        if "clausal_stops" in variants:
            rxs.append(att._PHRASE_STOP_RE)
        for rx in rxs:
            for m in rx.finditer(text, a, b):
                if m.start() - a < 10 or att._inside(quotes, m.start()):
                    continue
                b = m.start()
                break
        return b

    return _content_end


def apply(variants):
    att._content_end = make_content_end(variants) if variants else _ORIG_CONTENT_END


def run(docs, variants):
    apply(variants)
    t0 = time.perf_counter()
    preds = {d["id"]: engine_claims(d["text"]) for d in docs}
    dt = time.perf_counter() - t0
    apply([])
    return score(docs, preds), sum(len(d["text"].split()) for d in docs) / dt, preds


def main():
    which = sys.argv[1]
    chosen = sys.argv[2:]
    docs = load(DEV) if which == "dev" else load(TRAIN)
    if which == "heldout":
        docs = split_train(docs)[1]
    if chosen:
        s, wps, preds = run(docs, chosen)
        print(f"{which} {'+'.join(chosen)}: {fmt(s)}  {wps:.0f} words/s")
        if which == "dev":
            from common import write_preds
            write_preds(str(HERE) + "/preds/rules_patched_dev.jsonl", docs, preds)
        return
    s, _, _ = run(docs, [])
    print(f"{which} baseline: {fmt(s)}")
    for v in STOPS:
        s, _, _ = run(docs, [v])
        print(f"{which} +{v}: {fmt(s)}")
    s, _, _ = run(docs, list(STOPS))
    print(f"{which} all: {fmt(s)}")


if __name__ == "__main__":
    main()
