"""Extraction: an article taken by one worker at a time, its claims extracted by the engine
and stored (claimants resolved), re-extraction that keeps what editors touched, and the
sweep that recovers an extraction whose worker died or whose message was lost
(docs/reliability.md)."""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from claims import engine, enqueue
from claims.matching import terms_count
from claims.models import Article, Claim, Claimant, ClaimLink, Proposition, ReviewEvent

logger = logging.getLogger(__name__)

_WS = re.compile(r"\s+")


# --- Taking and extracting -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcessOutcome:
    status: str  # "done", "failed" or "skipped"
    created: int = 0
    kept: int = 0


def article_fail(*, article_id: int, reason: str, engine_version: str = "",
                 lease: datetime | None = None) -> bool:
    """Mark an unfinished article failed with a reason editors can read.

    ``engine_version`` is set when the engine itself failed (deterministically): a later
    engine version may succeed, so ``reextract_outdated`` retries it then. With ``lease``,
    only if the article is still processing under that lease (not handed on meanwhile).
    """
    unfinished = Article.objects.filter(
        pk=article_id, state__in=[Article.State.PENDING, Article.State.PROCESSING])
    if lease is not None:
        unfinished = unfinished.filter(state=Article.State.PROCESSING, state_changed_at=lease)
    updated = unfinished.update(state=Article.State.FAILED, error=reason[:2000] or "failed",
             state_changed_at=timezone.now(), extractor_version=engine_version)
    return updated == 1


def article_take(*, article_id: int, lease: datetime | None = None) -> datetime | None:
    """Take the article for extraction; returns the lease (the moment taken) or None.

    Taken when it is pending, when its lease is ``lease`` (the same delivery retrying after a
    database error), or when its lease ran out (its worker died). Every take counts an
    attempt; past CLAIMTRACK_MAX_ATTEMPTS the article is failed instead.
    """
    now = timezone.now()
    lease_expired = now - timezone.timedelta(seconds=settings.CLAIMTRACK_PROCESSING_TIMEOUT)
    if lease is not None and Article.objects.filter(
            pk=article_id, state=Article.State.PROCESSING, state_changed_at=lease,
    ).update(state_changed_at=now):
        return now  # the same delivery resuming after a database error: not a new attempt
    taken = Article.objects.filter(
        Q(state=Article.State.PENDING)
        | Q(state=Article.State.PROCESSING, state_changed_at__lt=lease_expired),
        pk=article_id,
    ).update(state=Article.State.PROCESSING, state_changed_at=now, attempts=F("attempts") + 1)
    if taken != 1:
        return None
    attempts = Article.objects.values_list("attempts", flat=True).get(pk=article_id)
    if attempts > settings.CLAIMTRACK_MAX_ATTEMPTS:
        article_fail(article_id=article_id, lease=now,
                     reason=f"Gave up after {attempts - 1} attempts (worker lost or timed out).")
        return None
    return now


def most_checkworthy(extracted, limit: int) -> tuple[list, int]:
    """At most ``limit`` claims: the most check-worthy (the earlier of equals), in text
    order; and how many were left out. A long article costs a bounded amount of work."""
    if len(extracted) <= limit:
        return extracted, 0
    ranked = sorted(extracted, key=lambda c: (-(c.checkworthiness or 0.0), c.content.start))
    kept = sorted(ranked[:limit], key=lambda c: (c.content.start, c.content.end))
    return kept, len(extracted) - limit


def article_extract(*, article_id: int, lease: datetime) -> ProcessOutcome:
    """Extract the claims of an article taken with ``lease`` and store them.

    The slow extraction runs outside any transaction; the result is written under a row lock
    only if the lease is still this one, so a delivery whose lease was handed back (the
    sweep thought its worker dead) changes nothing.
    """
    article = Article.objects.only("id", "text").annotate(
        has_claims=Exists(Claim.objects.filter(article_id=OuterRef("pk")))).get(pk=article_id)
    try:
        extracted = engine.analyse(article.text)
    except Exception as exc:  # the engine is deterministic: a retry would fail the same way
        logger.exception("Extraction failed for article %s", article_id)
        article_fail(article_id=article_id, reason=f"Extraction error: {type(exc).__name__}: {exc}",
                     engine_version=engine.ENGINE_VERSION, lease=lease)
        return ProcessOutcome("failed")

    extracted, dropped = most_checkworthy(extracted, settings.CLAIMTRACK_ARTICLE_MAX_CLAIMS)
    with transaction.atomic():
        if article.has_claims:
            # Re-extraction deletes claims (and prunes propositions): the membership lock
            # before the article's row, the order every other writer takes them in.
            Proposition.objects.lock_membership()
        # "No key": claims elsewhere pointing at the article check their key without waiting.
        locked = Article.objects.select_for_update(no_key=True).get(pk=article_id)
        if locked.state != Article.State.PROCESSING or locked.state_changed_at != lease:
            return ProcessOutcome("skipped")
        # Only the holder of the article's current lease, checked above, writes its claims,
        # and that lease was taken before ``has_claims`` was read: none came since.
        created, kept = claims_replace(article=locked, extracted=extracted,
                                       version=engine.ENGINE_VERSION,
                                       first=not article.has_claims)
        locked.state = Article.State.DONE
        locked.error = ""
        locked.claims_dropped = dropped
        locked.extractor_version = engine.ENGINE_VERSION
        locked.processed_at = locked.state_changed_at = timezone.now()
        # New claims: matched afresh, from the first claim, with a fresh count of attempts.
        locked.matched_at = locked.match_started_at = locked.match_enqueued_at = None
        locked.match_requested_at = locked.processed_at
        locked.match_cursor = locked.match_attempts = 0
        locked.save(
            update_fields=["state", "error", "claims_dropped", "extractor_version", "processed_at",
                           "state_changed_at", "matched_at", "match_started_at",
                           "match_enqueued_at", "match_requested_at", "match_cursor",
                           "match_attempts", "updated_at"]
        )
        enqueue.article_match_enqueue(article_id=article_id)
    return ProcessOutcome("done", created=created, kept=kept)


