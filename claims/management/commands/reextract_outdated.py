from __future__ import annotations

from django.core.management.base import BaseCommand

from claims import engine, services
from claims.models import Article


class Command(BaseCommand):
    help = (
        "Queue every processed article whose claims came from an older engine version for "
        "extraction again. Claims an editor has acted on are kept (flagged stale if the new "
        "engine no longer finds them). Run after upgrading."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=0, help="At most this many articles.")

    def handle(self, *args, limit: int, **options):
        outdated = (
            Article.objects.filter(state__in=[Article.State.DONE, Article.State.FAILED])
            .exclude(extractor_version=engine.ENGINE_VERSION)
            .order_by("id")
        )
        if limit:
            outdated = outdated[:limit]
        queued = sum(services.article_reprocess(article=a) for a in outdated.iterator())
        self.stdout.write(f"{queued} article(s) queued for extraction with engine "
                          f"{engine.ENGINE_VERSION}.")
