"""The fact-check library: reading ClaimReview JSON-LD and fact-check JSONL records and
storing them (re-imports update in place, review dates kept), the publishers' ratings in
words, searching the library, and attaching an earlier fact-check to a claim."""

from __future__ import annotations

import hashlib
import json
import math
import re
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urljoin

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import DataError, connection, transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.text import Truncator

from claims.engine import propositions as propositions_engine
from claims.engine import relation as relation_engine
from claims.engine import retrieval
from claims.errors import InvalidFactCheck as InvalidRecord
from claims.models import Claim, ClaimLink, FactCheck, Proposition, ReviewEvent
from claims.propositions import link_decide
from claims.roles import REVIEW_READ

MAX_CLAIM_CHARS = 10_000
# Record ids of the CheckThat! collections name their publisher; relative URLs are theirs.
PUBLISHER_BY_PREFIX = {"vclaim-sno-": "Snopes", "vclaim-pol-": "PolitiFact"}
PUBLISHER_SITES = {"PolitiFact": "https://www.politifact.com/", "Snopes": "https://www.snopes.com/"}
_DATE_FORMATS = ("%Y-%m-%d", "%d %B %Y", "%B %d, %Y", "%d %b %Y", "%b %d, %Y")


@dataclass
class FactCheckRecord:
    external_id: str
    origin: str
    claim_reviewed: str
    publisher: str = ""
    title: str = ""
    summary: str = ""
    claimant_name: str = ""
    verdict: str = ""
    rating_value: float | None = None
    best_rating: float | None = None
    worst_rating: float | None = None
    url: str = ""
    reviewed_on: date | None = None
    claim_date: str = ""
    raw: dict = field(default_factory=dict)


def _text(value, name: str, limit: int = 500, *, several: bool = False) -> str:
    if value is None:
        return ""
    if several and isinstance(value, list):  # schema.org allows several authors: the first
        value = value[0] if value else ""
    if isinstance(value, dict):
        value = value.get("name") or ""
    if not isinstance(value, str):
        raise InvalidRecord(f"'{name}' must be text, not {type(value).__name__}.")
    # NUL cannot be stored in PostgreSQL text; lone surrogates cannot be encoded at all.
    value = value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    return " ".join(value.split())[:limit]


def _clean_raw(value):
    """The record for the ``raw`` column: no NUL, no lone surrogates (PostgreSQL's jsonb)."""
    if isinstance(value, str):
        return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {_clean_raw(k): _clean_raw(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean_raw(v) for v in value]
    return value


def _number(value, name: str) -> float | None:
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidRecord(f"'{name}' must be a number, not {value!r}.") from None
    if not math.isfinite(number):
        raise InvalidRecord(f"'{name}' must be a finite number, not {value!r}.")
    return number


# "21February 2009": a Snopes date with its space lost; read as "21 February 2009".
_SQUEEZED_DATE_RE = re.compile(r"^(\d{1,2})([A-Za-z]{3,9})\.? (\d{4})$")
# PolitiFact's review pages are filed by the day of the review:
# /factchecks/2019/oct/30/gaydonna-vandergriff/... (the record's own "date" is when the claim
# was made: "stated on October 22, 2019 in a campaign mailer.:").
_REVIEW_URL_DATE_RE = re.compile(r"/factchecks/(\d{4})/([a-z]{3,4})/(\d{1,2})/", re.I)
_MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
    start=1)}


def _plausible(day: date) -> date | None:
    """A review date, or None for one no fact-check can have (before 1990, or in the
    future by more than a day of time zones)."""
    if day.year < 1990 or day > date.today() + timedelta(days=1):
        return None
    return day


def _date(value) -> date | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = " ".join(value.split())
    squeezed = _SQUEEZED_DATE_RE.match(text)
    if squeezed:
        text = " ".join(squeezed.groups())
    for fmt in _DATE_FORMATS:
        try:
            return _plausible(datetime.strptime(text, fmt).date())
        except ValueError:
            continue
    try:
        return _plausible(datetime.fromisoformat(text).date())
    except ValueError:
        return None


def date_from_review_url(url: str) -> date | None:
    """The review date a PolitiFact-style URL carries (``/factchecks/2019/oct/30/``), or None."""
    found = _REVIEW_URL_DATE_RE.search(url or "")
    if not found:
        return None
    year, month, day = found.groups()
    month_number = _MONTHS.get(month.lower()[:3])
    if month_number is None:
        return None
    try:
        return _plausible(date(int(year), month_number, int(day)))
    except ValueError:  # 2019/feb/30
        return None


_validate_url = URLValidator(schemes=["http", "https"])


