"""What needs me: each desk member's inbox, and the counts shown in the header of every page.

Selectors, read only, plus one write (``inbox_mark_seen``). Each section is offered only to
the roles that can act on it:

    section        who sees it                 what is in it
    sent_back      may propose verdicts        my proposals sent back to me, with the note
    assigned       may propose verdicts        in review, assigned to me (not sent back)
    approval       may publish                 awaiting approval, proposed by someone else
    corrections    may correct                 a correction awaiting, proposed by someone else
    flagged        may take claims             flagged and not yet taken (status new)
    mentions       may read comments           my unread @mentions, with the comment
    notifications  everyone                    my other unread notifications
    ------------- following (shown, not counted: nothing to act on) -----------------------
    my_flags       may flag                    claims I flagged and where they stand
    my_articles    may add articles            articles I submitted and their state

Nothing is cached: the counts are one query a page, so they cannot go stale. The lists are
bounded (``SECTION_LIMIT``) and everything they show is joined or annotated, so the inbox
costs the same number of queries for 5 items as for 5,000.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone

from claims.models import Article, Claim, DeskProfile, Notification, ReviewEvent

Status = Claim.Status
Kind = Notification.Kind

# Items listed per section; the rest are counted and reached through the queue's filters.
SECTION_LIMIT = 10

# Section keys that need the user to act, in the order the inbox shows them; the header
# counts these. The "following" sections are shown below them and counted nowhere.
ACTION_SECTIONS = ("sent_back", "assigned", "approval", "corrections", "flagged", "mentions",
                   "notifications")
FOLLOWING_SECTIONS = ("my_flags", "my_articles")
# Notifications of these kinds point at a claim that a section lists for as long as it needs
# the recipient (assigned to me, sent back to me, awaiting my approval or correction): they
# are listed, but the header counts the claim once, in its section, not again as news.
MIRRORED_KINDS = (Kind.ASSIGNED, Kind.SENT_BACK, Kind.APPROVAL_NEEDED)

TITLES = {
    "sent_back": "Sent back to me",
    "assigned": "Assigned to me",
    "approval": "Awaiting my approval",
    "corrections": "Corrections awaiting another editor",
    "flagged": "Flagged for checking, not yet taken",
    "mentions": "Mentions of me",
    "notifications": "Notifications",
    "my_flags": "Claims I flagged",
    "my_articles": "Articles I submitted",
}


# --- who sees what -------------------------------------------------------------------------

def inbox_sections_for(*, user) -> list[str]:
    """The section keys ``user``'s role can act on (or follow), in display order."""
    may = {
        "sent_back": user.has_perm("claims.propose_verdict"),
        "assigned": user.has_perm("claims.propose_verdict"),
        "approval": user.has_perm("claims.publish_claim"),
        "corrections": user.has_perm("claims.correct_claim"),
        "flagged": user.has_perm("claims.take_claim"),
        # A comment is part of a review in progress: only for those who may read comments
        # (reporters may not), and the excerpt shown is the comment's.
        "mentions": user.has_perm("claims.view_comment"),
        "notifications": True,
        "my_flags": user.has_perm("claims.flag_claim"),
        "my_articles": user.has_perm("claims.add_article"),
    }
    return [key for key in (*ACTION_SECTIONS, *FOLLOWING_SECTIONS) if may[key]]


# --- the querysets, one per section ----------------------------------------------------------

def _sent_back_events():
    # Send back is the one transition from awaiting approval back to in review.
    return ReviewEvent.objects.filter(
        claim=OuterRef("pk"), from_status=Status.AWAITING_APPROVAL, to_status=Status.IN_REVIEW)


def _flag_events():
    return ReviewEvent.objects.filter(claim=OuterRef("pk"), action=ReviewEvent.Action.FLAG)


def _latest(events: QuerySet, prefix: str) -> dict:
    """Annotations for the latest of ``events`` on each claim: when, the note, by whom."""
    latest = events.order_by("-created_at", "-id")
    return {
        f"{prefix}_at": Subquery(latest.values("created_at")[:1]),
        f"{prefix}_note": Subquery(latest.values("note")[:1]),
        f"{prefix}_by": Subquery(latest.values("actor__username")[:1]),
    }


def _mine_sent_back(user) -> Q:
    return Q(status=Status.IN_REVIEW, assigned_to=user, proposed_by=user) & Exists(
        _sent_back_events())


