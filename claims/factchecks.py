"""The fact-check library: reading ClaimReview JSON-LD and fact-check JSONL records, and
storing them (re-imports update in place)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urljoin

from django.db import transaction

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


def _text(value, name: str, limit: int = 500) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        value = value.get("name") or ""
    if not isinstance(value, str):
        raise InvalidRecord(f"'{name}' must be text, not {type(value).__name__}.")
    return " ".join(value.split())[:limit]


def _number(value, name: str) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InvalidRecord(f"'{name}' must be a number, not {value!r}.") from None


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


def _url(value: str, publisher: str = "") -> str:
    value = _text(value, "url", 2000)
    if value.startswith(("http://", "https://")):
        return value
    if value.startswith("/") and publisher in PUBLISHER_SITES:
        return urljoin(PUBLISHER_SITES[publisher], value)
    return ""


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
        claim_date="" if reviewed_on else raw_date, raw=obj,
    )


def records_from_claimreview(document) -> Iterator[FactCheckRecord]:
    """Every ClaimReview in a JSON-LD document (one object, a list, or an @graph)."""
    items = document if isinstance(document, list) else [document]
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("@graph"), list):
            yield from records_from_claimreview(item["@graph"])
            continue
        if not isinstance(item, dict):
            raise InvalidRecord("A JSON-LD item must be an object.")
        kind = item.get("@type")
        kinds = kind if isinstance(kind, list) else [kind]
        if "ClaimReview" not in kinds:
            continue
        rating = item.get("reviewRating") or {}
        if not isinstance(rating, dict):
            raise InvalidRecord("'reviewRating' must be an object.")
        reviewed = item.get("itemReviewed") or {}
        author = reviewed.get("author") if isinstance(reviewed, dict) else None
        publisher = _text(item.get("author"), "author", 200)
        if not publisher and isinstance(item.get("author"), dict):
            publisher = _text(item["author"].get("url"), "author.url", 200)
        claim = _claim(item.get("claimReviewed"))
        url = _url(item.get("url") or "")
        external_id = url or "claimreview:" + hashlib.sha256(
            f"{publisher}\n{claim}".encode()).hexdigest()[:32]
        yield FactCheckRecord(
            external_id=external_id[:300], origin=FactCheck.Origin.CLAIMREVIEW,
            publisher=publisher, claim_reviewed=claim,
            title=_text(item.get("name") or item.get("headline"), "name"),
            summary=_text(item.get("reviewBody"), "reviewBody", 2000),
            claimant_name=_text(author, "itemReviewed.author", 300),
            verdict=_text(rating.get("alternateName") or rating.get("name"), "alternateName", 100),
            rating_value=_number(rating.get("ratingValue"), "ratingValue"),
            best_rating=_number(rating.get("bestRating"), "bestRating"),
            worst_rating=_number(rating.get("worstRating"), "worstRating"),
            url=url, reviewed_on=_date(item.get("datePublished")),
            claim_date=_text(reviewed.get("datePublished") if isinstance(reviewed, dict)
                             else "", "itemReviewed.datePublished", 200),
            raw=item,
        )


def read_factcheck_file(path: Path, *, publisher: str = "") -> Iterator[tuple[str, object]]:
    """(where, FactCheckRecord or InvalidRecord) for each record of a .jsonl or JSON-LD file."""
    if path.suffix.lower() in {".jsonl", ".ndjson"}:
        with path.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                where = f"{path}:{number}"
                try:
                    obj = json.loads(line.decode("utf-8"))
                    yield where, record_from_vclaim(obj, publisher=publisher)
                except UnicodeDecodeError:
                    yield where, InvalidRecord("Not valid UTF-8.")
                except json.JSONDecodeError as exc:
                    yield where, InvalidRecord(f"Not valid JSON: {exc.msg} (column {exc.colno}).")
                except InvalidRecord as exc:
                    yield where, exc
        return
    try:
        document = json.loads(path.read_bytes().decode("utf-8"))
        records = list(records_from_claimreview(document))
    except UnicodeDecodeError:
        yield str(path), InvalidRecord("Not valid UTF-8.")
        return
    except json.JSONDecodeError as exc:
        yield str(path), InvalidRecord(f"Not valid JSON: {exc.msg} (line {exc.lineno}).")
        return
    except InvalidRecord as exc:
        yield str(path), exc
        return
    if not records:
        yield str(path), InvalidRecord("No ClaimReview in the document.")
    for record in records:
        yield str(path), record


UPDATE_FIELDS = [f for f in FactCheckRecord.__dataclass_fields__ if f != "external_id"]


@transaction.atomic
def factchecks_save(records: list[FactCheckRecord]) -> tuple[int, int]:
    """Store a batch in one statement; an existing external id is updated. (created, updated)"""
    by_id = {r.external_id: r for r in records}  # the last of duplicates within a batch wins
    existing = set(FactCheck.objects.filter(external_id__in=by_id).values_list(
        "external_id", flat=True))
    FactCheck.objects.bulk_create(
        [FactCheck(**asdict(r)) for r in by_id.values()],
        update_conflicts=True, unique_fields=["external_id"],
        update_fields=UPDATE_FIELDS + ["updated_at"],
    )
    return len(by_id) - len(existing), len(existing)