def _url(value: str, publisher: str = "") -> str:
    """An absolute http(s) URL, a publisher-relative path made absolute, or ''."""
    value = _text(value, "url", 2000)
    if value.startswith("/") and not value.startswith("//") and publisher in PUBLISHER_SITES:
        value = urljoin(PUBLISHER_SITES[publisher], value)
    try:
        _validate_url(value)
    except ValidationError:
        return ""
    return value


def _claim(value) -> str:
    claim = _text(value, "claim", MAX_CLAIM_CHARS + 1)
    if not claim:
        raise InvalidRecord("The record has no claim text.")
    if len(claim) > MAX_CLAIM_CHARS:
        raise InvalidRecord(f"The claim is longer than {MAX_CLAIM_CHARS:,} characters.")
    return claim


def record_from_vclaim(obj, *, publisher: str = "") -> FactCheckRecord:
    """A CheckThat!-style record: vclaim_id, vclaim, and title/subtitle/speaker/truth_label…"""
    if not isinstance(obj, dict):
        raise InvalidRecord("Each line must be a JSON object.")
    external_id = _text(obj.get("vclaim_id"), "vclaim_id", 300)
    if not external_id:
        raise InvalidRecord("The record has no 'vclaim_id'.")
    if not publisher:
        publisher = next((name for prefix, name in PUBLISHER_BY_PREFIX.items()
                          if external_id.startswith(prefix)), "")
    raw_date = _text(obj.get("date"), "date", 200)
    url = _url(obj.get("url") or obj.get("page_url") or "", publisher)
    # Snopes' "date" is the review's ("26 May 2015"); PolitiFact's says when the claim was
    # made ("stated on October 22, 2019 in a speech:") and its URL carries the review's day.
    # A date found nowhere stays empty rather than guessed.
    dated = _date(raw_date)
    reviewed_on = dated or date_from_review_url(obj.get("url") or "")
    return FactCheckRecord(
        external_id=external_id, origin=FactCheck.Origin.VCLAIMS, publisher=publisher,
        claim_reviewed=_claim(obj.get("vclaim")), title=_text(obj.get("title"), "title"),
        summary=_text(obj.get("subtitle"), "subtitle", 2000),
        claimant_name=_text(obj.get("speaker"), "speaker", 300),
        verdict=_text(obj.get("truth_label"), "truth_label", 100),
        url=url, reviewed_on=reviewed_on,
        claim_date="" if dated else raw_date, raw=_clean_raw(obj),
    )


def claimreview_items(document) -> list:
    """The items of a JSON-LD document: one object, a list, or an @graph (list or object)."""
    items = document if isinstance(document, list) else [document]
    flat = []
    for item in items:
        graph = item.get("@graph") if isinstance(item, dict) else None
        if isinstance(graph, (list, dict)):
            flat.extend(claimreview_items(graph))
        else:
            flat.append(item)
    return flat


def record_from_claimreview(item) -> FactCheckRecord | None:
    """A ClaimReview item as a record; None for an item of another type."""
    if not isinstance(item, dict):
        raise InvalidRecord("A JSON-LD item must be an object.")
    kind = item.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "ClaimReview" not in kinds:
        return None
    rating = item.get("reviewRating") or {}
    if not isinstance(rating, dict):
        raise InvalidRecord("'reviewRating' must be an object.")
    reviewed = item.get("itemReviewed") or {}
    author = reviewed.get("author") if isinstance(reviewed, dict) else None
    publisher = _text(item.get("author"), "author", 200, several=True)
    if not publisher and isinstance(item.get("author"), dict):
        publisher = _text(item["author"].get("url"), "author.url", 200)
    claim = _claim(item.get("claimReviewed"))
    url = _url(item.get("url") or "")
    # One page may carry several reviews: the claim tells them apart.
    digest = hashlib.sha256(f"{publisher}\n{claim}".encode()).hexdigest()[:16]
    return FactCheckRecord(
        external_id=(f"{url}#{digest}" if url else f"claimreview:{digest}")[:300],
        origin=FactCheck.Origin.CLAIMREVIEW, publisher=publisher, claim_reviewed=claim,
        title=_text(item.get("name") or item.get("headline"), "name"),
        summary=_text(item.get("reviewBody"), "reviewBody", 2000),
        claimant_name=_text(author, "itemReviewed.author", 300, several=True),
        verdict=_text(rating.get("alternateName") or rating.get("name"), "alternateName", 100),
        rating_value=_number(rating.get("ratingValue"), "ratingValue"),
        best_rating=_number(rating.get("bestRating"), "bestRating"),
        worst_rating=_number(rating.get("worstRating"), "worstRating"),
        url=url, reviewed_on=_date(item.get("datePublished")) or date_from_review_url(url),
        claim_date=_text(reviewed.get("datePublished") if isinstance(reviewed, dict)
                         else "", "itemReviewed.datePublished", 200),
        raw=_clean_raw(item),
    )