def _section_querysets(user, in_app: list[str]) -> dict[str, QuerySet]:
    """Every section's rows for ``user``, unordered and unbounded (the counts use them too)."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    mention_kinds = [Kind.MENTION] if Kind.MENTION in in_app else []
    other_kinds = [kind for kind in in_app if kind != Kind.MENTION]
    return {
        "sent_back": Claim.objects.filter(_mine_sent_back(user)),
        "assigned": Claim.objects.filter(status=Status.IN_REVIEW, assigned_to=user)
                                 .exclude(_mine_sent_back(user)),
        # exclude(), not filter(~...): a claim whose proposer's account is gone (NULL) waits
        # for everyone.
        "approval": Claim.objects.filter(status=Status.AWAITING_APPROVAL)
                                 .exclude(proposed_by=user),
        "corrections": Claim.objects.filter(correction_proposed_at__isnull=False)
                                    .exclude(correction_proposed_by=user),
        "flagged": Claim.objects.filter(flagged=True, status=Status.NEW),
        "mentions": unread.filter(kind__in=mention_kinds),
        "notifications": unread.filter(kind__in=other_kinds),
        "my_flags": Claim.objects.filter(Exists(_flag_events().filter(actor=user))),
        "my_articles": Article.objects.filter(submitted_by=user),
    }


def _listed(key: str, queryset: QuerySet, user) -> QuerySet:
    """What a section's list shows: ordered, joined and annotated for its template."""
    if key == "sent_back":
        return (queryset.select_related("claimant", "article__source")
                .annotate(**_latest(_sent_back_events(), "sent_back"))
                .order_by("-sent_back_at", "-id"))
    if key == "assigned":
        assigned = ReviewEvent.objects.filter(claim=OuterRef("pk"),
                                              action=ReviewEvent.Action.ASSIGN)
        return (queryset.select_related("claimant", "article__source")
                .annotate(**_latest(assigned, "assigned"))
                .order_by(F("assigned_at").desc(nulls_last=True), "-priority", "-id"))
    if key == "approval":
        # The longest waiting first: they hold up the desk the most.
        return (queryset.select_related("claimant", "article__source", "proposed_by")
                .order_by("proposed_at", "id"))
    if key == "corrections":
        return (queryset.select_related("claimant", "article__source", "correction_proposed_by")
                .order_by("correction_proposed_at", "id"))
    if key == "flagged":
        return (queryset.select_related("claimant", "article__source")
                .annotate(**_latest(_flag_events(), "flag"))
                .order_by("-priority", "-id"))
    if key in ("mentions", "notifications"):
        return (queryset.select_related("actor", "comment", "claim", "proposition")
                .order_by("-created_at", "-id"))
    if key == "my_flags":
        mine = _flag_events().filter(actor=user).order_by("-created_at", "-id")
        return (queryset.select_related("claimant", "article__source")
                .annotate(my_flag_at=Subquery(mine.values("created_at")[:1]))
                .order_by("-my_flag_at", "-id"))
    if key == "my_articles":
        return (queryset.select_related("source")
                .annotate(claim_count=Count("claims"))
                .order_by("-created_at", "-id"))
    raise KeyError(key)


# --- counts: one query ------------------------------------------------------------------------

class _Count(Subquery):
    """COUNT(*) of a queryset as a scalar subquery, so several counts share one query."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) inbox_count)"
    output_field = IntegerField()


@dataclass(frozen=True)
class InboxCounts:
    """How many items each section holds for one user, and when they last looked."""

    counts: dict[str, int]
    # Unread notifications per kind, of the kinds the user wants in the app.
    unread: dict[str, int]
    in_app: list[str]
    seen_at: datetime | None

    def _needing(self) -> dict[str, int]:
        needing = {key: n for key, n in self.counts.items() if key in ACTION_SECTIONS}
        if "notifications" in needing:
            needing["notifications"] = sum(
                n for kind, n in self.unread.items()
                if kind != Kind.MENTION and kind not in MIRRORED_KINDS)
        return needing

    @property
    def total(self) -> int:
        """What needs the user, each thing once: the action sections they see, added up,
        less the notifications about claims those sections already count."""
        return sum(self._needing().values())

    @property
    def summary(self) -> str:
        """'2 sent back to me · 1 awaiting my approval', for the header's tooltip."""
        parts = [f"{n} {TITLES[key][0].lower()}{TITLES[key][1:]}"
                 for key, n in self._needing().items() if n]
        return " · ".join(parts) or "Nothing waiting for you"


