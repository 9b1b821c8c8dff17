from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from claims import feeds, fetch
from claims.models import Feed


class Command(BaseCommand):
    help = (
        "Poll feeds now: every active feed that is due (what the beat does each minute), "
        "or, with --all, every active feed. --add URL registers a feed first (--kind "
        "claimreview for a publisher's fact-check feed). Prints each poll's outcome."
    )

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="Poll feeds not yet due too.")
        parser.add_argument("--add", metavar="URL", help="Register this feed, then poll.")
        parser.add_argument("--kind", choices=Feed.Kind.values, default=Feed.Kind.ARTICLES)
        parser.add_argument("--interval", type=int, default=30, help="Minutes (5 at least).")

    def handle(self, *args, all: bool, add: str | None, kind: str, interval: int, **options):
        if add:
            if interval < 5:
                raise CommandError("--interval must be 5 minutes or more.")
            try:
                fetch.check_url(add)
            except fetch.FetchError as exc:
                raise CommandError(exc.reason) from None
            feed, created = Feed.objects.get_or_create(
                url=add.strip(), defaults={"kind": kind, "interval_minutes": interval})
            self.stdout.write(f"{'added' if created else 'known'} feed {feed.pk}: {feed.url}")
        from config.celery import app

        ids = Feed.objects.filter(active=True).order_by("id").values_list("id", flat=True)
        failed = 0
        for feed_id in ids:
            if not feeds.feed_poll_request(feed_id=feed_id, force=all):
                continue
            if not app.conf.task_always_eager:
                self.stdout.write(f"feed {feed_id}: poll sent to the workers")
                continue
            feed = Feed.objects.get(pk=feed_id)  # polled in process, just now
            if feed.consecutive_failures:
                failed += 1
                self.stdout.write(self.style.ERROR(f"feed {feed_id} {feed.url}: "
                                                   f"{feed.last_error}"))
            else:
                self.stdout.write(f"feed {feed_id} {feed.url}: {feed.last_note or 'sent'}")
        if failed:
            raise CommandError(f"{failed} feed(s) failed.")
