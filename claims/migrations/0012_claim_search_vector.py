"""A stored full-text vector of each claim's text, on PostgreSQL only.

Matching ranks its candidates by ts_rank over the claim's text vector. Computed from the text
at query time (the expression index of 0006), PostgreSQL parsed every matching row's text twice
per query: once to recheck the index hit, once to rank it — most of a candidate query's time
(98 of 100 ms at 100k claims, bench/matching.py). A generated column holds the same vector
(``to_tsvector('english', COALESCE(text, ''))``, so ranks are unchanged), with its own GIN index
in place of the expression index. Adding it rewrites the claims table once.

SQLite matches in process and gets nothing here; the model does not declare the column (it is
written by PostgreSQL, never by Django).
"""

from django.db import migrations

VECTOR = "to_tsvector('english'::regconfig, COALESCE(\"text\", ''))"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f'ALTER TABLE "claims_claim" ADD COLUMN IF NOT EXISTS "search_vector" tsvector '
        f"GENERATED ALWAYS AS ({VECTOR}) STORED")
    schema_editor.execute('CREATE INDEX IF NOT EXISTS "claim_search_vector_idx" ON '
                          '"claims_claim" USING gin ("search_vector")')
    schema_editor.execute('DROP INDEX IF EXISTS "claim_text_fts_idx"')


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "claim_text_fts_idx" ON "claims_claim" '
                          f"USING gin ({VECTOR})")
    schema_editor.execute('DROP INDEX IF EXISTS "claim_search_vector_idx"')
    schema_editor.execute('ALTER TABLE "claims_claim" DROP COLUMN IF EXISTS "search_vector"')


class Migration(migrations.Migration):
    dependencies = [("claims", "0011_claim_correction_awaiting_approval")]
    operations = [migrations.RunPython(forwards, backwards)]
