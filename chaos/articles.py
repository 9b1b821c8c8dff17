"""Invented news articles for the fault-injection run (chaos/run.py), the same for a given seed.

A small world on purpose: a few claimants make, repeat, quote and deny a few propositions
across many articles, so extraction finds several claims in each article and matching links
claims across them (supports and contradicts). Every article carries one sentence with its own
numbers, so no two texts are duplicates. All names, places and statements are fictional.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# (how the claimant is introduced, how later sentences name it)
CLAIMANTS = [
    ("the mayor", "the mayor"),
    ("Anna Berg, the finance minister", "Berg"),
    ("the union", "the union"),
    ("Russia", "Russia"),
    ("the Kremlin", "the Kremlin"),
    ("a spokesman for the port authority", "the spokesman"),
    ("Tomas Lind, the union leader", "Lind"),
    ("the opposition", "the opposition"),
]
CLAIMANT_CAPITALISED = {"the": "The", "a": "A"}

# Propositions: (plain, as said in the past tense) — shared by many articles.
PROPOSITIONS = [
    "the port will close in March",
    "wages were cut by 12 percent last year",
    "the city spent 40 million euros on the new bridge",
    "troops were moved to the border in January",
    "the ferry service will end on 1 June",
    "unemployment in the region rose to 9 percent",
    "the council sold the harbour land to a private investor",
    "fuel prices will rise by 15 percent in the spring",
    "the strike cost the port 3 million euros a day",
    "the Baltic pipeline was damaged in October",
]
OUTLETS = ["Harbour Courier", "Northern Ledger", "Coastal Times", "Daily Tribune", "Radio Nord"]
PLACES = ["Portvik", "Saltby", "Eastmere", "Norrholm"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]

FILLERS = [
    "The city council met on {day} to discuss the budget.",
    "Officials in {place} gave no further details.",
    "The harbour has been the region's largest employer for decades.",
    "Talks are expected to continue next week.",
    "Residents of {place} gathered outside the town hall on {day}.",
]


@dataclass(frozen=True)
class GeneratedArticle:
    title: str
    source_name: str
    text: str


def _cap(phrase: str) -> str:
    first, _, rest = phrase.partition(" ")
    return CLAIMANT_CAPITALISED.get(first, first) + (" " + rest if rest else "")


def _sentence(rng: random.Random, who: str, proposition: str) -> str:
    """One attributed sentence: a report, a quote, a denial, a warning or an allegation."""
    # An appositive before the verb is closed by a comma: "Anna Berg, the finance minister, said".
    subject = who + ("," if "," in who else "")
    form = rng.choice(["said", "said", "quote", "denied", "warned", "claimed", "according"])
    if form == "said":
        return f"{_cap(subject)} said on {rng.choice(DAYS)} that {proposition}."
    if form == "quote":
        return f"\u201c{proposition[0].upper()}{proposition[1:]},\u201d {subject} said."
    if form == "denied":
        return f"{_cap(subject)} denied that {proposition}."
    if form == "warned":
        return f"{_cap(subject)} warned that {proposition}."
    if form == "claimed":
        return f"{_cap(subject)} claimed that {proposition}."
    return f"According to {who}, {proposition}."


def generate(count: int, seed: int = 7) -> list[GeneratedArticle]:
    """``count`` articles of 6 to 10 sentences, deterministic for a given seed."""
    rng = random.Random(seed)
    articles = []
    for number in range(count):
        place, day = rng.choice(PLACES), rng.choice(DAYS)
        topic = rng.sample(PROPOSITIONS, 3)
        speakers = rng.sample(CLAIMANTS, 3)
        sentences, named = [], set()
        for index in range(rng.randint(5, 9)):
            if index and rng.random() < 0.25:
                sentences.append(rng.choice(FILLERS).format(day=day, place=place))
                continue
            introduced, short = rng.choice(speakers)
            # The first mention names the claimant in full; later ones may use the short form.
            who = short if introduced in named and rng.random() < 0.5 else introduced
            named.add(introduced)
            sentences.append(_sentence(rng, who, rng.choice(topic)))
        # The article's own figures: its text is unique, so ingestion never sees a duplicate.
        sentences.insert(rng.randint(1, len(sentences)),
                         f"About {200 + number} people attended the meeting in {place}, "
                         f"which lasted {rng.randint(2, 5)} hours.")
        title = f"{place}: {topic[0][0].upper()}{topic[0][1:]}? ({number + 1})"
        articles.append(GeneratedArticle(
            title=title, source_name=rng.choice(OUTLETS), text=" ".join(sentences)))
    return articles