# Larger than any real record; JSON nested deeper than Python's parser can follow is refused.
MAX_RECORD_BYTES = 1_000_000
_JSON_ERRORS = (json.JSONDecodeError, RecursionError)


def _json_error(exc: Exception) -> InvalidRecord:
    if isinstance(exc, RecursionError):
        return InvalidRecord("The JSON is nested too deeply.")
    return InvalidRecord(f"Not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}).")


def read_factcheck_file(path: Path, *, publisher: str = "") -> Iterator[tuple[str, object]]:
    """(where, FactCheckRecord or InvalidRecord) for each record of a .jsonl or JSON-LD file;
    a bad record never hides the good ones around it."""
    if path.suffix.lower() in {".jsonl", ".ndjson"}:
        with path.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                where = f"{path}:{number}"
                if len(line) > MAX_RECORD_BYTES:
                    yield where, InvalidRecord(f"The line is over {MAX_RECORD_BYTES:,} bytes.")
                    continue
                try:
                    obj = json.loads(line.decode("utf-8"))
                    yield where, record_from_vclaim(obj, publisher=publisher)
                except UnicodeDecodeError:
                    yield where, InvalidRecord("Not valid UTF-8.")
                except _JSON_ERRORS as exc:
                    yield where, _json_error(exc)
                except InvalidRecord as exc:
                    yield where, exc
        return
    try:
        items = claimreview_items(json.loads(path.read_bytes().decode("utf-8")))
    except UnicodeDecodeError:
        yield str(path), InvalidRecord("Not valid UTF-8.")
        return
    except _JSON_ERRORS as exc:
        yield str(path), _json_error(exc)
        return
    found = 0
    for number, item in enumerate(items, start=1):
        where = f"{path}#{number}"
        try:
            record = record_from_claimreview(item)
        except InvalidRecord as exc:
            found += 1
            yield where, exc
            continue
        if record is not None:
            found += 1
            yield where, record
    if not found:
        yield str(path), InvalidRecord("No ClaimReview in the document.")


UPDATE_FIELDS = [f for f in FactCheckRecord.__dataclass_fields__ if f != "external_id"]


def _upsert(records: list[FactCheckRecord]) -> None:
    FactCheck.objects.bulk_create(
        [FactCheck(**asdict(r)) for r in records],
        update_conflicts=True, unique_fields=["external_id"],
        update_fields=UPDATE_FIELDS + ["updated_at"],
    )


def factchecks_save(records: list[FactCheckRecord]) -> tuple[int, int, list[str]]:
    """Store a batch; an existing id is updated. Returns (created, updated, failures).

    One statement for the batch; if the database refuses it, each record is tried on its
    own so that only the bad ones are reported and the rest are kept.
    """
    by_id = {r.external_id: r for r in records}  # the last of duplicates within a batch wins
    existing = set(FactCheck.objects.filter(external_id__in=by_id).values_list(
        "external_id", flat=True))
    try:
        with transaction.atomic():
            _upsert(list(by_id.values()))
    except DataError:
        created = updated = 0
        failures = []
        for record in by_id.values():
            try:
                with transaction.atomic():
                    _upsert([record])
            except DataError as exc:
                failures.append(f"{record.external_id}: the database refused it ({exc}).")
                continue
            if record.external_id in existing:
                updated += 1
            else:
                created += 1
        return created, updated, failures
    return len(by_id) - len(existing), len(existing), []


def factchecks_dates_backfill(*, batch: int = 1000) -> int:
    """Give the library's undated records the review date their record or URL carries
    (imports before dates were read from PolitiFact's URLs left them empty). Returns how many
    were dated; a record whose date is found nowhere stays empty."""
    dated = 0
    undated = FactCheck.objects.filter(reviewed_on__isnull=True).only("id", "origin", "url", "raw")
    changed: list[FactCheck] = []
    for check in undated.iterator(chunk_size=batch):
        raw = check.raw if isinstance(check.raw, dict) else {}
        found = (_date(raw.get("date") if check.origin == FactCheck.Origin.VCLAIMS else None)
                 or date_from_review_url(raw.get("url") or "")
                 or date_from_review_url(check.url))
        if found is None:
            continue
        check.reviewed_on = found
        changed.append(check)
        if len(changed) >= batch:
            dated += FactCheck.objects.bulk_update(changed, ["reviewed_on"])
            changed = []
    if changed:
        dated += FactCheck.objects.bulk_update(changed, ["reviewed_on"])
    return dated


