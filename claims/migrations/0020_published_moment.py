"""The public moment: counters that move, in the writing transaction, exactly when something
a reader outside the desk can see changes — on PostgreSQL only.

Kept API list pages (``claims.api.pages``) are served again while their moment stands. The
write-ahead log position moves with every write to the cluster (an article ingested, a session
saved, another database), so during ingestion no public page was ever served again. These
counters move only when the public representation may have changed:

- ``claims``: the claim list and the ClaimReview feed. A published claim (before or after the
  change) changing in a column other than the internal ones below; a published claim's
  claimant (name, role, kind), article (title, URL, dates, outlet) or outlet (name, domain);
  its evidence and verdict versions; a link from it to another published claim or to a
  proposition (its ``related`` and ``proposition``).
- ``propositions``: the proposition list. What moves ``claims`` about a claim itself, its
  claimant, article or outlet; a membership of a published claim; a proposition with a
  published member.
- ``factchecks``: the fact-check library, all of which is public: any change.

Internal columns are named (``*_INTERNAL``), not the shown ones: a column added later counts
as shown until someone says otherwise, so a change is never missed, only a page re-rendered.

Each counter moves at most once per transaction, at its commit: the triggers are deferred
constraint triggers, so the counter row is locked only while the transaction commits — an
immediate update would hold it from the first public change to the end and two transactions
locking rows in a different order around it would deadlock. A reader that reads a counter
before the page's queries sees either the transaction's whole change or none of it (the
counter commits with it). A sequence would not do: ``nextval`` is seen before the commit, so
a page could be kept under the new value showing the old rows.

Row triggers whose ``WHEN`` filters out drafts and internal columns queue nothing for the
writes of ingestion and matching (a draft claim, an article's processing state, a published
claim's counts and priority); only rows that pass are checked at commit.

SQLite keeps no pages (``pages.database_moment``) and gets nothing here.
"""

from django.db import migrations

TABLE = "claims_public_moment"
LISTS = ("claims", "propositions", "factchecks")

# Columns no public representation, filter or ordering reads (publishing.claim_document,
# claim_review, the proposition list). A change only to these is the desk's or matching's.
CLAIM_INTERNAL = (
    "embedding", "search_vector", "corroborations", "contradictions", "priority", "stale",
    "assigned_to_id", "flagged", "version", "edited_at", "edited_by_id", "original",
    "proposed_by_id", "proposed_at", "correction_verdict", "correction_rationale",
    "correction_note", "correction_proposed_by_id", "correction_proposed_at",
    "sentence_start", "sentence_end", "cue_start", "cue_end", "kind_cues",
    "extractor_version", "created_at")
ARTICLE_INTERNAL = (
    "text", "content_hash", "state", "state_changed_at", "error", "attempts",
    "extractor_version", "processed_at", "claims_dropped", "matched_at", "enqueued_at",
    "match_requested_at", "match_enqueued_at", "match_started_at", "match_cursor",
    "match_attempts", "submitted_by_id", "submitted_via_id", "updated_at")
CLAIMANT_INTERNAL = ("key", "aliases", "family", "created_at")
SOURCE_INTERNAL = ("feed_urls", "country", "created_at")
LINK_INTERNAL = ("cues", "method", "decided_by_id", "decided_at", "created_at", "updated_at")
PROPOSITION_INTERNAL = ("terms", "embedding", "locked", "created_at")


def _changed(internal: tuple[str, ...]) -> str:
    """An UPDATE's WHEN: some column outside ``internal`` changed."""
    names = ", ".join(f"'{name}'" for name in internal)
    return (f"(to_jsonb(OLD) - ARRAY[{names}]::text[]) "
            f"IS DISTINCT FROM (to_jsonb(NEW) - ARRAY[{names}]::text[])")


PUBLISHED = "'published'"

