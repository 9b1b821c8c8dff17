"""Notifications: each kind reaches the right person and never the actor, each person's
choices hold (in the app, by e-mail), approval requests settle once the work is done, and the
mail leaves in a task after the page has answered: once however often the task is delivered,
retried when the mail server fails, and never at the cost of anybody's change."""

from __future__ import annotations

from unittest import mock

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.core.signals import request_finished
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from claims import enqueue, notifications, review, tasks
from claims.inbox import inbox_counts
from claims.models import Claim, DeskProfile, Notification
from claims.roles import ADMIN, EDITOR, FACT_CHECKER, REPORTER
from tests.factories import ClaimFactory, desk_user, publish_claim

pytestmark = pytest.mark.django_db
K = Notification.Kind


@pytest.fixture
def desk(db):
    return {name: desk_user(name, role, email=f"{name}@desk.example") for name, role in [
        ("rita", REPORTER), ("fiona", FACT_CHECKER), ("felix", FACT_CHECKER),
        ("edith", EDITOR), ("eric", EDITOR), ("ada", ADMIN)]}


@pytest.fixture
def claim(db):
    return ClaimFactory()


def told(kind, claim=None):
    rows = Notification.objects.filter(kind=kind)
    if claim is not None:
        rows = rows.filter(claim=claim)
    return sorted(rows.values_list("recipient__username", flat=True))


def submitted(claim, desk, checker="fiona"):
    review.claim_take(claim=claim, user=desk[checker])
    review.evidence_add(claim=claim, user=desk[checker], url="https://records.example.org/x",
                        note="log", stance="refutes")
    return review.claim_submit(claim=claim, user=desk[checker], verdict="false",
                               rationale="The log says otherwise.")


