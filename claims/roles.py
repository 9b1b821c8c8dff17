"""Desk roles as Django groups, each with only the permissions its work needs.

Created (and brought back to exactly these permissions) after every ``migrate`` and by
``manage.py roles``. Users get a role by joining its group; admins are superusers.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import transaction

REPORTER, FACT_CHECKER, EDITOR, ADMIN = "Reporters", "Fact-checkers", "Editors", "Admins"

# What reading a review in progress takes — its working verdict and rationale and verdict
# history, evidence, trail, the desk's links and propositions, earlier fact-checks — by part.
# Reporters have none of these: they may list and flag claims, and read what is published.
REVIEW_READ = {
    "verdict": "claims.view_verdictversion",
    "evidence": "claims.view_evidence",
    "trail": "claims.view_reviewevent",
    "links": "claims.view_claimlink",
    "propositions": "claims.view_proposition",
    "factchecks": "claims.view_factcheck",
}


def reads_reviews(user) -> bool:
    """Whether ``user`` may read every part of a claim's review in progress."""
    return user.has_perms(["claims.view_claim", *REVIEW_READ.values()])


# Reporters submit articles and flag claims; they read what they need for that.
_REPORTER = [
    "claims.view_source", "claims.view_article", "claims.add_article",
    "claims.view_claimant", "claims.view_claim", "claims.flag_claim",
]
# Fact-checkers take claims, correct what extraction made of them (statement, claimant,
# kind), research (evidence), propose verdicts, decide links.
_FACT_CHECKER = [
    "claims.view_source", "claims.view_article", "claims.view_claimant",
    "claims.view_claim", "claims.change_claim", "claims.take_claim", "claims.propose_verdict",
    "claims.flag_claim", "claims.view_evidence", "claims.add_evidence",
    "claims.delete_evidence", "claims.view_reviewevent", "claims.view_verdictversion",
    "claims.view_factcheck", "claims.view_proposition", "claims.view_claimlink",
    "claims.change_claimlink", "claims.view_dashboard", "claims.edit_claim",
    # The desk's conversation (claims/comments.py); reporters have none of it, so a review
    # in progress cannot be read through comments.
    "claims.view_comment", "claims.add_comment",
]
# Editors approve, publish, send back, dismiss and correct; they also run the desk's work:
# articles (re-run extraction), propositions (merge, split), assignments.
_EDITOR = sorted(set(_FACT_CHECKER) | {
    "claims.add_article", "claims.change_article", "claims.assign_claim",
    "claims.publish_claim",
    "claims.send_back_claim", "claims.dismiss_claim", "claims.correct_claim",
    "claims.change_proposition",
})
# Admins run the installation's data: outlets, the fact-check library, deletions, API
# clients. Accounts
# are left to superusers: Django's user form lets whoever may change users make anyone
# (themselves included) a superuser, so that permission is a superuser's in all but name.
_ADMIN = sorted(set(_EDITOR) | {
    "auth.view_user", "auth.view_group",
    "claims.add_source", "claims.change_source", "claims.delete_source",
    "claims.change_claimant", "claims.delete_article",
    "claims.view_apiclient", "claims.add_apiclient", "claims.change_apiclient",
    "claims.view_webhookendpoint", "claims.change_webhookendpoint",
    "claims.view_webhookdelivery", "claims.change_webhookdelivery",
    "claims.add_factcheck", "claims.change_factcheck", "claims.delete_factcheck",
})

ROLE_PERMISSIONS: dict[str, list[str]] = {
    REPORTER: _REPORTER,
    FACT_CHECKER: _FACT_CHECKER,
    EDITOR: _EDITOR,
    ADMIN: _ADMIN,
}


@transaction.atomic
def roles_ensure() -> dict[str, Group]:
    """Create or update the role groups so they hold exactly their listed permissions."""
    groups = {}
    for name, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = {tuple(n.split(".", 1)) for n in names}
        apps = {app for app, _ in wanted}
        permissions = [p for p in Permission.objects.filter(content_type__app_label__in=apps)
                       .select_related("content_type")
                       if (p.content_type.app_label, p.codename) in wanted]
        missing = wanted - {(p.content_type.app_label, p.codename) for p in permissions}
        if missing:
            raise LookupError(f"Unknown permissions for {name}: {sorted(missing)}; migrate first.")
        group.permissions.set(permissions)
        groups[name] = group
    return groups
