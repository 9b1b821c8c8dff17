"""Attribution patterns, resolution, families and kinds on small invented sentences."""

from __future__ import annotations

import pytest

from claims.engine import extract_claims


def _one(text, **match):
    claims = extract_claims(text)
    for c in claims:
        assert text[c.content.start:c.content.end] == c.content.text
    hits = [c for c in claims if all(_get(c, k) == v for k, v in match.items())]
    assert hits, [(c.kind, c.claimant and c.claimant.name, c.content.text) for c in claims]
    return hits[0]


def _get(claim, key):
    obj = claim
    for part in key.split("__"):
        obj = getattr(obj, part) if obj is not None else None
    return obj


@pytest.mark.parametrize(
    "text",
    [
        '"The bridge will reopen in May," Mayor Tom Reyes said.',
        '"The bridge will reopen in May," said Mayor Tom Reyes.',
        'Mayor Tom Reyes said, "The bridge will reopen in May."',
        'Mayor Tom Reyes told reporters: "The bridge will reopen in May."',
    ],
)
def test_it_attributes_direct_quotes_in_every_order(text):
    c = _one(text, content__text="The bridge will reopen in May")
    assert c.kind == "quote"
    assert c.claimant.name == "Tom Reyes"
    assert c.claimant.role == "Mayor"
    assert c.cue.text in ("said", "told")


def test_it_splits_a_quote_interrupted_by_its_attribution():
    text = '"We have the money," Reyes said, "and we have the crews."'
    claims = extract_claims(text)
    assert [c.content.text for c in claims] == ["We have the money", "and we have the crews"]
    assert {c.claimant.name for c in claims} == {"Reyes"}


def test_it_reads_indirect_speech_with_that_and_adjuncts():
    c = _one("Reyes said on Monday that the bridge would cost $4 million.",
             content__text="the bridge would cost $4 million")
    assert c.claimant.name == "Reyes" and c.cue.text == "said" and c.kind == "assertion"


def test_it_reads_a_second_claim_after_saying():
    text = "Reyes announced the closure on Monday, saying the work would take six weeks."
    c = _one(text, content__text="the work would take six weeks")
    assert c.claimant.name == "Reyes" and c.cue.text == "saying"


def test_it_reads_content_before_a_trailing_attribution():
    c = _one("The bridge will close for six weeks, the mayor's office said.",
             content__text="The bridge will close for six weeks")
    assert c.claimant.mention.text == "the mayor's office"


@pytest.mark.parametrize(
    "text",
    [
        "According to the transport agency, ridership fell 12 percent in March.",
        "Ridership fell 12 percent in March, according to the transport agency.",
    ],
)
def test_it_reads_according_to_on_either_side(text):
    c = _one(text, cue__text=text[text.lower().index("according to"):][:12])
    assert c.content.text.lower() == "ridership fell 12 percent in march"
    assert c.claimant.mention.text == "the transport agency"


def test_it_reads_nominal_allegations():
    c = _one("Gov. Ana Ruiz repeated allegations that the contractor had inflated its costs.",
             kind="allegation")
    assert c.content.text == "the contractor had inflated its costs"
    assert c.claimant.name == "Ana Ruiz" and c.claimant.role == "Gov."
    c = _one("The contractor's claims that the audit was rigged were dismissed by a judge.",
             kind="allegation")
    assert c.content.text == "the audit was rigged"


def test_it_splits_appositive_and_prefix_roles():
    c = _one("Lena Ortiz, a spokeswoman for the agency, said the trains were late.")
    assert (c.claimant.name, c.claimant.role) == ("Lena Ortiz", "a spokeswoman for the agency")
    c = _one("Transport Minister Paul Okafor said the line would open in 2026.")
    assert (c.claimant.name, c.claimant.role) == ("Paul Okafor", "Transport Minister")


def test_it_resolves_pronouns_surnames_and_descriptions_to_the_full_claimant():
    text = (
        "Paul Okafor, the transport minister, said the line would open in 2026. "
        "The minister added that tickets would cost $2. "
        "He said the fares were fair. "
        '"It is a good deal," Okafor said.'
    )
    claims = extract_claims(text)
    assert [c.claimant.name for c in claims] == ["Paul Okafor"] * 4
    assert [c.claimant.mention.text for c in claims] == ["Paul Okafor", "The minister", "He",
                                                         "Okafor"]