def article_process(*, article_id: int) -> ProcessOutcome:
    """Take and extract one article (``article_take``, then ``article_extract``). Safe to run
    twice, or twice at once: a second delivery finds it taken or done and changes nothing."""
    lease = article_take(article_id=article_id)
    if lease is None:
        return article_untaken(article_id=article_id)
    return article_extract(article_id=article_id, lease=lease)


def article_untaken(*, article_id: int) -> ProcessOutcome:
    """What a delivery that could not take the article did: "failed" if the take ran out of
    attempts (or it failed before), else "skipped"."""
    state = Article.objects.values_list("state", flat=True).get(pk=article_id)
    return ProcessOutcome("failed" if state == Article.State.FAILED else "skipped")


def article_reprocess(*, article: Article) -> bool:
    """Queue an article for extraction again (after an engine change, or a failure)."""
    lease_expired = timezone.now() - timezone.timedelta(
        seconds=settings.CLAIMTRACK_PROCESSING_TIMEOUT)
    with transaction.atomic():
        # An article being processed right now is left alone; one stuck in processing
        # (its worker died) is taken back.
        updated = Article.objects.filter(pk=article.pk).exclude(
            state=Article.State.PROCESSING, state_changed_at__gte=lease_expired
        ).update(state=Article.State.PENDING, error="", attempts=0, enqueued_at=None,
                 state_changed_at=timezone.now())
        if updated:
            enqueue.article_enqueue(article_id=article.pk)
    return bool(updated)


def claimant_key(name: str) -> str:
    key = unicodedata.normalize("NFKC", name).casefold()
    key = re.sub(r"^the\s+", "", _WS.sub(" ", key).strip())
    return key[:300]


def claimants_resolve(refs) -> dict[str, Claimant]:
    """The stored claimants for engine references, by key, created or enriched.

    A few statements for any number of claimants: one read; one insert of the keys not
    stored (``_claimants_insert``); and only when a stored claimant gains an alias or its
    first role, one locked read of those rows and one update. Nothing is locked or written
    when nothing changes. Inserts and locks are taken in key order, the same in every
    worker, so two workers writing the same claimants wait for each other instead of
    deadlocking; aliases are merged on a locked row so concurrent merges add up instead of
    overwriting each other.
    """
    wanted: dict[str, dict] = {}
    for ref in refs:
        if ref is None or not ref.name:
            continue
        entry = wanted.setdefault(claimant_key(ref.name), {
            "name": ref.name[:300], "role": "", "family": "", "aliases": set(),
            "kind": ref.kind if ref.kind in Claimant.Kind.values else Claimant.Kind.UNKNOWN,
        })
        entry["aliases"].update(ref.aliases)
        entry["role"] = entry["role"] or (ref.role or "")[:300]
        entry["family"] = entry["family"] or (ref.family or "")[:200]
    if not wanted:
        return {}
    found = Claimant.objects.in_bulk(sorted(wanted), field_name="key")
    missing = sorted(wanted.keys() - found.keys())
    if missing:
        found.update(_claimants_insert([Claimant(
            key=key, name=wanted[key]["name"], role=wanted[key]["role"],
            kind=wanted[key]["kind"], family=wanted[key]["family"] or key[:200],
            aliases=sorted(wanted[key]["aliases"])) for key in missing]))
        if raced := [key for key in missing if key not in found]:
            # Another worker stored them since the read (and committed: the insert waited).
            found.update(Claimant.objects.in_bulk(raced, field_name="key"))
    enriched = sorted(key for key, claimant in found.items()
                      if _claimant_merge(claimant, wanted[key]))
    if enriched:
        # Merged again on the locked rows, which may have changed since the read. "No key":
        # the claims that other workers insert pointing at these claimants check their
        # foreign key (FOR KEY SHARE, at commit) without waiting for this lock.
        changed = []
        for claimant in Claimant.objects.select_for_update(no_key=True).filter(
                key__in=enriched).order_by("key"):
            if _claimant_merge(claimant, wanted[claimant.key]):
                changed.append(claimant)
            found[claimant.key] = claimant
        Claimant.objects.bulk_update(changed, ["aliases", "role"])
    return found


