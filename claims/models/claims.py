"""Claims, the desk's verdict scale, and what the review leaves behind: evidence,
published verdicts and the review trail."""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from claims.models.articles import Article, Claimant


class Verdict(models.TextChoices):
    """The desk's rating scale. Its ClaimReview form is fixed in ``CLAIMREVIEW_RATINGS``."""

    TRUE = "true", "True"
    MOSTLY_TRUE = "mostly_true", "Mostly true"
    MIXED = "mixed", "Mixed"
    MISLEADING = "misleading", "Misleading"
    MOSTLY_FALSE = "mostly_false", "Mostly false"
    FALSE = "false", "False"
    UNVERIFIABLE = "unverifiable", "Unverifiable"


# schema.org Rating values for each verdict: 1 (worst, false) .. 6 (best, true).
# "Unverifiable" says nothing about truth, so it carries no value on the scale: its
# ClaimReview rating has the name alone (ratingValue is recommended there, not required).
CLAIMREVIEW_BEST, CLAIMREVIEW_WORST = 6, 1
CLAIMREVIEW_RATINGS: dict[str, int | None] = {
    Verdict.TRUE: 6,
    Verdict.MOSTLY_TRUE: 5,
    Verdict.MIXED: 4,
    Verdict.MISLEADING: 3,
    Verdict.MOSTLY_FALSE: 2,
    Verdict.FALSE: 1,
    Verdict.UNVERIFIABLE: None,
}
# The verdict that a denial of a proposition rated with the key gets as a suggestion.
OPPOSITE_VERDICT: dict[str, str] = {
    Verdict.TRUE: Verdict.FALSE,
    Verdict.MOSTLY_TRUE: Verdict.MOSTLY_FALSE,
    Verdict.MIXED: Verdict.MIXED,
    Verdict.MISLEADING: Verdict.MISLEADING,
    Verdict.MOSTLY_FALSE: Verdict.MOSTLY_TRUE,
    Verdict.FALSE: Verdict.TRUE,
    Verdict.UNVERIFIABLE: Verdict.UNVERIFIABLE,
}


class ClaimQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Claim.Status.PUBLISHED)

    def matchable(self):
        """The kinds matching compares across sources."""
        return self.filter(kind__in=Claim.MATCHABLE_KINDS)

    def touched(self):
        """Claims an editor has acted on (a status past new, a review trail, or the desk's
        comments): re-extraction keeps them."""
        return self.filter(~Q(status=Claim.Status.NEW)
                           | Q(pk__in=ReviewEvent.objects.values("claim_id"))
                           | Q(pk__in=apps.get_model("claims", "Comment").objects
                               .filter(claim__isnull=False).values("claim_id")))

    def in_proposition(self, proposition_id: int):
        """Members of the proposition by a link not rejected."""
        return self.filter(pk__in=apps.get_model("claims", "ClaimLink").objects.live().filter(
            proposition_id=proposition_id).values("claim_id"))


