"""The demo's review desk: a handful of the demo corpus's claims driven through the review
services, so the queue shows every state, and a slice of the real fact-check library (when
../shared/data/retrieval/ is there). The stories and outlets are invented, and so are the
verdicts and the evidence addresses (records.example.org)."""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from claims import review
from claims.errors import InvalidFactCheck
from claims.factchecks import factchecks_save, record_from_vclaim
from claims.models import Claim

# The demo desk's password, kept beside the demo's SQLite database (settings.VAR_DIR) so that
# every run prints the same one and the logins keep working: one password per database.
PASSWORD_FILE = "demo-password"


def demo_password(*, var_dir: Path, chosen: str = "") -> tuple[str, Path]:
    """The demo desk's one password and the file that keeps it.

    `chosen` (DEMO_PASSWORD) wins and is kept for the next runs; otherwise the one kept by an
    earlier run; otherwise a new random one. The file is readable by its owner alone (0600),
    like the database next to it holds the desk's data. An unreadable file raises OSError or
    UnicodeDecodeError: nothing is overwritten that could not be read."""
    path = var_dir / PASSWORD_FILE
    password = chosen
    if not password:
        try:
            password = path.read_text(encoding="utf-8").rstrip("\r\n")
        except FileNotFoundError:
            password = ""
    password = password or secrets.token_urlsafe(12)
    _write_private(path, password + "\n")
    return password, path


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        path.chmod(0o600)  # kept as it is; only made private if it was not
        return
    # Written whole under a temporary name, then renamed: a run that stops half-way never
    # leaves a truncated password behind. O_EXCL with 0600: never readable by others.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@dataclass(frozen=True)
class Plan:
    source: str
    text: str  # a distinctive piece of the claim's text
    goal: str  # in_review, awaiting, sent_back, published, corrected, dismissed, flagged
    checker: str = "checker"
    verdict: str = ""
    rationale: str = ""
    evidence: tuple[tuple[str, str, str], ...] = ()
    note: str = ""
    correction: tuple[str, str, str] = ("", "", "")  # verdict, rationale, note


LOG = "https://records.example.org"
PLANS = [
    Plan("Vantage Courier", "about 100,000 Russian troops are now deployed", "published",
         verdict="mostly_true",
         rationale="Three independent counts of the build-up published that week put it "
                   "between 90,000 and 110,000 troops; the figure is an estimate, not a census.",
         evidence=((f"{LOG}/defence/troop-estimates-2022-01", "Compilation of public estimates",
                    "supports"),
                   (f"{LOG}/imagery/border-units", "Commercial satellite imagery of the units",
                    "supports"))),
    Plan("Pinecrest Wire", "met for close to eight hours in Geneva", "corrected",
         verdict="true", rationale="The official schedule has the talks from 9:00 to 17:00.",
         evidence=((f"{LOG}/geneva/schedule", "The published schedule of the talks",
                    "supports"),),
         correction=("mostly_true",
                     "The talks themselves ran seven and a half hours; the eight-hour figure "
                     "counts the lunch break, which the schedule lists apart.",
                     "The mission's record of the day, published after the first verdict, "
                     "gives the session times.")),
    Plan("Vantage Courier", "Russia has any plans to invade Ukraine", "awaiting",
         checker="checker2", verdict="unverifiable",
         rationale="A denial of intent: no record available this week can show what Moscow "
                   "plans. The troop movements it denies are documented separately.",
         evidence=((f"{LOG}/kremlin/briefing-2022-01-10", "Transcript of the briefing",
                    "context"),)),
    Plan("Vantage Courier", "assembling an invasion force", "awaiting",
         verdict="mixed",
         rationale="The force near the border is documented; that it is meant for an invasion "
                   "is the official's reading, which the evidence neither proves nor excludes.",
         evidence=((f"{LOG}/imagery/border-units", "Units and equipment near the border",
                    "supports"),)),
    Plan("Old Bridge Gazette", "number of Russian troops near Ukraine at around 100,000",
         "sent_back", checker="checker2", verdict="true",
         rationale="Other outlets report the same number.",
         evidence=((f"{LOG}/press/other-outlets", "Other outlets' reports", "supports"),),
         note="Other outlets repeating the figure is not evidence for it: cite where the "
              "number comes from."),
    Plan("Pinecrest Wire", "expected written answers to its proposals", "in_review",
         evidence=((f"{LOG}/moscow/foreign-ministry-statement",
                    "Ministry statement after the talks", "supports"),)),
    Plan("Vantage Courier", "Ambassadors of the 30 NATO allies", "in_review",
         checker="checker2"),
    Plan("Old Bridge Gazette", "the accusations", "dismissed",
         note="Not checkable as extracted: the content is only 'the accusations'."),
    Plan("Saltmarsh Herald", "to carry a single message into the room", "dismissed",
         note="A forecast of consequences and the allies' agreed message, not a checkable "
              "statement of fact."),
    Plan("Old Bridge Gazette", "stirring up alarm", "flagged",
         note="Lavrov says Washington refuses to discuss Russia's concerns in a week of three "
              "rounds of talks: worth checking what was on the agenda."),
    Plan("Saltmarsh Herald", "Russia is preparing to invade Ukraine", "flagged",
         note="Several outlets carry this; worth a check before the weekend."),
]


