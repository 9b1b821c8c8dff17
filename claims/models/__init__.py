"""The domain, one module per part: where claims come from (articles), the claims and their
review (claims), the library of earlier fact-checks (library), what claims assert in common
(propositions), and who uses the API (clients). Everything is importable from here."""

from claims.models.articles import Article, Claimant, Source
from claims.models.claims import (
    CLAIMREVIEW_BEST,
    CLAIMREVIEW_RATINGS,
    CLAIMREVIEW_WORST,
    OPPOSITE_VERDICT,
    Claim,
    ClaimQuerySet,
    Evidence,
    ReviewEvent,
    Verdict,
    VerdictVersion,
)
from claims.models.clients import ApiClient, WebhookDelivery, WebhookEndpoint
from claims.models.conversation import COMMENT_MAX, Comment, DeskProfile, Notification
from claims.models.feeds import ArticleFetch, Feed, FeedEntry
from claims.models.library import FactCheck
from claims.models.propositions import (
    MEMBERSHIP_LOCK_KEY,
    ClaimLink,
    ClaimLinkQuerySet,
    Proposition,
    PropositionQuerySet,
    TermStat,
    best_per_other,
)

__all__ = [
    "CLAIMREVIEW_BEST", "COMMENT_MAX", "Comment", "DeskProfile", "Notification", "CLAIMREVIEW_RATINGS", "CLAIMREVIEW_WORST", "MEMBERSHIP_LOCK_KEY",
    "OPPOSITE_VERDICT", "ApiClient", "Article", "ArticleFetch", "Claim", "ClaimLink", "ClaimLinkQuerySet",
    "ClaimQuerySet", "Claimant", "Evidence", "FactCheck", "Feed", "FeedEntry", "Proposition", "PropositionQuerySet",
    "ReviewEvent", "Source", "TermStat", "Verdict", "VerdictVersion", "WebhookDelivery", "WebhookEndpoint",
    "best_per_other",
]
