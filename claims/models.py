"""The domain: sources, articles, claimants, claims and the review trail."""

from __future__ import annotations

from django.conf import settings
from django.db import connections, models, transaction
from django.db.models import F, Q
from django.utils import timezone


class Source(models.Model):
    """A news outlet."""

    name = models.CharField(max_length=200, unique=True)
    domain = models.CharField(
        max_length=253, blank=True, help_text="Host name of the outlet's site, e.g. example.com."
    )
    country = models.CharField(max_length=100, blank=True)
    feed_urls = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["domain"], condition=~Q(domain=""), name="source_unique_domain"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Article(models.Model):
    """One news article; its processing state here is the source of truth for the workers."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSING = "processing", "Processing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="articles")
    url = models.URLField(
        "canonical URL", max_length=2000, null=True, blank=True,
        help_text="Canonical address; articles are unique by it when it is known.",
    )
    title = models.CharField(max_length=500)
    published_at = models.DateTimeField(null=True, blank=True)
    text = models.TextField(help_text="Cleaned article text; claim offsets point into it.")
    content_hash = models.CharField(
        max_length=64, unique=True, help_text="SHA-256 of the normalised text, to catch duplicates."
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    state_changed_at = models.DateTimeField(default=timezone.now)
    error = models.TextField(blank=True, help_text="Why processing failed, for editors.")
    attempts = models.PositiveSmallIntegerField(default=0)
    extractor_version = models.CharField(max_length=32, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    matched_at = models.DateTimeField(
        null=True, blank=True, help_text="When its claims were last matched across sources."
    )
    # When the extraction message was handed to the broker (None: not yet, or the broker
    # refused it): the sweep re-sends only what was never sent or what the broker lost.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    # Matching, after extraction, runs in passes of at most CLAIMTRACK_MATCH_CHUNK claims:
    # requested (and sent) when extraction finishes or a pass leaves claims for the next;
    # a pass holds a lease (match_started_at) and records the last claim it matched
    # (match_cursor); attempts count the passes taken since the cursor last moved.
    match_requested_at = models.DateTimeField(null=True, blank=True)
    match_enqueued_at = models.DateTimeField(null=True, blank=True)
    match_started_at = models.DateTimeField(null=True, blank=True)
    match_cursor = models.PositiveBigIntegerField(default=0)
    match_attempts = models.PositiveSmallIntegerField(default=0)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="submitted_articles",
    )
    submitted_via = models.ForeignKey(
        "ApiClient", null=True, blank=True, on_delete=models.SET_NULL, related_name="articles",
        help_text="The API client that submitted it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["url"], condition=Q(url__isnull=False), name="article_unique_url"
            ),
            models.CheckConstraint(
                condition=~Q(state="failed") | ~Q(error=""), name="article_failed_has_error"
            ),
        ]
        indexes = [
            # The sweep scans by state and age.
            models.Index(fields=["state", "state_changed_at"], name="article_state_age_idx"),
            models.Index(fields=["source", "-published_at"], name="article_source_pub_idx"),
            models.Index(fields=["-published_at"], name="article_published_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def date(self):
        """When the article appeared: its publication date, else when it was stored."""
        return self.published_at or self.created_at


class Claimant(models.Model):
    """A person or organisation that makes claims."""

    class Kind(models.TextChoices):
        PERSON = "person", "Person"
        ORGANISATION = "organisation", "Organisation"
        COUNTRY = "country", "Country or government"
        GROUP = "group", "Group"
        UNKNOWN = "unknown", "Unknown"

    name = models.CharField(max_length=300)
    key = models.CharField(
        max_length=300, unique=True, help_text="Normalised name used to merge mentions."
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.UNKNOWN)
    role = models.CharField(max_length=300, blank=True, help_text="Role or affiliation.")
    family = models.CharField(
        max_length=200, blank=True, db_index=True,
        help_text="The body the claimant speaks for: Russia, Moscow and the Kremlin share one.",
    )
    aliases = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.role})" if self.role else self.name


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
        """Claims an editor has acted on (a status past new, or a review trail): re-extraction
        keeps them."""
        return self.filter(~Q(status=Claim.Status.NEW)
                           | Q(pk__in=ReviewEvent.objects.values("claim_id")))

    def in_proposition(self, proposition_id: int):
        """Members of the proposition by a link not rejected."""
        return self.filter(pk__in=ClaimLink.objects.live().filter(
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

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="claims")
    claimant = models.ForeignKey(
        Claimant, null=True, blank=True, on_delete=models.PROTECT, related_name="claims",
        help_text="Who made the claim; empty for the outlet's own statement.",
    )
    text = models.TextField(help_text="The claimed content, exactly as in the article.")
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

    def __str__(self) -> str:
        text = self.text if len(self.text) <= 80 else self.text[:77] + "…"
        return text

    @property
    def is_touched(self) -> bool:
        """An editor has acted on this claim: re-extraction must keep it (one claim's
        ``Claim.objects.touched()``)."""
        return self.status != self.Status.NEW or self.events.exists()


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


class FactCheck(models.Model):
    """An earlier verdict on a claim — imported (ClaimReview, PolitiFact/Snopes-style records)
    or our own — that new claims are matched against."""

    class Origin(models.TextChoices):
        CLAIMREVIEW = "claimreview", "ClaimReview JSON-LD"
        VCLAIMS = "vclaims", "Fact-check records (JSONL)"
        OURS = "ours", "Our desk"

    external_id = models.CharField(
        max_length=300, unique=True,
        help_text="Stable id from the source (record id, or the review URL): re-imports update.",
    )
    origin = models.CharField(max_length=16, choices=Origin.choices)
    publisher = models.CharField(max_length=200, blank=True)
    claim_reviewed = models.TextField()
    title = models.CharField(max_length=500, blank=True)
    summary = models.TextField(blank=True)
    claimant_name = models.CharField(max_length=300, blank=True)
    verdict = models.CharField(
        max_length=100, blank=True, help_text="The publisher's rating as written ('pants-fire')."
    )
    rating_value = models.FloatField(null=True, blank=True)
    best_rating = models.FloatField(null=True, blank=True)
    worst_rating = models.FloatField(null=True, blank=True)
    url = models.URLField(max_length=2000, blank=True)
    reviewed_on = models.DateField(null=True, blank=True)
    claim_date = models.CharField(max_length=200, blank=True, help_text="When the claim was made.")
    raw = models.JSONField(default=dict, blank=True, help_text="The record as imported.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-reviewed_on", "-id"]
        indexes = [
            models.Index(fields=["publisher", "verdict"], name="factcheck_pub_verdict_idx"),
            models.Index(fields=["-reviewed_on"], name="factcheck_reviewed_idx"),
        ]

    def __str__(self) -> str:
        text = self.claim_reviewed
        return text if len(text) <= 80 else text[:77] + "…"


# PostgreSQL advisory lock held while proposition membership changes (see lock_membership).
MEMBERSHIP_LOCK_KEY = 7_341_002


class PropositionQuerySet(models.QuerySet):
    def lock_membership(self) -> None:
        """Serialise changes to proposition membership (joins, merges, splits, decisions,
        deleting claims) for the rest of the transaction. Every writer takes it before any
        row lock: one lock order, so they never deadlock. SQLite has one writer anyway."""
        if connections[self.db].vendor == "postgresql":
            with connections[self.db].cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [MEMBERSHIP_LOCK_KEY])

    def prune(self) -> int:
        """Delete those of these propositions that have no member left, unless an editor
        has worked on one (locked). Returns how many went."""
        with transaction.atomic(using=self.db):
            self.lock_membership()  # a claim joining one of them meanwhile keeps it
            deleted, _ = self.filter(locked=False, links__isnull=True).delete()
        return deleted


class Proposition(models.Model):
    """What several claims assert in common, across sources; members relate to it as
    supporting or contradicting (a denial)."""

    text = models.TextField(help_text="The statement as its first claim put it.")
    first_claim = models.ForeignKey(
        Claim, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_seen_at = models.DateTimeField(null=True, blank=True)
    # Set when an editor confirms, merges or splits: automatic passes then leave the
    # membership of this proposition alone.
    locked = models.BooleanField(default=False)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PropositionQuerySet.as_manager()

    class Meta:
        ordering = ["-first_seen_at", "-id"]

    def __str__(self) -> str:
        return self.text if len(self.text) <= 80 else self.text[:77] + "…"


class ClaimLinkQuerySet(models.QuerySet):
    def live(self):
        """Links not rejected: suggested or confirmed."""
        return self.exclude(status=ClaimLink.Status.REJECTED)

    def members_of(self, proposition):
        """The live memberships of a proposition."""
        return self.live().filter(proposition=proposition)

    def around(self, claim_ids):
        """Live links between claims with either end among ``claim_ids``."""
        return self.live().filter(Q(claim_id__in=claim_ids) | Q(target_claim_id__in=claim_ids),
                                  target_claim__isnull=False)


class ClaimLink(models.Model):
    """A suggested or editor-decided link from a claim to another claim, to a proposition
    (membership, with the claim's stance) or to an earlier fact-check."""

    class Relation(models.TextChoices):
        SUPPORTS = "supports", "Supports"
        CONTRADICTS = "contradicts", "Contradicts"
        NEUTRAL = "neutral", "Neutral"

    class Status(models.TextChoices):
        SUGGESTED = "suggested", "Suggested"
        CONFIRMED = "confirmed", "Confirmed"
        REJECTED = "rejected", "Rejected"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="links")
    target_claim = models.ForeignKey(
        Claim, null=True, blank=True, on_delete=models.CASCADE, related_name="linked_from"
    )
    proposition = models.ForeignKey(
        Proposition, null=True, blank=True, on_delete=models.CASCADE, related_name="links"
    )
    factcheck = models.ForeignKey(
        FactCheck, null=True, blank=True, on_delete=models.CASCADE, related_name="links"
    )
    relation = models.CharField(max_length=12, choices=Relation.choices)
    score = models.FloatField(help_text="Similarity of the two statements, 0 to 1.")
    method = models.CharField(max_length=100, help_text="What suggested it, with its version.")
    cues = models.JSONField(default=list, blank=True, help_text="Words that decided the relation.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUGGESTED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClaimLinkQuerySet.as_manager()

    class Meta:
        ordering = ["claim_id", "-score"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(target_claim__isnull=False, proposition__isnull=True,
                      factcheck__isnull=True)
                    | Q(target_claim__isnull=True, proposition__isnull=False,
                        factcheck__isnull=True)
                    | Q(target_claim__isnull=True, proposition__isnull=True,
                        factcheck__isnull=False)
                ),
                name="link_exactly_one_target",
            ),
            models.CheckConstraint(
                condition=~Q(target_claim=F("claim")), name="link_not_to_itself"
            ),
            models.UniqueConstraint(
                fields=["claim", "target_claim"], condition=Q(target_claim__isnull=False),
                name="link_unique_claim_pair",
            ),
            models.UniqueConstraint(
                fields=["claim", "proposition"], condition=Q(proposition__isnull=False),
                name="link_unique_membership",
            ),
            models.UniqueConstraint(
                fields=["claim", "factcheck"], condition=Q(factcheck__isnull=False),
                name="link_unique_factcheck",
            ),
        ]
        indexes = [
            models.Index(fields=["proposition", "relation"], name="link_proposition_idx"),
            models.Index(fields=["factcheck"], name="link_factcheck_idx"),
            models.Index(fields=["target_claim"], name="link_target_claim_idx"),
        ]

    def __str__(self) -> str:
        target = self.target_claim or self.proposition or self.factcheck
        return f"{self.claim} {self.relation} {target}"


