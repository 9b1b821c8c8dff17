"""Rendered list pages, served again while what their readers see has not changed since.

A page is kept with the *moment* it was rendered at, read before the page's queries: the page
shows at least the state at that moment (perhaps newer, and then the moment has moved and
nobody will ask for it again). Two moments, by audience:

- **Public** (readers outside the desk, with or without a token): the counter of the list's
  published set (``PUBLIC_LISTS``; table ``claims_public_moment``, migration 0020). Database
  triggers move it in the writing transaction, at its commit, exactly when a row a public
  reader can see changes: a published claim, its claimant, article, outlet, evidence, verdict
  versions, its links to published claims and propositions, a proposition with a published
  member, a fact-check. Nothing has to remember to announce a change — a service, a bulk
  ``update()`` that no signal sees, a change made in ``psql`` each moves it — while the writes
  of ingestion and matching (drafts, an article's processing state, a session saved, another
  database) do not, so public pages are served again during ingestion. The counter commits
  with the change, so a reader sees both or neither; a standby replays them together. Inside
  a transaction that has written (tests, a command), whose changes move the counter only as
  it commits, public pages go by the log position as the desk's do.
- **Desk** (staff who see drafts), and a public list no counter covers: where PostgreSQL's
  write-ahead log ended. Every write to any table inserts its records there before it
  commits, and a commit is visible only after its own record is inserted, so an unchanged
  position means that no change became visible since. Any write to the cluster retires these
  pages. A standby reports the position it has replayed to, which is what its reads show.

The cluster's system identifier and timeline and the database's identity are part of both
moments (and of the counter, its table's), so a restore to an earlier state or a failover to
another server never matches a page kept before it, a counter restored to an old value
included.

Other databases (SQLite, the laptop default) have neither: nothing is kept there.

The key is what decides the body: the audience (desk staff see every state), the negotiated
media type with its parameters, and the whole absolute URL (the next link repeats the host
and the parameters). Only JSON is kept; the browsable API's HTML holds a fresh CSRF
token on each request. Only first pages of URLs whose parameters the view reads are kept
(``page_key``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

from django.core.cache import cache
from django.db import connections, router

from claims.api.access import sees_everything

# Five minutes: a desk page matches only while nothing is written, so a longer life would
# mostly keep pages that no longer match; a public page may match for hours, but one nobody
# asks for again should not hold its body (~95 kB for 50 claims) that long, and a page asked
# for all day is rendered once per five minutes at most.
PAGE_TTL = 300

# The counter (a column of claims_public_moment) that moves when the public list of a model
# may change. A list of another model is kept by the write-ahead log for everyone.
PUBLIC_LISTS = {"claims.Claim": "claims", "claims.Proposition": "propositions",
                "claims.FactCheck": "factchecks"}

CLUSTER_SQL = (
    "(SELECT system_identifier FROM pg_control_system())::text || '/' "
    "|| (SELECT timeline_id FROM pg_control_checkpoint())::text || '/' "
    "|| (SELECT oid FROM pg_database WHERE datname = current_database())::text")
WAL_SQL = ("(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() "
           "ELSE pg_current_wal_insert_lsn() END)::text")


@dataclass(frozen=True)
class Moment:
    """Where the database stood when a page was begun: ``cluster`` (its alias, system
    identifier, timeline and database), ``wal`` (the log position) and ``public`` (the list's
    published-set counter, after its table's identity; None where no counter covers the
    list)."""

    cluster: str
    wal: str
    public: str | None = None

    def of(self, audience: str) -> str:
        """The part of the moment that decides ``audience``'s page."""
        if audience == "public" and self.public is not None:
            return f"{self.cluster}/public:{self.public}"
        return f"{self.cluster}/wal:{self.wal}"


@dataclass(frozen=True)
class Page:
    moment: Moment | str
    content_type: str
    body: bytes
    etag: str


def database_moment(model) -> Moment | None:
    """The moment of the database that ``model`` is read from, or None where there is none
    (not PostgreSQL). One query, before the page's own."""
    using = router.db_for_read(model)
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    counter = PUBLIC_LISTS.get(model._meta.label)
    # The table's own identity with the count: a dump restored over this database makes the
    # table anew, so a count restored to an earlier value never matches a page kept before.
    # None inside a transaction that has written: its changes move the counter only as it
    # commits, and a rollback would give the value it read to another change; the log
    # position, which never comes back, keys that page instead.
    public = (f"CASE WHEN pg_current_xact_id_if_assigned() IS NULL THEN "
              f"'claims_public_moment'::regclass::oid::text || '.' || (SELECT {counter} "
              "FROM claims_public_moment WHERE id = 1)::text END") if counter else "NULL"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {CLUSTER_SQL}, {WAL_SQL}, {public}")
        cluster, wal, count = cursor.fetchone()
    return Moment(cluster=f"{using}:{cluster}", wal=wal, public=count)


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
    return f"api-page:{audience}:" + hashlib.sha256(
        f"{request.accepted_media_type} {request.build_absolute_uri()}".encode()).hexdigest()


def _audience(key: str) -> str:
    return key.split(":", 2)[1]


def page_get(key: str, moment: Moment) -> Page | None:
    """The page kept under ``key`` if it was rendered at the moment that decides its audience's
    page (``Moment.of``)."""
    page = cache.get(key)
    if isinstance(page, Page) and page.moment == moment.of(_audience(key)):
        return page
    return None


def page_keep(key: str, page: Page) -> None:
    """Keeps ``page`` (rendered at the Moment ``page.moment``) for its audience's moment."""
    moment = page.moment.of(_audience(key)) if isinstance(page.moment, Moment) else page.moment
    cache.set(key, replace(page, moment=moment), PAGE_TTL)