FUNCTIONS = f"""
CREATE TABLE {TABLE} (
    id smallint PRIMARY KEY CHECK (id = 1),
    claims bigint NOT NULL DEFAULT 0,
    propositions bigint NOT NULL DEFAULT 0,
    factchecks bigint NOT NULL DEFAULT 0
);
INSERT INTO {TABLE} (id) VALUES (1);

-- Moves the named counters, each once per transaction (a transaction-local setting remembers
-- which; a savepoint rolled back forgets its part along with its update).
CREATE FUNCTION claims_public_moment_bump(lists text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    done text := coalesce(current_setting('claims.public_moment_moved', true), '');
    todo text[] := ARRAY(SELECT name FROM unnest(lists) AS name
                         WHERE position(' ' || name || ' ' IN done) = 0);
BEGIN
    IF cardinality(todo) = 0 THEN
        RETURN;
    END IF;
    UPDATE {TABLE} SET
        claims = claims + ('claims' = ANY (todo))::int,
        propositions = propositions + ('propositions' = ANY (todo))::int,
        factchecks = factchecks + ('factchecks' = ANY (todo))::int
    WHERE id = 1;
    PERFORM set_config('claims.public_moment_moved',
                       done || ' ' || array_to_string(todo, ' ') || ' ', true);
END $$;

-- A row the WHEN already found visible: move the counters named in the trigger's arguments.
CREATE FUNCTION claims_public_moment_move() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM claims_public_moment_bump(TG_ARGV);
    RETURN NULL;
END $$;

CREATE FUNCTION claims_public_claim(claim bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM claims_claim WHERE id = claim AND status = {PUBLISHED})
$$;

-- Claimants, articles, outlets: seen where a published claim shows them. Checked at commit,
-- on the state then (a claim published or withdrawn in the same transaction moves the
-- counters itself).
CREATE FUNCTION claims_public_moment_shown_with() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    shown boolean;
BEGIN
    IF TG_TABLE_NAME = 'claims_claimant' THEN
        shown := EXISTS (SELECT 1 FROM claims_claim WHERE claimant_id = OLD.id
                         AND status = {PUBLISHED});
    ELSIF TG_TABLE_NAME = 'claims_article' THEN
        shown := EXISTS (SELECT 1 FROM claims_claim WHERE article_id = OLD.id
                         AND status = {PUBLISHED});
    ELSE
        shown := EXISTS (SELECT 1 FROM claims_claim c JOIN claims_article a
                         ON a.id = c.article_id
                         WHERE a.source_id = OLD.id AND c.status = {PUBLISHED});
    END IF;
    IF shown THEN
        PERFORM claims_public_moment_bump(ARRAY['claims', 'propositions']);
    END IF;
    RETURN NULL;
END $$;

-- Evidence and verdict versions: shown with their published claim (before or after).
CREATE FUNCTION claims_public_moment_claim_row() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (TG_OP <> 'INSERT' AND claims_public_claim(OLD.claim_id))
       OR (TG_OP <> 'DELETE' AND claims_public_claim(NEW.claim_id)) THEN
        PERFORM claims_public_moment_bump(ARRAY['claims']);
    END IF;
    RETURN NULL;
END $$;

-- A link is seen from a published claim: to another published claim (related, either way)
-- or to a proposition (membership). A link from a draft (matching a new claim) is not.
CREATE FUNCTION claims_public_moment_link_row(claim bigint, target bigint, proposition bigint)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF NOT claims_public_claim(claim) THEN
        RETURN;
    ELSIF proposition IS NOT NULL THEN
        PERFORM claims_public_moment_bump(ARRAY['claims', 'propositions']);
    ELSIF target IS NOT NULL AND claims_public_claim(target) THEN
        PERFORM claims_public_moment_bump(ARRAY['claims']);
    END IF;
END $$;

CREATE FUNCTION claims_public_moment_link() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM claims_public_moment_link_row(OLD.claim_id, OLD.target_claim_id,
                                              OLD.proposition_id);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM claims_public_moment_link_row(NEW.claim_id, NEW.target_claim_id,
                                              NEW.proposition_id);
    END IF;
    RETURN NULL;
END $$;

-- A proposition is listed where a published claim is a member (any link: a rejected one
-- may be restored in the same transaction).
CREATE FUNCTION claims_public_moment_proposition() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM claims_claimlink l JOIN claims_claim c ON c.id = l.claim_id
               WHERE l.proposition_id = OLD.id AND c.status = {PUBLISHED}) THEN
        PERFORM claims_public_moment_bump(ARRAY['propositions']);
    END IF;
    RETURN NULL;
END $$;

-- TRUNCATE fires no row trigger: it moves every counter, at once.
CREATE FUNCTION claims_public_moment_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM claims_public_moment_bump(ARRAY['claims', 'propositions', 'factchecks']);
    RETURN NULL;
END $$;
"""


