"""Notifications: what the workflow tells each person, in the app and, if they chose, by e-mail.

``notify`` is called by the services inside their transaction: the rows are part of the change
(rolled back with it). Each person chooses per kind (``DeskProfile.in_app`` / ``by_email``);
nobody is told about their own action.

E-mail leaves in a worker, never in the request: once the change commits, each mail is sent
by its own ``notification_email_task`` (on the webhooks queue, ``config/celery.py``), so a slow
mail server holds no editor's page. The task sends at most once however often it is
delivered: ``notification_email_send`` claims the row (``emailed_at`` set where it is empty)
before sending, and gives the claim back only when the send failed, for the retry. A mail
server that fails is retried with growing delays, then left in the log; it is never an error
for the person who pressed the button, whose change stands.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from claims import enqueue
from claims.models import Claim, Comment, DeskProfile, Notification, Proposition

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


def quoted(text: str) -> str:
    """The start of a claim's or proposition's words, in quotes, as a notification names it."""
    return f"“{Truncator(text).chars(80)}”"


def _fit(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= TEXT_MAX else text[:TEXT_MAX - 1] + "…"


def notify(*, recipients, kind: str, actor, text: str, claim: Claim | None = None,
           proposition: Proposition | None = None,
           comment: Comment | None = None) -> list[Notification]:
    """Tell ``recipients`` (users; ``None`` entries and the actor are skipped) that ``kind``
    happened: a row for each who wants it in the app or by e-mail, and for each who wants it
    by e-mail and has an address, a mail sent by a worker once the change commits. Returns
    the rows created."""
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
    now = timezone.now()
    by_email = {user.pk for user in people.values() if user.email and wants(user, "by_email")}
    rows = Notification.objects.bulk_create([
        # Someone who wants a kind by e-mail alone still gets a row: it is what the mail's task
        # claims, so the mail goes out once. Read from the start, the inbox never shows it.
        Notification(recipient=user, kind=kind, actor=actor if actor_id else None, claim=claim,
                     proposition=proposition, comment=comment, text=text, created_at=now,
                     read_at=None if wants(user, "in_app") else now)
        for user in people.values() if user.pk in by_email or wants(user, "in_app")])
    for row in rows:
        if row.recipient_id in by_email:
            enqueue.send_on_commit("notification_email_task", row.pk,
                                   what=f"the e-mail of notification {row.pk}")
    return rows


# What ``notification_email_send`` did, for the task's result and log.
SENT, ALREADY_SENT, NO_ADDRESS, GONE = "sent", "already sent", "no address", "gone"


class MailFailed(Exception):
    """The mail backend raised while sending; the row's claim was given back."""


def notification_email_send(*, notification_id: int) -> str:
    """Send notification ``notification_id`` to its recipient by e-mail, at most once.

    The row is claimed before the send (``emailed_at`` set where it is still empty, one row
    or none): a redelivered task, or a second one, finds it claimed and sends nothing. If the
    backend raises, the claim is given back and ``MailFailed`` raised, so a retry can send.
    A worker lost between the claim and the server's answer leaves the mail claimed and
    unsent: a lost notice costs less than the same notice twice, and the inbox still has it.
    """
    row = Notification.objects.select_related("recipient").filter(pk=notification_id).first()
    if row is None:  # its claim or its recipient was deleted meanwhile
        return GONE
    if not row.recipient.email:  # removed since: nowhere to send it
        return NO_ADDRESS
    claimed_at = timezone.now()
    claimed = Notification.objects.filter(pk=row.pk, emailed_at__isnull=True).update(
        emailed_at=claimed_at)
    if claimed != 1:
        return ALREADY_SENT
    try:
        get_connection().send_messages([_message(row)])
    except Exception as exc:  # whatever the backend raises (SMTP, socket, an API's own)
        Notification.objects.filter(pk=row.pk, emailed_at=claimed_at).update(emailed_at=None)
        raise MailFailed(f"{type(exc).__name__}: {exc}") from exc
    return SENT


def notification_path(row: Notification) -> str:
    """Where a notification leads on the desk: its claim, its proposition, or the inbox."""
    if row.claim_id:
        return reverse("admin:claims_claim_change", args=[row.claim_id])
    if row.proposition_id:
        return reverse("admin:claims_proposition_change", args=[row.proposition_id])
    return reverse("admin:index")


def _message(row: Notification) -> EmailMessage:
    # One message per person: nobody sees who else was told. The comment itself stays on
    # the desk; the mail says what happened and where.
    label = Kind(row.kind).label
    link = settings.CLAIMTRACK_PUBLIC_URL.rstrip("/") + notification_path(row)
    body = (f"{row.text}\n\nOpen it: {link}\n\n"
            "You receive this because you chose e-mail for "
            f"\"{label}\" in your notification settings.\n")
    return EmailMessage(subject=f"[Claimtrack] {_fit(label + ': ' + row.text)[:150]}",
                        body=body, to=[row.recipient.email])


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
