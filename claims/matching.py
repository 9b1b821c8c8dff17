"""Cross-source matching: for a claim, the claims of other articles that say the same or the
opposite, the proposition they share, and earlier fact-checks of it.

Candidates come from the database's full-text index on PostgreSQL and from an in-process
index on SQLite (same interface, smaller scale); both are re-scored here by one similarity so
that the thresholds mean the same everywhere. Suggestions are idempotent (one link per pair)
and never touch a link an editor has decided.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, FloatField, Q, Value, When
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from claims import enqueue
from claims.candidates import (
    claim_candidates,
    factcheck_candidates,
    sentence_of,
)
from claims.engine import relation as relation_engine
from claims.engine.lexicon import FAMILY_ALIASES
from claims.engine.retrieval_text import analyse as analyse_terms
from claims.models import Article, Claim, ClaimLink, Proposition

logger = logging.getLogger(__name__)

METHOD = "lexical-cosine+rules/1"


@lru_cache(maxsize=1)
def _family_terms() -> dict[str, str]:
    """Stemmed one-word aliases of a body to one term: 'moscow', 'kremlin' → 'russia'."""
    mapping = {}
    for family, aliases in FAMILY_ALIASES.items():
        target = "family:" + family
        for alias in aliases:
            terms, _ = analyse_terms(alias)
            if len(terms) == 1:
                mapping[terms[0]] = target
    return mapping


def _normalise_term(term: str) -> str:
    family = _family_terms().get(term)
    if family:
        return family
    # "invasion" / "invade", "decision" / "decide": the -sion noun of a -de verb.
    if len(term) > 6 and term.endswith("sion") and term[-5] in "aeiou":
        return term[:-4] + "d"
    return term


def claim_vector(claim_text: str, sentence: str = "") -> Counter:
    """Terms of a claim (its content twice, its sentence once for context), names doubled."""
    vector: Counter = Counter()
    for text, weight in ((claim_text, 2.0), (sentence, 1.0)):
        if not text:
            continue
        terms, names = analyse_terms(text, social=False)
        for term in terms:
            vector[_normalise_term(term)] += weight
        for name in names:
            vector[_normalise_term(name)] += weight
    return vector


def cosine(a: Counter, b: Counter) -> float:
    if not a or not b:
        return 0.0
    dot = sum(weight * b[term] for term, weight in a.items() if term in b)
    return dot / math.sqrt(sum(v * v for v in a.values()) * sum(v * v for v in b.values()))


# --- suggestions --------------------------------------------------------------------------------


def _suggest(*, claim: Claim, relation: str, score: float, cues, **target) -> None:
    """Create or refresh a suggested link; a link an editor decided stays as it is."""
    link = ClaimLink.objects.filter(claim=claim, **target).first()
    if link is not None and link.status != ClaimLink.Status.SUGGESTED:
        return
    other = target.get("target_claim")
    if other is not None and ClaimLink.objects.filter(claim=other, target_claim=claim).exclude(
            status=ClaimLink.Status.SUGGESTED).exists():
        return  # an editor decided the pair from the other side: that decision stands
    values = {"relation": relation, "score": round(score, 4), "method": METHOD,
              "cues": list(cues)}
    if link is None:
        ClaimLink.objects.create(claim=claim, **target, **values)
    else:
        # Only while still a suggestion: an editor's decision made meanwhile stands.
        ClaimLink.objects.filter(pk=link.pk, status=ClaimLink.Status.SUGGESTED).update(
            **values, updated_at=timezone.now())


def _same_family(a: Claim, b: Claim) -> bool | None:
    if a.claimant is None or b.claimant is None:
        return None
    return a.claimant.family == b.claimant.family


def claim_match(*, claim_id: int) -> dict[str, int]:
    """Suggest links from one claim to other claims, a proposition and fact-checks.

    Claims may be deleted meanwhile (their article extracted again): a claim gone before the
    links are written gets none, and none points at it."""
    counts = {"claims": 0, "factchecks": 0, "proposition": 0}
    claim = Claim.objects.select_related("article", "claimant").filter(pk=claim_id).first()
    if claim is None or claim.kind not in Claim.MATCHABLE_KINDS:
        return counts
    vector = claim_vector(claim.text, sentence_of(claim))
    link_min = settings.CLAIMTRACK_MATCH_LINK_MIN
    scored = []
    for other in claim_candidates(claim, settings.CLAIMTRACK_MATCH_CANDIDATES):
        similarity = cosine(vector, claim_vector(other.text, sentence_of(other)))
        if similarity < link_min:
            continue
        label, confidence, cues = relation_engine.classify(
            claim.text, other.text, claim_kind=claim.kind, text_kind=other.kind,
            same_claimant_family=_same_family(claim, other))
        scored.append((similarity, other, label, cues))

    with transaction.atomic():
        # One proposition join at a time across workers, so two matching claims cannot both
        # start their own; the lock comes before any row lock (one order everywhere, so
        # matching never deadlocks) and also makes a redelivered pass wait for the first.
        Proposition.objects.lock_membership()
        # Deletions take the same lock first, so what exists now stays until the commit.
        alive = set(Claim.objects.filter(pk__in=[claim.pk, *(o.pk for _, o, _, _ in scored)])
                    .values_list("pk", flat=True))
        if claim.pk not in alive:
            return counts
        scored = [row for row in scored if row[1].pk in alive]
        for similarity, other, label, cues in scored:
            _suggest(claim=claim, target_claim=other, relation=label, score=similarity,
                     cues=cues)
            counts["claims"] += 1
        counts["proposition"] = _join_proposition(claim, scored)
    # After the commit, outside the global lock: the counts lock claim rows of their own.
    claims_priority_refresh(claim_ids=[claim.pk, *(other.pk for _, other, _, _ in scored)])

    fact_min = settings.CLAIMTRACK_MATCH_FACTCHECK_MIN
    content = claim_vector(claim.text)
    with transaction.atomic():
        # The claim's row is held (not its key) so it cannot be deleted under its new links.
        if Claim.objects.select_for_update(no_key=True).filter(pk=claim.pk) \
                .values_list("pk", flat=True).first() is None:
            return counts
        for factcheck in factcheck_candidates(claim, settings.CLAIMTRACK_MATCH_CANDIDATES):
            checked = claim_vector(factcheck.claim_reviewed)
            similarity = cosine(content, checked)
            # A fact-check is about one statement: the claim itself must say most of it, and
            # more than a word or two ("the charge" is not "a BLM charge").
            if similarity < fact_min or len(content.keys() & checked.keys()) < 3:
                continue
            label, _, cues = relation_engine.classify(factcheck.claim_reviewed, claim.text,
                                                      text_kind=claim.kind)
            _suggest(claim=claim, factcheck=factcheck, relation=label, score=similarity,
                     cues=cues)
            counts["factchecks"] += 1
    return counts


def _join_proposition(claim: Claim, scored) -> int:
    """Put the claim in the best proposition of its matches, or start one. 1 if it joined.

    A claim an editor placed stays; a claim that started a proposition stays in it (others
    may have joined it since); otherwise it moves to the best proposition of its matches.
    """
    current = ClaimLink.objects.filter(claim=claim, proposition__isnull=False).select_related(
        "proposition").first()
    if current is not None and current.status != ClaimLink.Status.SUGGESTED:
        return 0
    if current is not None and (current.proposition.first_claim_id == claim.pk
                                or current.proposition.locked):
        return 0
    join_min = settings.CLAIMTRACK_PROPOSITION_JOIN_MIN
    matched = {other.pk: similarity for similarity, other, _, _ in scored
               if similarity >= join_min}
    best: tuple[float, Proposition] | None = None
    # A proposition an editor has worked on (locked) gets no automatic members.
    memberships = (ClaimLink.objects.filter(claim_id__in=matched, proposition__isnull=False,
                                            proposition__locked=False)
                   .live()
                   .select_related("proposition__first_claim"))
    for link in memberships:
        proposition = link.proposition
        while proposition.merged_into_id:
            proposition = proposition.merged_into
        if best is None or matched[link.claim_id] > best[0]:
            best = (matched[link.claim_id], proposition)
    if best is None:
        if current is not None:
            return 0  # its matches have gone; the suggestion stays until an editor decides
        proposition = Proposition.objects.create(
            text=claim.said, first_claim=claim,
            first_seen_at=claim.article.date)
        _suggest(claim=claim, proposition=proposition, relation=ClaimLink.Relation.SUPPORTS,
                 score=1.0, cues=())
        return 0
    similarity, proposition = best
    if current is not None and current.proposition_id != proposition.pk:
        # A better proposition than the one suggested before (unless an editor decided it).
        ClaimLink.objects.filter(pk=current.pk, status=ClaimLink.Status.SUGGESTED).delete()
    first = proposition.first_claim
    label, _, cues = relation_engine.classify(
        proposition.text, claim.text, claim_kind=first.kind if first else None,
        text_kind=claim.kind, same_claimant_family=_same_family(first, claim) if first else None)
    _suggest(claim=claim, proposition=proposition, relation=label, score=similarity, cues=cues)
    seen = claim.article.date
    if proposition.first_seen_at is None or (seen and seen < proposition.first_seen_at):
        Proposition.objects.filter(pk=proposition.pk).update(first_seen_at=seen)
    return 1


def article_match(*, article_id: int, deadline: float | None = None) -> dict[str, int] | None:
    """Take the article's matching lease and run one pass (``article_match_pass``); None
    when another pass holds the lease or nothing is left to match."""
    taken = article_match_take(article_id=article_id)
    if taken is None:
        return None
    return article_match_pass(article_id=article_id, taken=taken, deadline=deadline)


def article_match_pass(*, article_id: int, taken: MatchLease,
                       deadline: float | None = None) -> dict[str, int]:
    """Match an article's claims in order from where the last pass stopped, recording each
    as done, until CLAIMTRACK_MATCH_CHUNK claims or ``deadline`` (a ``time.monotonic()``
    value): the rest go to a new pass, sent on commit, so a long article never runs past a
    task's time limit. The last pass marks the article matched."""
    totals: Counter = Counter()
    remaining = (Claim.objects.matchable().filter(article_id=article_id,
                                      pk__gt=taken.cursor).order_by("pk")
                 .values_list("pk", flat=True))
    batch = list(remaining[:settings.CLAIMTRACK_MATCH_CHUNK + 1])
    for position, claim_id in enumerate(batch):
        out_of_time = deadline is not None and time.monotonic() >= deadline
        if position == settings.CLAIMTRACK_MATCH_CHUNK or (position and out_of_time):
            article_match_release(article_id=article_id, lease=taken.lease)
            return dict(totals)
        totals.update(claim_match(claim_id=claim_id))
        # Progress is kept claim by claim: a pass cut short resumes after the last one.
        Article.objects.filter(pk=article_id, match_started_at=taken.lease).update(
            match_cursor=claim_id, match_attempts=0)
    Article.objects.filter(pk=article_id, match_started_at=taken.lease).update(
        matched_at=timezone.now(), match_started_at=None)
    return dict(totals)


