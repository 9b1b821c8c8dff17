"""Who can be a claimant: never a day, a quantifier, page furniture or an address; a time
after a speaker is when they spoke, not part of who they are."""

import pytest

from claims.engine import extract_claims
from claims.engine.claimants import not_a_claimant, parse_mention


@pytest.mark.parametrize("phrase", [
    "Tuesday", "on Monday", "yesterday", "last week", "the meeting yesterday", "Saturday night",
    "one", "many", "Both", "some", "self-", "HomeNEWSThe SVR", "https://example.org/x",
    "www.example.com",
])
def test_these_are_no_one(phrase):
    assert not_a_claimant(phrase)


@pytest.mark.parametrize("phrase", [
    "Julianne Smith", "the Kremlin", "Western officials", "NATO", "Secretary of State Antony "
    "Blinken", "the foreign minister", "One Nation", "Monday Group chairman Ann Lee",
])
def test_these_can_be_claimants(phrase):
    assert not not_a_claimant(phrase)


def test_a_time_after_the_speaker_is_dropped_from_the_name():
    parsed = parse_mention("the Kentucky Republican on Tuesday")
    assert parsed.name == "Kentucky Republican"


def test_a_pronoun_never_points_back_to_a_day():
    text = ("In a statement, the Kentucky Republican on Tuesday dismissed the new rules. "
            "He says Congress will track the actions closely.")
    names = {c.claimant.name for c in extract_claims(text) if c.claimant}
    assert "Tuesday" not in names


def test_no_one_makes_no_claimant_of_a_quantifier():
    claims = extract_claims("Clinton says many doubted her in Nevada.")
    assert all(c.claimant is None or c.claimant.name.lower() != "many" for c in claims)