def test_it_groups_capitals_and_governments_into_families():
    text = (
        "The Kremlin said the drills were routine. "
        "Moscow denied that troops were massing near the border. "
        "Russian officials said the exercises would end on Friday. "
        "Washington warned that any attack would bring severe consequences. "
        "Foreign Minister Anna Berg of Sweden said talks would continue."
    )
    claims = extract_claims(text)
    fams = [c.claimant.family for c in claims]
    assert fams[:4] == ["russia", "russia", "russia", "united states"]
    assert fams[4] == "anna berg"  # a role naming no known body keeps the person's own name
    assert claims[1].kind == "denial" and claims[1].content.text.startswith("troops were massing")
    assert claims[3].kind == "warning"


def test_it_reads_denials_and_no_plans():
    c = _one("The company rejected the report.", kind="denial")
    assert c.content.text == "the report"
    c = _one("The ministry said it has no plans to raise taxes.", kind="denial")
    assert c.content.text == "plans to raise taxes"
    assert "no" in c.cue_words


def test_it_reads_allegations_of_hostile_intent():
    c = _one("Officials said the rebels were preparing to attack the airport.")
    assert c.kind == "allegation"


def test_it_flags_negation_and_hedges():
    c = _one("Officials said the fire may have started in the kitchen.")
    assert c.hedged and not c.negated
    c = _one("Police said nobody was hurt.")
    assert c.negated and not c.hedged


def test_it_keeps_the_outlets_own_factual_statements():
    c = _one("On Tuesday, the city council approved a budget of $3 million.")
    assert c.claimant is None and c.kind == "assertion" and c.cue is None


@pytest.mark.parametrize(
    "text",
    [
        "Will the bridge reopen before the summer?",
        "Good morning and welcome.",
        "Transport Policy",
        "We should all care more about bridges in Ohio.",
    ],
)
def test_it_finds_no_claim_in_questions_greetings_labels_and_opinion(text):
    assert extract_claims(text) == []
    assert all(c.kind == "not_claim" for c in extract_claims(text, include_non_claims=True))


def test_it_attributes_a_standalone_quote_to_the_previous_speaker():
    text = 'Reyes said the bridge was safe. "We checked every bolt."'
    claims = extract_claims(text)
    assert claims[-1].content.text == "We checked every bolt"
    assert claims[-1].claimant.name == "Reyes" and claims[-1].claimant.mention is None


def test_it_skips_a_party_bracket_between_speaker_and_cue():
    c = _one("Rep. Dana Cole (D-Ore.) said the hearing was a waste of time.")
    assert c.claimant.name == "Dana Cole" and c.content.text == "the hearing was a waste of time"


def test_it_reads_a_coordinated_cue_and_a_relative_clause_speaker():
    c = _one("The mayor visited the site and said the repairs were on schedule.",
             content__text="the repairs were on schedule")
    assert c.claimant.mention.text == "The mayor"
    c = _one("Crews thanked Reyes, who says the bridge is safe.",
             content__text="the bridge is safe")
    assert c.claimant.mention.text == "Reyes"


def test_it_keeps_a_quote_whose_attribution_goes_on_with_adding():
    text = '"We need more buses," Reyes said, adding that fares would not rise.'
    claims = extract_claims(text)
    assert [c.content.text for c in claims] == ["We need more buses", "fares would not rise"]
    assert claims[0].kind == "quote" and claims[1].negated


def test_it_keeps_a_role_with_to_as_one_speaker():
    c = _one("The U.S. envoy to the OSCE warned that the harbour would flood by May.",
             kind="warning")
    assert c.claimant.name == "U.S. envoy to the OSCE"
    assert c.claimant.family == "united states"


def test_a_pronoun_after_a_descriptive_speaker_points_back_to_it():
    text = ("The city's chief engineer said that the bridge was safe. "
            "He added that repairs would cost 3 million euros.")
    c = _one(text, cue__text="added")
    assert c.claimant.name == "city's chief engineer"
    assert c.claimant.mention.text == "He"


def test_an_unresolved_pronoun_keeps_its_mention_but_names_no_one():
    c = _one("He said that the ferry carried 900 people on Sunday.", cue__text="said")
    assert c.claimant.name == ""
    assert c.claimant.mention.text == "He"
