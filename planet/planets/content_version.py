"""A planet's `content_version`: a number the database itself bumps, in the writing transaction,
whenever anything a member's reading page could show changes. The member page cache
(planet/web/pagecache.py) keys its pages with it, so a cached page can never outlive a write.

The bump is done by triggers, not by the services, so no write path can forget it: a Core
UPDATE, a worker's bulk statement and a migration's data fix bump it as an ORM flush does. The
watched tables are every table with a `planet_id` or `topic_id` column except those in
`NOT_SHOWN` (written often, shown on no reading page), plus `planets` itself and the names and
avatars in `users` (each planet the person belongs to). A new table is watched by default: it is
only left out by naming it below, with the reason.

On PostgreSQL the triggers are deferred to COMMIT (constraint triggers), so a transaction takes
the planet row's lock as its last step and holds it for the commit only (no lock-order
deadlock with the rows it wrote before), and it bumps each planet once (a transaction-local
setting remembers it). On SQLite, whose writers never overlap, they run at once.

`install(connection)` creates them (after `create_all`, and in the migration that added the
column); run it again from a migration when a table is added.
"""

# ruff: noqa: S608 - the DDL is built from table and column names in our own metadata, never input

from __future__ import annotations

import sqlalchemy as sa

NOT_SHOWN = frozenset(
    {
        # Personal or operational rows that no reading page renders; written on most visits
        # or by workers, so watching them would only empty the cache.
        "notifications",
        "eng_topic_reads",
        "eng_activity_events",
        "eng_activity_weeks",
        "eng_funnel_days",
        "eng_funnel_visits",
        "eng_health_snapshots",
        "eng_points_events",
        "eng_points_totals",
        "eng_membership_changes",
        "eng_intro_reminders",
        "ledger_entries",
        "moderation_audit",
        "data_exports",
        "digest_subscriptions",
        "payment_coupon_attempts",
        "content_drafts",
        "content_column_reads",
        # (content_faq_deflections is watched: moderators see the counts on the FAQ page)
        "conversations",
        "messages",
        # Money and membership paperwork: a visitor starting a checkout or applying to join
        # changes nothing a member reads (a paid question's state is on its topic row).
        "payments",
        "payment_campaigns",
        "payment_coupons",
        "payment_gift_codes",
        "payment_partners",
        "payment_planet_pricing",
        "member_join_applications",
        "member_imports",
        "member_invitations",
        "moderation_held_posts",
        "moderation_word_lists",
    }
)
USER_COLUMNS = ("display_name", "avatar_path")
_PREFIX = "pcv_"


def watched(metadata: sa.MetaData) -> dict[str, str]:
    """{table: "planet_id" or "topic_id"}: the column that names a watched row's planet."""
    tables = {}
    for table in metadata.sorted_tables:
        if table.name in NOT_SHOWN or table.name == "planets":
            continue
        if "planet_id" in table.c:
            tables[table.name] = "planet_id"
        elif "topic_id" in table.c:
            tables[table.name] = "topic_id"
    return tables


def install(connection, metadata: sa.MetaData | None = None) -> None:
    """(Re)create the triggers for every watched table of `metadata`."""
    if metadata is None:
        from planet.extensions import db

        metadata = db.metadata
    statements = _postgresql if connection.dialect.name == "postgresql" else _sqlite
    for statement in statements(watched(metadata)):
        connection.exec_driver_sql(statement)


def _planet_of(column: str, row: str) -> str:
    if column == "planet_id":
        return f"{row}.planet_id"
    return f"(SELECT planet_id FROM topics WHERE id = {row}.topic_id)"


