"""Cross-source matching: for a claim, the proposition it bears on, the claims of other
articles that say the same or the opposite of it, and earlier fact-checks of it.

A claim is compared by its proposition (the attribution-free, positive clause the extractor
made of it) and its side (affirms, denies, hedges), never by the raw span or its sentence. Terms
are weighted by how rare they are among this stream's claims (``TermStat``, kept up to date as
claims are stored and deleted), so a week about one story does not fold into one proposition.
A claim joins the proposition whose centroid it is closest to above the engine's threshold, or
starts one; it is linked to at most ``CLAIMTRACK_MATCH_LINKS_MAX`` other members of that
proposition above the link threshold, best first. Two sides of one proposition contradict each
other; two different propositions never do. With the dense extra installed (and
``CLAIMTRACK_MATCH_DENSE`` not off) sentence embeddings are fused into both scores.

Candidates come from the database's full-text index on PostgreSQL and from an in-process
index on SQLite (same interface, smaller scale). Suggestions are idempotent (one link per pair)
and never touch a link an editor has decided, nor a proposition an editor has worked on.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from types import MappingProxyType

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, F, FloatField, Q, Value, When
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from claims import enqueue
from claims.candidates import (
    claim_candidates,
    factcheck_candidates,
)
from claims.engine import propositions as engine
from claims.engine import relation as relation_engine
from claims.engine.dense import DenseUnavailable
from claims.engine.retrieval_text import analyse as analyse_terms
from claims.models import Article, Claim, ClaimLink, FactCheck, Proposition, TermStat

logger = logging.getLogger(__name__)

METHOD = "propositions/2"


def claim_vector(claim_text: str) -> Counter:
    """Terms of a text for comparing it with a fact-check (names doubled)."""
    vector: Counter = Counter()
    terms, names = analyse_terms(claim_text, social=False)
    for term in terms:
        vector[engine.normalise_term(term)] += 1
    for name in names:
        vector[engine.normalise_term(name)] += 1
    return vector


def cosine(a: Counter, b: Counter) -> float:
    if not a or not b:
        return 0.0
    dot = sum(weight * b[term] for term, weight in a.items() if term in b)
    return dot / math.sqrt(sum(v * v for v in a.values()) * sum(v * v for v in b.values()))


# --- the stream's term counts -------------------------------------------------------------------


def _claim_terms(claim: Claim) -> Mapping[str, int]:
    return _text_terms(claim.bears_on)


def terms_count(*, claims, sign: int = 1) -> int:
    """Add (``sign`` 1) or take away (-1) these claims' proposition terms to the stream's
    document frequencies; only matchable kinds count. Returns how many claims counted."""
    counts: Counter = Counter()
    counted = 0
    for claim in claims:
        if claim.kind not in Claim.MATCHABLE_KINDS:
            continue
        counted += 1
        for term in _claim_terms(claim):
            counts[term[:100]] += sign
    if not counted:
        return 0
    counts[TermStat.TOTAL] += sign * counted
    table = TermStat._meta.db_table
    rows = sorted(counts.items())  # one order everywhere: concurrent writers never deadlock
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(rows), 400):
            chunk = rows[start:start + 400]
            cursor.execute(
                f"INSERT INTO {table} (term, claims) VALUES "  # noqa: S608 (no input in it)
                + ", ".join(["(%s, %s)"] * len(chunk))
                + f" ON CONFLICT (term) DO UPDATE SET claims = {table}.claims + excluded.claims",
                [value for row in chunk for value in row])
    return counted


def stream_weights(*term_sets) -> engine.Weights:
    """The inverse document frequencies of these terms in the stream's claims."""
    wanted = {TermStat.TOTAL}
    for terms in term_sets:
        wanted.update(terms)
    df = dict(TermStat.objects.filter(term__in=wanted).values_list("term", "claims"))
    return engine.Weights(df, df.get(TermStat.TOTAL, 0))


# --- sentence embeddings (optional) ---------------------------------------------------------


@lru_cache(maxsize=1)
def _encoder():
    mode = settings.CLAIMTRACK_MATCH_DENSE
    if mode == "off":
        return None
    from claims.engine.dense import load_encoder
    try:
        return load_encoder()
    except DenseUnavailable:
        if mode == "on":
            raise
        return None


