"""Fact-checks from the web: ClaimReview JSON-LD in a publisher's pages, and ClaimReview feeds.

A page carries its reviews in ``<script type="application/ld+json">`` blocks (one object, a
list, or an ``@graph``). A feed is JSON — a list, an ``@graph``, or a schema.org ``DataFeed``
whose ``dataFeedElement`` items hold the reviews (Google's Fact Check feed format) — or an
RSS/Atom feed whose entries link to fact-check pages, each then fetched. Everything goes
through ``claims.fetch`` (public addresses only, timeouts, size cap) and is stored by
``factchecks_save``: a re-import updates in place, and a bad block or item is reported without
losing the good ones beside it.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from html.parser import HTMLParser

from claims import fetch
from claims.errors import InvalidFactCheck
from claims.factchecks import (
    FactCheckRecord,
    claimreview_items,
    factchecks_save,
    record_from_claimreview,
)

JSON_TYPES = ("application/json", "application/ld+json")
# Every kind of answer a ClaimReview URL may give: JSON, a page, or an RSS/Atom feed.
ANY_TYPES = tuple(dict.fromkeys(fetch.CLAIMREVIEW_TYPES + fetch.FEED_TYPES))
# Pages fetched from one RSS/Atom feed in one go: a feed's first import stays a few minutes.
MAX_FEED_PAGES = 50


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    pages: int = 0
    failures: list[str] = field(default_factory=list)

    def add(self, other: ImportReport) -> None:
        self.created += other.created
        self.updated += other.updated
        self.pages += other.pages
        self.failures.extend(other.failures)

    @property
    def saved(self) -> int:
        return self.created + self.updated

    def summary(self) -> str:
        text = f"{self.created} fact-checks created, {self.updated} updated"
        if self.failures:
            text += f", {len(self.failures)} problem(s): " + "; ".join(self.failures[:5])
        return text + "."


class _JsonLdScripts(HTMLParser):
    """The text of each ``<script type="application/ld+json">`` element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.blocks: list[str] = []
        self._current: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            kind = (dict(attrs).get("type") or "").split(";")[0].strip().lower()
            self._current = [] if kind == "application/ld+json" else None

    def handle_endtag(self, tag):
        if tag == "script" and self._current is not None:
            self.blocks.append("".join(self._current))
            self._current = None

    def handle_data(self, data):
        if self._current is not None:
            self._current.append(data)


def jsonld_blocks(html: str) -> list[str]:
    parser = _JsonLdScripts()
    parser.feed(html)
    parser.close()
    return parser.blocks


def _kinds(item) -> list:
    kind = item.get("@type") if isinstance(item, dict) else None
    return kind if isinstance(kind, list) else [kind]


def _expand(items: list) -> list:
    """DataFeed and DataFeedItem wrappers opened up to the items they carry."""
    flat = []
    for item in items:
        kinds = _kinds(item)
        if "DataFeed" in kinds:
            elements = item.get("dataFeedElement") or []
            flat.extend(_expand(claimreview_items(elements if isinstance(elements, list)
                                                  else [elements])))
        elif "DataFeedItem" in kinds:
            inner = item.get("item") or []
            flat.extend(_expand(claimreview_items(inner if isinstance(inner, list)
                                                  else [inner])))
        else:
            flat.append(item)
    return flat


def records_from_document(document, where: str) -> tuple[list[FactCheckRecord], list[str]]:
    """The ClaimReview records of one parsed JSON(-LD) document, and what was wrong."""
    records, failures = [], []
    for number, item in enumerate(_expand(claimreview_items(document)), start=1):
        try:
            record = record_from_claimreview(item)
        except InvalidFactCheck as exc:
            failures.append(f"{where} item {number}: {exc.message}")
            continue
        if record is not None:
            records.append(record)
    return records, failures


def _parse_json(text: str, where: str):
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, (f"{where}: not valid JSON-LD: {exc.msg} (line {exc.lineno}, "
                      f"column {exc.colno}).")
    except RecursionError:
        return None, f"{where}: the JSON is nested too deeply."


