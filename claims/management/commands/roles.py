from django.core.management.base import BaseCommand

from claims.roles import ROLE_PERMISSIONS, roles_ensure


class Command(BaseCommand):
    help = ("Create the desk's role groups (Reporters, Fact-checkers, Editors, Admins) or bring "
            "them back to exactly their permissions. migrate does this too.")

    def handle(self, *args, **options):
        for name, group in roles_ensure().items():
            self.stdout.write(f"{name}: {group.permissions.count()} permissions "
                              f"({len(ROLE_PERMISSIONS[name])} listed)")
