"""Statements that stand alone, negations that deny, and speakers that name someone:
the rules that keep fragments and junk claimants off the desk. Invented sentences."""

from __future__ import annotations

import pytest

from claims.engine import extract_claims
from claims.engine.attribution import speaker_ok
from claims.engine.clauses import stands_alone
from claims.engine.statements import DENIES, is_denial, positive


@pytest.mark.parametrize("text", [
    "The harbour board approved the budget",
    "In this plan, ferries would run every hour",
    "The levy, which was set in 1990, has doubled",
    "Officials say the bridge is safe",
    "The latest survey shows the operator losing money",
    "It also offers cheaper fares for pensioners",
    "Harbour Master Vows To Reopen The Old Canal",
])
def test_a_clause_stands_alone(text):
    assert stands_alone(text)


@pytest.mark.parametrize("text", [
    "Of secretly funding the regatta may have cost the port millions",  # cut at its start
    "Has surrounded the mayor's use of a private account",  # no subject
    "Would worsen the situation",
    "The mayor for supporting the toll that was signed into law",  # object of "criticized"
    "It a paperwork error that was reported in the paper",  # "calling it a ..."
    "Attacks using delivery vans",  # a noun phrase
    "Concern that the contractor was cutting corners",
    "Her in the past",
    "At City Council hearings on rezoning plans",
    "Only one paid organiser ahead of the vote",
])
def test_a_fragment_does_not(text):
    assert not stands_alone(text)


def test_a_verb_object_is_stated_with_its_speaker_or_not_at_all():
    claims = extract_claims("Ana Ruiz criticized the mayor for supporting the harbour toll.")
    assert [c.statement for c in claims] == [
        "Ana Ruiz criticized the mayor for supporting the harbour toll"]
    # The speaker after the content cannot be written before it: no claim, not a fragment.
    text = "Calling it a paperwork error, the mayor belittled the issue."
    assert all(stands_alone(c.statement) for c in extract_claims(text))


@pytest.mark.parametrize("text, proposition", [
    ("The agency had no record of the payments", "The agency had some record of the payments"),
    ("None of the ballots were marked", "Some of the ballots were marked"),
    ("He's not a candidate", "He's a candidate"),
    ("The port would no longer fight the ruling", "The port would fight the ruling"),
    ("Ms. Ruiz did not break any rules", "Ms. Ruiz did break any rules"),
    ("The current plan, however costly, is simply not working",
     "The current plan, however costly, is working"),
])
def test_a_negation_in_the_statements_own_clause_denies(text, proposition):
    assert is_denial(text)
    assert positive(text) == proposition


@pytest.mark.parametrize("text", [
    "The island is one of five territories that vote, even though its residents aren't eligible",
    "Although the port is not thought to be at risk, it is closing early",
    "The councillor said the toll doesn't just hurt drivers",
    "Even the so-called Never Ruizers came to the rally",
])
def test_a_negation_outside_the_main_clause_does_not(text):
    assert not is_denial(text)


def test_a_reported_negative_statement_has_the_denying_polarity():
    [claim] = extract_claims("The harbour board said it had no record of the payments.")
    assert claim.polarity == DENIES
    assert claim.statement == "It had no record of the payments"


@pytest.mark.parametrize("phrase", [
    "More", "Just", "All of them", "of whom", "another", "piece", "latest hiccup",
    "he’s", "Twenty-four percent", "000", "television with spots",
])
def test_no_claimant_is_a_stray_word_or_a_cut_phrase(phrase):
    assert not speaker_ok(phrase)


@pytest.mark.parametrize("phrase", [
    "Smith", "the harbour master", "officials", "Many economists", "a campaign operative",
    "60 percent of voters", "Elected officials from both parties", "The latest survey",
])
def test_real_speakers_still_speak(phrase):
    assert speaker_ok(phrase)


def test_some_of_a_group_keeps_its_quantifier():
    [claim] = extract_claims("Some of the women said they had spoken at council hearings.")
    assert claim.claimant.name == "Some of the women"
