"""The fact-check library: reading ClaimReview JSON-LD and fact-check JSONL records, and
storing them (re-imports update in place)."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urljoin

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import DataError, transaction

from claims.errors import InvalidFactCheck as InvalidRecord
from claims.models import FactCheck

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


def _date(value) -> date | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text[: len(text)], fmt).date()
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
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
    reviewed_on = _date(raw_date)
    return FactCheckRecord(
        external_id=external_id, origin=FactCheck.Origin.VCLAIMS, publisher=publisher,
        claim_reviewed=_claim(obj.get("vclaim")), title=_text(obj.get("title"), "title"),
        summary=_text(obj.get("subtitle"), "subtitle", 2000),
        claimant_name=_text(obj.get("speaker"), "speaker", 300),
        verdict=_text(obj.get("truth_label"), "truth_label", 100),
        url=_url(obj.get("url") or "", publisher), reviewed_on=reviewed_on,
        claim_date="" if reviewed_on else raw_date, raw=_clean_raw(obj),
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
        url=url, reviewed_on=_date(item.get("datePublished")),
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
