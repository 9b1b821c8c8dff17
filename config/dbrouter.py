"""Read-only API traffic on a PostgreSQL read replica; everything else on the primary.

``DATABASE_REPLICA_URL`` (config/settings.py, "Read replica") adds the ``replica`` alias. Only
a safe-method request under ``/api/`` reads from it, and only outside a transaction:

    GET/HEAD/OPTIONS /api/...   ApiReadsMiddleware sets API_READ  ─▶  reads: replica
    POST/PUT/PATCH/DELETE /api/, admin, public pages, tasks,
    commands, any read inside transaction.atomic(), every write    ─▶  default (the primary)

A write's response is built on the primary (the whole request is), so a client reads back what
it wrote. A GET right after a write may reach a replica that has not replayed it yet (lag, in
docs/scaling.md "Read replicas"). Without the alias the router and the middleware change
nothing.
"""

from __future__ import annotations

import os
from contextvars import ContextVar

from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections, transaction

REPLICA = "replica"
API_PREFIX = "/api/"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Set for the length of one read-only API request. A context variable, not a thread local:
# each request of a threaded or async server sees its own, and a Celery task never sees one.
API_READ: ContextVar[bool] = ContextVar("claimtrack_api_read", default=False)


def replica_database(*, replica: dict, primary: dict, variable: str) -> dict:
    """The replica alias's settings from its parsed URL, or ImproperlyConfigured naming
    ``variable``: same engine as the primary; on SQLite, the primary's own file."""
    engine, primary_engine = replica["ENGINE"], primary["ENGINE"]
    if engine != primary_engine:
        raise ImproperlyConfigured(
            f"{variable} is {engine.rsplit('.', 1)[-1]} while DATABASE_URL is "
            f"{primary_engine.rsplit('.', 1)[-1]}: a replica is a copy of the primary, on the "
            "same engine.")
    if engine.endswith("sqlite3") and not _same_file(replica["NAME"], primary["NAME"]):
        raise ImproperlyConfigured(
            f"{variable} names another SQLite file than DATABASE_URL: SQLite has no "
            "replication, so a replica there can only be the primary's own file.")
    replica = {**replica, "OPTIONS": dict(replica.get("OPTIONS", {}))}
    if engine.endswith("postgresql"):
        # Opened read-only: a write sent here by mistake fails at once, also when the URL
        # names the primary itself (tests, trying the router); a hot standby is read-only anyway.
        options = replica["OPTIONS"].get("options", "")
        replica["OPTIONS"]["options"] = f"{options} -c default_transaction_read_only=on".strip()
    # Tests read what they wrote on the primary: the alias mirrors the test database instead of
    # getting one of its own (which a read-only server could not create).
    replica["TEST"] = {"MIRROR": DEFAULT_DB_ALIAS}
    return replica


def _same_file(name: str, other: str) -> bool:
    return name == other or os.path.abspath(name) == os.path.abspath(other)


def replica_configured() -> bool:
    return REPLICA in connections.settings


class ApiReadsMiddleware:
    """Marks a safe-method request under /api/ as read-only for the router."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in SAFE_METHODS or not request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        token = API_READ.set(True)
        try:
            return self.get_response(request)
        finally:
            API_READ.reset(token)


class ReplicaRouter:
    """DATABASE_ROUTERS: reads of read-only API requests go to the replica, when there is one."""

    def db_for_read(self, model, **hints):
        if not replica_configured():
            return None
        if API_READ.get() and not transaction.get_connection(DEFAULT_DB_ALIAS).in_atomic_block:
            return REPLICA
        # Said outright: left to Django, a row read from the replica would send its related
        # rows' reads after it.
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        # Said outright too: left to Django, saving a row read from the replica (a GET that
        # records something) would write to the replica.
        return DEFAULT_DB_ALIAS if replica_configured() else None

    def allow_relation(self, obj1, obj2, **hints):
        # One database under two aliases: a claim read from the replica may point at an article
        # read from the primary.
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA}:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica replays the primary's schema; `migrate --database replica` does nothing.
        return False if db == REPLICA else None
