"""The editors' workplace: one module per part of the admin. Admin classes translate and call
services; no logic lives here. Importing the package registers every page."""

from claims.admin import (  # noqa: F401 - each module registers its pages
    articles,
    claim,
    clients,
    feeds,
    propositions,
    records,
    webhooks,
)