def inbox_counts(*, user) -> InboxCounts:
    """Every section's count for ``user``, their in-app choices and when they last looked at
    their inbox, in one query (scalar subqueries on the user's own row)."""
    keys = inbox_sections_for(user=user)
    # The in-app choices decide which notifications count, but they are read in this same
    # query: count every kind here, then add up the chosen ones below.
    querysets = _section_querysets(user, in_app=list(Kind.values))
    claim_keys = [key for key in keys if key not in ("mentions", "notifications")]
    columns = {f"n_{key}": _Count(querysets[key].order_by().values("pk")) for key in claim_keys}
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    columns.update({f"kind_{kind}": _Count(unread.filter(kind=kind).order_by().values("pk"))
                    for kind in Kind.values})
    row = (get_user_model().objects.filter(pk=user.pk)
           .values(profile_in_app=F("desk_profile__in_app"),
                   profile_seen_at=F("desk_profile__inbox_seen_at"), **columns)
           .get())
    in_app = row["profile_in_app"]
    in_app = list(Kind.values) if in_app is None else [k for k in in_app if k in Kind.values]
    unread = {kind: row[f"kind_{kind}"] for kind in in_app}
    counts = {}
    for key in keys:
        if key == "mentions":
            counts[key] = unread.get(Kind.MENTION, 0)
        elif key == "notifications":
            counts[key] = sum(n for kind, n in unread.items() if kind != Kind.MENTION)
        else:
            counts[key] = row[f"n_{key}"]
    if "mentions" not in keys:
        unread.pop(Kind.MENTION, None)
    return InboxCounts(counts=counts, unread=unread, in_app=in_app,
                       seen_at=row["profile_seen_at"])


# --- the inbox page ---------------------------------------------------------------------------

@dataclass
class Section:
    key: str
    title: str
    count: int
    items: list = field(default_factory=list)
    # How many of the listed items arrived since the user last looked.
    new: int = 0

    @property
    def more(self) -> int:
        return max(self.count - len(self.items), 0)

    @property
    def acts(self) -> bool:
        return self.key in ACTION_SECTIONS


@dataclass
class Inbox:
    counts: InboxCounts
    sections: list[Section]

    @property
    def seen_at(self) -> datetime | None:
        return self.counts.seen_at

    @property
    def new(self) -> int:
        return sum(section.new for section in self.sections if section.acts)


# When an item came into its section (the attribute): what "new since I last looked" compares.
ARRIVED_AT = {
    "sent_back": "sent_back_at",
    "assigned": "assigned_at",
    "approval": "proposed_at",
    "corrections": "correction_proposed_at",
    "flagged": "flag_at",
    "mentions": "created_at",
    "notifications": "created_at",
    "my_flags": "my_flag_at",
    "my_articles": "state_changed_at",
}


def inbox_for(*, user, limit: int = SECTION_LIMIT) -> Inbox:
    """The inbox of ``user``: each section they may see, its first ``limit`` items and its
    count; every item marked ``is_new`` when it arrived after they last looked. Reads only:
    call ``inbox_mark_seen`` once it is shown."""
    counts = inbox_counts(user=user)
    querysets = _section_querysets(user, in_app=counts.in_app)
    sections = []
    for key, count in counts.counts.items():
        items = list(_listed(key, querysets[key], user)[:limit]) if count else []
        new = 0
        for item in items:
            arrived = getattr(item, ARRIVED_AT[key])
            item.is_new = bool(arrived and (counts.seen_at is None or arrived > counts.seen_at))
            new += item.is_new
        sections.append(Section(key=key, title=TITLES[key], count=count, items=items, new=new))
    return Inbox(counts=counts, sections=sections)


def inbox_mark_seen(*, user, now: datetime | None = None) -> None:
    """Remember that ``user`` looked at their inbox now: later arrivals are "new"."""
    # One upsert, whether or not the profile exists yet; a new profile gets the model's
    # defaults (every notification kind in the app, none by e-mail).
    DeskProfile.objects.bulk_create(
        [DeskProfile(user=user, inbox_seen_at=now or timezone.now())],
        update_conflicts=True, unique_fields=["user"], update_fields=["inbox_seen_at"])
