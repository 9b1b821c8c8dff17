from __future__ import annotations

from argparse import ArgumentTypeError

from django.core.management.base import BaseCommand

from claims import engine, extraction
from claims.models import Article


def positive_int(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ArgumentTypeError("must be 0 (no limit) or more")
    return number


class Command(BaseCommand):
    help = (
        "Queue every processed article whose claims came from an older engine version for "
        "extraction again. Claims an editor has acted on are kept (flagged stale if the new "
        "engine no longer finds them). Run after upgrading."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=positive_int, default=0,
                            help="At most this many articles.")

    def handle(self, *args, limit: int, **options):
        # Failed articles count only when an older engine failed them: the engine is
        # deterministic, so the current one would fail them again.
        outdated = (
            Article.objects.filter(state__in=[Article.State.DONE, Article.State.FAILED])
            .exclude(extractor_version=engine.ENGINE_VERSION)
            .exclude(state=Article.State.FAILED, extractor_version="")
            .order_by("id")
        )
        if limit:
            outdated = outdated[:limit]
        queued = sum(extraction.article_reprocess(article=a) for a in outdated.iterator())
        self.stdout.write(f"{queued} article(s) queued for extraction with engine "
                          f"{engine.ENGINE_VERSION}.")
