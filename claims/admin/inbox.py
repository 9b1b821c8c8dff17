"""The inbox: the admin's landing page for every desk member, and its two small actions.

Served at the admin index's own address (config/urls.py routes it ahead of the admin), so
``admin:index`` — the breadcrumbs' "Home", the site header — leads to it; the admin's app
list stays on the page, folded below the inbox. The selectors are in ``claims.inbox``; this
module only turns their rows into links and lines of text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib import admin, messages
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.timesince import timesince
from django.views.decorators.http import require_POST

from claims import inbox as selectors
from claims.models import Notification
from claims.notifications import notification_path, notifications_mark_read

# The part of a comment shown under a mention: enough to know whether to open it now.
EXCERPT_CHARS = 200


@dataclass(frozen=True)
class Row:
    """One line of a section: a link, what it is about, and since when."""

    url: str
    text: str
    details: tuple[str, ...] = ()
    note: str = ""
    note_by: str = ""
    at: datetime | None = None
    is_new: bool = False

    @property
    def when(self) -> str:
        """'just now', '5 minutes ago', '2 days, 3 hours ago'."""
        if self.at is None:
            return ""
        if timezone.now() - self.at < timedelta(minutes=1):
            return "just now"
        return f"{timesince(self.at)} ago"


def _claim_url(claim_id: int) -> str:
    return reverse("admin:claims_claim_change", args=[claim_id])


def _where(claim) -> str:
    who = claim.claimant.name if claim.claimant_id else "the outlet itself"
    return f"{who} in {claim.article.source.name}"


def _claim_row(key: str, claim) -> Row:
    details, note, note_by, at = [_where(claim)], "", "", None
    if key == "sent_back":
        note, note_by, at = claim.sent_back_note, claim.sent_back_by or "", claim.sent_back_at
    elif key == "assigned":
        at = claim.assigned_at
    elif key == "approval":
        details.append(f"{claim.get_verdict_display()}, proposed by "
                       f"{claim.proposed_by or 'a former member'}")
        at = claim.proposed_at
    elif key == "corrections":
        details.append(f"{claim.get_verdict_display()} → {claim.get_correction_verdict_display()}"
                       f", proposed by {claim.correction_proposed_by or 'a former member'}")
        note, at = claim.correction_note, claim.correction_proposed_at
    elif key == "flagged":
        note, note_by, at = claim.flag_note, claim.flag_by or "", claim.flag_at
    elif key == "my_flags":
        # A reporter reads where the claim stands and, once published, the verdict readers
        # see; nothing of a review in progress.
        state = claim.get_status_display()
        if claim.status == claim.Status.PUBLISHED:
            state = f"{state}: {claim.get_verdict_display()}"
        details.append(state)
        at = claim.my_flag_at
    return Row(url=_claim_url(claim.pk), text=str(claim), details=tuple(details), note=note,
               note_by=note_by, at=at, is_new=claim.is_new)


def _notification_row(notification) -> Row:
    details = [notification.get_kind_display()]
    if notification.actor_id:
        details.append(f"by {notification.actor}")
    note = ""
    if notification.comment_id:
        note = Truncator(notification.comment.body).chars(EXCERPT_CHARS)
    return Row(url=reverse("desk-inbox-open", args=[notification.pk]), text=notification.text,
               details=tuple(details), note=note, at=notification.created_at,
               is_new=notification.is_new)


def _article_row(article) -> Row:
    count = article.claim_count
    details = (article.source.name, article.get_state_display(),
               f"{count} claim{'s' if count != 1 else ''}")
    return Row(url=reverse("admin:claims_article_change", args=[article.pk]),
               text=article.title, details=details, at=article.state_changed_at,
               is_new=article.is_new)


def _rows(section) -> list[Row]:
    if section.key in ("mentions", "notifications"):
        return [_notification_row(item) for item in section.items]
    if section.key == "my_articles":
        return [_article_row(item) for item in section.items]
    return [_claim_row(section.key, item) for item in section.items]


# Where "and N more" leads: the queue, filtered to the section (sections without one say
# how many more there are).
MORE_FILTERS = {
    "sent_back": "assigned=me&status__exact=in_review",
    "assigned": "assigned=me&status__exact=in_review",
    "approval": "status__exact=awaiting_approval",
    "corrections": "correction=yes",
    "flagged": "flagged__exact=1&status__exact=new",
}


def inbox_view(request):
    """The admin index as the user's inbox; looking at it moves "new since I last looked"."""
    user = request.user
    box = selectors.inbox_for(user=user)
    queue = reverse("admin:claims_claim_changelist")
    sections = [{
        "key": section.key, "title": section.title, "count": section.count,
        "new": section.new, "more": section.more, "acts": section.acts,
        "rows": _rows(section),
        "more_url": f"{queue}?{MORE_FILTERS[section.key]}" if section.key in MORE_FILTERS
        else "",
    } for section in box.sections]
    selectors.inbox_mark_seen(user=user)
    # Sections with something in them, those that ask the user to act first; the sections
    # the user follows come after, under their own heading. The empty ones take one line.
    return admin.site.index(request, extra_context={
        "title": "Inbox",
        "inbox_sections": [s for s in sections if s["acts"] and s["count"]],
        "inbox_following": [s for s in sections if not s["acts"] and s["count"]],
        "inbox_empty": [s["title"] for s in sections if not s["count"]],
        "inbox_new": box.new,
        "inbox_seen_at": box.seen_at,
        # The header's figures, read in this request already: not asked for twice.
        "inbox_counts": box.counts,
        "has_unread": any(s.count for s in box.sections
                          if s.key in ("mentions", "notifications")),
    })


@require_POST
def inbox_read_all(request):
    """"Mark all read": every unread notification of the user's."""
    marked = notifications_mark_read(user=request.user)
    messages.success(request, f"{marked} notification{'s' if marked != 1 else ''} marked read.")
    return HttpResponseRedirect(reverse("admin:index"))


def inbox_open(request, pk: int):
    """Open one of the user's notifications: marked read, then on to what it is about. Only
    the recipient's own read state changes, as when a mail is opened, so a plain link does."""
    notification = (Notification.objects.filter(pk=pk, recipient=request.user)
                    .only("id", "claim_id", "proposition_id", "comment_id").first())
    if notification is None:
        raise Http404("No such notification of yours.")
    notifications_mark_read(user=request.user, ids=[pk])
    target = notification_path(notification)
    if notification.comment_id:
        target += f"#comment-{notification.comment_id}"
    return HttpResponseRedirect(target)
