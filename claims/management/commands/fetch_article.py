from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from claims import feeds, fetch
from claims.models import ArticleFetch


class Command(BaseCommand):
    help = (
        "Fetch articles from their URLs (public http(s) pages only), as the admin's "
        "\"Add article fetch\" and the API's url-only submission do. Each fetch runs in a "
        "worker (in process without a broker); --wait waits for the outcome and prints it. "
        "Exits non-zero when a URL is refused or, with --wait, a fetch failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("urls", nargs="+")
        parser.add_argument("--source", default="", help="The outlet to file them under.")
        parser.add_argument("--wait", type=int, default=0, metavar="SECONDS",
                            help="Wait up to this long for each fetch to finish.")

    def handle(self, *args, urls: list[str], source: str, wait: int, **options):
        import time

        if len(source) > 200:
            raise CommandError("--source is longer than 200 characters.")
        problems = 0
        for url in urls:
            try:
                item = feeds.article_fetch_request(url=url, source_name=source)
            except fetch.FetchError as exc:
                problems += 1
                self.stderr.write(self.style.ERROR(f"refused {url}: {exc.reason}"))
                continue
            deadline = time.monotonic() + wait
            item.refresh_from_db()
            while item.state in (ArticleFetch.State.PENDING, ArticleFetch.State.FETCHING) \
                    and time.monotonic() < deadline:
                time.sleep(0.5)
                item.refresh_from_db()
            if item.state == ArticleFetch.State.FAILED:
                problems += 1
                self.stderr.write(self.style.ERROR(f"failed {url}: {item.reason}"))
            elif item.state == ArticleFetch.State.DONE:
                self.stdout.write(f"done {url}: article {item.article_id}"
                                  + (f" ({item.reason})" if item.reason else ""))
            else:
                self.stdout.write(f"{item.state} {url}: fetch {item.pk}"
                                  + (f" ({item.reason})" if item.reason else ""))
        if problems:
            raise CommandError(f"{problems} of {len(urls)} URL(s) not fetched.")