_PG_FUNCTIONS = [
    """
CREATE OR REPLACE FUNCTION planet_bump_content_version(pid integer) RETURNS void AS $$
BEGIN
  IF pid IS NULL OR current_setting('planet.bumped_' || pid, true) = '1' THEN
    RETURN;
  END IF;
  PERFORM set_config('planet.bumped_' || pid, '1', true);
  UPDATE planets SET content_version = content_version + 1 WHERE id = pid;
END $$ LANGUAGE plpgsql""",
    """
CREATE OR REPLACE FUNCTION planet_row_content_changed() RETURNS trigger AS $$
BEGIN
  IF NEW.content_version = OLD.content_version THEN
    NEW.content_version := OLD.content_version + 1;
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql""",
    """
CREATE OR REPLACE FUNCTION planet_user_shown_changed() RETURNS trigger AS $$
BEGIN
  PERFORM planet_bump_content_version(m.planet_id) FROM memberships m WHERE m.user_id = NEW.id;
  RETURN NULL;
END $$ LANGUAGE plpgsql""",
]


def _pg_row_function(column: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION planet_{column}_content_changed() RETURNS trigger AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN PERFORM planet_bump_content_version({_planet_of(column, "OLD")});
  END IF;
  IF TG_OP <> 'DELETE' THEN PERFORM planet_bump_content_version({_planet_of(column, "NEW")});
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql"""


def _postgresql(tables: dict[str, str]):
    yield from _PG_FUNCTIONS
    for column in ("planet_id", "topic_id"):
        yield _pg_row_function(column)
    for table, column in tables.items():
        name = f"{_PREFIX}{table}"
        yield f'DROP TRIGGER IF EXISTS {name} ON "{table}"'
        yield (
            f'CREATE CONSTRAINT TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
            f"EXECUTE FUNCTION planet_{column}_content_changed()"
        )
    yield f"DROP TRIGGER IF EXISTS {_PREFIX}planets ON planets"
    yield (
        f"CREATE TRIGGER {_PREFIX}planets BEFORE UPDATE ON planets FOR EACH ROW "
        "EXECUTE FUNCTION planet_row_content_changed()"
    )
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in USER_COLUMNS)
    yield f"DROP TRIGGER IF EXISTS {_PREFIX}users ON users"
    yield (
        f"CREATE CONSTRAINT TRIGGER {_PREFIX}users AFTER UPDATE OF {', '.join(USER_COLUMNS)} "
        f"ON users DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN ({changed}) "
        "EXECUTE FUNCTION planet_user_shown_changed()"
    )


def _sqlite(tables: dict[str, str]):
    bump = "UPDATE planets SET content_version = content_version + 1 WHERE id"
    for table, column in tables.items():
        events = {
            "ins": ("INSERT", f"{bump} = {_planet_of(column, 'NEW')}"),
            "upd": (
                "UPDATE",
                f"{bump} IN ({_planet_of(column, 'OLD')}, {_planet_of(column, 'NEW')})",
            ),
            "del": ("DELETE", f"{bump} = {_planet_of(column, 'OLD')}"),
        }
        for suffix, (event, action) in events.items():
            name = f"{_PREFIX}{table}_{suffix}"
            yield f"DROP TRIGGER IF EXISTS {name}"
            yield f'CREATE TRIGGER {name} AFTER {event} ON "{table}" BEGIN {action}; END'
    yield f"DROP TRIGGER IF EXISTS {_PREFIX}planets"
    yield (
        f"CREATE TRIGGER {_PREFIX}planets AFTER UPDATE ON planets "
        "WHEN NEW.content_version = OLD.content_version BEGIN "
        "UPDATE planets SET content_version = OLD.content_version + 1 WHERE id = NEW.id; END"
    )
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in USER_COLUMNS)
    yield f"DROP TRIGGER IF EXISTS {_PREFIX}users"
    yield (
        f"CREATE TRIGGER {_PREFIX}users AFTER UPDATE OF {', '.join(USER_COLUMNS)} ON users "
        f"WHEN {changed} BEGIN {bump} IN "
        "(SELECT planet_id FROM memberships WHERE user_id = NEW.id); END"
    )


def _after_create(metadata, connection, **_kw) -> None:
    install(connection, metadata)


def init_metadata(metadata: sa.MetaData) -> None:
    """Install the triggers whenever `create_all` builds the schema (tests, the demo)."""
    if not sa.event.contains(metadata, "after_create", _after_create):
        sa.event.listen(metadata, "after_create", _after_create)
