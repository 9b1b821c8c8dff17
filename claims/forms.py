"""Admin forms of the review workflow. Each translates a POST into one service call; a
refusal comes back as a form error with the user's input kept, so nothing typed is lost."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect

from claims import review
from claims.models import Claim, Claimant, Evidence, Verdict

Status = Claim.Status


class ClaimReviewForm(forms.ModelForm):
    """The claim page's form: the fields shown depend on the user and the claim's state
    (``ClaimAdmin.get_fieldsets``: the admin builds the form with those fields, and the
    fields it declares but the page does not show are dropped, so they cannot be posted
    either); the button pressed names the action, which one service carries out."""

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

    # Editing what extraction made of the claim (review.claim_edit).
    edit_statement = forms.CharField(
        label="Statement", max_length=review.STATEMENT_MAX, required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text="The claim as its claimant made it, readable on its own: what readers see.")
    edit_claimant = forms.ModelChoiceField(
        label="Claimant", queryset=Claimant.objects.all(), required=False,
        widget=AutocompleteSelect(Claim._meta.get_field("claimant"), admin.site),
        help_text="Empty: the outlet's own statement.")
    new_claimant_name = forms.CharField(
        label="…or a new claimant", max_length=300, required=False,
        widget=forms.TextInput(attrs={"size": 40}),
        help_text="Found by name if it exists, created otherwise.")
    new_claimant_aliases = forms.CharField(
        label="Other names", max_length=2000, required=False,
        widget=forms.TextInput(attrs={"size": 60}),
        help_text="Of the new claimant, separated by commas (“the Kremlin, Moscow”).")
    new_claimant_kind = forms.ChoiceField(label="Kind of claimant",
                                          choices=Claimant.Kind.choices, required=False,
                                          initial=Claimant.Kind.UNKNOWN)
    edit_kind = forms.ChoiceField(label="Kind", choices=Claim.Kind.choices, required=False)
    edit_proposition = forms.CharField(
        label="Proposition", max_length=review.STATEMENT_MAX, required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text="The positive clause the claim bears on, without who said it: what matching "
        "compares.")
    edit_polarity = forms.ChoiceField(label="Polarity", choices=Claim.Polarity.choices,
                                      required=False)

    class Meta:
        model = Claim
        fields: list[str] = []

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        shown = set(self._meta.fields or ())
        for name in list(self.fields):
            if name not in shown:
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
        for name, value in self._claim_values().items():
            if name in self.fields and not self.is_bound:
                self.initial[name] = value
        self.outcome = ""

    def _claim_values(self) -> dict:
        claim = self.instance
        return {"edit_statement": claim.said, "edit_proposition": claim.bears_on,
                "edit_polarity": claim.polarity, "edit_kind": claim.kind,
                "edit_claimant": claim.claimant}

    def _edits(self, data) -> dict:
        """claim_edit's arguments for what the user changed on the page."""
        if "edit_statement" not in self.fields:
            return {}
        values = self._claim_values()
        arguments = {"edit_statement": "statement", "edit_proposition": "proposition_text",
                     "edit_polarity": "polarity", "edit_kind": "kind",
                     "edit_claimant": "claimant"}
        # A field the POST does not carry is left as it is (a client posting only what it
        # changes); an empty statement is refused by the service.
        edits = {argument: data.get(name) for name, argument in arguments.items()
                 if name in self.fields and name in self.data
                 and data.get(name) != values[name]
                 and (data.get(name) or name not in ("edit_polarity", "edit_kind"))}
        if data.get("new_claimant_name", "").strip():
            edits.pop("claimant", None)
            edits["new_claimant"] = data["new_claimant_name"]
            edits["new_claimant_aliases"] = [a.strip() for a in
                                             data.get("new_claimant_aliases", "").split(",")]
            edits["new_claimant_kind"] = data.get("new_claimant_kind") or "unknown"
        return edits

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        page = review.PageInput(
            version=data.get("version"),
            verdict=data["new_verdict"] if "new_verdict" in self.fields else None,
            rationale=data.get("new_rationale", ""),
            evidence_url=data.get("evidence_url", ""),
            evidence_note=data.get("evidence_note", ""),
            evidence_stance=data.get("evidence_stance") or Evidence.Stance.CONTEXT,
            remove_evidence=tuple(data.get("remove_evidence") or ()),
            assignee=data.get("assignee"), note=data.get("note", ""), edits=self._edits(data))
        try:
            self.outcome = review.claim_page_submit(
                claim=self.instance, user=self.user, page=page,
                action=self.data.get("_transition", ""), link=self.data.get("_link", ""))
        except review.ReviewError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None
        return data


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
