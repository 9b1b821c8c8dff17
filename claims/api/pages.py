"""Rendered list pages, served again while the database has not changed since.

A page is kept with the *database moment* it was rendered at: where PostgreSQL's write-ahead
log ended. Every write to any table inserts its records there before it commits, and a commit
is visible only after its own record is inserted, so an unchanged position means that no
change became visible since — the kept page is what rendering again would give. Nothing has
to remember to announce a change: publishing, a correction, an edit, a link decision, a
deletion, a bulk ``update()`` that no signal sees, a change made in ``psql`` — each moves the
position, and every kept page stops matching. The price is the other way round: any write to
the cluster (an article ingested, a session saved) also retires every kept page, so pages are
served again only while the database is quiet — as it is for reads most of the time.

The position is read *before* the page's queries: the page shows at least the state at that
position (perhaps newer, and then the position has moved and nobody will ask for it again).
A standby reports the position it has replayed to, which is what its reads show. The
cluster's system identifier and timeline are part of the moment, so a restore to an earlier
position or a failover to another server never matches a page kept before it.

Other databases (SQLite, the laptop default) have no such position: nothing is kept there.

The key is what decides the body: the audience (desk staff see every state), the negotiated
media type with its parameters, and the whole absolute URL (the next link repeats the host
and the parameters). Only JSON is kept; the browsable API's HTML holds a fresh CSRF
token on each request. Only first pages of URLs whose parameters the view reads are kept
(``page_key``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connections, router

from claims.api.access import sees_everything

# Five minutes: a kept page matches only while nothing is written, so a longer life would
# mostly keep pages that no longer match; each costs its body (~95 kB for 50 claims).
PAGE_TTL = 300

MOMENT_SQL = (
    "SELECT (SELECT system_identifier FROM pg_control_system())::text || '/' "
    "|| (SELECT timeline_id FROM pg_control_checkpoint())::text || '/' "
    "|| (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() "
    "ELSE pg_current_wal_insert_lsn() END)::text")


@dataclass(frozen=True)
class Page:
    moment: str
    content_type: str
    body: bytes
    etag: str


def database_moment(model) -> str | None:
    """Where the write-ahead log of the database that ``model`` is read from ends, or None
    where there is no such position (not PostgreSQL)."""
    using = router.db_for_read(model)
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(MOMENT_SQL)
        return f"{using}:{cursor.fetchone()[0]}"


def page_key(request, *, known: set[str]) -> str | None:
    """The cache key of this request's page, or None when its body is not kept: not JSON, a
    later page (a ``cursor``), or a parameter outside ``known``, the ones the view reads.

    Only first pages of the URLs the view understands are kept: they are the ones asked for
    again and again (a reader's front page, a filter), while a crawl's cursors or a parameter
    made up per request would each keep a body (~100 kB) that nobody asks for twice.
    """
    renderer = getattr(request, "accepted_renderer", None)
    if getattr(renderer, "format", None) != "json":
        return None
    params = request.query_params
    if "cursor" in params or not known.issuperset(params):
        return None
    audience = "desk" if sees_everything(request) else "public"
    return "api-page:" + hashlib.sha256(
        f"{audience} {request.accepted_media_type} {request.build_absolute_uri()}"
        .encode()).hexdigest()


def page_get(key: str, moment: str) -> Page | None:
    page = cache.get(key)
    if isinstance(page, Page) and page.moment == moment:
        return page
    return None


def page_keep(key: str, page: Page) -> None:
    cache.set(key, page, PAGE_TTL)
