"""Acceptance on the seed article: the claims an editor expects from it."""

from __future__ import annotations

import re

from claims.engine import KINDS, clean_text, split_sentences

BOILERPLATE = ("google plus", "Comment", "Post with no comments", "Audio Only", "| Photo:")


def _by(claims, name):
    return [c for c in claims if c.claimant is not None and c.claimant.name == name]


def test_it_finds_smiths_allegation_that_russia_prepares_to_invade(seed_claims):
    hits = [
        c for c in _by(seed_claims, "Julianne Smith")
        if c.kind == "allegation"
        and re.search(r"prepar\w*\s+to\s+invade\s+Ukraine", c.content.text)
        and "Russia" in c.content.text
    ]
    assert hits
    assert "ambassador to NATO" in hits[0].claimant.role
    assert hits[0].claimant.family == "united states"


def test_it_finds_russias_denial_of_plans_to_invade(seed_claims):
    hits = [
        c for c in seed_claims
        if c.kind == "denial" and c.claimant is not None
        and c.claimant.family == "russia" and c.claimant.name == "Russia"
        and "invade" in c.content.text
    ]
    assert hits
    assert "plans" in hits[0].content.text


def test_it_attributes_the_open_door_statements_and_quotes_to_smith(seed_claims):
    smith = _by(seed_claims, "Julianne Smith")
    texts = {c.content.text: c for c in smith}
    open_door = [
        c for t, c in texts.items() if "not willing to discuss its 'open door' policy" in t
    ]
    assert open_door and open_door[0].kind in ("assertion", "quote")
    enlargement = [
        c for t, c in texts.items()
        if "no one is suggesting that we alter NATO policy on enlargement" in t
    ]
    assert enlargement and enlargement[0].kind in ("quote", "assertion")
    assert enlargement[0].claimant.mention.text == "Smith"  # "Smith told CNN"
    stressed = [c for c in smith if c.cue is not None and c.cue.text == "stressed"]
    assert {c.claimant.mention.text for c in stressed} == {"she"}


def test_it_finds_smiths_warning_of_massive_consequences(seed_claims):
    hits = [
        c for c in _by(seed_claims, "Julianne Smith")
        if c.kind == "warning" and "massive consequences" in c.content.text
    ]
    assert hits
    assert "consequences" in hits[0].cue_words


def test_it_finds_psaki_on_bidens_daily_updates(seed_claims):
    hits = [
        c for c in _by(seed_claims, "Jen Psaki")
        if "receives nearly daily" in c.content.text and "Biden" in c.content.text
    ]
    assert hits
    assert "press secretary" in hits[0].claimant.role
    assert hits[0].claimant.mention.text.endswith("Jen Psaki")


def test_it_keeps_the_geneva_talks_as_the_outlets_own_assertion(seed_claims):
    hits = [
        c for c in seed_claims
        if c.claimant is None and c.kind == "assertion"
        and "talks for almost eight hours" in c.content.text and "Geneva" in c.content.text
    ]
    assert hits


def test_it_leaves_no_boilerplate_in_clean_text_or_claims(seed_text, seed_claims):
    for needle in BOILERPLATE:
        for line in seed_text.splitlines():
            assert needle not in line, (needle, line)
        for c in seed_claims:
            assert needle not in c.sentence.text
    assert seed_text.startswith("US Envoy: NATO Won't Discuss Its Open Door Policy With Russia\n")
    assert "Published 11 January 2022" not in seed_text
    assert "Opinion" not in seed_text.splitlines()
    assert "Russia: NATO Must Renounce Military Buildup in the East" not in seed_text
    assert "News > U.S." not in seed_text
    assert "On Monday, U.S. and Russian officials held talks" in seed_text


def test_it_is_idempotent_on_clean_text(seed_text):
    assert clean_text(seed_text) == seed_text


def test_it_only_uses_known_kinds(seed_claims):
    assert seed_claims
    assert {c.kind for c in seed_claims} <= set(KINDS)


def test_it_splits_the_seed_into_sentences_with_exact_offsets(seed_text):
    spans = split_sentences(seed_text)
    assert all(seed_text[s.start:s.end] == s.text for s in spans)
    # The three-sentence quote stays with "Smith outlined".
    assert any(s.text.startswith('"The doors remain open.') and s.text.endswith("Smith outlined.")
               for s in spans)
