"""Give the fact-check library's undated records the review date their record carries."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from claims.factchecks import factchecks_dates_backfill
from claims.models import FactCheck


class Command(BaseCommand):
    help = (
        "Fill in 'Reviewed on' for fact-checks imported without it: the record's own date "
        "(Snopes) or the day in a PolitiFact review URL (/factchecks/2019/oct/30/). Records "
        "whose date is found nowhere stay empty. Safe to re-run: only undated records are read."
    )

    def handle(self, *args, **options):
        undated = FactCheck.objects.filter(reviewed_on__isnull=True).count()
        dated = factchecks_dates_backfill()
        self.stdout.write(f"{dated} of {undated} undated fact-checks dated; "
                          f"{undated - dated} have no date in their record or URL.")