def _find(plan: Plan) -> Claim | None:
    return (Claim.objects.filter(article__source__name=plan.source, text__contains=plan.text)
            .order_by("start").first())


def demo_reviews(*, editor, editor2, checker, checker2, reporter,
                 log: Callable[[str], object] = print) -> int:
    """Drive the planned claims; a claim that has a review trail already is left as it is,
    so running the demo again changes nothing. Returns how many claims were driven."""
    checkers = {"checker": checker, "checker2": checker2}
    driven = 0
    for plan in PLANS:
        claim = _find(plan)
        if claim is None:
            log(f"Demo review: no claim of {plan.source} with “{plan.text}” (engine changed?)")
            continue
        if claim.events.exists():
            continue
        fact_checker = checkers[plan.checker]
        if plan.goal == "flagged":
            review.claim_flag(claim=claim, user=reporter, note=plan.note)
        elif plan.goal == "dismissed":
            review.claim_dismiss(claim=claim, user=editor, reason=plan.note)
        else:
            claim = review.claim_take(claim=claim, user=fact_checker)
            for url, note, stance in plan.evidence:
                review.evidence_add(claim=claim, user=fact_checker, url=url, note=note,
                                    stance=stance)
            if plan.goal != "in_review":
                claim = review.claim_submit(claim=claim, user=fact_checker,
                                            verdict=plan.verdict, rationale=plan.rationale)
            if plan.goal == "sent_back":
                review.claim_send_back(claim=claim, user=editor, note=plan.note)
            if plan.goal in ("published", "corrected"):
                claim = review.claim_publish(claim=claim, user=editor2)
            if plan.goal == "corrected":  # proposed by one editor, approved by the other
                verdict, rationale, note = plan.correction
                claim = review.claim_correct(claim=claim, user=editor, verdict=verdict,
                                             rationale=rationale, note=note)
                review.claim_correction_approve(claim=claim, user=editor2)
        driven += 1
    return driven


# The demo library: a few hundred of the CheckThat! fact-checks (PolitiFact, Snopes), chosen
# so that the demo's stories (Russia, Ukraine, NATO talks) have earlier fact-checks to find,
# with some on other subjects beside them. A slice, not all 33,481: the demo stays quick
# (the whole library takes minutes to import and match against on a laptop).
LIBRARY_TOPIC = re.compile(
    r"\b(?:russia\w*|ukrain\w*|nato|putin|kremlin|moscow|geneva|lavrov|troops)\b", re.I)
LIBRARY_TOPICAL = 150  # records on the demo's subjects, per publisher
LIBRARY_OTHERS = 50  # and on anything else, per publisher (the first in the file)


def _library_slice(path: Path) -> list:
    topical, others = [], []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if len(topical) >= LIBRARY_TOPICAL and len(others) >= LIBRARY_OTHERS:
                break
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                continue
            if not isinstance(obj, dict):
                continue
            text = f"{obj.get('vclaim') or ''} {obj.get('title') or ''}"
            chosen = topical if LIBRARY_TOPIC.search(text) else others
            if len(chosen) >= (LIBRARY_TOPICAL if chosen is topical else LIBRARY_OTHERS):
                continue
            try:
                chosen.append(record_from_vclaim(obj))
            except InvalidFactCheck:
                continue
    return topical + others


def demo_library(*, retrieval_dir: Path, log: Callable[[str], object] = print) -> int:
    """Import the demo's slice of the fact-check library from ``retrieval_dir`` (each
    ``*/vclaims.jsonl``), or say that it is absent. Re-running updates the same records.
    Returns how many records the slice holds."""
    files = sorted(retrieval_dir.glob("*/vclaims.jsonl")) if retrieval_dir.is_dir() else []
    if not files:
        log(f"Fact-check library: none in {retrieval_dir.resolve()} (the shared data beside "
            "the checkout); the demo goes on with an empty library.")
        return 0
    counts, records = [], []
    for path in files:
        chosen = _library_slice(path)
        counts.append(f"{path.parent.name} {len(chosen)}")
        records.extend(chosen)
    created, updated, failures = factchecks_save(records)
    log(f"Fact-check library: {len(records)} records from {retrieval_dir.resolve()} "
        f"({', '.join(counts)}; {created} new, {updated} updated), a slice for the demo."
        + (f" {len(failures)} refused: {failures[0]}" if failures else ""))
    return len(records)
