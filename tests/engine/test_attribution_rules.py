"""Rules added for engine 0.3.0, each on invented sentences of its own."""

from __future__ import annotations

import pytest

from claims.engine import extract_claims


def _claims(text):
    claims = extract_claims(text)
    for c in claims:
        assert text[c.content.start:c.content.end] == c.content.text
        if c.claimant and c.claimant.mention:
            m = c.claimant.mention
            assert text[m.start:m.end] == m.text
    return claims


def _one(text, **match):
    claims = _claims(text)
    hits = [c for c in claims if all(_get(c, k) == v for k, v in match.items())]
    assert hits, [(c.kind, c.claimant and c.claimant.name, c.cue and c.cue.text, c.content.text)
                  for c in claims]
    return hits[0]


def _get(claim, key):
    obj = claim
    for part in key.split("__"):
        obj = getattr(obj, part) if obj is not None else None
    return obj


def _speaker(c):
    return c.claimant.mention.text if c.claimant and c.claimant.mention else None


# --- speakers before the cue ------------------------------------------------------------------

@pytest.mark.parametrize("text, speaker, content", [
    ("The port authority is saying that the cranes are safe.", "The port authority",
     "the cranes are safe"),
    ("The growers are demanding that the canal reopen by June.", "The growers",
     "the canal reopen by June"),
    ("It’s denouncing what it calls a smear campaign.", "It", "what it calls a smear campaign"),
])
def test_it_reads_a_progressive_cue_as_a_verb_not_a_passive(text, speaker, content):
    c = _one(text, content__text=content)
    assert _speaker(c) == speaker


def test_a_passive_cue_is_still_no_frame():
    assert not [c for c in _claims("The letter was signed and was dismissed by the court.")
                if c.claimant]


@pytest.mark.parametrize("text, speaker, content", [
    ("Ortega has long said that the dam leaks.", "Ortega", "the dam leaks"),
    ("Perhaps the referees will demand more replays.", "the referees", "more replays"),
    ("He didn't suggest a recount.", "He", "a recount"),
    ("The mayor should explain why the pool closed.", "The mayor", "why the pool closed"),
])
def test_it_strips_adverbs_modals_and_negated_auxiliaries_from_the_speaker(text, speaker,
                                                                           content):
    assert _speaker(_one(text, content__text=content)) == speaker


@pytest.mark.parametrize("text", [
    "The crowd cheered after she appeared to suggest that the mill would reopen.",
    "She went on to say that the mill would reopen.",
    "At the rally she seemed to promise that the mill would reopen.",
])
def test_it_reads_a_cue_after_a_raising_verb(text):
    c = _one(text, content__text="the mill would reopen")
    assert _speaker(c) in ("she", "She")


def test_an_infinitive_governed_by_a_cue_stays_the_cues_content():
    c = _one("The coach refused to say whether the striker was injured.")
    assert c.cue.text == "refused" and c.content.text.startswith("to say whether")


def test_it_takes_a_coordinated_speaker_whole():
    c = _one("Historians of the region and former diplomats said the border was never marked.",
             content__text="the border was never marked")
    assert _speaker(c) == "Historians of the region and former diplomats"
    c = _one("The talks ended and officials said the deal was close.",
             content__text="the deal was close")
    assert _speaker(c) == "officials"


def test_a_relative_pronoun_names_its_antecedent():
    c = _one("The plan angered dairy farmers on the coast, who have argued that the levy is "
             "unfair.", content__text="the levy is unfair")
    assert c.claimant.mention.text == "who"
    assert c.claimant.name == "dairy farmers on the coast"
    c = _one("She hired a consultancy that insists the tunnel is sound.",
             content__text="the tunnel is sound")
    assert c.claimant.mention.text == "that" and c.claimant.name == "consultancy"


def test_a_verb_before_a_modal_is_not_a_speaker():
    claims = _claims("The envoys discussed the proposals, which Lisbon believes would release "
                     "pressure on the fleet.")
    assert not [c for c in claims if c.claimant and "believes" in c.claimant.name]


def test_an_appositive_with_a_noun_that_is_also_a_cue_still_names_the_speaker():
    c = _one("Dana Cole, an adviser on budget issues and a professor of law, said that the levy "
             "was sound.", content__text="the levy was sound")
    assert c.claimant.name == "Dana Cole"


def test_a_noun_before_an_auxiliary_is_no_cue():
    claims = _claims("Budget worries have dogged the council since March.")
    assert not [c for c in claims if c.cue and c.cue.text == "worries"]


