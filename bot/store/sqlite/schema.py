"""The SQLite store's schema and its history.

The schema is versioned with ``PRAGMA user_version``: :data:`MIGRATIONS` upgrades a
database made by an earlier release in place, one version at a time, each step in its
own transaction, when the store opens it.
"""

from __future__ import annotations

import aiosqlite

from bot.exceptions import StoreError

# Version 1 of the schema.  Later changes are appended to MIGRATIONS, never edited in place.
SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    user_id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS applications (
    reference TEXT PRIMARY KEY,
    year INTEGER NOT NULL,
    sequence INTEGER NOT NULL,
    user_id TEXT NOT NULL,
    hub_id TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    answers TEXT NOT NULL,
    UNIQUE (year, sequence)
);
CREATE INDEX IF NOT EXISTS applications_hub ON applications (hub_id, submitted_at);
CREATE INDEX IF NOT EXISTS applications_user ON applications (user_id);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    reference TEXT,
    message_id TEXT NOT NULL UNIQUE,
    sender TEXT NOT NULL,
    recipients TEXT NOT NULL,
    data BLOB NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    next_attempt_at TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_attempt_at);
CREATE TABLE IF NOT EXISTS unanswered (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    question TEXT NOT NULL,
    score INTEGER NOT NULL,
    asked_at TEXT NOT NULL
);
"""

# The schema's history: MIGRATIONS[n] takes a database from ``PRAGMA user_version`` n to
# n + 1, in one transaction with the version bump.  Version 1 is idempotent (CREATE IF NOT
# EXISTS), so a database made before versions existed (user_version 0) joins the history
# safely.  To change the schema, append a script; never edit one that has shipped.
MIGRATIONS: tuple[str, ...] = (
    SCHEMA,
    # 2: what the mail server said per recipient (JSON list of RecipientResult).
    "ALTER TABLE outbox ADD COLUMN results TEXT;",
    # 3: the messages a channel showed (the web chat shows them again after a reload).
    """
CREATE TABLE IF NOT EXISTS transcript (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL,
    role TEXT NOT NULL,
    body TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS transcript_user ON transcript (user_id, seq);
""",
    # 4: a session's version (two processes never overwrite each other's newer state), the
    # time of its last *answer* (the draft retention clock: /status does not reset it), and
    # who asked each unanswered question and about which hub (for /forget and staff scope).
    """
ALTER TABLE sessions ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN answered_at TEXT;
ALTER TABLE sessions ADD COLUMN answers_digest TEXT;
UPDATE sessions SET answered_at = updated_at;
ALTER TABLE unanswered ADD COLUMN user_id TEXT;
ALTER TABLE unanswered ADD COLUMN hub_id TEXT;
CREATE INDEX IF NOT EXISTS unanswered_user ON unanswered (user_id);
""",
    # 5: indexes for the purge's retention clocks (every state of an old email goes too).
    """
CREATE INDEX IF NOT EXISTS sessions_answered ON sessions (answered_at);
CREATE INDEX IF NOT EXISTS outbox_created ON outbox (created_at);
""",
    # 6: indexes the request paths need (tests/test_store_plans.py).  Without
    # outbox_reference every application row in an export or /status scanned the whole
    # outbox: 91 s to export 10,000 applications, under a second with it.
    "CREATE INDEX IF NOT EXISTS outbox_reference ON outbox (reference, id);\n"
    "CREATE INDEX IF NOT EXISTS applications_submitted ON applications (submitted_at);\n"
    "CREATE INDEX IF NOT EXISTS sessions_updated ON sessions (updated_at);\n"
    "CREATE INDEX IF NOT EXISTS unanswered_asked ON unanswered (asked_at);\n"
    "CREATE INDEX IF NOT EXISTS transcript_at ON transcript (at);",
    # 7: applications carry their form id, and references are numbered per form and
    # year.  Every application before forms were data was submitted with the form its
    # reference prefix names (EOI-2026-0001 -> eoi).  SQLite cannot change a UNIQUE
    # constraint in place, so the table is rebuilt (and its indexes with it).
    """
CREATE TABLE applications_v5 (
    reference TEXT PRIMARY KEY,
    form TEXT NOT NULL,
    year INTEGER NOT NULL,
    sequence INTEGER NOT NULL,
    user_id TEXT NOT NULL,
    hub_id TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    answers TEXT NOT NULL,
    UNIQUE (form, year, sequence)
);
INSERT INTO applications_v5
    SELECT reference, lower(substr(reference, 1, instr(reference, '-') - 1)), year, sequence,
           user_id, hub_id, submitted_at, answers
    FROM applications;
DROP TABLE applications;
ALTER TABLE applications_v5 RENAME TO applications;
CREATE INDEX IF NOT EXISTS applications_hub ON applications (hub_id, submitted_at);
CREATE INDEX IF NOT EXISTS applications_user ON applications (user_id);
CREATE INDEX IF NOT EXISTS applications_submitted ON applications (submitted_at);
""",
    # 8: message bytes compressed against a dictionary kept here (bot/store/_mailpack.py),
    # and sent bodies compacted after SENT_BODY_RETENTION; the partial index finds the
    # sent messages whose bodies are still kept without reading the rest.
    "CREATE TABLE IF NOT EXISTS mail_dictionary (id INTEGER PRIMARY KEY, data BLOB NOT NULL);\n"
    "ALTER TABLE outbox ADD COLUMN body_kept INTEGER NOT NULL DEFAULT 1;\n"
    "CREATE INDEX IF NOT EXISTS outbox_sent_bodies ON outbox (sent_at)"
    " WHERE status = 'sent' AND body_kept = 1;",
    # 9: requests to be told when applications open, and the notices sent for them
    # (bot/notify.py).  UNIQUE (window_id, user_id) is what makes a notice go only once.
    """
CREATE TABLE IF NOT EXISTS subscriptions (
    user_id TEXT PRIMARY KEY,
    programme TEXT NOT NULL,
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS subscriptions_created ON subscriptions (created_at);
CREATE TABLE IF NOT EXISTS notices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    window_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    text TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    error TEXT,
    UNIQUE (window_id, user_id)
);
CREATE INDEX IF NOT EXISTS notices_user ON notices (user_id);
CREATE INDEX IF NOT EXISTS notices_status ON notices (status, id);
CREATE INDEX IF NOT EXISTS notices_created ON notices (created_at);
""",
)
SCHEMA_VERSION = len(MIGRATIONS)


async def _migrate(connection: aiosqlite.Connection) -> None:
    rows = await connection.execute_fetchall("PRAGMA user_version")
    version = int(next(iter(rows))[0])
    if version > len(MIGRATIONS):
        await connection.close()
        raise StoreError(
            f"the database has schema version {version}, newer than this release "
            f"understands ({len(MIGRATIONS)}); run the newer release"
        )
    for target in range(version + 1, len(MIGRATIONS) + 1):
        try:
            await connection.executescript(
                f"BEGIN IMMEDIATE;\n{MIGRATIONS[target - 1]}\nPRAGMA user_version = {target};\nCOMMIT;"
            )
        except BaseException:
            if connection.in_transaction:
                await connection.execute("ROLLBACK")
            raise
    if version < len(MIGRATIONS):
        # A rebuilt table leaves free pages behind; give them back, so the file's size
        # (and a full disk) behaves as it would for a database made at this version.
        rows = await connection.execute_fetchall("PRAGMA freelist_count")
        if int(next(iter(rows))[0]):
            await connection.execute("VACUUM")
