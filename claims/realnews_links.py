"""The real-news check of matching: PolNeAR's train+dev articles read in publication order
through the product — stored, extracted and matched by the same services the workers run, on a
throw-away database — and the judgements kept on the links it suggested.

A judged link is keyed by its two claims (article, span and the fingerprint of what each shows)
and the relation suggested; a label counts while the product still suggests that link with that
relation. The repository keeps ids and labels only (``judged/links.csv``), never article words.
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date

from claims import engine
from claims.evaluation import throwaway_database
from claims.realnews import Judged, _context, read_labels, read_stream

LINK_LABELS = ("same", "relation_right")


@dataclass(frozen=True)
class Link:
    a: Judged
    b: Judged
    relation: str
    score: float
    proposition: str

    @property
    def ends(self) -> tuple[Judged, Judged]:
        """The two claims in a fixed order, whichever way the link points."""
        first, second = sorted((self.a, self.b), key=_end)
        return first, second

    @property
    def key(self) -> tuple:
        first, second = self.ends
        return (*_end(first), *_end(second), self.relation)


def _end(claim: Judged) -> tuple:
    return (claim.article, claim.start, claim.end, claim.fingerprint)


@dataclass
class StreamResult:
    claims: int  # matchable claims stored
    links: list[Link]
    largest: int  # members of the largest proposition
    propositions: int  # propositions of two members or more
    texts: dict  # article id -> cleaned text (for the judging sheets only)

    def figures(self) -> dict:
        per_claim = len(self.links) / self.claims if self.claims else 0.0
        return {"claims": self.claims, "links": len(self.links),
                "links_per_claim": round(per_claim, 3),
                "propositions_of_two_or_more": self.propositions,
                "largest_proposition": self.largest,
                "largest_share": round(self.largest / self.claims, 4) if self.claims else 0.0}


def _judged(claim, pid: str) -> Judged:
    who = claim.claimant
    claimant = "" if who is None else who.name + (f" ({who.role})" if who.role else "")
    return Judged(pid, claim.start, claim.end, claim.said, claimant, claim.polarity, claim.kind,
                  claim.bears_on,
                  claim.article.text[claim.sentence_start:claim.sentence_end])


def run_stream(folder: Path, limit: int | None = None, progress=None) -> StreamResult:
    """Store, extract and match the stream's articles in date order; the links suggested."""
    from claims.extraction import claims_replace, most_checkworthy
    from claims.matching import article_match
    from claims.models import Article, Claim, ClaimLink, Source

    stream = read_stream(folder)[:limit]
    with throwaway_database():
        sources: dict[str, Source] = {}
        ids: dict[int, str] = {}
        texts = {}
        for n, item in enumerate(stream):
            text = engine.clean_text(item.raw)
            texts[item.id] = text
            source = sources.get(item.publisher)
            if source is None:
                source = sources[item.publisher] = Source.objects.create(
                    name=item.publisher or "unknown")
            day = parse_date(item.date[:10]) if item.date else None
            published = timezone.make_aware(
                timezone.datetime.combine(day, timezone.datetime.min.time())) if day else None
            article = Article.objects.create(
                source=source, title=item.id, text=text, content_hash=f"polnear-{item.id}",
                published_at=published, state=Article.State.DONE, processed_at=timezone.now())
            ids[article.pk] = item.id
            extracted, _ = most_checkworthy(engine.analyse(text),
                                            settings.CLAIMTRACK_ARTICLE_MAX_CLAIMS)
            with transaction.atomic():  # as extraction stores them, in one transaction
                claims_replace(article=article, extracted=extracted,
                               version=engine.ENGINE_VERSION)
            article_match(article_id=article.pk)
            if progress and n % 50 == 0:
                progress(n, len(stream))
        claims = Claim.objects.matchable().count()
        # One query for the memberships: each claim's proposition text, each size.
        memberships = list(ClaimLink.objects.filter(proposition__isnull=False).live()
                           .values_list("claim_id", "proposition_id", "proposition__text"))
        propositions = {claim: text for claim, _, text in memberships}
        sizes = Counter(proposition for _, proposition, _ in memberships)
        links = []
        for link in (ClaimLink.objects.filter(target_claim__isnull=False).live()
                     .select_related("claim__article", "claim__claimant",
                                     "target_claim__article", "target_claim__claimant")
                     .order_by("pk")):
            a, b = link.claim, link.target_claim
            links.append(Link(_judged(a, ids[a.article_id]), _judged(b, ids[b.article_id]),
                              link.relation, link.score, propositions.get(a.pk, "")))
        largest = max(sizes.values(), default=0)
        return StreamResult(claims, links, largest, sum(1 for n in sizes.values() if n > 1),
                            texts)


def draw(result: StreamResult, *, links: int, seed: int) -> list[dict]:
    """A judging sheet of ``links`` suggested links drawn with ``seed``."""
    rng = random.Random(seed)
    chosen = sorted(rng.sample(result.links, min(links, len(result.links))), key=lambda x: x.key)
    rows = []
    for link in chosen:
        key = link.key
        row = {"article_a": key[0], "start_a": key[1], "end_a": key[2], "fingerprint_a": key[3],
               "article_b": key[4], "start_b": key[5], "end_b": key[6], "fingerprint_b": key[7],
               "relation": link.relation, "score": link.score,
               "proposition": link.proposition}
        for side, claim in zip("ab", link.ends):
            row[f"statement_{side}"] = claim.statement
            row[f"claimant_{side}"] = claim.claimant
            row[f"polarity_{side}"] = claim.polarity
            row[f"context_{side}"] = _context(result.texts[claim.article], claim.start,
                                              claim.end, 200)
        rows.append(row)
    return rows


KEY_COLUMNS = ("article_a", "start_a", "end_a", "fingerprint_a", "article_b", "start_b",
               "end_b", "fingerprint_b", "relation")


def _label_key(row: dict) -> tuple:
    return (row["article_a"], int(row["start_a"]), int(row["end_a"]), row["fingerprint_a"],
            row["article_b"], int(row["start_b"]), int(row["end_b"]), row["fingerprint_b"],
            row["relation"])


def write_labels_template(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*KEY_COLUMNS, *LINK_LABELS])
        writer.writeheader()
        for row in rows:
            writer.writerow({**{k: row[k] for k in KEY_COLUMNS}, "same": "", "relation_right": ""})


def score(result: StreamResult, labels: Path) -> dict:
    """Precision of the judged links the product still suggests, and the stream's figures."""
    rows = read_labels(labels, LINK_LABELS)
    current = {link.key for link in result.links}
    still = [row for row in rows if _label_key(row) in current]
    same = sum(1 for row in still if row["same"] == "y")
    right = sum(1 for row in still if row["same"] == "y" and row["relation_right"] == "y")
    return {
        "engine": engine.ENGINE_VERSION,
        **result.figures(),
        "judged": len(rows),
        "still_suggested": len(still),
        "same_proposition": {"count": same, "of": len(still),
                             "rate": round(same / len(still), 3) if still else None},
        "precision": {"count": right, "of": len(still),
                      "rate": round(right / len(still), 3) if still else None},
    }
