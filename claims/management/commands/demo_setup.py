from __future__ import annotations

import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count

from claims.demo import demo_reviews
from claims.models import Article, Claim
from claims.review import ReviewError
from claims.roles import EDITOR, FACT_CHECKER, REPORTER, roles_ensure

DEMO_CORPUS = settings.BASE_DIR / "demo" / "corpus"
SEED_DIR = settings.BASE_DIR.parent / "shared" / "data" / "seed"


class Command(BaseCommand):
    help = (
        "Load the demo: desk accounts (logins printed), the demo corpus and, when "
        "../shared/data/seed is present, the seed article — all processed — and a review "
        "queue with claims in every state. Safe to re-run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="editor")

    def handle(self, *args, username, **options):
        groups = roles_ensure()
        password = (os.environ.get("DEMO_PASSWORD") or os.environ.get("DEMO_EDITOR_PASSWORD")
                    or secrets.token_urlsafe(12))
        users = {}
        for name, role in ((username, EDITOR), ("editor2", EDITOR), ("checker", FACT_CHECKER),
                           ("checker2", FACT_CHECKER), ("reporter", REPORTER)):
            users[name] = self._user(name, groups[role], password)

        self._ingest([str(DEMO_CORPUS)])
        seed_files = sorted(SEED_DIR.glob("*.txt")) if SEED_DIR.is_dir() else []
        for seed in seed_files:
            self._ingest([str(seed)], source="teleSUR", published="2022-01-11")

        # A demo database from an older engine is brought up to date.
        call_command("reextract_outdated", stdout=self.stdout)
        # All or nothing: a claim left half-driven (taken, then a refused submit) has a trail,
        # so a re-run would skip it for good; rolled back, the next run drives it afresh.
        try:
            with transaction.atomic():
                driven = demo_reviews(editor=users[username], editor2=users["editor2"],
                                      checker=users["checker"], checker2=users["checker2"],
                                      reporter=users["reporter"], log=self.stdout.write)
        except ReviewError as exc:
            raise CommandError(f"Demo reviews failed, none kept: {exc.message}") from exc

        by_state = dict(Article.objects.values_list("state").annotate(n=Count("id")))
        sources = Article.objects.values("source").distinct().count()
        self.stdout.write(
            f"Articles: {sum(by_state.values())} from {sources} sources "
            f"({', '.join(f'{k} {v}' for k, v in sorted(by_state.items()))}); "
            f"claims: {Claim.objects.count()}."
        )
        statuses = dict(Claim.objects.values_list("status").annotate(n=Count("id")).order_by())
        self.stdout.write("Review queue: " + ", ".join(
            f"{label.lower()} {statuses.get(value, 0)}" for value, label in Claim.Status.choices)
            + f" ({driven} claims reviewed in this run).")
        self.stdout.write(self.style.SUCCESS(
            f"Demo logins (password {password!r} for each; set DEMO_PASSWORD to choose it): "
            f"{username} and editor2 (editors), checker and checker2 (fact-checkers), "
            "reporter."
        ))

    def _user(self, name, group, password):
        User = get_user_model()
        user, _ = User.objects.get_or_create(username=name)
        user.is_staff = True
        user.is_superuser = False
        user.set_password(password)
        user.save()
        user.groups.set([group])
        return User.objects.get(pk=user.pk)  # a fresh permission cache

    def _ingest(self, paths: list[str], **options) -> None:
        try:
            call_command("ingest_articles", *paths, no_progress=True, stdout=self.stdout,
                         stderr=self.stderr, **options)
        except CommandError as exc:
            raise CommandError(f"Demo ingestion failed: {exc}") from exc


