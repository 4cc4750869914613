//! Numbered schema migrations, run at open. SQLite's `user_version` holds how many have
//! been applied; each migration runs in its own transaction together with the bump of
//! that number, so a crash mid-migration leaves the previous schema intact. Append only:
//! a released migration is never edited (a change is a new, higher-numbered one).

use super::error::HistoryError;
use rusqlite::Connection;
use std::path::Path;

/// Migration `i + 1` is `MIGRATIONS[i]`.
const MIGRATIONS: &[&str] = &[
    // 1: cycles and what happened in them.
    "CREATE TABLE cycles (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        started_ms  INTEGER NOT NULL,
        finished_ms INTEGER,
        state       TEXT NOT NULL CHECK (state IN ('running', 'finished', 'interrupted')),
        source      TEXT NOT NULL,
        cause       TEXT NOT NULL,
        commit_id   TEXT NOT NULL,
        pid         INTEGER NOT NULL,
        targets     TEXT NOT NULL DEFAULT '',
        duration_ms INTEGER,
        applied     INTEGER NOT NULL DEFAULT 0,
        drift       INTEGER NOT NULL DEFAULT 0,
        errors      INTEGER NOT NULL DEFAULT 0,
        repeats     INTEGER NOT NULL DEFAULT 1,
        signature   TEXT
    );
    CREATE INDEX cycles_started ON cycles (started_ms);
    CREATE TABLE items (
        cycle_id INTEGER NOT NULL REFERENCES cycles (id) ON DELETE CASCADE,
        ord      INTEGER NOT NULL,
        kind     TEXT NOT NULL,
        target   TEXT NOT NULL,
        host     TEXT,
        object   TEXT NOT NULL,
        action   TEXT NOT NULL,
        diff     TEXT,
        notes    TEXT NOT NULL DEFAULT '[]',
        message  TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (cycle_id, ord)
    ) WITHOUT ROWID;
    CREATE INDEX items_target ON items (target, cycle_id);",
];

/// The schema version this agent writes.
pub const VERSION: i64 = MIGRATIONS.len() as i64;

pub fn run(conn: &mut Connection, path: &Path) -> Result<(), HistoryError> {
    let db = |source| HistoryError::Db {
        path: path.to_path_buf(),
        source,
    };
    let have: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(db)?;
    if have > VERSION {
        return Err(HistoryError::TooNew {
            path: path.to_path_buf(),
            found: have,
            known: VERSION,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(have as usize) {
        let tx = conn.transaction().map_err(db)?;
        tx.execute_batch(sql).map_err(db)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)
            .map_err(db)?;
        tx.commit().map_err(db)?;
        tracing::debug!(path = %path.display(), version = i + 1, "history: schema migrated");
    }
    Ok(())
}
