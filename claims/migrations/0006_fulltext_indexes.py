"""Full-text indexes for candidate retrieval, on PostgreSQL only (SQLite matches in process).

The expressions are exactly what Django's SearchVector("…", config="english") generates, so
the planner uses these indexes for the matching queries.
"""

from django.db import migrations

INDEXES = {
    "claim_text_fts_idx": ("claims_claim", "text"),
    "factcheck_claim_fts_idx": ("claims_factcheck", "claim_reviewed"),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, column) in INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING gin '
            f"(to_tsvector('english'::regconfig, COALESCE(\"{column}\", '')))"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("claims", "0005_propositions_and_links")]
    operations = [migrations.RunPython(create, drop)]