# --- verdicts in words ---------------------------------------------------------------------------

# Publishers' rating slugs whose words are not simply the slug's: PolitiFact's "barely-true" is
# its "Mostly False" (renamed in 2011; the slug stayed), "pants-fire" its "Pants on Fire".
_VERDICT_WORDS = {
    "barely true": "Mostly false",
    "pants fire": "Pants on fire",
    "pants on fire": "Pants on fire",
    "full flop": "Full flop",
    "half flip": "Half flip",
    "no flip": "No flip",
    "mixture": "Mixture",
    "mixed": "Mixed",
    "legit": "Legitimate",
    "research in progress": "Research in progress",
    "labeled satire": "Labeled satire",
    "originated as satire": "Originated as satire",
    "correct attribution": "Correct attribution",
    "misattributed": "Misattributed",
    "miscaptioned": "Miscaptioned",
    "unproven": "Unproven",
    "unfounded": "Unfounded",
    "outdated": "Outdated",
    "lost legend": "Lost legend",
}
_SLUG_RE = re.compile(r"^[a-z0-9]+(?:[-_ ][a-z0-9]+)*$")


def verdict_words(raw: str) -> str:
    """A publisher's rating in words a reader knows: "barely-true" -> "Mostly false",
    "pants-fire" -> "Pants on fire", "half-true" -> "Half true", "mostly_false" -> "Mostly
    false". A rating already written out ("Four Pinocchios", "This is misleading") is kept as
    the publisher wrote it; no rating gives ''."""
    text = " ".join((raw or "").split())
    if not text:
        return ""
    key = text.lower().replace("-", " ").replace("_", " ")
    if key in _VERDICT_WORDS:
        return _VERDICT_WORDS[key]
    if not _SLUG_RE.match(text):
        return text  # the publisher's own words
    return key[:1].upper() + key[1:]


# --- searching the library -------------------------------------------------------------------

SEARCH_MAX_CHARS = 1000  # longer than any claim statement the desk would paste
SEARCH_LIMIT = 10
SEARCH_LIMIT_MAX = 50
# The record's fields as the retrieval engine weighs them (claim, title, claimant): the
# weights eval_retrieval measures, chosen on the CheckThat! train queries (docs/quality.md).
_SEARCH_FIELDS = {name: retrieval.DEFAULT_FIELDS[name] for name in ("claim", "title", "claimant")}
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'-]{1,}|\d[\d,.]*")


