"""The desk's figures for the dashboard. Reads only; a fixed number of queries whatever the
number of claims."""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta

from django.db.models import Count, Min, Q
from django.utils import timezone

from claims.models import Claim, VerdictVersion

Status = Claim.Status
# Medians are computed over at most this many of the latest publications: enough for a
# stable figure, bounded whatever the history.
MEDIAN_SAMPLE = 2000


def _median(durations: list[timedelta]) -> timedelta | None:
    return statistics.median(durations) if durations else None


def desk_figures(*, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    week_ago, two_weeks_ago, month_ago = (now - timedelta(days=d) for d in (7, 14, 30))

    counts = dict(Claim.objects.values_list("status").annotate(n=Count("id")).order_by())
    by_status = [(status, label, counts.get(status, 0)) for status, label in Status.choices]

    # "Unreviewed" = new: nobody has taken it. Its age counts from when it entered the queue
    # (the claim's creation, i.e. its article's processing), not the article's date.
    oldest_new = list(Claim.objects.filter(status=Status.NEW)
                      .select_related("article__source", "claimant")
                      .order_by("created_at", "id")[:10])
    waiting = Q(status=Status.AWAITING_APPROVAL)
    awaiting = Claim.objects.aggregate(
        n=Count("id", filter=waiting), oldest=Min("proposed_at", filter=waiting),
        corrections=Count("id", filter=Q(correction_proposed_at__isnull=False)))

    published = Claim.objects.aggregate(
        this_week=Count("id", filter=Q(status=Status.PUBLISHED, published_at__gte=week_ago)),
        last_week=Count("id", filter=Q(status=Status.PUBLISHED, published_at__gte=two_weeks_ago,
                                       published_at__lt=week_ago)))

    # Time to verdict: from entering the queue to the first publication; approval wait: from
    # submission to that publication (the last submission before it, on the claim).
    firsts = (VerdictVersion.objects.filter(number=1, published_at__gte=month_ago)
              .order_by("-published_at")
              .values_list("published_at", "claim__created_at", "claim__proposed_at")
              [:MEDIAN_SAMPLE])
    to_verdict, approval = [], []
    for published_at, entered, proposed in firsts:
        to_verdict.append(published_at - entered)
        if proposed is not None and proposed <= published_at:
            approval.append(published_at - proposed)

    workload = list(Claim.objects.filter(status=Status.IN_REVIEW, assigned_to__isnull=False)
                    .values("assigned_to__username").annotate(n=Count("id"))
                    .order_by("-n", "assigned_to__username"))
    return {
        "now": now,
        "by_status": by_status,
        "oldest_new": [(claim, now - claim.created_at) for claim in oldest_new],
        "awaiting": awaiting["n"],
        "awaiting_oldest": (now - awaiting["oldest"]) if awaiting["oldest"] else None,
        "corrections_awaiting": awaiting["corrections"],
        "published_this_week": published["this_week"],
        "published_last_week": published["last_week"],
        "median_to_verdict": _median(to_verdict),
        "median_approval": _median(approval),
        "verdicts_counted": len(to_verdict),
        "workload": [(row["assigned_to__username"], row["n"]) for row in workload],
    }


def duration(value: timedelta | None) -> str:
    """'3 d 4 h', '5 h 12 min', '7 min' — what a desk reads at a glance."""
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    days, minutes = divmod(minutes, 60 * 24)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"
