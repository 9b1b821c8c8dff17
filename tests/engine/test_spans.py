"""Every span the engine returns points at exactly its text (seed and PolNeAR dev)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from claims.engine import extract_claims, split_sentences


def _assert_spans(text, claims):
    for c in claims:
        spans = [c.content, c.sentence]
        if c.cue is not None:
            spans.append(c.cue)
        if c.claimant is not None and c.claimant.mention is not None:
            spans.append(c.claimant.mention)
        for span in spans:
            assert 0 <= span.start <= span.end <= len(text)
            assert text[span.start:span.end] == span.text
        assert c.content.text.strip(), c
        assert c.sentence.start <= c.content.start and c.content.end <= c.sentence.end


def test_it_returns_exact_spans_on_the_seed(seed_text, seed_claims):
    _assert_spans(seed_text, seed_claims)


def test_it_returns_exact_spans_on_the_seed_raw_text_too(seed_raw):
    _assert_spans(seed_raw, extract_claims(seed_raw))


def test_it_returns_exact_spans_on_polnear_dev(polnear_dev):
    for art in polnear_dev:
        text = art["text"]
        _assert_spans(text, extract_claims(text, include_non_claims=True))
        for s in split_sentences(text):
            assert text[s.start:s.end] == s.text


def test_it_imports_no_django():
    root = Path(__file__).resolve().parents[2]
    code = (
        "import sys, claims.engine, claims.engine.scoring; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('django', 'regex')]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True)