def dense_enabled() -> bool:
    return _encoder() is not None


def _unit(vector):
    import numpy
    vector = numpy.asarray(vector, dtype=numpy.float32)
    norm = float(numpy.linalg.norm(vector))
    return vector / norm if norm else vector


def _embeddings(claims) -> None:
    """Give claims without an embedding one (stored), when the dense extra is in use."""
    encoder = _encoder()
    missing = [c for c in claims if encoder is not None and c.embedding is None]
    if not missing:
        return
    vectors = encoder.encode([c.bears_on for c in missing], normalize_embeddings=True,
                             batch_size=64, show_progress_bar=False)
    for claim, vector in zip(missing, vectors):
        claim.embedding = _unit(vector).tobytes()
        Claim.objects.filter(pk=claim.pk).update(embedding=claim.embedding)


def _dense_cosine(a: bytes | None, b: bytes | None) -> float | None:
    if a is None or b is None or not dense_enabled():
        return None
    import numpy
    va = numpy.frombuffer(bytes(a), dtype=numpy.float32)
    vb = _unit(numpy.frombuffer(bytes(b), dtype=numpy.float32))
    return float(va @ vb)


# --- suggestions --------------------------------------------------------------------------------


_TARGETS = ("target_claim", "proposition", "factcheck")


class _Links:
    """The suggestions of a batch of claims being matched, written under the membership
    lock: the links they already have and the decisions editors made towards them are read
    once for the batch; new suggestions are inserted together (``flush``), refreshed ones
    at once. A link an editor decided stays as it is."""

    def __init__(self, claim_ids) -> None:
        self.existing: dict[tuple[int, str, int], tuple[int | None, str]] = {}
        # Each claim's memberships, with their propositions (what it joined before).
        self.memberships: dict[int, list[ClaimLink]] = {pk: [] for pk in claim_ids}
        for link in ClaimLink.objects.filter(claim_id__in=claim_ids).select_related(
                "proposition"):
            self.existing[link.claim_id, *self._target(link)] = (link.pk, link.status)
            if link.proposition_id is not None:
                self.memberships[link.claim_id].append(link)
        # Pairs an editor decided from the other side: (their claim, the batch's claim).
        self.decided_towards = set(ClaimLink.objects.filter(target_claim_id__in=claim_ids)
                                   .exclude(status=ClaimLink.Status.SUGGESTED)
                                   .values_list("claim_id", "target_claim_id"))
        self.new: list[ClaimLink] = []
        # (candidate, proposition) memberships read by the last join.
        self.held: set[tuple[int, int]] = set()

    def suggest(self, *, claim: Claim, relation: str, score: float, cues, **target) -> None:
        """Create or refresh a suggested link."""
        (name, other), = target.items()
        known = self.existing.get((claim.pk, name, other.pk))
        if known is not None and known[1] != ClaimLink.Status.SUGGESTED:
            return
        if name == "target_claim" and (other.pk, claim.pk) in self.decided_towards:
            return  # an editor decided the pair from the other side: that decision stands
        values = {"relation": relation, "score": round(score, 4),
                  "method": METHOD + ("+dense" if dense_enabled() else ""), "cues": list(cues)}
        if known is None:
            self.new.append(ClaimLink(claim=claim, **target, **values))
            self.existing[claim.pk, name, other.pk] = (None, ClaimLink.Status.SUGGESTED)
        elif known[0] is None:  # suggested earlier in this batch, not yet written
            link = next(n for n in self.new
                        if n.claim_id == claim.pk and getattr(n, f"{name}_id") == other.pk)
            for field, value in values.items():
                setattr(link, field, value)
        else:
            # Only while still a suggestion: an editor's decision made meanwhile stands.
            ClaimLink.objects.filter(pk=known[0], status=ClaimLink.Status.SUGGESTED).update(
                **values, updated_at=timezone.now())

    def stale(self, claim: Claim, linked: list[int]) -> list[int]:
        """Delete the claim's suggested links to claims, made before this batch, that are
        not among ``linked``; returns the claims they pointed at."""
        gone = {pk: target for (claim_id, name, target), (pk, status) in self.existing.items()
                if claim_id == claim.pk and name == "target_claim" and pk is not None
                and status == ClaimLink.Status.SUGGESTED and target not in linked}
        if gone:
            ClaimLink.objects.filter(pk__in=gone, status=ClaimLink.Status.SUGGESTED).delete()
            for target in gone.values():
                del self.existing[claim.pk, "target_claim", target]
        return list(gone.values())

    def flush(self) -> None:
        """Insert the new suggestions."""
        ClaimLink.objects.bulk_create(self.new)
        for link in self.new:
            self.existing[link.claim_id, *self._target(link)] = (link.pk,
                                                                   ClaimLink.Status.SUGGESTED)
        self.new = []

    @staticmethod
    def _target(link: ClaimLink) -> tuple[str, int]:
        return next((name, getattr(link, f"{name}_id")) for name in _TARGETS
                    if getattr(link, f"{name}_id") is not None)