def test_the_subject_of_a_participle_frame_skips_a_leading_adjunct_and_an_appositive():
    c = _one("In May, several fishing unions granted the port an extension, saying its dredging "
             "was late.", content__text="its dredging was late")
    assert _speaker(c) == "several fishing unions"
    c = _one("Ortega, a former harbour master, poked at the plan on Monday, tweeting that the "
             "dredging was late.", content__text="the dredging was late")
    assert c.claimant.name == "Ortega"


# --- cues and their complements ---------------------------------------------------------------

@pytest.mark.parametrize("text, cue, content", [
    ("A new audit found the pension fund would run dry by 2040.", "found",
     "the pension fund would run dry by 2040"),
    ("Port records show he paid the fee twice.", "show", "he paid the fee twice"),
    ("The latest survey shows the ferry operator losing money.", "shows",
     "the ferry operator losing money"),
])
def test_a_weak_cue_takes_a_clause_without_that(text, cue, content):
    c = _one(text, content__text=content)
    assert c.cue.text == cue


def test_a_weak_cue_with_a_plain_object_is_still_no_claim():
    assert not [c for c in _claims("The survey shows a map of the harbour.") if c.claimant]


@pytest.mark.parametrize("text, cue, content", [
    ("The senator described the levy as reckless.", "described", "the levy as reckless"),
    ("Ortega mentioned the dredging backlog.", "mentioned", "the dredging backlog"),
    ("The governor spoke about the flooding in the valley.", "spoke about",
     "the flooding in the valley"),
    ("The port authority released a timetable for the repairs.", "released",
     "a timetable for the repairs"),
    ("The union has laid out its demands for the new contract.", "laid out",
     "its demands for the new contract"),
    ("The mayor offered her condolences to the families.", "offered",
     "her condolences to the families"),
    ("The advert portrays the senator as a friend of the fishing fleet.", "portrays",
     "the senator as a friend of the fishing fleet"),
    ("The protesters chanted slogans against the toll.", "chanted",
     "slogans against the toll"),
])
def test_speaking_publishing_and_portraying_verbs_take_their_object_as_content(text, cue,
                                                                             content):
    c = _one(text, content__text=content)
    assert c.cue.text == cue


def test_a_title_case_headline_has_its_cue():
    c = _one("Harbour Master Vows To Reopen The Old Canal.")
    assert c.claimant.name == "Harbour Master" and c.cue.text == "Vows"
    c = _one("Ferry Fares Will Rise In May, Port Chief Says.")
    assert c.content.text == "Ferry Fares Will Rise In May" and c.cue.text == "Says"
    # A colon names the headline's speaker; a capitalised auxiliary makes no speaker.
    c = _one("Port Chief: Ferries Won't Discuss The Toll With The Council.")
    assert c.claimant.name == "Port Chief" and c.cue.text == ":"
    assert not [c for c in _claims("Ferries Won't Discuss The Toll With The Council.")
                if c.claimant]
    # In running text a capitalised cue form is part of a name.
    assert not [c for c in _claims("She watched Fox News Sunday Says at home.") if c.claimant]


def test_that_before_a_noun_and_a_preposition_or_before_a_verb_is_a_demonstrative():
    c = _one("The judge rejected that argument in her ruling.")
    assert c.content.text.startswith("that argument")
    c = _one("He said that was wrong.")
    assert c.content.text == "that was wrong"
    c = _one("He said that tenants in the tower had complained.")
    assert c.content.text == "tenants in the tower had complained"


# --- where the content ends -------------------------------------------------------------------

def test_content_stops_before_yet_a_semicolon_and_a_new_main_clause():
    c = _one("Ortega demands transparency from the board, yet refuses to publish his own "
             "accounts.", cue__text="demands")
    assert c.content.text == "transparency from the board"
    c = _one("Analysts estimate the tunnel would cost $2 billion; the city puts the figure at "
             "$900 million.", cue__text="estimate")
    assert c.content.text == "the tunnel would cost $2 billion"
    c = _one("While she called for new audits, Reyes restricted her comments to the budget.",
             cue__text="called for")
    assert c.content.text == "new audits"


def test_a_noun_phrase_content_stops_before_an_aside_but_keeps_a_plain_adjunct():
    c = _one("Ana Ruiz attacked her rival as a fraud, with jabs at his record.",
             cue__text="attacked")
    assert c.content.text == "her rival as a fraud"
    c = _one("The union endorsed the harbour plan — a rare move for it.", cue__text="endorsed")
    assert c.content.text == "the harbour plan"
    c = _one("The fishing union endorses Mayor Tom Reyes, who says he is honoured.",
             cue__text="endorses")
    assert c.content.text == "Mayor Tom Reyes"
    c = _one("Ana Ruiz attacked her rival during the debate on Monday.", cue__text="attacked")
    assert c.content.text == "her rival during the debate on Monday"