class LibraryError(ValueError):
    """A search or an attachment refused; ``message`` says why in words the desk can act on."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def search_query_check(query: str) -> str:
    """The query as searched (whitespace collapsed), or LibraryError saying what is wrong."""
    text = " ".join((query or "").split())
    if not text:
        raise LibraryError("Type a few words of the claim to search the library.")
    if len(text) > SEARCH_MAX_CHARS:
        raise LibraryError(f"The search is {len(text):,} characters long; shorten it to "
                           f"{SEARCH_MAX_CHARS:,} characters or fewer.")
    if not _WORD_RE.search(text):
        raise LibraryError("The search has no words to look for: type a few words of the "
                           "claim.")
    return text


_index_lock = threading.Lock()
_index: tuple[tuple, retrieval.Index] | None = None


def _library_index() -> retrieval.Index:
    """The engine's BM25F index of the library, built once per process and rebuilt when the
    library changes (a record added, edited or deleted)."""
    global _index
    state = FactCheck.objects.aggregate(n=Count("id"), last=Max("id"), changed=Max("updated_at"))
    # One process may hold several databases (tests, an evaluation's throw-away one).
    key = (connection.settings_dict["NAME"], state["n"], state["last"], state["changed"])
    with _index_lock:
        if _index is not None and _index[0] == key:
            return _index[1]
        rows = FactCheck.objects.values_list("id", "claim_reviewed", "title", "claimant_name")
        index = retrieval.Index.build(_records(rows.iterator()), _SEARCH_FIELDS)
        _index = (key, index)
        return index


def _records(rows) -> list[dict]:
    return [{"id": str(pk), "claim": claim, "title": title, "claimant": claimant}
            for pk, claim, title, claimant in rows]


# PostgreSQL's candidates for a search, re-ranked by the engine. ts_rank knows no document
# frequency: a rare name ("Vandergriff") counts no more than a common word ("abortion"), and
# the record naming it fell behind others; BM25F over the candidates puts it first again.
SEARCH_CANDIDATES = 300


def factchecks_search(*, query: str, limit: int = SEARCH_LIMIT) -> list[FactCheck]:
    """The library's records best matching ``query`` (full text over the claim reviewed, the
    title and the claimant), best first, at most ``limit``. Raises LibraryError for an empty
    or oversize query.

    Ranked by the retrieval engine's BM25F, the ranking ``eval_retrieval`` measures. On
    SQLite its index of the whole library lives in process (as matching's candidates do);
    on PostgreSQL the database's full-text search finds the candidates, so a web process
    never holds the library in memory, and the engine ranks those."""
    text = search_query_check(query)
    limit = max(1, min(limit, SEARCH_LIMIT_MAX))
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        words = list(dict.fromkeys(w.lower() for w in _WORD_RE.findall(text)))[:40]
        search = SearchQuery(" OR ".join(words), search_type="websearch", config="english")
        vector = (SearchVector("claim_reviewed", weight="A", config="english")
                  + SearchVector("title", weight="B", config="english")
                  + SearchVector("claimant_name", weight="B", config="english"))
        rows = (FactCheck.objects.annotate(rank=SearchRank(vector, search)).filter(rank__gt=0)
                .order_by("-rank", "id")
                .values_list("id", "claim_reviewed", "title", "claimant_name")
                [:SEARCH_CANDIDATES])
        index = retrieval.Index.build(_records(rows), _SEARCH_FIELDS)
    else:
        index = _library_index()
    ids = [int(pk) for pk, _ in index.search(text, k=limit)]
    found = FactCheck.objects.in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


# --- attaching an earlier fact-check to a claim ------------------------------------------------

ATTACH_PERMISSION = "claims.change_claimlink"  # who may decide links (confirm a suggestion)
ATTACH_METHOD = "desk/library-search"


def _similarity(claim_text: str, checked: str) -> float:
    """How much of the two statements' words they share (cosine of their proposition terms,
    unweighted): what the link's score means elsewhere, although the desk chose this one."""
    return round(propositions_engine.similarity(
        propositions_engine.terms_of(claim_text), propositions_engine.terms_of(checked),
        propositions_engine.Weights({}, 1)), 4)


@transaction.atomic
def factcheck_attach(*, claim: Claim, factcheck: FactCheck, user) -> tuple[ClaimLink, bool]:
    """Attach an earlier fact-check to a claim as the desk's choice: a confirmed link, as an
    accepted suggestion is recorded, and a trail entry. Attaching again changes nothing;
    a suggestion of the same record is confirmed, a rejected one reconsidered. Returns the
    link and whether anything changed.

    The claim's version is left alone: attaching is not an edit of the review, so an editor's
    unsaved form on the claim page still saves afterwards."""
    if not (user.has_perm(ATTACH_PERMISSION) and user.has_perm(REVIEW_READ["factchecks"])):
        raise LibraryError("You may not attach fact-checks to claims (your role does not "
                           "include deciding links).")
    # The lock order of every link writer: membership lock, then the rows.
    Proposition.objects.lock_membership()
    locked = Claim.objects.select_for_update(no_key=True).filter(pk=claim.pk).first()
    if locked is None:
        raise LibraryError("The claim no longer exists.")
    link = ClaimLink.objects.select_for_update().filter(claim=locked, factcheck=factcheck).first()
    if link is not None and link.status == ClaimLink.Status.CONFIRMED:
        return link, False
    if link is None:
        relation, _, cues = relation_engine.classify(factcheck.claim_reviewed, locked.text,
                                                     text_kind=locked.kind)
        link = ClaimLink.objects.create(
            claim=locked, factcheck=factcheck, relation=relation, cues=list(cues),
            score=_similarity(locked.said, factcheck.claim_reviewed), method=ATTACH_METHOD,
            status=ClaimLink.Status.CONFIRMED, decided_by=user,
            decided_at=timezone.now())
    else:  # a suggestion, or a rejected link: confirmed as any link decision is
        link = link_decide(link=link, user=user, status=ClaimLink.Status.CONFIRMED)
    where = ", ".join(part for part in (
        factcheck.publisher, factcheck.reviewed_on.isoformat() if factcheck.reviewed_on else "",
        verdict_words(factcheck.verdict)) if part)
    ReviewEvent.objects.create(
        claim=locked, actor=user, action=ReviewEvent.Action.EVIDENCE,
        from_status=locked.status, to_status=locked.status,
        note=f"Earlier fact-check attached: “{Truncator(factcheck.claim_reviewed).chars(200)}”"
             + (f" ({where})" if where else ""),
        data={"factcheck": factcheck.pk, "link": link.pk})
    return link, True