def _claimant_merge(claimant: Claimant, entry: dict) -> bool:
    """Add the entry's aliases to the claimant's (union, sorted) and its role where the
    claimant has none; whether that changed the claimant."""
    aliases = sorted(set(claimant.aliases) | entry["aliases"])
    if aliases == claimant.aliases and (claimant.role or not entry["role"]):
        return False
    claimant.aliases = aliases
    claimant.role = claimant.role or entry["role"]
    return True


def _claimants_insert(claimants: list[Claimant]) -> dict[str, Claimant]:
    """Insert the claimants, in their order, except those whose key is stored by now;
    returns the inserted ones by key, with their ids.

    One ``INSERT ... ON CONFLICT (key) DO NOTHING RETURNING`` (PostgreSQL, and SQLite since
    3.35): a key another worker inserts meanwhile is skipped, not an error, and not a
    savepoint and a retry per claimant as ``get_or_create`` costs.
    """
    meta = Claimant._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    inserted = {}
    size = connection.ops.bulk_batch_size(fields, claimants) or len(claimants)
    with connection.cursor() as cursor:
        for start in range(0, len(claimants), size):
            batch = claimants[start:start + size]
            cursor.execute(
                f"INSERT INTO {quote(meta.db_table)} "  # noqa: S608 (names from the model)
                f"({', '.join(quote(field.column) for field in fields)}) "
                f"VALUES {', '.join([row] * len(batch))} "
                f"ON CONFLICT ({quote(meta.get_field('key').column)}) DO NOTHING "
                f"RETURNING {quote(meta.pk.column)}, {quote(meta.get_field('key').column)}",
                [field.get_db_prep_save(field.pre_save(claimant, add=True), connection)
                 for claimant in batch for field in fields])
            ids = {key: pk for pk, key in cursor.fetchall()}
            for claimant in batch:
                if claimant.key in ids:
                    claimant.pk = ids[claimant.key]
                    claimant._state.adding = False
                    claimant._state.db = connection.alias
                    inserted[claimant.key] = claimant
    return inserted


def claims_replace(*, article: Article, extracted, version: str,
                   first: bool = False) -> tuple[int, int]:
    """Replace the article's machine-made claims with a new extraction.

    Claims an editor has acted on are kept (and flagged stale when the engine changed),
    never silently replaced. ``first``: the caller knows the article has no claims, so
    there is nothing to keep or delete (not even to look for). Returns (created, kept).
    """
    # Claimants before the deletion's term counts: claimant rows, then term rows, as a
    # first extraction takes them, not in the opposite order.
    claimants = claimants_resolve(item.claimant for item in extracted)
    kept = [] if first else list(Claim.objects.filter(article=article).touched())
    if not first:
        claims_delete(claims=Claim.objects.filter(article=article).exclude(
            pk__in=[c.pk for c in kept]))
    kept_spans = {(c.start, c.end, c.kind): c for c in kept}

    new_claims = []
    seen = set()
    for item in extracted:
        span = (item.content.start, item.content.end, item.kind)
        if span in seen:
            continue
        seen.add(span)
        if span in kept_spans:
            # The engine still finds the claim an editor worked on: it is current, not stale,
            # and says what the engine now says of it, unless the desk edited its words.
            claim = kept_spans.pop(span)
            Claim.objects.filter(pk=claim.pk).update(stale=False, extractor_version=version)
            Claim.objects.filter(pk=claim.pk, edited_at__isnull=True).update(
                statement=item.statement, proposition_text=item.proposition,
                polarity=item.polarity)  # the desk's words, where it edited them, stay
            continue
        cue = item.cue
        new_claims.append(Claim(
            article=article,
            # A ref without a name is an unresolved pronoun: the mention is kept, no claimant.
            claimant=(claimants[claimant_key(item.claimant.name)]
                      if item.claimant and item.claimant.name else None),
            claimant_mention=(item.claimant.mention.text if item.claimant and item.claimant.mention
                              else "")[:300],
            text=item.content.text, start=item.content.start, end=item.content.end,
            statement=item.statement, proposition_text=item.proposition, polarity=item.polarity,
            sentence_start=item.sentence.start, sentence_end=item.sentence.end,
            cue=(cue.text if cue else "")[:200],
            cue_start=cue.start if cue else None, cue_end=cue.end if cue else None,
            kind=item.kind, kind_cues=list(item.cue_words), negated=item.negated,
            hedged=item.hedged, checkworthiness=item.checkworthiness,
            priority=item.checkworthiness or 0.0, extractor_version=version,
        ))
    Claim.objects.bulk_create(new_claims)
    terms_count(claims=new_claims)
    for claim in kept_spans.values():
        if claim.extractor_version != version:
            # The version moves on too, so a later pass does not log the same event again.
            Claim.objects.filter(pk=claim.pk).update(stale=True, extractor_version=version)
            ReviewEvent.objects.create(
                claim=claim, action=ReviewEvent.Action.REEXTRACTED,
                note=(f"Extractor {version} no longer finds this claim as it was "
                      f"(extracted by {claim.extractor_version}); kept because an editor "
                      "acted on it."),
                data={"from_version": claim.extractor_version, "to_version": version},
            )
    return len(new_claims), len(kept)