@dataclass(frozen=True)
class MatchLease:
    lease: datetime
    cursor: int


def article_match_take(*, article_id: int, lease: datetime | None = None) -> MatchLease | None:
    """Take the matching lease of a processed, unmatched article; every take counts an
    attempt (the count restarts when a claim is matched)."""
    now = timezone.now()
    expired = now - timezone.timedelta(seconds=settings.CLAIMTRACK_PROCESSING_TIMEOUT)
    free = Q(match_started_at__isnull=True) | Q(match_started_at__lt=expired)
    if lease is not None:
        free |= Q(match_started_at=lease)
    taken = Article.objects.filter(
        free, pk=article_id, state=Article.State.DONE, matched_at__isnull=True, error="",
    ).update(match_started_at=now, match_attempts=F("match_attempts") + 1)
    if taken != 1:
        return None
    cursor, attempts = Article.objects.values_list("match_cursor", "match_attempts").get(
        pk=article_id)
    if attempts > settings.CLAIMTRACK_MAX_ATTEMPTS:
        article_match_give_up(article_id=article_id, lease=now, attempts=attempts - 1)
        return None
    return MatchLease(lease=now, cursor=cursor)


def article_match_give_up(*, article_id: int, lease: datetime, attempts: int) -> bool:
    """End matching of an article whose passes made no progress ``attempts`` times in a row
    (their workers died or ran out of time); the reason goes on the article."""
    reason = (f"Matching gave up after {attempts} attempts without progress (worker lost or "
              "timed out); \"Run claim extraction again\" in the admin extracts and matches "
              "the article afresh.")
    given_up = Article.objects.filter(pk=article_id, match_started_at=lease).update(
        match_started_at=None, error=reason)
    if given_up:
        logger.error("Article %s: %s", article_id, reason)
    return given_up == 1


