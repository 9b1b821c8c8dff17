from __future__ import annotations

import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count

from claims.demo import demo_library, demo_password, demo_reviews
from claims.models import Article, Claim
from claims.review import ReviewError
from claims.roles import EDITOR, FACT_CHECKER, REPORTER, roles_ensure

DEMO_CORPUS = settings.BASE_DIR / "demo" / "corpus"
SEED_DIR = settings.BASE_DIR.parent / "shared" / "data" / "seed"


class Command(BaseCommand):
    help = (
        "Load the demo: desk accounts (logins printed; one password, kept in "
        "var/demo-password and printed again on every run), the demo corpus and, when "
        "../shared/data/seed is present, the seed article — all processed — and a review "
        "queue with claims in every state. Safe to re-run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="editor")

    def handle(self, *args, username, **options):
        groups = roles_ensure()
        chosen = os.environ.get("DEMO_PASSWORD") or os.environ.get("DEMO_EDITOR_PASSWORD") or ""
        try:
            password, password_file = demo_password(var_dir=settings.VAR_DIR, chosen=chosen)
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(
                f"The demo password kept in {settings.VAR_DIR / 'demo-password'} cannot be "
                f"read or written ({exc}); fix or remove the file, or set DEMO_PASSWORD."
            ) from exc
        users = {}
        for name, role in ((username, EDITOR), ("editor2", EDITOR), ("checker", FACT_CHECKER),
                           ("checker2", FACT_CHECKER), ("reporter", REPORTER)):
            users[name] = self._user(name, groups[role], password)

        # The library first: the demo's claims are matched against it as they are extracted.
        demo_library(retrieval_dir=SEED_DIR.parent / "retrieval", log=self.stdout.write)
        self._ingest([str(DEMO_CORPUS)])
        seed_files = sorted(SEED_DIR.glob("*.txt")) if SEED_DIR.is_dir() else []
        if not seed_files:
            self.stdout.write(self.style.WARNING(
                f"Seed article: none in {SEED_DIR.resolve()} (the shared data beside the "
                "checkout); the demo goes on with the demo corpus alone."))
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
            f"Demo logins (password {password!r} for each, kept in {password_file} for the "
            f"next runs; set DEMO_PASSWORD to choose another): {username} and editor2 "
            "(editors), checker and checker2 (fact-checkers), reporter."
        ))

    def _user(self, name, group, password):
        User = get_user_model()
        user, _ = User.objects.get_or_create(username=name)
        user.is_staff = True
        user.is_superuser = False
        if not user.check_password(password):  # new, or changed since the last run
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