@dataclass
class _Scored:
    other: Claim
    score: float
    terms: Mapping[str, int]
    lexical: float = 0.0


@dataclass
class _Prepared:
    """What matching a claim needs, read and scored before any lock is taken: its terms,
    the weights they were scored with, its candidates best first, and the fact-checks it
    would be linked to."""

    claim: Claim
    terms: Mapping[str, int]
    weights: engine.Weights
    scored: list[_Scored]
    factchecks: list[tuple[FactCheck, str, float, list]]


# Claims matched in one transaction: its writes commit together (one commit, not four a
# claim), and a pass cut short by its time limit loses at most this many claims' work.
MATCH_BATCH = 16


def claim_match(*, claim_id: int) -> dict[str, int]:
    """Put one claim in a proposition, suggest links to other members of it and to
    fact-checks (``claims_match`` of one claim)."""
    return claims_match(claim_ids=[claim_id])


def claims_match(*, claim_ids, deadline: float | None = None,
                 then=None) -> dict[str, int]:
    """Match these claims in order, as ``claim_match`` would one after another, in one
    transaction: what does not depend on the earlier claims' links (candidates, the
    stream's weights, fact-check similarity) is read for all of them first, outside the
    membership lock; then, under it, each joins a proposition and is linked in turn, their
    priorities are recounted and their fact-check links written. ``then(last_id)``, if
    given, runs inside the same transaction (a pass records its progress there). With a
    ``deadline`` (a ``time.monotonic()`` value) claims after the first are left once it
    passes; the count ``"attempted"`` says how many of ``claim_ids`` were taken.

    Claims may be deleted meanwhile (their article extracted again): a claim gone before the
    links are written gets none, and none points at it."""
    ids = list(dict.fromkeys(claim_ids))
    found = Claim.objects.select_related("article", "claimant").in_bulk(ids)
    prepared, attempted = [], 0
    for claim_id in ids:
        if attempted and deadline is not None and time.monotonic() >= deadline:
            break
        attempted += 1
        claim = found.get(claim_id)
        if claim is not None and claim.kind in Claim.MATCHABLE_KINDS:
            prepared.append(_prepare(claim))
    _weigh(prepared)
    counts = {"claims": 0, "factchecks": 0, "proposition": 0}
    with transaction.atomic():
        if then is not None:
            _commit_unsynced()  # a pass: its progress commits with it, the sweep redoes it
        if prepared:
            _write(prepared, counts)
        if then is not None and attempted:
            then(ids[attempted - 1])
    counts["attempted"] = attempted
    return counts


def _prepare(claim: Claim) -> _Prepared:
    terms = _claim_terms(claim)
    # A claim that states too little to compare starts a proposition of its own, unlinked.
    candidates = claim_candidates(claim, settings.CLAIMTRACK_MATCH_CANDIDATES) \
        if engine.comparable(terms) else []
    scored = [_Scored(other, 0.0, _claim_terms(other)) for other in candidates]
    return _Prepared(claim, terms, None, scored, _factchecks_found(claim))


