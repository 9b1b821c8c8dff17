"""Relation (stance): invented pairs for each label and cue type, the product case, kinds."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest

from claims.engine import relation
from tests.conftest import require_data

DEV = Path(__file__).resolve().parents[3] / "shared" / "data" / "stance" / "dev.csv"
PRODUCT = "Russia is preparing to invade Ukraine"


def label(claim: str, text: str, **kw) -> str:
    return relation.classify(claim, text, **kw)[0]


@pytest.mark.parametrize("text, cue", [
    ("Moscow denied any plans to invade", "denied"),
    ("Kremlin dismisses talk of an invasion of Ukraine", "dismisses"),
    ("Russia has no plans to invade Ukraine", "no plans"),
    ("Russia is not preparing to invade Ukraine, Lavrov says", "not preparing"),
    ("No, Russia is not about to invade Ukraine", "no"),
])
def test_product_case_denials_contradict(text, cue):
    got, conf, cues = relation.classify(PRODUCT, text)
    assert got == "contradicts"
    assert cue in cues
    assert 0.5 <= conf <= 1


def test_product_case_allegation_supports():
    got, conf, cues = relation.classify(PRODUCT, "U.S. envoy says Russia preparing invasion")
    assert got == "supports"
    assert "russia" in cues and 0 < conf <= 1


def test_product_case_with_kinds_and_families():
    got, conf, _ = relation.classify(
        PRODUCT, "Russia has no plans to invade Ukraine",
        claim_kind="allegation", text_kind="denial", same_claimant_family=False)
    assert got == "contradicts" and conf >= 0.9
    # The denial as the claim, the allegation as the text: still opposite sides.
    assert label("Russia has no plans to invade Ukraine", PRODUCT,
                 claim_kind="denial", text_kind="allegation") == "contradicts"
    assert label("Russia has no plans to invade Ukraine",
                 "U.S. envoy says Russia preparing invasion") == "contradicts"
    # Two denials from the same family repeat each other.
    assert label("Russia has no plans to invade Ukraine",
                 "Moscow denied any plans to invade Ukraine",
                 claim_kind="denial", text_kind="denial", same_claimant_family=True) == "supports"


def test_a_given_kind_makes_reporting_words_no_hedge():
    text = "U.S. officials claim Russia is preparing to invade Ukraine"
    assert label(PRODUCT, text) == "neutral"
    assert label(PRODUCT, text, claim_kind="allegation", text_kind="allegation") == "supports"


def test_family_moves_confidence_not_label():
    text = "Moscow denied any plans to invade"
    other = relation.classify(PRODUCT, text, same_claimant_family=False)
    same = relation.classify(PRODUCT, text, same_claimant_family=True)
    assert other[0] == same[0] == "contradicts"
    assert other[1] > same[1]


@pytest.mark.parametrize("claim, text, cue", [
    ("The mayor of Springfield has resigned", "Mayor resignation story is a hoax", "hoax"),
    ("A shark was seen swimming in a flooded street", "Photo of shark in flooded street is fake",
     "fake"),
    ("The singer died in a car crash", "Reports of the singer's death are untrue, agent says",
     "untrue"),
    ("The company will close all its stores", "No evidence the company will close stores",
     "no evidence"),
    ("The bridge collapsed on Monday", "Bridge collapse rumours are not true", "not true"),
    ("The actor will star in the sequel", "Actor drops out of the sequel", "drops out"),
])
def test_debunk_contradicts(claim, text, cue):
    got, _, cues = relation.classify(claim, text)
    assert got == "contradicts"
    assert cue in cues


def test_negation_asymmetry_contradicts_only_when_it_negates_the_claim():
    claim = "Police found the missing hiker in the forest"
    assert label(claim, "Missing hiker not found in the forest, police say") == "contradicts"
    # A negation about something else, or an idiom, decides nothing.
    assert label("A nun gave birth to a baby", "Nun who had no idea she was pregnant gives birth"
                 ) == "supports"
    # A negated refutation is an affirmation.
    assert label("The video of the dancing bear is real", "The dancing bear video is not fake"
                 ) == "supports"


@pytest.mark.parametrize("text, cue", [
    ("Tech giant reportedly in talks to buy the startup", "reportedly"),
    ("Rumours swirl that the tech giant will buy the startup", "rumours"),
    ("Tech giant may buy the startup", "may"),
    ("Analyst claims tech giant will buy the startup", "claims"),
    ("Tech giant will buy the startup, sources say", "sources"),
])
def test_hedged_reports_are_neutral(text, cue):
    got, _, cues = relation.classify("The tech giant will buy the startup", text)
    assert got == "neutral"
    assert cue in cues


def test_question_headline_is_neutral_but_a_question_lead_in_is_not():
    claim = "Two men kept a burger for 20 years"
    assert label(claim, "Did two men really keep a burger for 20 years?") == "neutral"
    assert label(claim, "Would you eat it? Two men kept the same burger for 20 years and show "
                 "it off") == "supports"


def test_non_committal_is_neutral():
    claim = "The company is buying the startup"
    assert label(claim, "Chief refuses to confirm or deny the company is buying the startup"
                 ) == "neutral"
    assert label("A woman has a third arm", "Woman with a third arm: real or fake?") == "neutral"


@pytest.mark.parametrize("claim, text", [
    ("A tropical spider burrowed under a man's skin", "Spider burrows under tourist's skin"),
    ("The city council banned plastic bags", "City council votes to ban plastic bags"),
    ("Russia has no plans to invade Ukraine", "Russia denies any plans to invade Ukraine"),
])
def test_support(claim, text):
    got, conf, cues = relation.classify(claim, text)
    assert got == "supports" and cues and 0.5 <= conf <= 1


def test_empty_input_is_safe():
    got, conf, cues = relation.classify("", "")
    assert got in relation.LABELS and 0 <= conf <= 1 and isinstance(cues, tuple)


def test_classify_is_cheap():
    pairs = [(PRODUCT, "Moscow denied any plans to invade Ukraine, the Kremlin said on Friday"),
             (PRODUCT, "U.S. envoy says Russia is preparing an invasion of Ukraine, "
                       "officials fear")]
    start = time.perf_counter()
    for _ in range(500):
        for c, t in pairs:
            relation.classify(c, t)
    per_pair = (time.perf_counter() - start) / 1000
    assert per_pair < 1e-3


@pytest.fixture(scope="module")
def dev_rows():
    with require_data(DEV).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_dev_macro_f1(dev_rows):
    # Measured 0.799 (accuracy 0.794) on stance/dev.csv; the target is 0.75.
    predicted = [relation.classify(r["claim"], r["text"])[0] for r in dev_rows]
    result = relation.scores([r["label"] for r in dev_rows], predicted)
    assert result["macro_f1"] >= 0.75