def test_an_assignment_tells_the_assignee_not_the_editor(desk, claim,
                                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        review.claim_assign(claim=claim, user=desk["edith"], assignee=desk["fiona"])
    note = Notification.objects.get()
    assert (note.recipient, note.kind, note.actor, note.claim) == (
        desk["fiona"], K.ASSIGNED, desk["edith"], claim)
    assert "edith assigned" in note.text
    assert mail.outbox == []  # e-mail is each person's choice, off until chosen


def test_assigning_to_yourself_tells_nobody(desk, claim):
    review.claim_assign(claim=claim, user=desk["ada"], assignee=desk["ada"])
    assert not Notification.objects.exists()


def test_a_take_over_tells_the_previous_reviewer_who_took_it(desk, claim):
    review.claim_take(claim=claim, user=desk["fiona"])
    assert not Notification.objects.exists()  # a free claim: nobody to tell
    review.claim_take(claim=claim, user=desk["edith"], take_over=True)
    note = Notification.objects.get()
    assert note.recipient == desk["fiona"] and note.kind == K.TAKEN_OVER
    assert "edith took over your review" in note.text


def test_a_reassignment_tells_the_new_and_the_previous_reviewer(desk, claim):
    review.claim_take(claim=claim, user=desk["fiona"])
    review.claim_assign(claim=claim, user=desk["edith"], assignee=desk["felix"])
    assert told(K.ASSIGNED) == ["felix"]
    assert told(K.TAKEN_OVER) == ["fiona"]
    assert "to felix" in Notification.objects.get(kind=K.TAKEN_OVER).text


def test_a_submission_asks_every_editor_who_may_publish_it(desk, claim):
    submitted(claim, desk)
    assert told(K.APPROVAL_NEEDED) == ["ada", "edith", "eric"]
    assert "“False”" in Notification.objects.filter(kind=K.APPROVAL_NEEDED).first().text


def test_an_editors_own_submission_does_not_ask_them(desk, claim):
    submitted(claim, desk, checker="edith")
    assert told(K.APPROVAL_NEEDED) == ["ada", "eric"]


def test_a_send_back_tells_the_proposer_with_the_note(desk, claim):
    submitted(claim, desk)
    review.claim_send_back(claim=claim, user=desk["edith"], note="Cite the harbour log.")
    note = Notification.objects.get(kind=K.SENT_BACK)
    assert note.recipient == desk["fiona"] and note.text.endswith("Cite the harbour log.")


@pytest.mark.parametrize("finish", ["publish", "send_back", "dismiss"])
def test_approval_requests_are_settled_when_the_claim_leaves_awaiting_approval(
        desk, claim, finish):
    submitted(claim, desk)
    assert Notification.objects.filter(kind=K.APPROVAL_NEEDED, read_at__isnull=True).count() == 3
    if finish == "publish":
        review.claim_publish(claim=claim, user=desk["eric"])
    elif finish == "send_back":
        review.claim_send_back(claim=claim, user=desk["eric"], note="More sources.")
    else:
        review.claim_dismiss(claim=claim, user=desk["eric"], reason="Not checkable.")
    assert not Notification.objects.filter(kind=K.APPROVAL_NEEDED, read_at__isnull=True).exists()


def test_settling_leaves_other_claims_and_kinds_unread(desk, claim):
    other = ClaimFactory()
    submitted(claim, desk)
    submitted(other, desk, checker="felix")
    review.claim_send_back(claim=claim, user=desk["edith"], note="More sources.")
    assert told(K.APPROVAL_NEEDED, other) == ["ada", "edith", "eric"]
    assert Notification.objects.filter(claim=other, read_at__isnull=True).count() == 3
    assert Notification.objects.get(kind=K.SENT_BACK).read_at is None


def test_a_correction_asks_the_other_editors_and_settles_when_decided(desk, claim):
    publish_claim(claim, checker=desk["fiona"], editor=desk["edith"])
    review.claim_correct(claim=claim, user=desk["edith"], verdict="misleading",
                         rationale="Half the ships were ferries.", note="New log.")
    asked = Notification.objects.filter(kind=K.APPROVAL_NEEDED, read_at__isnull=True)
    assert sorted(asked.values_list("recipient__username", flat=True)) == ["ada", "eric"]
    assert all("correction" in text for text in asked.values_list("text", flat=True))
    review.claim_correction_approve(claim=claim, user=desk["eric"])
    assert not asked.exists()


def test_a_discarded_correction_settles_its_requests(desk, claim):
    publish_claim(claim, checker=desk["fiona"], editor=desk["edith"])
    review.claim_correct(claim=claim, user=desk["edith"], verdict="misleading",
                         rationale="Half the ships were ferries.", note="New log.")
    review.claim_correction_discard(claim=claim, user=desk["edith"], note="Wrong log.")
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_a_refused_transition_leaves_no_notification(desk, claim):
    submitted(claim, desk)
    Notification.objects.all().delete()
    with pytest.raises(review.NotAllowed):
        review.claim_publish(claim=claim, user=desk["fiona"])
    with pytest.raises(review.Incomplete):
        review.claim_send_back(claim=claim, user=desk["edith"], note="")
    assert not Notification.objects.exists()


# --- each person's choices ------------------------------------------------------------------


def test_in_app_off_means_no_row(desk, claim):
    notifications.desk_profile_update(user=desk["fiona"], in_app=[], by_email=[])
    review.claim_assign(claim=claim, user=desk["edith"], assignee=desk["fiona"])
    assert not Notification.objects.exists()


def test_e_mail_on_sends_one_mail_after_commit(desk, claim, django_capture_on_commit_callbacks):
    notifications.desk_profile_update(user=desk["fiona"], in_app=[K.ASSIGNED],
                                      by_email=[K.ASSIGNED])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        review.claim_assign(claim=claim, user=desk["edith"], assignee=desk["fiona"])
    assert mail.outbox == []  # nothing leaves before the change is committed
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["fiona@desk.example"] and "Assigned to you" in message.subject
    assert reverse("admin:claims_claim_change", args=[claim.pk]) in message.body
    assert Notification.objects.get().emailed_at is not None


def test_e_mail_only_sends_a_mail_and_keeps_a_read_row_the_inbox_never_shows(
        desk, claim, django_capture_on_commit_callbacks):
    notifications.desk_profile_update(user=desk["fiona"], in_app=[], by_email=[K.ASSIGNED])
    with django_capture_on_commit_callbacks(execute=True):
        review.claim_assign(claim=claim, user=desk["edith"], assignee=desk["fiona"])
    assert len(mail.outbox) == 1
    # The row is what the mail's task claims; it is read from the start, so turning the
    # kind on in the app later does not bring back an old notice.
    row = Notification.objects.get()
    assert row.emailed_at is not None and row.read_at is not None
    notifications.desk_profile_update(user=desk["fiona"], in_app=[K.ASSIGNED],
                                      by_email=[K.ASSIGNED])
    assert inbox_counts(user=desk["fiona"]).unread == {K.ASSIGNED: 0}


def test_no_address_no_mail(desk, claim, django_capture_on_commit_callbacks):
    desk["fiona"].email = ""
    desk["fiona"].save()
    notifications.desk_profile_update(user=desk["fiona"], in_app=[K.ASSIGNED],
                                      by_email=[K.ASSIGNED])
    with django_capture_on_commit_callbacks(execute=True):
        review.claim_assign(claim=claim, user=desk["edith"], assignee=desk["fiona"])
    assert mail.outbox == [] and Notification.objects.count() == 1


def test_links_in_mails_use_the_public_address(desk, claim, settings,
                                              django_capture_on_commit_callbacks):
    settings.CLAIMTRACK_PUBLIC_URL = "https://claims.example.org/"
    notifications.desk_profile_update(user=desk["fiona"], in_app=[], by_email=[K.ASSIGNED])
    with django_capture_on_commit_callbacks(execute=True):
        review.claim_assign(claim=claim, user=desk["edith"], assignee=desk["fiona"])
    assert f"https://claims.example.org/admin/claims/claim/{claim.pk}/change/" in \
        mail.outbox[0].body


# --- the mail leaves in a task -------------------------------------------------------------


def mail_wanted(desk, claim, django_capture_on_commit_callbacks) -> Notification:
    """Fiona, who wants assignments by e-mail, is assigned the claim; the change committed."""
    notifications.desk_profile_update(user=desk["fiona"], in_app=[K.ASSIGNED],
                                      by_email=[K.ASSIGNED])
    with django_capture_on_commit_callbacks(execute=True):
        review.claim_assign(claim=claim, user=desk["edith"], assignee=desk["fiona"])
    return Notification.objects.get()


def refuse(self, messages):
    raise ConnectionRefusedError("no mail server")


def test_the_mail_is_sent_by_the_task_once_the_change_commits(
        desk, claim, django_capture_on_commit_callbacks):
    with mock.patch.object(tasks.notification_email_task, "delay",
                           wraps=tasks.notification_email_task.delay) as delay:
        row = mail_wanted(desk, claim, django_capture_on_commit_callbacks)
    delay.assert_called_once_with(row.pk)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["fiona@desk.example"]


def test_a_redelivered_task_does_not_send_twice(desk, claim, django_capture_on_commit_callbacks):
    row = mail_wanted(desk, claim, django_capture_on_commit_callbacks)
    emailed_at = Notification.objects.get().emailed_at
    result = tasks.notification_email_task.apply(args=[row.pk], throw=True)
    assert result.get() == notifications.ALREADY_SENT
    assert len(mail.outbox) == 1
    assert Notification.objects.get().emailed_at == emailed_at


def test_a_task_finding_the_mail_claimed_by_another_sends_nothing(desk, claim):
    notifications.desk_profile_update(user=desk["fiona"], in_app=[K.ASSIGNED],
                                      by_email=[K.ASSIGNED])
    review.claim_assign(claim=claim, user=desk["edith"], assignee=desk["fiona"])  # not committed
    row = Notification.objects.get()
    Notification.objects.filter(pk=row.pk).update(emailed_at=timezone.now())  # another's claim
    assert notifications.notification_email_send(notification_id=row.pk) == \
        notifications.ALREADY_SENT
    assert mail.outbox == []


def test_an_address_removed_before_the_task_runs_sends_nothing(desk, claim):
    notifications.desk_profile_update(user=desk["fiona"], in_app=[K.ASSIGNED],
                                      by_email=[K.ASSIGNED])
    review.claim_assign(claim=claim, user=desk["edith"], assignee=desk["fiona"])
    type(desk["fiona"]).objects.filter(pk=desk["fiona"].pk).update(email="")
    row = Notification.objects.get()
    assert notifications.notification_email_send(notification_id=row.pk) == \
        notifications.NO_ADDRESS
    assert mail.outbox == [] and Notification.objects.get().emailed_at is None


def test_a_failed_send_gives_the_claim_back_and_retries_after_a_delay(desk, claim, monkeypatch):
    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    notifications.desk_profile_update(user=desk["fiona"], in_app=[K.ASSIGNED],
                                      by_email=[K.ASSIGNED])
    review.claim_assign(claim=claim, user=desk["edith"], assignee=desk["fiona"])
    row = Notification.objects.get()
    task = tasks.notification_email_task
    task.push_request(retries=1, is_eager=False)  # as a worker runs the first retry
    try:
        with mock.patch.object(task, "retry", side_effect=Retry("scheduled")) as retry:
            with pytest.raises(Retry):
                task.run(row.pk)
    finally:
        task.pop_request()
    assert retry.call_args.kwargs["countdown"] == tasks.backoff(1) == 20
    assert "throw" not in retry.call_args.kwargs  # raised: the worker records a retry
    assert "no mail server" in str(retry.call_args.kwargs["exc"])
    assert Notification.objects.get().emailed_at is None  # free for the retry to send


def test_a_mail_server_that_fails_once_is_retried_and_the_mail_sent_once(
        desk, claim, caplog, django_capture_on_commit_callbacks, monkeypatch):
    from django.core.mail.backends.locmem import EmailBackend

    send = EmailBackend.send_messages
    calls = []

    def fail_first(self, messages):
        calls.append(len(messages))
        if len(calls) == 1:
            raise ConnectionRefusedError("no mail server")
        return send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", fail_first)
    row = mail_wanted(desk, claim, django_capture_on_commit_callbacks)
    assert calls == [1, 1]  # in process, the retry runs at once
    assert len(mail.outbox) == 1
    assert "notification e-mail failed, retrying" in caplog.text
    assert Notification.objects.get(pk=row.pk).emailed_at is not None


def test_a_failing_mail_server_is_logged_and_the_change_stands(
        desk, claim, caplog, django_capture_on_commit_callbacks, monkeypatch):
    attempts = []

    def count_and_refuse(self, messages):
        attempts.append(1)
        refuse(self, messages)

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages",
                        count_and_refuse)
    row = mail_wanted(desk, claim, django_capture_on_commit_callbacks)
    claim.refresh_from_db()
    assert claim.assigned_to == desk["fiona"] and claim.status == Claim.Status.IN_REVIEW
    assert len(attempts) == tasks.MAX_RETRIES + 1  # bounded: then it is left in the log
    assert "notification e-mail was not sent after 5 retries" in caplog.text
    assert mail.outbox == [] and Notification.objects.get(pk=row.pk).emailed_at is None