class Claim(models.Model):
    """One statement in one article, with character offsets into ``article.text``."""

    class Kind(models.TextChoices):
        ASSERTION = "assertion", "Assertion"
        ALLEGATION = "allegation", "Allegation"
        DENIAL = "denial", "Denial"
        QUOTE = "quote", "Quote"
        WARNING = "warning", "Warning / prediction"
        NOT_CLAIM = "not_claim", "Not a claim"

    class Status(models.TextChoices):
        NEW = "new", "New"
        IN_REVIEW = "in_review", "In review"
        AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
        PUBLISHED = "published", "Published"
        DISMISSED = "dismissed", "Dismissed"

    class Polarity(models.TextChoices):
        AFFIRMS = "affirms", "Affirms"
        DENIES = "denies", "Denies"
        HEDGES = "hedges", "Hedges"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="claims")
    claimant = models.ForeignKey(
        Claimant, null=True, blank=True, on_delete=models.PROTECT, related_name="claims",
        help_text="Who made the claim; empty for the outlet's own statement.",
    )
    text = models.TextField(help_text="The claimed content, exactly as in the article (for a "
                            "denial, what was denied).")
    statement = models.TextField(
        blank=True, help_text="The claim as its claimant made it, readable on its own: what "
        "readers see (a denial reads as the denial).")
    proposition_text = models.TextField(
        "proposition", blank=True, help_text="The positive, attribution-free clause the claim "
        "bears on: what matching compares.")
    # The proposition's unit embedding (float32), made by matching when the dense extra is
    # installed.
    embedding = models.BinaryField(null=True, blank=True, editable=False)
    polarity = models.CharField(
        max_length=8, choices=Polarity.choices, default=Polarity.AFFIRMS,
        help_text="The claim's stance toward its proposition.")
    # A desk edit of the statement, proposition, polarity, claimant or kind: the extracted
    # values are kept in ``original`` (at the first edit), and re-extraction leaves the
    # claim's words alone.
    edited_at = models.DateTimeField(null=True, blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+")
    original = models.JSONField(default=dict, blank=True,
                                help_text="What extraction made of the claim, before the desk "
                                "edited it.")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    sentence_start = models.PositiveIntegerField()
    sentence_end = models.PositiveIntegerField()
    claimant_mention = models.CharField(max_length=300, blank=True)
    cue = models.CharField(max_length=200, blank=True)
    cue_start = models.PositiveIntegerField(null=True, blank=True)
    cue_end = models.PositiveIntegerField(null=True, blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    kind_cues = models.JSONField(default=list, blank=True, help_text="Words that decided the kind.")
    negated = models.BooleanField(default=False)
    hedged = models.BooleanField(default=False)
    checkworthiness = models.FloatField(
        "check-worthiness", null=True, blank=True,
        help_text="0 to 1: how likely the claim's sentence is a factual claim worth checking.",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    # The review. Status moves only through claims.review; ``version`` grows with every
    # change so that a form opened on an older version is refused instead of overwriting.
    version = models.PositiveIntegerField(default=1)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="assigned_claims", help_text="The fact-checker working on it.",
    )
    verdict = models.CharField(
        max_length=16, choices=Verdict.choices, blank=True,
        help_text="The proposed verdict while in review; the published one after.",
    )
    rationale = models.TextField(blank=True, help_text="Why the verdict: what the evidence shows.")
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", help_text="Who submitted the verdict for approval.",
    )
    proposed_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # A correction of the published verdict waits here for a second editor's approval (four
    # eyes, as for publishing); the published verdict stays as it is until then.
    correction_verdict = models.CharField(max_length=16, choices=Verdict.choices, blank=True)
    correction_rationale = models.TextField(blank=True)
    correction_note = models.TextField(blank=True, help_text="What the correction changes and why.")
    correction_proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", help_text="Who proposed the correction awaiting approval.",
    )
    correction_proposed_at = models.DateTimeField(null=True, blank=True)
    flagged = models.BooleanField(default=False, help_text="A reporter asked for a check.")
    # Kept up to date by matching: how many other outlets carry the claim, how many claims
    # contradict it; the queue's priority combines them with check-worthiness.
    corroborations = models.PositiveIntegerField(default=0)
    contradictions = models.PositiveIntegerField(default=0)
    priority = models.FloatField(default=0.0, db_index=False)
    extractor_version = models.CharField(max_length=32)
    # Set when the engine version changed under a claim an editor had already touched:
    # the claim is kept for the editor instead of being silently replaced.
    stale = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClaimQuerySet.as_manager()

    # The kinds matching compares across sources.
    MATCHABLE_KINDS = ("assertion", "allegation", "denial", "quote", "warning")

    class Meta:
        ordering = ["article_id", "start"]
        constraints = [
            # One extraction of a span per article: a redelivered task cannot add a second copy.
            models.UniqueConstraint(
                fields=["article", "start", "end", "kind"], name="claim_unique_span_kind"
            ),
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="claim_span_not_empty"),
            models.CheckConstraint(
                condition=Q(sentence_start__lte=F("start")) & Q(sentence_end__gte=F("end")),
                name="claim_inside_sentence",
            ),
            # What the review services guarantee, held by the database too.
            models.CheckConstraint(
                condition=~Q(status__in=["awaiting_approval", "published"])
                | (~Q(verdict="") & ~Q(rationale="")),
                name="claim_reviewed_has_verdict",
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="claim_published_has_date",
            ),
            # A correction awaits approval only on a published claim, and it is complete.
            models.CheckConstraint(
                condition=Q(correction_proposed_at__isnull=True)
                | (Q(status="published") & ~Q(correction_verdict="")
                   & ~Q(correction_rationale="") & ~Q(correction_note="")),
                name="claim_correction_complete",
            ),
        ]
        permissions = [
            ("take_claim", "Can take claims for review"),
            ("propose_verdict", "Can propose a verdict"),
            ("flag_claim", "Can flag claims for checking"),
            ("assign_claim", "Can assign claims to fact-checkers"),
            ("publish_claim", "Can approve and publish verdicts"),
            ("send_back_claim", "Can send verdicts back"),
            ("dismiss_claim", "Can dismiss claims"),
            ("correct_claim", "Can correct published verdicts"),
            ("view_dashboard", "Can view the desk dashboard"),
            ("edit_claim", "Can edit a claim's statement, claimant and kind"),
        ]
        indexes = [
            # The review queue: status first, highest priority first.
            models.Index(fields=["status", "-priority"], name="claim_priority_idx"),
            models.Index(fields=["status", "-checkworthiness"], name="claim_queue_idx"),
            models.Index(fields=["assigned_to", "status"], name="claim_assignee_idx"),
            models.Index(fields=["-published_at"], name="claim_published_idx"),
            models.Index(fields=["kind", "status"], name="claim_kind_status_idx"),
            models.Index(fields=["claimant", "status"], name="claim_claimant_status_idx"),
            models.Index(fields=["-updated_at"], name="claim_updated_idx"),
        ]

    @property
    def said(self) -> str:
        """What readers see: the statement, or the span where none was made."""
        return self.statement or self.text

    @property
    def bears_on(self) -> str:
        """The proposition the claim bears on, or what it says where none was made."""
        return self.proposition_text or self.said

    @property
    def frame(self) -> str:
        """The words of its sentence before the claim's content ("Trump falsely said"):
        how the outlet frames it. Read from the article's text, or from ``frame_text`` where
        a query annotated it (so the article's text need not be fetched)."""
        if hasattr(self, "frame_text"):
            return self.frame_text or ""
        if self.sentence_start >= self.start:
            return ""
        return self.article.text[self.sentence_start:self.start]

    def __str__(self) -> str:
        text = self.said
        return text if len(text) <= 80 else text[:77] + "…"