def test_a_clause_content_keeps_its_trailing_clauses():
    c = _one("Reyes said the ferry would run late, with delays of an hour.", cue__text="said")
    assert c.content.text == "the ferry would run late, with delays of an hour"


def test_a_relative_clause_with_its_own_speaker_stays_inside_the_content():
    claims = _claims("Reyes said the levy, which critics call reckless, would pass.")
    outer = next(c for c in claims if c.cue.text == "said")
    assert outer.content.text == "the levy, which critics call reckless, would pass"
    assert any(c.cue.text == "call" for c in claims)


# --- split attributions and transcripts -------------------------------------------------------

@pytest.mark.parametrize("text, content", [
    ("The economy, Smith argued, is stronger than ever.",
     "The economy, Smith argued, is stronger than ever"),
    ('"My hope," he said, "is that the vote passes."',
     'My hope," he said, "is that the vote passes'),
])
def test_an_attribution_that_splits_one_clause_gives_one_claim(text, content):
    claims = [c for c in _claims(text) if c.claimant]
    assert [c.content.text for c in claims] == [content]


def test_a_split_before_a_second_full_clause_keeps_the_first():
    claims = [c for c in _claims("The fares will rise, he said, and the ferries will run less "
                                 "often.") if c.claimant]
    assert claims[0].content.text == "The fares will rise"


def test_a_transcript_turn_is_one_claim_to_the_end_of_the_line():
    text = ("HOST: Do you accept the result? Do you, really?\n"
            "RUIZ: I do. The count was fair.\n"
            "CORRECTION: An earlier version misstated the date.\n")
    claims = _claims(text)
    turns = [c for c in claims if c.extra.get("turn")]
    assert [(c.claimant.name, c.content.text) for c in turns] == [
        ("HOST", "Do you accept the result? Do you, really?"),
        ("RUIZ", "I do. The count was fair."),
    ]
    assert not [c for c in claims if c.claimant and c.claimant.name == "CORRECTION"]


# --- quotes closed by a speaker ---------------------------------------------------------------

@pytest.mark.parametrize("text, speaker", [
    ('"The plan is dead," said one senior source on the committee.',
     "one senior source on the committee"),
    ('"The plan is dead," said Del. Ana Ruiz of the Virgin Islands.',
     "Del. Ana Ruiz of the Virgin Islands"),
    ('"The plan is dead," Senate Leader Ana Ruiz, D-Ohio, said Tuesday.',
     "Senate Leader Ana Ruiz"),
    ('"The plan is dead," Chairman Dana Cole said after the witness failed to appear at the '
     'hearing he had been called to last week.', "Chairman Dana Cole"),
])
def test_a_closing_speaker_gets_the_quote(text, speaker):
    c = _one(text, content__text="The plan is dead")
    assert _speaker(c) == speaker and c.kind == "quote"


# --- nominal and passive reports --------------------------------------------------------------

def test_an_owners_view_that_is_a_claim_of_its_own_kind():
    c = _one("The senator's view that the levy pays for itself drew scorn.", cue__text="view")
    assert _speaker(c) == "The senator"
    assert c.content.text.startswith("the levy pays for itself")
    assert c.kind == "assertion"
    c = _one("Ortega's fear that the dam would fail proved right.", cue__text="fear")
    assert c.kind == "warning"


def test_it_reads_quoted_as_saying():
    c = _one("The minister was quoted as saying that the border would stay closed.")
    assert _speaker(c) == "The minister" and c.content.text == "the border would stay closed"
    c = _one("Ortega was quoted by a local paper as saying the dam is safe.")
    assert _speaker(c) == "Ortega" and c.content.text == "the dam is safe"


def test_an_impersonal_passive_report_has_no_named_claimant():
    c = _one("It was reported that the plant had been shut for a week.")
    assert c.claimant is None and c.cue.text == "reported"
    assert c.content.text == "the plant had been shut for a week"
    c = _one("It was announced by the ministry that the border would reopen.")
    assert _speaker(c) == "the ministry" and c.content.text == "the border would reopen"


def test_a_negated_cue_is_a_verb_not_a_passive():
    c = _one("When the scan was done, Ortega did not want to stay in the clinic.",
             cue__text="want")
    assert _speaker(c) == "Ortega" and c.content.text == "to stay in the clinic"


def test_a_gerund_after_a_preposition_takes_the_sentence_subject():
    c = _one("The mayor courted the dockers by telling them that the port would stay public.",
             cue__text="telling")
    assert _speaker(c) == "The mayor" and c.content.text == "the port would stay public"