def _trigger(name: str, table: str, event: str, function: str, when: str = "") -> str:
    when = f" WHEN ({when})" if when else ""
    return (f"CREATE CONSTRAINT TRIGGER {name} AFTER {event} ON {table} "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
            f"{when} EXECUTE FUNCTION {function};")


CLAIM_SHOWN = "'claims', 'propositions'"
TRIGGERS = [
    # (trigger, table, event, function, WHEN)
    ("public_moment_claim_insert", "claims_claim", "INSERT",
     f"claims_public_moment_move({CLAIM_SHOWN})", f"NEW.status = {PUBLISHED}"),
    ("public_moment_claim_update", "claims_claim", "UPDATE",
     f"claims_public_moment_move({CLAIM_SHOWN})",
     f"(OLD.status = {PUBLISHED} OR NEW.status = {PUBLISHED}) AND {_changed(CLAIM_INTERNAL)}"),
    ("public_moment_claim_delete", "claims_claim", "DELETE",
     f"claims_public_moment_move({CLAIM_SHOWN})", f"OLD.status = {PUBLISHED}"),
    ("public_moment_claimant_update", "claims_claimant", "UPDATE",
     "claims_public_moment_shown_with()", _changed(CLAIMANT_INTERNAL)),
    ("public_moment_claimant_delete", "claims_claimant", "DELETE",
     "claims_public_moment_shown_with()", ""),
    ("public_moment_article_update", "claims_article", "UPDATE",
     "claims_public_moment_shown_with()", _changed(ARTICLE_INTERNAL)),
    ("public_moment_article_delete", "claims_article", "DELETE",
     "claims_public_moment_shown_with()", ""),
    ("public_moment_source_update", "claims_source", "UPDATE",
     "claims_public_moment_shown_with()", _changed(SOURCE_INTERNAL)),
    ("public_moment_evidence", "claims_evidence", "INSERT OR UPDATE OR DELETE",
     "claims_public_moment_claim_row()", ""),
    ("public_moment_verdict", "claims_verdictversion", "INSERT OR UPDATE OR DELETE",
     "claims_public_moment_claim_row()", ""),
    ("public_moment_link", "claims_claimlink", "INSERT OR DELETE",
     "claims_public_moment_link()", ""),
    ("public_moment_link_update", "claims_claimlink", "UPDATE",
     "claims_public_moment_link()", _changed(LINK_INTERNAL)),
    ("public_moment_proposition_update", "claims_proposition", "UPDATE",
     "claims_public_moment_proposition()", _changed(PROPOSITION_INTERNAL)),
    ("public_moment_proposition_delete", "claims_proposition", "DELETE",
     "claims_public_moment_proposition()", ""),
    ("public_moment_factcheck", "claims_factcheck", "INSERT OR UPDATE OR DELETE",
     "claims_public_moment_move('factchecks')", ""),
]
TRUNCATED = ("claims_claim", "claims_claimant", "claims_article", "claims_source",
             "claims_evidence", "claims_verdictversion", "claims_claimlink",
             "claims_proposition", "claims_factcheck")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTIONS)
    for name, table, event, function, when in TRIGGERS:
        schema_editor.execute(_trigger(name, table, event, function, when))
    for table in TRUNCATED:
        schema_editor.execute(
            f"CREATE TRIGGER public_moment_truncate AFTER TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION claims_public_moment_truncate();")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TRUNCATED:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS public_moment_truncate ON {table};")
    for name, table, *_ in TRIGGERS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table};")
    for function in ("claims_public_moment_truncate()", "claims_public_moment_proposition()",
                     "claims_public_moment_link()",
                     "claims_public_moment_link_row(bigint, bigint, bigint)",
                     "claims_public_moment_claim_row()", "claims_public_moment_shown_with()",
                     "claims_public_claim(bigint)",
                     "claims_public_moment_move()", "claims_public_moment_bump(text[])"):
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {function};")
    schema_editor.execute(f"DROP TABLE IF EXISTS {TABLE};")


class Migration(migrations.Migration):
    dependencies = [("claims", "0019_desk_conversation")]
    operations = [migrations.RunPython(forwards, backwards)]
