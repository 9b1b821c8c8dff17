"""Admin forms of the review workflow. They translate a POST into service calls; a refusal
comes back as a form error with the user's input kept, so nothing typed is lost."""

from __future__ import annotations

from django import forms
from django.db import transaction

from claims import matching, review
from claims.models import Claim, ClaimLink, Evidence, Verdict

Status = Claim.Status


class ClaimReviewForm(forms.ModelForm):
    """The claim page's form: the fields shown depend on the user and the claim's state
    (``ClaimAdmin.get_fieldsets``); the button pressed names the transition."""

    request = None  # set per request by ClaimAdmin.get_form
    shown: set[str] | None = None  # likewise: the fields on this user's page

    version = forms.IntegerField(widget=forms.HiddenInput)
    new_verdict = forms.ChoiceField(label="Verdict", required=False,
                                    choices=[("", "—")] + list(Verdict.choices))
    new_rationale = forms.CharField(
        label="Rationale", required=False, max_length=review.NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 80}),
        help_text="What the evidence shows. Required to submit or correct.")
    evidence_url = forms.CharField(label="Add evidence: URL", required=False, max_length=2000,
                                   widget=forms.URLInput(attrs={"size": 70}))
    evidence_note = forms.CharField(label="What it shows", required=False, max_length=2000,
                                    widget=forms.TextInput(attrs={"size": 70}))
    evidence_stance = forms.ChoiceField(label="Stance", choices=Evidence.Stance.choices,
                                        initial=Evidence.Stance.CONTEXT, required=False)
    remove_evidence = forms.ModelMultipleChoiceField(
        label="Remove evidence", queryset=Evidence.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple)
    assignee = forms.ModelChoiceField(label="Assign to", queryset=review.fact_checkers(),
                                      required=False)
    note = forms.CharField(
        label="Note", required=False, max_length=review.NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="Required to send back, dismiss, reopen, correct or discard a correction; kept "
        "in the review trail.")

    class Meta:
        model = Claim
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.shown is not None:
            for name in list(self.fields):
                if name not in self.shown:
                    del self.fields[name]
        claim = self.instance
        if "version" in self.fields and not self.is_bound:
            self.initial["version"] = claim.version
        if "remove_evidence" in self.fields:
            self.fields["remove_evidence"].queryset = claim.evidence.all()
        if "new_verdict" in self.fields and claim.status == Status.PUBLISHED:
            self.fields["new_verdict"].label = "Corrected verdict"
            self.fields["new_rationale"].label = "Corrected rationale"
        if "new_verdict" in self.fields and not self.is_bound:
            self.initial["new_verdict"] = claim.verdict
            self.initial["new_rationale"] = claim.rationale
        self.outcome = ""

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            with transaction.atomic():
                self.outcome = self._apply(data)
        except review.ReviewError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None
        except matching.DecisionError as exc:
            raise forms.ValidationError(str(exc), code="refused") from None
        return data

    def _apply(self, data) -> str:
        """Run what was asked, through the services; returns a message for the user."""
        user = self.request.user
        claim = self.instance
        version = data.get("version")
        pressed = self.data.get("_transition", "")
        link = self.data.get("_link", "")
        done = []
        if link:
            # A link's confirm/reject button also keeps what was typed on the page (a draft
            # verdict, evidence): it is a submit button of the same form.
            done.append(self._decide_link(link, user))
            pressed = ""

        def expected():
            nonlocal version
            # Only the first service compares versions: the row is then locked and the
            # following calls build on the previous one's change.
            current, version = version, None
            return current

        if "new_verdict" in self.fields and claim.status == Status.IN_REVIEW and not pressed:
            if (data["new_verdict"], data["new_rationale"].strip()) != (claim.verdict,
                                                                        claim.rationale):
                review.claim_draft(claim=claim, user=user, verdict=data["new_verdict"],
                                   rationale=data["new_rationale"],
                                   expected_version=expected())
                done.append("Draft saved.")
        for evidence in data.get("remove_evidence") or []:
            review.evidence_remove(evidence=evidence, user=user, expected_version=expected())
            done.append(f"Removed {evidence.url}.")
        if data.get("evidence_url"):
            review.evidence_add(claim=claim, user=user, url=data["evidence_url"],
                                note=data["evidence_note"], expected_version=expected(),
                                stance=data["evidence_stance"] or Evidence.Stance.CONTEXT)
            done.append("Evidence added.")
        if pressed == "assign":
            if data.get("assignee") is None:
                raise review.Incomplete("Choose whom to assign the claim to.")
            review.claim_assign(claim=claim, user=user, assignee=data["assignee"],
                                expected_version=expected())
            done.append(f"Assigned to {data['assignee']}.")
        elif pressed:
            transition = review.TRANSITIONS.get(pressed)
            if transition is None:
                raise review.ReviewError(f"Unknown action {pressed!r}.")
            self._transition(pressed, claim, user, data, expected())
            done.append(DONE.get(pressed, f"{transition.label}: done."))
        if not done and version is not None:
            # Nothing asked: still tell a user whose page is out of date.
            current = Claim.objects.filter(pk=claim.pk).values_list("version", flat=True).first()
            if current != version:
                raise review.Conflict("This claim was changed while you had it open: reload it.")
        return " ".join(done) or "Nothing to save."

    def _transition(self, name, claim, user, data, version):
        note = data.get("note", "")
        verdict, rationale = data.get("new_verdict", ""), data.get("new_rationale", "")
        calls = {
            "take": lambda: review.claim_take(claim=claim, user=user, expected_version=version),
            "submit": lambda: review.claim_submit(claim=claim, user=user, verdict=verdict,
                                                  rationale=rationale,
                                                  expected_version=version),
            "publish": lambda: review.claim_publish(claim=claim, user=user,
                                                    expected_version=version),
            "send_back": lambda: review.claim_send_back(claim=claim, user=user, note=note,
                                                        expected_version=version),
            "dismiss": lambda: review.claim_dismiss(claim=claim, user=user, reason=note,
                                                    expected_version=version),
            "reopen": lambda: review.claim_reopen(claim=claim, user=user, note=note,
                                                  expected_version=version),
            "correct": lambda: review.claim_correct(claim=claim, user=user, verdict=verdict,
                                                    rationale=rationale, note=note,
                                                    expected_version=version),
            "approve_correction": lambda: review.claim_correction_approve(
                claim=claim, user=user, expected_version=version),
            "discard_correction": lambda: review.claim_correction_discard(
                claim=claim, user=user, note=note, expected_version=version),
        }
        return calls[name]()

    def _decide_link(self, value: str, user) -> str:
        if not user.has_perm("claims.change_claimlink"):
            raise review.NotAllowed("You may not decide links.")
        pk, _, status = value.partition(":")
        link = ClaimLink.objects.filter(pk=int(pk)).first() if pk.isdigit() else None
        if link is None or self.instance.pk not in (link.claim_id, link.target_claim_id):
            raise review.ReviewError("That link is not this claim's.")
        matching.link_decide(link=link, user=user, status=status)
        return f"Link {status}."


# What the page says after a transition, where "<label>: done." would not say enough.
DONE = {
    "correct": "Correction proposed: it is published once another editor approves it.",
    "approve_correction": "Correction published: the claim shows the new verdict.",
}


class DismissForm(forms.Form):
    """The intermediate page of the queue's bulk dismissal."""

    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
                             max_length=review.NOTE_MAX,
                             help_text="Why these claims are not worth checking; kept in the "
                             "trail of each.")


class PropositionRatingForm(forms.Form):
    """The verdict a proposition would get; its members are offered it as suggestions."""

    verdict = forms.ChoiceField(choices=Verdict.choices)
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 70}), max_length=review.NOTE_MAX,
        required=False, help_text="Offered with each suggestion; the fact-checker edits it "
        "on the claim page.")
