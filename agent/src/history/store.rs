//! The database: open (migrations, crash recovery), begin and finish a cycle's entry,
//! retention.

use super::error::HistoryError;
use super::record::{HistoryCause, Record, Source};
use super::retention::Retention;
use super::{migrate, record, time};

/// The database's file name inside the state directory.
pub const FILE: &str = "history.db";

use rusqlite::{params, Connection, OptionalExtension};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub struct History {
    pub(super) conn: Connection,
    path: PathBuf,
    retention: Retention,
}

impl std::fmt::Debug for History {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("History").field("path", &self.path).finish()
    }
}

impl History {
    /// Opens (creating it if needed) `<dir>/history.db` for writing: migrates the schema
    /// and marks the cycles of processes that died mid-cycle `interrupted`.
    pub fn open(dir: &Path, retention: Retention) -> Result<History, HistoryError> {
        std::fs::create_dir_all(dir).map_err(|e| HistoryError::Db {
            path: dir.to_path_buf(),
            source: rusqlite::Error::ToSqlConversionFailure(Box::new(e)),
        })?;
        let h = Self::connect(dir.join(FILE), retention)?;
        h.recover()?;
        Ok(h)
    }

    /// Opens an existing history for reading (`agent history`): never creates one.
    pub fn open_existing(dir: &Path) -> Result<History, HistoryError> {
        let path = dir.join(FILE);
        if !path.exists() {
            return Err(HistoryError::Missing {
                dir: dir.to_path_buf(),
            });
        }
        Self::connect(path, Retention::default())
    }

    fn connect(path: PathBuf, retention: Retention) -> Result<History, HistoryError> {
        let db = |source| HistoryError::Db {
            path: path.clone(),
            source,
        };
        let mut conn = Connection::open(&path).map_err(db)?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(db)?;
        // WAL: readers never block the writer; a commit is one append, a crash at any
        // point leaves the last committed state. NORMAL is durable across process
        // crashes (kill -9), which is what the history must survive.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(db)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(db)?;
        migrate::run(&mut conn, &path)?;
        Ok(History {
            conn,
            path,
            retention,
        })
    }

    pub(super) fn err(&self, source: rusqlite::Error) -> HistoryError {
        HistoryError::Db {
            path: self.path.clone(),
            source,
        }
    }

    /// `running` cycles whose process is gone become `interrupted`.
    fn recover(&self) -> Result<usize, HistoryError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, pid FROM cycles WHERE state = 'running'")
            .map_err(|e| self.err(e))?;
        let rows: Vec<(i64, i64)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))?;
        let mut n = 0;
        for (id, pid) in rows {
            if !process_alive(pid) {
                n += self
                    .conn
                    .execute(
                        "UPDATE cycles SET state = 'interrupted' WHERE id = ?1 AND state = 'running'",
                        [id],
                    )
                    .map_err(|e| self.err(e))?;
                tracing::warn!(
                    entry = id,
                    pid,
                    "history: a cycle was cut off (the agent died mid-cycle); marked interrupted"
                );
            }
        }
        Ok(n)
    }

    /// Opens a cycle's entry (state `running`) and returns its id.
    pub fn begin(
        &mut self,
        source: Source,
        cause: HistoryCause,
        commit: &str,
    ) -> Result<i64, HistoryError> {
        self.conn
            .execute(
                "INSERT INTO cycles (started_ms, state, source, cause, commit_id, pid) VALUES (?1, 'running', ?2, ?3, ?4, ?5)",
                params![time::now_ms(), source.as_str(), cause.as_str(), commit, std::process::id()],
            )
            .map_err(|e| self.err(e))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Completes entry `id` with `record`, in one transaction; then applies retention.
    /// A record identical to the previous finished entry's, with nothing applied, is
    /// folded into it (its repeat count and end time move) and `id` disappears.
    pub fn finish(&mut self, id: i64, record: &Record) -> Result<(), HistoryError> {
        let path = self.path.clone();
        let db = |source| HistoryError::Db {
            path: path.clone(),
            source,
        };
        let now = time::now_ms();
        let sig = record.signature();
        let tx = self.conn.transaction().map_err(db)?;
        let previous: Option<(i64, Option<String>, String, String)> = tx
            .query_row(
                "SELECT id, signature, commit_id, cause FROM cycles WHERE id < ?1 AND state = 'finished' ORDER BY id DESC LIMIT 1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()
            .map_err(db)?;
        let this: (String, String) = tx
            .query_row(
                "SELECT commit_id, cause FROM cycles WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(db)?;
        let fold = previous.filter(|(_, s, c, k)| {
            !record.applied_anything()
                && s.as_deref() == Some(sig.as_str())
                && (c, k) == (&this.0, &this.1)
        });
        if let Some((prev, ..)) = fold {
            tx.execute(
                "UPDATE cycles SET repeats = repeats + 1, finished_ms = ?2, duration_ms = ?3 WHERE id = ?1",
                params![prev, now, record.duration_ms],
            )
            .map_err(db)?;
            tx.execute("DELETE FROM cycles WHERE id = ?1", [id])
                .map_err(db)?;
        } else {
            record::insert_items(&tx, id, record).map_err(db)?;
            let (applied, drift, errors) = record.counts();
            tx.execute(
                "UPDATE cycles SET state = 'finished', finished_ms = ?2, duration_ms = ?3, targets = ?4, applied = ?5, drift = ?6, errors = ?7, signature = ?8, commit_id = ?9 WHERE id = ?1",
                params![id, now, record.duration_ms, record.targets.join(","), applied, drift, errors, sig, record.commit],
            )
            .map_err(db)?;
        }
        tx.commit().map_err(db)?;
        self.retain()
    }

    /// Drops an entry opened for a cycle that found nothing to reconcile.
    pub fn discard(&mut self, id: i64) -> Result<(), HistoryError> {
        self.conn
            .execute(
                "DELETE FROM cycles WHERE id = ?1 AND state = 'running'",
                [id],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Deletes entries older than the retention age, then the oldest beyond the count.
    fn retain(&mut self) -> Result<(), HistoryError> {
        if let Some(age) = self.retention.max_age {
            let cutoff = time::now_ms() - i64::try_from(age.as_millis()).unwrap_or(i64::MAX);
            self.conn
                .execute(
                    "DELETE FROM cycles WHERE started_ms < ?1 AND state != 'running'",
                    [cutoff],
                )
                .map_err(|e| self.err(e))?;
        }
        if let Some(max) = self.retention.max_entries {
            let max = i64::try_from(max).unwrap_or(i64::MAX);
            self.conn
                .execute(
                    "DELETE FROM cycles WHERE state != 'running' AND id <= (SELECT id FROM cycles ORDER BY id DESC LIMIT 1 OFFSET ?1)",
                    [max],
                )
                .map_err(|e| self.err(e))?;
        }
        Ok(())
    }
}

/// Whether a process with this PID exists (signal 0 probes without signalling).
fn process_alive(pid: i64) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: kill(2) with signal 0 only checks for existence and permission.
    pid > 0
        && (unsafe { libc::kill(pid, 0) } == 0
            || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM))
}