def test_mail_goes_to_the_webhooks_queue_and_is_acknowledged_late():
    from config.celery import queue_for, route_task

    name = tasks.notification_email_task.name
    assert route_task(name, [1], {}, {}) == {"queue": queue_for("webhooks")}
    assert tasks.notification_email_task.acks_late is True


@pytest.mark.django_db(transaction=True)
def test_the_page_answers_before_the_mail_is_sent(desk, claim):
    """In process, the task a request sends runs on request_finished, after the response has
    gone out (claims.enqueue); held back here to see the response alone, then run."""
    notifications.desk_profile_update(user=desk["fiona"], in_app=[K.MENTION],
                                      by_email=[K.MENTION])
    editor = Client()
    editor.force_login(desk["edith"])
    request_finished.disconnect(dispatch_uid="claims.enqueue.request_finished")
    try:
        response = editor.post(reverse("admin:claims_claim_comments", args=[claim.pk]),
                               {"body": "@fiona can you check the harbour log?"})
        assert response.status_code == 302
        assert mail.outbox == []  # the view sent nothing itself
        assert Notification.objects.get(kind=K.MENTION).emailed_at is None
    finally:
        request_finished.connect(enqueue.request_finished,
                                 dispatch_uid="claims.enqueue.request_finished")
    enqueue.request_finished()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["fiona@desk.example"]
    assert Notification.objects.get(kind=K.MENTION).emailed_at is not None