def _weigh(prepared: list[_Prepared]) -> None:
    """Score every prepared claim's candidates with the stream's weights of its own terms
    and its candidates' (one read of the term counts for all of them)."""
    wanted = [{TermStat.TOTAL, *p.terms, *(t for s in p.scored for t in s.terms)}
              for p in prepared]
    df = dict(TermStat.objects.filter(term__in=set().union(*wanted))
              .values_list("term", "claims")) if prepared else {}
    _embeddings([c for p in prepared for c in (p.claim, *(s.other for s in p.scored))])
    for p, terms in zip(prepared, wanted):
        # Each claim's weights know only its own terms and its candidates', as when it is
        # matched alone: a term of a proposition's centroid outside them weighs as unseen.
        own = {term: df[term] for term in terms if term in df}
        p.weights = engine.Weights(own, own.get(TermStat.TOTAL, 0))
        scored = []
        for s in p.scored:
            if not engine.comparable(s.terms):
                continue
            s.lexical = engine.similarity(p.terms, s.terms, p.weights)
            s.score = engine.combined(s.lexical, _dense_cosine(p.claim.embedding,
                                                               s.other.embedding))
            scored.append(s)
        scored.sort(key=lambda s: (-s.score, s.other.pk))
        p.scored = scored


def _commit_unsynced() -> None:
    """Let this transaction's commit return before its log reaches the disk (PostgreSQL).
    Only for an article's pass, which writes what it can make again and records its
    progress in the same transaction: a crash loses at most the last fraction of a second
    of passes, in order, with the progress they recorded, and the sweep matches those claims
    again (the lease taken before them was written durably). A claim matched again on its
    own (after an edit or a fact-check import) has no such record, and waits for the disk
    like every other transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _write(prepared: list[_Prepared], counts: dict[str, int]) -> None:
    # One proposition join at a time across workers, so two matching claims cannot both
    # start their own; the lock comes before any row lock (one order everywhere, so
    # matching never deadlocks) and also makes a redelivered pass wait for the first.
    Proposition.objects.lock_membership()
    # Deletions take the same lock first, so what exists now stays until the commit.
    alive = set(Claim.objects.filter(pk__in={
        pk for p in prepared for pk in (p.claim.pk, *(s.other.pk for s in p.scored))})
        .values_list("pk", flat=True))
    refresh, done = set(), set()
    matched = [p for p in prepared if p.claim.pk in alive]
    links = _Links([p.claim.pk for p in matched])
    for p in matched:
        scored = [s for s in p.scored if s.other.pk in alive]
        if any(s.other.pk in done for s in scored):
            links.flush()  # claims of other articles in one batch: each sees the last's links
        done.add(p.claim.pk)
        proposition, joined = _join_proposition(p.claim, p.terms, p.weights, scored, links)
        counts["proposition"] += joined
        linked, dropped = _link_members(p.claim, proposition, scored, links)
        counts["claims"] += len(linked)
        refresh.update((p.claim.pk, *linked, *dropped))
    # Fact-checks were chosen before the lock: one deleted since gets no link.
    kept = set(FactCheck.objects.filter(pk__in={f.pk for p in matched for f, *_ in p.factchecks})
               .values_list("pk", flat=True)) if any(p.factchecks for p in matched) else set()
    for p in matched:
        p.factchecks = [found for found in p.factchecks if found[0].pk in kept]
        for factcheck, label, similarity, cues in p.factchecks:
            links.suggest(claim=p.claim, factcheck=factcheck, relation=label,
                          score=similarity, cues=cues)
        counts["factchecks"] += len(p.factchecks)
    links.flush()
    # The counts lock claim rows, after the membership lock like every writer's.
    claims_priority_refresh(claim_ids=refresh)


def _side(claim: Claim) -> tuple[str, tuple[str, ...]]:
    return _stance(claim.polarity, claim.said, claim.frame)


# The same claims come back as candidates match after match: what is read from their words
# is kept per text in each worker (read-only mappings, so no caller can change a shared one).
_stance = lru_cache(maxsize=20_000)(engine.stance)


@lru_cache(maxsize=20_000)
def _text_terms(text: str) -> MappingProxyType:
    return MappingProxyType(engine.terms_of(text))


def _resolved(proposition: Proposition) -> Proposition:
    while proposition.merged_into_id:
        proposition = proposition.merged_into
    return proposition


def _join_proposition(claim: Claim, terms: Mapping[str, int], weights: engine.Weights,
                      scored: list[_Scored], links: _Links) -> tuple[Proposition | None, int]:
    """Put the claim in the proposition whose centroid it is closest to, or start one.
    Returns (its proposition, 1 if it joined one that existed).

    A claim already in a proposition stays there (an editor's placement, the one it started,
    or an earlier pass's); a proposition an editor has worked on (locked) gets no automatic
    members."""
    held = list(ClaimLink.objects.filter(claim_id__in=[s.other.pk for s in scored],
                                         proposition__isnull=False)
                .live().select_related("proposition"))
    # Which candidates are members of which proposition (its own, not one merged into it).
    links.held = {(link.claim_id, link.proposition_id) for link in held}
    memberships = links.memberships[claim.pk]
    for current in memberships:
        if current.status in ClaimLink.LIVE:
            return _resolved(current.proposition), 0
    # An editor rejected these memberships: the claim is not put back in them.
    refused = {_resolved(m.proposition).pk for m in memberships}
    side, cues = _side(claim)
    propositions = {}
    for link in held:
        proposition = _resolved(link.proposition)
        if not proposition.locked and proposition.pk not in refused:
            propositions[proposition.pk] = proposition
    dense = dense_enabled()
    if dense and claim.embedding is not None:
        for proposition in _nearest_propositions(claim.embedding, 10):
            if proposition.pk not in refused:
                propositions.setdefault(proposition.pk, proposition)
    best: tuple[float, Proposition] | None = None
    for proposition in propositions.values():
        lexical = engine.similarity(terms, proposition.terms, weights)
        score = engine.combined(lexical, _dense_cosine(claim.embedding, proposition.embedding))
        if score >= engine.join_min(dense) and (best is None or score > best[0]):
            best = (score, proposition)
    if best is None:
        proposition = Proposition.objects.create(
            text=claim.bears_on, first_claim=claim, first_seen_at=claim.article.date,
            terms=dict(terms), embedding=claim.embedding)
        links.suggest(claim=claim, proposition=proposition, relation=side, score=1.0,
                      cues=cues)
        return proposition, 0
    score, proposition = best
    links.suggest(claim=claim, proposition=proposition, relation=side, score=score, cues=cues)
    centroid = Counter(proposition.terms)
    centroid.update(terms)
    embedding = _summed(proposition.embedding, claim.embedding) \
        if proposition.embedding is not None else None
    seen = claim.article.date
    first_seen = proposition.first_seen_at
    if seen and (first_seen is None or seen < first_seen):
        first_seen = seen
    Proposition.objects.filter(pk=proposition.pk).update(
        terms=dict(centroid), embedding=embedding, first_seen_at=first_seen,
        updated_at=timezone.now())
    return proposition, 1


class _CentroidIndex:
    """Unit embedding centroids of the propositions, in process, brought up to date from the
    rows changed since the last look (``updated_at``), so a search costs one matrix product
    and a small query rather than reading every proposition again."""

    def __init__(self) -> None:
        self.rows: dict[int, int] = {}  # proposition id -> row
        self.ids: list[int] = []
        self.matrix = None
        self.seen = None  # the latest updated_at read

    def refresh(self) -> None:
        import numpy
        changed = Proposition.objects.filter(embedding__isnull=False)
        if self.seen is not None:
            changed = changed.filter(updated_at__gte=self.seen)
        rows = list(changed.values_list("pk", "embedding", "updated_at"))
        if not rows:
            return
        new_vectors = []
        for pk, vector, updated in rows:
            unit = _unit(numpy.frombuffer(bytes(vector), dtype=numpy.float32))
            if pk in self.rows:
                self.matrix[self.rows[pk]] = unit
            else:
                self.rows[pk] = len(self.ids)
                self.ids.append(pk)
                new_vectors.append(unit)
            self.seen = updated if self.seen is None else max(self.seen, updated)
        if new_vectors:
            block = numpy.stack(new_vectors)
            self.matrix = block if self.matrix is None else numpy.vstack([self.matrix, block])

    def nearest(self, embedding: bytes, k: int) -> list[Proposition]:
        import numpy
        self.refresh()
        if self.matrix is None:
            return []
        scores = self.matrix @ numpy.frombuffer(bytes(embedding), dtype=numpy.float32)
        top = numpy.argsort(-scores)[:k * 3]
        # Merged, locked or deleted propositions stay in the matrix; they are left out here.
        found = Proposition.objects.filter(
            pk__in=[self.ids[i] for i in top], locked=False, merged_into__isnull=True,
            embedding__isnull=False).in_bulk()
        return [found[self.ids[i]] for i in top if self.ids[i] in found][:k]


_centroid_indexes: dict[str, _CentroidIndex] = {}


def _nearest_propositions(embedding: bytes, k: int) -> list[Proposition]:
    """The ``k`` open propositions whose embedding centroid is closest to ``embedding``: the
    dense path finds a proposition stated in other words, which the full-text index misses."""
    database = f"{connection.alias}:{connection.settings_dict['NAME']}"
    index = _centroid_indexes.get(database)
    if index is None:
        index = _centroid_indexes[database] = _CentroidIndex()
    return index.nearest(embedding, k)


def _summed(total: bytes | None, vector: bytes | None) -> bytes | None:
    """The sum of two stored float32 embeddings (either may be missing)."""
    if total is None or vector is None:
        return vector if total is None else total
    import numpy  # an embedding exists only where the dense extra (and numpy) is installed
    return (numpy.frombuffer(bytes(total), dtype=numpy.float32)
            + numpy.frombuffer(bytes(vector), dtype=numpy.float32)).tobytes()


def propositions_centroid_refresh(*, proposition_ids) -> None:
    """Recompute the centroids of these propositions from their live members (after an
    editor merges, splits or rejects a membership)."""
    for pk in set(proposition_ids):
        terms: Counter = Counter()
        embedding = None
        for claim in Claim.objects.in_proposition(pk).only(
                "proposition_text", "statement", "text", "embedding"):
            terms.update(_claim_terms(claim))
            embedding = _summed(embedding, claim.embedding)
        Proposition.objects.filter(pk=pk).update(
            terms=dict(terms), embedding=embedding, updated_at=timezone.now())


def _link_members(claim: Claim, proposition: Proposition | None, scored: list[_Scored],
                  links: _Links) -> tuple[list[int], list[int]]:
    """Suggest links from the claim to the best-scored other members of its proposition, at
    most CLAIMTRACK_MATCH_LINKS_MAX above the link threshold; its earlier suggestions that
    are no longer among them go. Returns (the claims linked, the claims whose link went)."""
    # The members among the candidates, as the proposition's join read them.
    members = {claim_id for claim_id, pk in links.held
               if proposition is not None and pk == proposition.pk}
    threshold = engine.link_min(dense_enabled())
    side, side_cues = _side(claim)
    linked = []
    for s in scored:
        if len(linked) == settings.CLAIMTRACK_MATCH_LINKS_MAX or s.score < threshold:
            break
        # With the dense extra the pair must also clear the lexical threshold, the one whose
        # precision was judged on real news (the dense scale has no judged sample yet).
        if s.other.pk not in members or s.lexical < engine.LINK_MIN:
            continue
        other_side, other_cues = _side(s.other)
        relation = engine.relation_between(side, other_side)
        if relation == engine.SUPPORTS:
            cues = engine.shared_words(_claim_terms(claim), s.terms)
        else:
            cues = list(side_cues or other_cues)
        links.suggest(claim=claim, target_claim=s.other, relation=relation, score=s.score,
                      cues=cues)
        linked.append(s.other.pk)
    return linked, links.stale(claim, linked)


def _factchecks_found(claim: Claim) -> list[tuple[FactCheck, str, float, list]]:
    """The fact-checks the claim is to be linked to: (fact-check, relation, similarity,
    cues), best candidates first."""
    fact_min = settings.CLAIMTRACK_MATCH_FACTCHECK_MIN
    content = claim_vector(claim.text)
    found = []
    for factcheck in factcheck_candidates(claim, settings.CLAIMTRACK_MATCH_CANDIDATES):
        checked = claim_vector(factcheck.claim_reviewed)
        similarity = cosine(content, checked)
        # A fact-check is about one statement: the claim itself must say most of it, and
        # more than a word or two ("the charge" is not "a BLM charge").
        if similarity < fact_min or len(content.keys() & checked.keys()) < 3:
            continue
        label, _, cues = relation_engine.classify(factcheck.claim_reviewed, claim.text,
                                                  text_kind=claim.kind)
        found.append((factcheck, label, similarity, cues))
    return found


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
    todo = batch[:settings.CLAIMTRACK_MATCH_CHUNK]
    more = len(batch) > len(todo)
    this = Article.objects.filter(pk=article_id, match_started_at=taken.lease)

    def progress(last_id: int) -> None:
        # Progress is kept with the claims' links, in their transaction: a pass cut short
        # resumes after the last batch it wrote. The batch that ends the article also marks
        # it matched.
        if last_id == todo[-1] and not more:
            this.update(match_cursor=last_id, match_attempts=0, matched_at=timezone.now(),
                        match_started_at=None)
        else:
            this.update(match_cursor=last_id, match_attempts=0)

    done = 0
    while done < len(todo):
        if done and deadline is not None and time.monotonic() >= deadline:
            article_match_release(article_id=article_id, lease=taken.lease)
            return dict(totals)
        counts = claims_match(claim_ids=todo[done:done + MATCH_BATCH], deadline=deadline,
                              then=progress)
        done += counts.pop("attempted")
        totals.update(counts)
    if more:
        article_match_release(article_id=article_id, lease=taken.lease)
    elif not todo:
        this.update(matched_at=timezone.now(), match_started_at=None)
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
# check-worthy one nobody else carries. The weights are named once: the stored value
# (PRIORITY) and the parts the queue shows (priority_parts) are both made of them.
OUTLET_POINTS, OUTLETS_COUNTED = 0.1, 5
CONTRADICTION_POINTS, CONTRADICTIONS_COUNTED = 0.25, 2
FLAG_POINTS = 0.5

PRIORITY = (
    Coalesce(F("checkworthiness"), Value(0.0))
    + Value(OUTLET_POINTS) * Least(F("corroborations"), Value(OUTLETS_COUNTED))
    + Value(CONTRADICTION_POINTS) * Least(F("contradictions"), Value(CONTRADICTIONS_COUNTED))
    + Case(When(flagged=True, then=Value(FLAG_POINTS)), default=Value(0.0),
           output_field=FloatField())
)

PRIORITY_FORMULA = (
    f"check-worthiness (0 to 1) + {OUTLET_POINTS:g} for each other outlet carrying the claim "
    f"(up to {OUTLETS_COUNTED}) + {CONTRADICTION_POINTS:g} for each claim contradicting it "
    f"(up to {CONTRADICTIONS_COUNTED}) + {FLAG_POINTS:g} if a reporter flagged it"
)


@dataclass(frozen=True)
class PriorityPart:
    """One term of a claim's priority: what it counts (``count`` of None for a score) and
    the points it adds."""

    name: str
    count: int | None
    points: float
    counted: int | None = None  # the cap, when the count is over it


def priority_parts(claim) -> list[PriorityPart]:
    """The terms of ``claim.priority`` as PRIORITY computes them, from the same stored
    counts; the points add up to the stored value. Terms that add nothing are left out,
    except check-worthiness, which every claim has (0 when the engine gave none)."""
    parts = [PriorityPart("check-worthiness", None, claim.checkworthiness or 0.0)]
    for name, count, points, cap in (
            ("outlets", claim.corroborations, OUTLET_POINTS, OUTLETS_COUNTED),
            ("contradictions", claim.contradictions, CONTRADICTION_POINTS,
             CONTRADICTIONS_COUNTED)):
        if count:
            parts.append(PriorityPart(name, count, points * min(count, cap),
                                      cap if count > cap else None))
    if claim.flagged:
        parts.append(PriorityPart("flagged", None, FLAG_POINTS))
    return parts


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