def records_from_html(html: str, where: str) -> tuple[list[FactCheckRecord], list[str]]:
    records, failures = [], []
    blocks = jsonld_blocks(html)
    for number, block in enumerate(blocks, start=1):
        document, error = _parse_json(block, f"{where} JSON-LD block {number}")
        if error:
            failures.append(error)
            continue
        found, failed = records_from_document(document, f"{where} block {number}")
        records.extend(found)
        failures.extend(failed)
    if not records and not failures:
        failures.append(f"{where}: no ClaimReview on the page.")
    return records, failures


def records_from_result(result: fetch.FetchResult) -> tuple[list[FactCheckRecord], list[str]]:
    """Records of a fetched JSON document or page (not a feed of links)."""
    where = result.final_url
    if result.content_type in JSON_TYPES:
        document, error = _parse_json(result.text(), where)
        if error:
            return [], [error]
        records, failures = records_from_document(document, where)
        if not records and not failures:
            failures.append(f"{where}: no ClaimReview in the document.")
        return records, failures
    return records_from_html(result.text(), where)


def records_save(records: list[FactCheckRecord], failures: list[str]) -> ImportReport:
    report = ImportReport(failures=list(failures))
    if records:
        created, updated, failed = factchecks_save(records)
        report.created, report.updated = created, updated
        report.failures.extend(failed)
    return report


def page_import(url: str) -> ImportReport:
    """Fetch one page (or JSON document) and store its ClaimReviews."""
    try:
        result = fetch.fetch(url, accept=fetch.CLAIMREVIEW_TYPES)
    except fetch.FetchError as exc:
        return ImportReport(failures=[f"{url}: {exc.reason}"])
    report = records_save(*records_from_result(result))
    report.pages = 1
    return report


@dataclass
class ParsedFeed:
    entries: list[dict]  # {link, guid, title, published (a time tuple or None)}
    error: str = ""  # not a feed at all: nothing could be read
    note: str = ""  # read, despite a flaw worth knowing about
    title: str = ""


def feed_entries(body: bytes, *, final_url: str, content_type: str,
                 charset: str = "") -> ParsedFeed:
    """The entries of an RSS/Atom body. Parsed from the bytes: feedparser never fetches
    anything itself. Malformed XML with no entry readable is an error; with entries, a note."""
    import feedparser

    header = f"{content_type}; charset={charset}" if charset else content_type
    parsed = feedparser.parse(io.BytesIO(body), response_headers={
        "content-location": final_url, "content-type": header})
    problem = str(parsed.get("bozo_exception") or "")[:500]
    if parsed.bozo and not parsed.entries:
        return ParsedFeed([], error=f"The feed is not well-formed: {problem}")
    entries = []
    for entry in parsed.entries:
        link = entry.get("link") or ""
        guid = entry.get("id") or ""
        if not link and guid.lower().startswith(("http://", "https://")):
            link = guid
        entries.append({"link": link, "guid": guid, "title": entry.get("title") or "",
                        "published": entry.get("published_parsed") or entry.get(
                            "updated_parsed")})
    return ParsedFeed(entries, note=f"Read despite an error in the feed: {problem}"
                      if parsed.bozo else "", title=parsed.feed.get("title") or "")


def url_import(url: str, *, max_pages: int = MAX_FEED_PAGES) -> ImportReport:
    """Import the ClaimReviews at ``url``: a page, a JSON feed, or an RSS/Atom feed of
    fact-check pages (each page fetched, at most ``max_pages``). Does not match claims."""
    try:
        result = fetch.fetch(url, accept=ANY_TYPES)
    except fetch.FetchError as exc:
        return ImportReport(failures=[f"{url}: {exc.reason}"])
    if result.content_type in fetch.FEED_TYPES and result.content_type != "text/plain":
        parsed = feed_entries(result.body, final_url=result.final_url,
                              content_type=result.content_type, charset=result.charset)
        if parsed.error:
            return ImportReport(failures=[f"{url}: {parsed.error}"])
        report = ImportReport()
        for entry in parsed.entries[:max_pages]:
            if entry["link"]:
                report.add(page_import(entry["link"]))
        return report
    report = records_save(*records_from_result(result))
    report.pages = 1
    return report