@transaction.atomic
def claims_delete(*, claims) -> int:
    """Delete claims (and their links); propositions left without members go with them.

    A claim with a review trail is protected and raises ``ProtectedError``: delete nothing.
    """
    ids = list(claims.values_list("pk", flat=True))
    if not ids:
        return 0
    Proposition.objects.lock_membership()  # before any row, as every writer takes it
    propositions = set(ClaimLink.objects.filter(claim_id__in=ids, proposition__isnull=False)
                       .values_list("proposition_id", flat=True))
    terms_count(claims=Claim.objects.filter(pk__in=ids).only(
        "kind", "proposition_text", "statement", "text"), sign=-1)
    deleted, _ = Claim.objects.filter(pk__in=ids).delete()
    Proposition.objects.filter(pk__in=propositions).prune()
    return deleted


@transaction.atomic
def articles_delete(*, articles) -> int:
    """Delete articles with their claims; see ``claims_delete`` for what else goes."""
    ids = list(articles.values_list("pk", flat=True))
    claims_delete(claims=Claim.objects.filter(article_id__in=ids))
    deleted, _ = Article.objects.filter(pk__in=ids).delete()
    return deleted


def articles_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Recover every article whose extraction did not finish (docs/reliability.md):

    - pending and never sent (the broker was down), or sent but lost by the broker: sent;
    - processing past its lease (the worker died): handed back to pending and sent, or
      failed with the reason once out of attempts.

    Each hand-back is a conditional update on the timestamp read, so two sweeps at once
    recover an article once; work merely waiting in its queue is left alone. Matching has
    its own sweep (``matching.articles_match_sweep``).
    """
    now = now or timezone.now()
    counts = {"requeued": 0, "failed": 0}
    unsent_cutoff = now - timezone.timedelta(seconds=enqueue.UNSENT_GRACE_SECONDS)
    lease_cutoff = now - timezone.timedelta(seconds=settings.CLAIMTRACK_PROCESSING_TIMEOUT)
    lost = enqueue.LostWork("extract", now)
    # Work sent within the pending timeout is waiting: not even read (a backlog can be long).
    pending = Article.objects.filter(
        Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=lost.sent_cutoff),
        state=Article.State.PENDING, state_changed_at__lt=unsent_cutoff)
    for article_id, changed_at, sent_at in pending.values_list(
            "id", "state_changed_at", "enqueued_at").iterator():
        if not lost(sent_at):
            continue
        with transaction.atomic():
            if Article.objects.filter(pk=article_id, state=Article.State.PENDING,
                                      state_changed_at=changed_at).update(
                    state_changed_at=now, enqueued_at=None):
                enqueue.article_enqueue(article_id=article_id)
                counts["requeued"] += 1
    stranded = Article.objects.filter(state=Article.State.PROCESSING,
                                      state_changed_at__lt=lease_cutoff)
    for article_id, changed_at, attempts in stranded.values_list(
            "id", "state_changed_at", "attempts").iterator():
        if attempts >= settings.CLAIMTRACK_MAX_ATTEMPTS:
            if article_fail(article_id=article_id, lease=changed_at, reason=(
                    f"Gave up after {attempts} attempts (worker lost or timed out).")):
                counts["failed"] += 1
            continue
        # Back to pending, so the task sent now can take it: a lease only its own worker
        # could renew is not left standing.
        with transaction.atomic():
            if Article.objects.filter(pk=article_id, state=Article.State.PROCESSING,
                                      state_changed_at=changed_at).update(
                    state=Article.State.PENDING, state_changed_at=now, enqueued_at=None):
                enqueue.article_enqueue(article_id=article_id)
                counts["requeued"] += 1
    return counts