def test_unknown_kinds_are_refused():
    user = desk_user("someone", EDITOR)
    with pytest.raises(ValueError, match="nonsense"):
        notifications.desk_profile_update(user=user, in_app=["nonsense"], by_email=[])


def test_mark_read_touches_only_ones_own(desk, claim):
    review.claim_assign(claim=claim, user=desk["edith"], assignee=desk["fiona"])
    submitted(ClaimFactory(), desk, checker="felix")
    mine = Notification.objects.get(recipient=desk["fiona"])
    others = Notification.objects.exclude(recipient=desk["fiona"])
    assert notifications.notifications_mark_read(
        user=desk["fiona"], ids=[mine.pk, *others.values_list("pk", flat=True)]) == 1
    assert not others.filter(read_at__isnull=False).exists()
    mine.refresh_from_db()
    assert mine.read_at is not None


def test_mark_all_read(desk, claim):
    review.claim_assign(claim=claim, user=desk["edith"], assignee=desk["fiona"])
    review.claim_assign(claim=ClaimFactory(), user=desk["edith"], assignee=desk["fiona"])
    assert notifications.notifications_mark_read(user=desk["fiona"]) == 2
    assert notifications.notifications_mark_read(user=desk["fiona"]) == 0


# --- the settings page ----------------------------------------------------------------------


