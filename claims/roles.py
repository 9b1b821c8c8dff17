"""Desk roles as Django groups, each with only the permissions its work needs."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import transaction

# codename lists per role; "view" lets a role open a page, "change" is needed for actions.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    "Editors": [
        "view_source", "view_article", "add_article", "change_article",
        "view_claimant", "view_claim", "change_claim", "view_reviewevent", "view_factcheck",
        "view_proposition", "change_proposition", "view_claimlink", "change_claimlink",
    ],
}


@transaction.atomic
def roles_ensure() -> dict[str, Group]:
    """Create or update the role groups so they hold exactly their listed permissions."""
    groups = {}
    for name, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = list(
            Permission.objects.filter(content_type__app_label="claims", codename__in=codenames)
        )
        missing = set(codenames) - {p.codename for p in permissions}
        if missing:
            raise LookupError(f"Unknown permissions for {name}: {sorted(missing)}; migrate first.")
        group.permissions.set(permissions)
        groups[name] = group
    return groups