class ApiClient(models.Model):
    """A consumer or submitter of the API, holding one token with scopes.

    Only a hash of the token is stored; the token itself is shown once, when it is made
    (``claims.clients.client_create``).
    """

    class Scope(models.TextChoices):
        READ = "read", "Read published claims"
        SUBMIT = "submit", "Submit articles"

    name = models.CharField(max_length=100, unique=True)
    contact = models.EmailField(blank=True)
    key_prefix = models.CharField(
        max_length=16, unique=True, help_text="The token's public start, to find it and to "
        "recognise it in logs.")
    key_hash = models.CharField(max_length=64, help_text="SHA-256 of the whole token.")
    scopes = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    throttle_rate = models.CharField(
        max_length=20, default="600/min",
        help_text="Requests allowed per token, e.g. 600/min or 10000/day.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "API client"

    def __str__(self) -> str:
        return self.name

    def has_scope(self, scope: str) -> bool:
        return self.active and scope in self.scopes


class WebhookEndpoint(models.Model):
    """Where a consumer wants claim events delivered, signed with its own secret."""

    class Event(models.TextChoices):
        PUBLISHED = "claim.published", "A claim was published"
        CORRECTED = "claim.corrected", "A published verdict was corrected"

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=2000)
    secret = models.CharField(max_length=64, help_text="Signs each delivery (HMAC-SHA256).")
    events = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["client_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["client", "url"], name="webhook_unique_url"),
        ]

    def __str__(self) -> str:
        return f"{self.client}: {self.url}"


class WebhookDelivery(models.Model):
    """One event to one endpoint, with its attempts: the delivery log."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE,
                                 related_name="deliveries")
    event_id = models.UUIDField(unique=True)
    event = models.CharField(max_length=40)
    claim = models.ForeignKey(Claim, null=True, on_delete=models.SET_NULL, related_name="+")
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["status", "next_attempt_at"],
                                name="delivery_due_idx")]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint.url} ({self.status})"
