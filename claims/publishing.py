"""Publishing: the one representation of a claim as readers see it — used by the API and
webhooks alike, built from plain values in a few flat queries — and its schema.org
ClaimReview (JSON-LD, the fact-checking standard search engines and aggregators read), used
by the ClaimReview feed and the public page.

A reader outside the desk sees published claims only, and of each only what is published:
no draft verdict, related claims only where they are published too, and evidence only at a
public address (``evidence_url_public``: decided here, once, for the API, the public page and
webhooks alike).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.urls import reverse
from django.utils import timezone

from claims.errors import InvalidArticle
from claims.models import (
    CLAIMREVIEW_BEST,
    CLAIMREVIEW_RATINGS,
    CLAIMREVIEW_WORST,
    Claim,
    ClaimLink,
    Evidence,
    VerdictVersion,
    best_per_other,
)
from claims.urlcheck import canonical_url

_http_url = URLValidator(schemes=["http", "https"])


def claim_rows(*, everything: bool):
    """The claims a reader sees (``everything``: the desk's staff, every state), with
    claimant, article and source joined; the article's text (kilobytes) is not fetched.

    Published claims always have published_at (claim_published_has_date); saying so lets
    PostgreSQL start its walk of claim_published_idx, which keeps NULLs first in descending
    order, after the drafts' NULLs instead of reading through all of them."""
    claims = Claim.objects.all()
    if not everything:
        claims = claims.published().filter(published_at__isnull=False)
    return claims.select_related("claimant", "article__source").defer("article__text")


def shown(*, everything: bool) -> Callable[[object], bool]:
    """Whether a related claim may be shown beside another."""
    if everything:
        return lambda claim: True
    return lambda claim: claim.status == Claim.Status.PUBLISHED


def rating_of(verdict: str, label: str) -> dict | None:
    if not verdict:
        return None
    return {"value": verdict, "label": label, "rating_value": CLAIMREVIEW_RATINGS[verdict],
            "best_rating": CLAIMREVIEW_BEST, "worst_rating": CLAIMREVIEW_WORST}


def moment(value) -> str | None:
    """A date and time as the API writes it: ISO 8601, in the site's time zone, "Z" for
    UTC (as DRF's DateTimeField does)."""
    if value is None:
        return None
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class _Other:
    """Another claim, as much of it as a related entry shows (lighter than a model row)."""

    __slots__ = ("pk", "text", "status", "source")

    def __init__(self, pk, text, status, source):
        self.pk, self.text, self.status, self.source = pk, text, status, source


def evidence_url_refusal(url: str) -> str:
    """Why ``url`` may not be shown as a link ("" if it may): it must be a public http(s)
    address, judged as an article's URL is (``urlcheck.canonical_url``: local names, private,
    loopback and link-local addresses in any spelling, credentials), without a DNS lookup —
    the address is shown, never fetched. Here, not in review, because publishing decides what
    readers get and comes first in the imports; ``review.evidence_add`` refuses by it."""
    try:
        # The host first: "http://intranet/" is refused as private, not as malformed.
        canonical_url(url)
        _http_url(url)
    except InvalidArticle as exc:
        return f"{exc.message} Give the evidence as a public http:// or https:// address."
    except ValidationError:
        return "Give the evidence as a full http:// or https:// address."
    return ""


def evidence_url_public(url: str) -> bool:
    """Whether a stored source may be shown as a link (rows saved before the rule may not)."""
    return not evidence_url_refusal(url)


def evidence_for_readers(rows) -> list:
    """The evidence rows (models) readers may see, in their order: those at a public address.
    Filtered here over rows already fetched, so a page's queries stay as they are."""
    return [row for row in rows if evidence_url_public(row.url)]


def claims_attach(claims) -> None:
    """Evidence, verdict versions, links and proposition memberships of ``claims``, in five
    flat queries of plain values (no model rows: building ~450 of them was most of a page's
    time, bench/api.py), onto each claim as ``evidence_list``, ``verdict_list``,
    ``related_pairs`` and ``memberships``. Evidence is what readers may see of it: a source
    stored before private addresses were refused is left out (``evidence_url_public``)."""
    by_id = {claim.pk: claim for claim in claims}
    for claim in claims:
        claim.evidence_list, claim.verdict_list = [], []
        claim.related_pairs, claim.memberships = [], []
    if not by_id:
        return
    ids = list(by_id)
    for claim_id, url, note, stance in (
            Evidence.objects.filter(claim_id__in=ids).order_by("claim_id", "created_at", "id")
            .values_list("claim_id", "url", "note", "stance")):
        if not evidence_url_public(url):
            continue
        by_id[claim_id].evidence_list.append({"url": url, "note": note, "stance": stance})
    for claim_id, *row in (
            VerdictVersion.objects.filter(claim_id__in=ids).order_by("claim_id", "number")
            .values_list("claim_id", "number", "verdict", "rationale", "published_at",
                         "corrected_at", "correction_note")):
        by_id[claim_id].verdict_list.append(dict(zip(
            ("number", "verdict", "rationale", "published_at", "corrected_at",
             "correction_note"), row)))
    live = ClaimLink.objects.live()
    # Links from the claim, then links to it, each by score (the order related claims are
    # chosen in when two links join the same pair): (this claim, the other) per direction.
    for mine, theirs in (("claim", "target_claim"), ("target_claim", "claim")):
        for claim_id, other, relation, score, decided, statement, text, status, source in (
                live.filter(**{f"{mine}_id__in": ids, f"{theirs}__isnull": False})
                .order_by(f"{mine}_id", "-score", "id")
                .values_list(f"{mine}_id", f"{theirs}_id", "relation", "score", "status",
                             f"{theirs}__statement", f"{theirs}__text", f"{theirs}__status",
                             f"{theirs}__article__source__name")):
            by_id[claim_id].related_pairs.append(
                ((relation, score, decided == ClaimLink.Status.CONFIRMED),
                 _Other(other, statement or text, status, source)))
    for claim_id, proposition_id in (
            live.filter(claim_id__in=ids, proposition__isnull=False)
            .order_by("claim_id", "-score", "id").values_list("claim_id", "proposition_id")):
        by_id[claim_id].memberships.append(proposition_id)


def claims_url(request=None) -> Callable[..., str]:
    """``url(pk, suffix="")``: a claim's API address (absolute with a request), reversed
    once, not two or three times per claim."""
    prefix = reverse("api:claim-list")
    if request is not None:
        prefix = request.build_absolute_uri(prefix)
    return lambda pk, suffix="": f"{prefix}{pk}/{suffix}"


def verdict_of(claim) -> dict | None:
    if claim.status != Claim.Status.PUBLISHED:
        return None  # a draft verdict is the desk's, not the public's
    return rating_of(claim.verdict, claim.get_verdict_display())


def related_of(claim, *, visible, url) -> dict[str, list[dict]]:
    """The best link to each other claim either way, by score, on each side; only claims
    ``visible`` to the reader."""
    sides = {"supports": [], "contradicts": []}
    visible_pairs = ((link, other) for link, other in claim.related_pairs if visible(other))
    for (relation, score, confirmed), other in best_per_other(visible_pairs,
                                                              score=lambda link: link[1]):
        if relation in sides:
            sides[relation].append({
                "id": other.pk, "text": other.text, "relation": relation, "score": score,
                "confirmed": confirmed, "source": other.source, "url": url(other.pk)})
    return sides


def claim_document(claim, *, visible, url) -> dict:
    """The claim as the API shows it (``claims_attach`` must have run on it)."""
    claimant, article = claim.claimant, claim.article
    source = article.source
    return {
        "id": claim.pk,
        "url": url(claim.pk),
        "text": claim.said,
        "proposition_text": claim.bears_on,
        "polarity": claim.polarity,
        "span": {"start": claim.start, "end": claim.end, "text": claim.text},
        "kind": claim.kind,
        "negated": claim.negated,
        "hedged": claim.hedged,
        "checkworthiness": claim.checkworthiness,
        "claimant": None if claimant is None else {
            "id": claimant.pk, "name": claimant.name, "role": claimant.role,
            "kind": claimant.kind},
        "claimant_mention": claim.claimant_mention,
        "cue": claim.cue,
        "article": {"id": article.pk, "title": article.title, "url": article.url,
                    "published_at": moment(article.published_at),
                    "source": {"id": source.pk, "name": source.name, "domain": source.domain}},
        "status": claim.status,
        "verdict": verdict_of(claim),
        "rationale": claim.rationale,
        "evidence": [dict(row) for row in claim.evidence_list],
        "verdicts": [{**row, "published_at": moment(row["published_at"]),
                      "corrected_at": moment(row["corrected_at"])}
                     for row in claim.verdict_list],
        "related": related_of(claim, visible=visible, url=url),
        "proposition": claim.memberships[0] if claim.memberships else None,
        "published_at": moment(claim.published_at),
        "updated_at": moment(claim.updated_at),
        "claimreview_url": (url(claim.pk, "claimreview/")
                            if claim.status == Claim.Status.PUBLISHED else None),
    }


def public_claim_document(claim_id: int) -> dict:
    """A published claim exactly as the public API shows it to a reader signed in as nobody
    (addresses relative to the site): what webhooks carry, whoever pressed "publish"."""
    claim = claim_rows(everything=False).get(pk=claim_id)
    claims_attach([claim])
    return claim_document(claim, visible=shown(everything=False), url=claims_url())


# --- ClaimReview -------------------------------------------------------------------------------


def _absolute(request, path: str) -> str:
    return request.build_absolute_uri(path) if request is not None else path


def _publisher(request) -> dict:
    organisation = {"@type": "Organization", "name": settings.CLAIMTRACK_PUBLISHER_NAME}
    url = settings.CLAIMTRACK_PUBLISHER_URL or (_absolute(request, "/") if request else "")
    if url:
        organisation["url"] = url
    return organisation


def _claimant(claim: Claim) -> dict:
    if claim.claimant is None:  # the outlet's own statement
        return {"@type": "Organization", "name": claim.article.source.name}
    kind = "Person" if claim.claimant.kind == "person" else "Organization"
    author = {"@type": kind, "name": claim.claimant.name}
    if kind == "Person" and claim.claimant.role:
        author["jobTitle"] = claim.claimant.role
    return author


def claim_review(claim: Claim, *, request=None) -> dict:
    """The ClaimReview of a published claim. Fields Google requires (claimReviewed,
    reviewRating with alternateName, url) are always present."""
    if claim.status != Claim.Status.PUBLISHED or not claim.verdict:
        raise ValueError("Only a published claim with a verdict has a ClaimReview.")
    rating = {
        "@type": "Rating",
        "name": claim.get_verdict_display(),
        "alternateName": claim.get_verdict_display(),
        "bestRating": CLAIMREVIEW_BEST,
        "worstRating": CLAIMREVIEW_WORST,
    }
    value = CLAIMREVIEW_RATINGS[claim.verdict]
    if value is not None:
        rating["ratingValue"] = value
    article = claim.article
    item = {"@type": "Claim", "author": _claimant(claim)}
    if article.published_at:
        item["datePublished"] = article.published_at.date().isoformat()
    if article.url:
        item["appearance"] = {"@type": "CreativeWork", "url": article.url,
                              "headline": article.title,
                              "publisher": {"@type": "Organization",
                                            "name": article.source.name}}
    review = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": _absolute(request, reverse("claim-public", args=[claim.pk])),
        "claimReviewed": claim.said,
        "reviewRating": rating,
        "itemReviewed": item,
        "author": _publisher(request),
        "datePublished": claim.published_at.date().isoformat(),
        "reviewBody": claim.rationale,
    }
    if claim.updated_at and claim.updated_at.date() > claim.published_at.date():
        review["dateModified"] = claim.updated_at.date().isoformat()
    return review
