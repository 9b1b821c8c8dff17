"""Notifications: what the workflow tells each person, in the app and, if they chose, by e-mail.

``notify`` is called by the services inside their transaction: the rows are part of the change
(rolled back with it), the e-mail goes out only once it has committed, and a mail server that
fails is logged, never an error for the person who pressed the button. Each person chooses per
kind (``DeskProfile.in_app`` / ``by_email``); nobody is told about their own action.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from claims.models import Claim, Comment, DeskProfile, Notification, Proposition

log = logging.getLogger(__name__)

Kind = Notification.Kind
TEXT_MAX = Notification._meta.get_field("text").max_length


def desk_profile_for(user) -> DeskProfile:
    """``user``'s choices, created with the defaults (everything in the app, no e-mail)."""
    profile, _ = DeskProfile.objects.get_or_create(user=user)
    return profile


def desk_profile_update(*, user, in_app: Iterable[str], by_email: Iterable[str]) -> DeskProfile:
    """Save which kinds ``user`` receives in the app and by e-mail."""
    in_app, by_email = sorted(set(in_app)), sorted(set(by_email))
    unknown = sorted((set(in_app) | set(by_email)) - set(Kind.values))
    if unknown:
        raise ValueError(f"Unknown notification kinds: {', '.join(unknown)}.")
    profile = desk_profile_for(user)
    profile.in_app, profile.by_email = in_app, by_email
    profile.save(update_fields=["in_app", "by_email"])
    return profile


def desk_members_with(permission: str):
    """Active staff who hold ``permission`` ("app.codename") through a group, directly, or as
    superusers: those the workflow may ask to act."""
    app, codename = permission.split(".", 1)
    group = Q(groups__permissions__codename=codename,
              groups__permissions__content_type__app_label=app)
    direct = Q(user_permissions__codename=codename,
               user_permissions__content_type__app_label=app)
    return get_user_model().objects.filter(
        group | direct | Q(is_superuser=True), is_active=True, is_staff=True).distinct()


def _fit(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= TEXT_MAX else text[:TEXT_MAX - 1] + "…"


def notify(*, recipients, kind: str, actor, text: str, claim: Claim | None = None,
           proposition: Proposition | None = None,
           comment: Comment | None = None) -> list[Notification]:
    """Tell ``recipients`` (users; ``None`` entries and the actor are skipped) that ``kind``
    happened: a row for each who wants it in the app, an e-mail after commit for each who
    wants it by e-mail and has an address. Returns the rows created."""
    actor_id = getattr(actor, "pk", None)
    people = {user.pk: user for user in recipients
              if user is not None and user.pk != actor_id and user.is_active}
    if not people:
        return []
    profiles = {p.user_id: p for p in DeskProfile.objects.filter(user_id__in=list(people))}

    def wants(user, channel: str) -> bool:
        profile = profiles.get(user.pk)
        if profile is None:  # never chose: the model's defaults
            return channel == "in_app"
        return kind in getattr(profile, channel)

    text = _fit(text)
    rows = Notification.objects.bulk_create([
        Notification(recipient=user, kind=kind, actor=actor if actor_id else None, claim=claim,
                     proposition=proposition, comment=comment, text=text)
        for user in people.values() if wants(user, "in_app")])
    mail_to = [user for user in people.values() if user.email and wants(user, "by_email")]
    if mail_to:
        row_ids = [row.pk for row in rows if row.recipient_id in {u.pk for u in mail_to}]
        messages = [_message(user, kind, text, claim, proposition) for user in mail_to]
        transaction.on_commit(lambda: _send(messages, row_ids))
    return rows


def _link(claim, proposition) -> str:
    if claim is not None:
        path = reverse("admin:claims_claim_change", args=[claim.pk])
    elif proposition is not None:
        path = reverse("admin:claims_proposition_change", args=[proposition.pk])
    else:
        path = reverse("admin:index")
    return settings.CLAIMTRACK_PUBLIC_URL.rstrip("/") + path


def _message(user, kind, text, claim, proposition) -> EmailMessage:
    # One message per person: nobody sees who else was told. The comment itself stays on
    # the desk; the mail says what happened and where.
    body = (f"{text}\n\nOpen it: {_link(claim, proposition)}\n\n"
            "You receive this because you chose e-mail for "
            f"\"{Kind(kind).label}\" in your notification settings.\n")
    return EmailMessage(subject=f"[Claimtrack] {_fit(Kind(kind).label + ': ' + text)[:150]}",
                        body=body, to=[user.email])


def _send(messages: list[EmailMessage], row_ids: list[int]) -> None:
    try:
        get_connection().send_messages(messages)
    except Exception:  # a mail server down must not fail the desk's work, which committed
        log.exception("Sending %d notification e-mail(s) failed", len(messages))
        return
    if row_ids:
        Notification.objects.filter(pk__in=row_ids).update(emailed_at=timezone.now())


def notifications_mark_read(*, user, ids: Iterable[int] | None = None) -> int:
    """Mark ``user``'s unread notifications read (only those ``ids``, if given); returns how
    many. Someone else's ids are ignored."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


def notifications_settle(*, claim: Claim, kinds: Iterable[str] = (Kind.APPROVAL_NEEDED,)) -> int:
    """Mark everyone's unread ``kinds`` on ``claim`` read: the request is done (published,
    sent back, dismissed, correction decided), so nobody is asked to do it again."""
    return Notification.objects.filter(
        claim=claim, kind__in=list(kinds), read_at__isnull=True).update(read_at=timezone.now())
