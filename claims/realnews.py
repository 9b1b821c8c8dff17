"""A real news stream, read through the product, and the judgements kept on what it made.

PolNeAR's train and dev articles (seven outlets covering the 2016 campaign) are read in
publication order and analysed the way an ingested article is: the text cleaned, claims
extracted and scored, at most ``CLAIMTRACK_ARTICLE_MAX_CLAIMS`` kept. A seeded sample of the
claims, and of the annotated attributions that are negative, is written out for judging; the
repository keeps only ids and labels (``judged/``), never the articles' words.

A label holds while the product still makes the same claim: a claim is keyed by its article,
its span and a fingerprint of what it shows (statement and claimant). When the
extraction changes, the changed claims are reported as stale, to be judged again, and the rates
are over the claims still current.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from claims import engine
from claims.engine.lexicon import NEGATION_RE
from claims.engine.statements import DENIES
from claims.extraction import most_checkworthy

CLAIM_LABELS = ("faithful", "claimant", "fragment", "denial")
YES_NO = ("y", "n")
# The draw's own criterion for a negative attribution, fixed so that a draw with the same seed
# gives the same rows whatever the engine's rules become.
_NOT_NEGATIVE_RE = re.compile(r"\bif\s+not\b|\bnot\s+only\b|\bnot\s+least\b|\bno\s+doubt\b|"
                              r"\bno\s+later\s+than\b|\bnot\s+until\b", re.I)
_DENY_CUE_RE = re.compile(r"\b(?:den(?:y|ies|ied|ying|ial)|reject|dismiss|refut|rebut|disput)",
                          re.I)


@dataclass(frozen=True)
class Article:
    id: str
    publisher: str
    date: str
    raw: str
    attributions: tuple


@dataclass(frozen=True)
class Judged:
    """One made claim as the product shows it."""

    article: str
    start: int
    end: int
    statement: str
    claimant: str
    polarity: str
    kind: str
    proposition: str
    sentence: str

    @property
    def fingerprint(self) -> str:
        # What the labels judge: the words shown and who they are given to. Polarity is
        # compared with the judged truth at scoring time, so it is not part of the key.
        shown = "\x1f".join((self.statement, self.claimant))
        return hashlib.sha1(shown.encode("utf-8")).hexdigest()[:12]


def read_stream(folder: Path, splits=("train", "dev")) -> list[Article]:
    """The articles of ``splits`` in publication order (then by id)."""
    meta = {}
    with (folder / "metadata.tsv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            meta[row["filename"]] = (row["publisher"], row["publication_date"])
    articles = []
    for split in splits:
        with (folder / f"{split}.jsonl").open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    record = json.loads(line)
                    publisher, date = meta.get(record["id"], ("", ""))
                    articles.append(Article(record["id"], publisher, date, record["text"],
                                            tuple(record.get("attributions") or ())))
    articles.sort(key=lambda a: (a.date, a.id))
    return articles


def made_claims(article: Article) -> tuple[str, list[Judged]]:
    """The cleaned text and the claims the product stores for ``article``."""
    text = engine.clean_text(article.raw)
    extracted, _ = most_checkworthy(engine.analyse(text), settings.CLAIMTRACK_ARTICLE_MAX_CLAIMS)
    made = []
    for claim in extracted:
        who = claim.claimant
        claimant = "" if who is None else who.name + (f" ({who.role})" if who.role else "")
        made.append(Judged(article.id, claim.content.start, claim.content.end, claim.statement,
                           claimant, claim.polarity, claim.kind, claim.proposition,
                           claim.sentence.text))
    return text, made


def to_clean(raw: str, text: str, start: int, end: int) -> tuple[int, int] | None:
    """The offsets in the cleaned ``text`` of the raw span [start, end), or None when
    cleaning dropped it (a credit line, page furniture)."""
    opcodes = difflib.SequenceMatcher(None, raw, text, autojunk=False).get_opcodes()
    mapped = []
    for point in (start, end):
        for tag, i1, i2, j1, j2 in opcodes:
            if i1 <= point <= i2:
                if tag == "delete":
                    mapped.append(None)
                else:
                    mapped.append(j1 + min(point - i1, j2 - j1))
                break
    if None in mapped or len(mapped) != 2 or mapped[1] <= mapped[0]:
        return None
    return mapped[0], mapped[1]


def overlap(a: tuple[int, int], b: tuple[int, int]) -> float:
    shared = min(a[1], b[1]) - max(a[0], b[0])
    return max(0, shared) / max(1, min(a[1] - a[0], b[1] - b[0]))


def _context(text: str, start: int, end: int, width: int = 300) -> str:
    return (text[max(0, start - width):start] + "[[" + text[start:end] + "]]"
            + text[end:end + width]).replace("\n", " / ")


def draw(folder: Path, *, claims: int, denials: int, seed: int) -> tuple[list[dict], list[dict]]:
    """Judging sheets: ``claims`` made claims and ``denials`` negative annotated
    attributions, drawn with ``seed`` from the whole stream."""
    stream = read_stream(folder)
    made, candidates = [], []
    for article in stream:
        text, found = made_claims(article)
        made.extend((article, text, claim) for claim in found)
        for attribution in article.attributions:
            content, cue = attribution.get("content"), attribution.get("cue") or {}
            if not content:
                continue
            if _DENY_CUE_RE.search(cue.get("text", "")) or NEGATION_RE.search(
                    _NOT_NEGATIVE_RE.sub(" ", content["text"])):
                candidates.append((article, attribution))
    rng = random.Random(seed)
    claim_rows = []
    for article, text, claim in sorted(rng.sample(made, min(claims, len(made))),
                                       key=lambda m: (m[0].date, m[0].id, m[2].start)):
        claim_rows.append({
            "article": article.id, "start": claim.start, "end": claim.end,
            "fingerprint": claim.fingerprint, "statement": claim.statement,
            "claimant": claim.claimant, "polarity": claim.polarity, "kind": claim.kind,
            "proposition": claim.proposition,
            "context": _context(text, claim.start, claim.end),
        })
    denial_rows = []
    for article, attribution in sorted(rng.sample(candidates, min(denials, len(candidates))),
                                       key=lambda m: (m[0].date, m[0].id,
                                                      m[1]["content"]["start"])):
        content, source = attribution["content"], attribution.get("source") or {}
        denial_rows.append({
            "article": article.id, "start": content["start"], "end": content["end"],
            "source": source.get("text", ""), "cue": (attribution.get("cue") or {}).get("text", ""),
            "content": content["text"],
            "context": _context(article.raw, content["start"], content["end"]),
        })
    return claim_rows, denial_rows


def read_labels(path: Path, columns: tuple[str, ...]) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for number, row in enumerate(rows, start=2):
        for column in columns:
            if row.get(column) not in YES_NO:
                raise ValueError(f"{path}:{number}: {column} must be y or n, "
                                 f"not {row.get(column)!r}")
    return rows


def _rate(rows: list[dict], column: str, value: str = "y") -> dict:
    hits = sum(1 for row in rows if row[column] == value)
    return {"count": hits, "of": len(rows), "rate": round(hits / len(rows), 3) if rows else None}


def score(folder: Path, claim_labels: Path, denial_labels: Path) -> dict:
    """Rates over the judged claims the product still makes, and recall of judged denials."""
    by_id = {a.id: a for a in read_stream(folder)}
    claim_rows = read_labels(claim_labels, CLAIM_LABELS)
    denial_rows = read_labels(denial_labels, ("denial",)) if denial_labels.is_file() else []
    wanted = {row["article"] for row in claim_rows} | {row["article"] for row in denial_rows}
    unknown = wanted - by_id.keys()
    if unknown:
        raise ValueError(f"Articles not in the stream: {', '.join(sorted(unknown)[:5])}")
    made = {article: made_claims(by_id[article]) for article in sorted(wanted)}

    current, stale, dropped, polarity = [], [], [], {"right": 0, "of": 0}
    for row in claim_rows:
        _, found = made[row["article"]]
        now = [c for c in found if (c.start, c.end) == (int(row["start"]), int(row["end"]))]
        claim = next((c for c in now if c.fingerprint == row["fingerprint"]), None)
        if claim is not None:
            current.append(row)
            polarity["of"] += 1
            polarity["right"] += (claim.polarity == DENIES) == (row["denial"] == "y")
        elif now:
            stale.append(f"{row['article']}:{row['start']}-{row['end']}")
        else:
            dropped.append(f"{row['article']}:{row['start']}-{row['end']}")
    said_denials = [row for row in current if row["denial"] == "y"]

    found_denials, missed, unclaimed = 0, [], 0
    judged = [row for row in denial_rows if row["denial"] == "y"]
    for row in judged:
        article = by_id[row["article"]]
        text, found = made[row["article"]]
        span = to_clean(article.raw, text, int(row["start"]), int(row["end"]))
        covering = [] if span is None else [
            c for c in found if overlap(span, (c.start, c.end)) >= 0.5]
        hit = any(c.polarity == DENIES for c in covering)
        found_denials += hit
        unclaimed += not covering
        if not hit:
            missed.append(f"{row['article']}:{row['start']}-{row['end']}")
    return {
        "engine": engine.ENGINE_VERSION,
        "claims": {
            "judged": len(claim_rows), "current": len(current), "stale": stale,
            "no_longer_made": dropped,
            "no_longer_made_judged_good": sum(
                1 for row in claim_rows
                if f"{row['article']}:{row['start']}-{row['end']}" in dropped
                and (row["faithful"], row["claimant"], row["fragment"]) == ("y", "y", "n")),
            "faithful": _rate(current, "faithful"),
            "claimant_right": _rate(current, "claimant"),
            "fragments": _rate(current, "fragment"),
            "denials_said": len(said_denials),
            "denials_said_found": sum(
                1 for row in said_denials
                if any(c.fingerprint == row["fingerprint"] and c.polarity == DENIES
                       for c in made[row["article"]][1])),
            "polarity_right": polarity,
        },
        "denials": {
            "judged": len(denial_rows), "denials": len(judged), "found": found_denials,
            "recall": round(found_denials / len(judged), 3) if judged else None,
            "missed": missed, "missed_without_claim": unclaimed,
        },
    }


def write_sheet(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