def article_match_release(*, article_id: int, lease: datetime) -> bool:
    """Give the lease back and send a pass for the claims left (a chunk ended, or the task
    ran out of time)."""
    with transaction.atomic():
        released = Article.objects.filter(
            pk=article_id, match_started_at=lease, matched_at__isnull=True,
        ).update(match_started_at=None, match_requested_at=timezone.now(),
                 match_enqueued_at=None)
        if released:
            enqueue.article_match_enqueue(article_id=article_id)
    return released == 1


# --- priority --------------------------------------------------------------------------------


# The queue's order: check-worthiness (0..1) first, then reach and dispute. Each other outlet
# carrying the claim adds 0.1 (up to 5), contradicting claims 0.25 each (up to 2), and a
# reporter's flag 0.5 — so a flagged or widely disputed claim outranks a slightly more
# check-worthy one nobody else carries.
PRIORITY = (
    Coalesce(F("checkworthiness"), Value(0.0))
    + Value(0.1) * Least(F("corroborations"), Value(5))
    + Value(0.25) * Least(F("contradictions"), Value(2))
    + Case(When(flagged=True, then=Value(0.5)), default=Value(0.0), output_field=FloatField())
)


def claims_priority_refresh(*, claim_ids) -> int:
    """Recount the outlets and contradictions of these claims (from links not rejected) and
    recompute their priority. Returns how many claims were updated."""
    ids = set(claim_ids)
    if not ids:
        return 0
    with transaction.atomic():
        # The claim rows (only they: "of self") are locked in id order before any is read
        # or written, so two refreshes of overlapping claims wait for each other instead of
        # deadlocking, and the later one counts the later links; "no key" leaves them open
        # to new links that point at them (only counts change here).
        sources = dict(Claim.objects.select_for_update(no_key=True, of=("self",))
                       .filter(pk__in=ids).order_by("pk")
                       .values_list("pk", "article__source_id"))
        links = (ClaimLink.objects.around(ids)
                 .values_list("claim_id", "claim__article__source_id", "target_claim_id",
                              "target_claim__article__source_id", "relation"))
        outlets: dict[int, set[int]] = {pk: set() for pk in ids}
        contradicting: dict[int, set[int]] = {pk: set() for pk in ids}
        for a, a_source, b, b_source, relation in links:
            for this, other, other_source in ((a, b, b_source), (b, a, a_source)):
                if this not in ids:
                    continue
                if relation == ClaimLink.Relation.SUPPORTS:
                    outlets[this].add(other_source)
                elif relation == ClaimLink.Relation.CONTRADICTS:
                    contradicting[this].add(other)
        # One statement for the counts of all of them (matching refreshes ~20 at a time).
        Claim.objects.bulk_update(
            [Claim(pk=pk, corroborations=len(outlets[pk] - {source}),
                   contradictions=len(contradicting[pk])) for pk, source in sources.items()],
            ["corroborations", "contradictions"])
        return Claim.objects.filter(pk__in=ids).update(priority=PRIORITY)