class Evidence(models.Model):
    """A source a fact-checker consulted, and what it shows about the claim."""

    class Stance(models.TextChoices):
        SUPPORTS = "supports", "Supports the claim"
        REFUTES = "refutes", "Refutes the claim"
        CONTEXT = "context", "Context"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="evidence")
    url = models.URLField("URL", max_length=2000)
    note = models.TextField(blank=True, help_text="What the source says, in a line or two.")
    stance = models.CharField(max_length=10, choices=Stance.choices, default=Stance.CONTEXT)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["claim_id", "created_at", "id"]
        verbose_name_plural = "evidence"

    def __str__(self) -> str:
        return self.url


class VerdictVersion(models.Model):
    """One published verdict of a claim. A correction adds the next version; the one it
    replaces is kept, marked as corrected."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="verdicts")
    number = models.PositiveIntegerField()
    verdict = models.CharField(max_length=16, choices=Verdict.choices)
    rationale = models.TextField()
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField()
    correction_note = models.TextField(
        blank=True, help_text="For a correction: what changed and why."
    )
    corrected_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when a later version replaced this one."
    )

    class Meta:
        ordering = ["claim_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "number"], name="verdict_unique_number"),
            # At most one current (uncorrected) verdict per claim.
            models.UniqueConstraint(
                fields=["claim"], condition=Q(corrected_at__isnull=True),
                name="verdict_one_current",
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.number}: {self.get_verdict_display()}"


class ReviewEvent(models.Model):
    """The review trail: one row per status change, verdict, assignment or edit."""

    class Action(models.TextChoices):
        STATUS = "status", "Status change"
        VERDICT = "verdict", "Verdict"
        ASSIGN = "assign", "Assignment"
        EDIT = "edit", "Edit"
        NOTE = "note", "Note"
        FLAG = "flag", "Flagged"
        EVIDENCE = "evidence", "Evidence"
        CORRECTION = "correction", "Correction"
        REEXTRACTED = "reextracted", "Kept at re-extraction"

    # PROTECT: the trail outlives nothing it describes; a claim (or its article) with a
    # trail cannot be deleted by accident.
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="review_events", help_text="Empty: the system.",
    )
    action = models.CharField(max_length=16, choices=Action.choices)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["claim_id", "created_at", "id"]
        indexes = [models.Index(fields=["claim", "created_at"], name="event_claim_time_idx")]

    def __str__(self) -> str:
        who = self.actor or "system"
        return f"{self.get_action_display()} by {who} at {self.created_at:%Y-%m-%d %H:%M}"