def test_each_person_chooses_on_the_settings_page(desk):
    client = Client()
    client.force_login(desk["fiona"])
    url = reverse("admin:claims_notification_settings")
    html = client.get(url).content.decode()
    assert "fiona@desk.example" in html and 'value="mention"' in html
    response = client.post(url, {"in_app": [K.MENTION, K.SENT_BACK], "by_email": [K.SENT_BACK]})
    assert response.status_code == 302
    profile = DeskProfile.objects.get(user=desk["fiona"])
    assert profile.in_app == sorted([K.MENTION, K.SENT_BACK])
    assert profile.by_email == [K.SENT_BACK]


def test_unticking_every_box_turns_every_kind_off(desk):
    client = Client()
    client.force_login(desk["fiona"])
    response = client.post(reverse("admin:claims_notification_settings"), {})
    assert response.status_code == 302
    profile = DeskProfile.objects.get(user=desk["fiona"])
    assert profile.in_app == [] and profile.by_email == []


def test_the_settings_page_refuses_unknown_kinds_and_keeps_the_old_choice(desk):
    client = Client()
    client.force_login(desk["fiona"])
    client.post(reverse("admin:claims_notification_settings"), {"in_app": ["everything"]})
    assert notifications.desk_profile_for(desk["fiona"]).in_app == list(K.values)


def test_the_settings_page_is_for_signed_in_staff_only(desk):
    response = Client().get(reverse("admin:claims_notification_settings"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_compose_passes_every_mail_setting_through_as_optional():
    """Each variable the settings' mail block reads reaches the image's services, with a
    default, so the stack starts without them and an operator sets only what they need."""
    import re
    from pathlib import Path

    import yaml

    from tests.test_deployment import image_services

    root = Path(__file__).resolve().parent.parent
    source = (root / "config" / "settings.py").read_text(encoding="utf-8")
    block = source.split("# --- Desk notifications", 1)[1]
    variables = set(re.findall(
        r'env_\w+\("((?:EMAIL_|DEFAULT_FROM_EMAIL|CLAIMTRACK_PUBLIC_URL)[A-Z_]*)"', block))
    assert {"EMAIL_BACKEND", "EMAIL_HOST", "DEFAULT_FROM_EMAIL", "CLAIMTRACK_PUBLIC_URL"} <= \
        variables
    compose = yaml.safe_load((root / "docker-compose.yml").read_text(encoding="utf-8"))
    shared = compose["x-claimtrack"]["environment"]
    assert {name: shared.get(name, "")[:len(name) + 4] for name in variables} == {
        name: f"${{{name}:-" for name in variables}
    for name, service in image_services(compose).items():
        assert variables <= set(service["environment"]), name
    assert image_services(compose)["worker"]["environment"]["EMAIL_PORT"] == "25"


@pytest.mark.parametrize("env, variable", [
    ({"CLAIMTRACK_PUBLIC_URL": "claims.example.org"}, "CLAIMTRACK_PUBLIC_URL"),
    ({"EMAIL_PORT": "smtp"}, "EMAIL_PORT"),
    ({"EMAIL_USE_TLS": "perhaps"}, "EMAIL_USE_TLS"),
])
def test_bad_mail_settings_stop_the_start_naming_the_variable(env, variable):
    from tests.test_settings import start_django

    result = start_django(**env)
    assert result.returncode != 0 and variable in result.stderr