# --- recovery ------------------------------------------------------------------------------


def articles_match_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Send matching again for processed articles whose matching was never sent, was lost
    by the broker, or whose pass's worker died (lease run out); end it, with the reason,
    after CLAIMTRACK_MAX_ATTEMPTS passes in a row without progress. Then delete propositions
    left without members by deletions the services did not see (a cascade)."""
    now = now or timezone.now()
    lease_cutoff = now - timezone.timedelta(seconds=settings.CLAIMTRACK_PROCESSING_TIMEOUT)
    unsent_cutoff = now - timezone.timedelta(seconds=enqueue.UNSENT_GRACE_SECONDS)
    lost = enqueue.LostWork("match", now)
    unmatched = Article.objects.filter(
        Q(match_requested_at__isnull=True) | Q(match_requested_at__lt=unsent_cutoff),
        Q(match_started_at__isnull=True) | Q(match_started_at__lt=lease_cutoff),
        Q(match_started_at__isnull=False) | Q(match_enqueued_at__isnull=True)
        | Q(match_enqueued_at__lt=lost.sent_cutoff),
        state=Article.State.DONE, matched_at__isnull=True, error="",
    )
    rematched = 0
    for article_id, started_at, requested_at, sent_at, attempts in unmatched.values_list(
            "id", "match_started_at", "match_requested_at", "match_enqueued_at",
            "match_attempts").iterator():
        if started_at is None:
            if not lost(sent_at):
                continue
        elif attempts >= settings.CLAIMTRACK_MAX_ATTEMPTS:
            article_match_give_up(article_id=article_id, lease=started_at, attempts=attempts)
            continue
        with transaction.atomic():
            if Article.objects.filter(
                    pk=article_id, matched_at__isnull=True, match_started_at=started_at,
                    match_requested_at=requested_at).update(
                    match_started_at=None, match_requested_at=now, match_enqueued_at=None):
                enqueue.article_match_enqueue(article_id=article_id)
                rematched += 1
    pruned = Proposition.objects.filter(pk__in=list(Proposition.objects.filter(
        locked=False, links__isnull=True).values_list("pk", flat=True)[:1000])).prune()
    return {"rematched": rematched, "pruned": pruned}


def claims_rematch_recent(*, batch: int = 200) -> int:
    """Queue the claims of recent articles for matching again, in batches (after a bulk
    import of fact-checks). Returns how many claims were queued."""
    since = timezone.now() - timezone.timedelta(days=settings.CLAIMTRACK_REMATCH_DAYS)
    ids = list(Claim.objects.matchable().filter(article__created_at__gte=since)
               .order_by("id").values_list("id", flat=True))
    for start in range(0, len(ids), batch):
        enqueue.claims_match_enqueue(claim_ids=ids[start:start + batch])
    return len(ids)
