//! Reading the history: entries newest first, filtered by target and time, paginated;
//! one entry with its items; the worst state per target of an entry ([`Rollup`]).

use super::error::HistoryError;
use super::record::{HistoryCause, Item, ItemKind, Source};
use super::store::History;
use rusqlite::{params, Row};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryState {
    Running,
    Finished,
    /// The agent died mid-cycle (kill -9, power loss): what it did is not recorded.
    Interrupted,
}

/// A target's worst state in one entry, in this order: ready < drifted < applying < failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Rollup {
    Ready,
    Drifted,
    Applying,
    Failed,
}

impl Rollup {
    pub fn as_str(self) -> &'static str {
        match self {
            Rollup::Ready => "ready",
            Rollup::Drifted => "drifted",
            Rollup::Applying => "applying",
            Rollup::Failed => "failed",
        }
    }
}

/// One cycle as read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub id: i64,
    /// Unix milliseconds.
    pub started: i64,
    pub finished: Option<i64>,
    pub state: EntryState,
    pub source: Source,
    pub cause: HistoryCause,
    pub commit: String,
    pub duration_ms: Option<i64>,
    pub applied: i64,
    pub drift: i64,
    pub errors: i64,
    /// Identical cycles folded into this entry (1: just this one).
    pub repeats: i64,
    /// Worst state per target looked at.
    pub targets: BTreeMap<String, Rollup>,
    /// What happened, in order (only filled by [`History::show`] and `with_items`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<Item>,
}

/// Which entries to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Entries where something happened to this target (a change, drift, an error).
    pub target: Option<String>,
    /// Started at or after (unix ms).
    pub since_ms: Option<i64>,
    pub limit: u32,
    pub offset: u32,
    /// Load every entry's items too (the page's expandable diffs).
    pub with_items: bool,
}

const COLUMNS: &str = "id, started_ms, finished_ms, state, source, cause, commit_id, duration_ms, applied, drift, errors, repeats, targets";

fn entry(r: &Row<'_>) -> rusqlite::Result<(Entry, String)> {
    let text = |i: usize| r.get::<_, String>(i);
    let state = match text(3)?.as_str() {
        "running" => EntryState::Running,
        "interrupted" => EntryState::Interrupted,
        _ => EntryState::Finished,
    };
    let source = match text(4)?.as_str() {
        "apply" => Source::Apply,
        "drill" => Source::Drill,
        _ => Source::Run,
    };
    Ok((
        Entry {
            id: r.get(0)?,
            started: r.get(1)?,
            finished: r.get(2)?,
            state,
            source,
            cause: HistoryCause::parse(&text(5)?).unwrap_or(HistoryCause::Drift),
            commit: text(6)?,
            duration_ms: r.get(7)?,
            applied: r.get(8)?,
            drift: r.get(9)?,
            errors: r.get(10)?,
            repeats: r.get(11)?,
            targets: BTreeMap::new(),
            items: vec![],
        },
        text(12)?,
    ))
}

impl History {
    fn where_clause(f: &Filter) -> (String, Vec<rusqlite::types::Value>) {
        use rusqlite::types::Value;
        let mut conds = vec![];
        let mut args: Vec<Value> = vec![];
        if let Some(t) = &f.target {
            args.push(Value::Text(t.clone()));
            conds.push(format!(
                "id IN (SELECT cycle_id FROM items WHERE target = ?{})",
                args.len()
            ));
        }
        if let Some(s) = f.since_ms {
            args.push(Value::Integer(s));
            conds.push(format!("started_ms >= ?{}", args.len()));
        }
        let w = if conds.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conds.join(" AND "))
        };
        (w, args)
    }

    /// Entries matching `f`, newest first, with their per-target rollup.
    pub fn list(&self, f: &Filter) -> Result<Vec<Entry>, HistoryError> {
        let (w, mut args) = Self::where_clause(f);
        args.push(rusqlite::types::Value::Integer(i64::from(f.limit.max(1))));
        args.push(rusqlite::types::Value::Integer(i64::from(f.offset)));
        let n = args.len();
        let sql = format!(
            "SELECT {COLUMNS} FROM cycles {w} ORDER BY id DESC LIMIT ?{} OFFSET ?{n}",
            n - 1
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        let rows: Vec<(Entry, String)> = stmt
            .query_map(rusqlite::params_from_iter(args), entry)
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))?;
        rows.into_iter()
            .map(|(mut e, targets)| {
                self.fill(&mut e, &targets, f.with_items)?;
                Ok(e)
            })
            .collect()
    }

    /// How many entries match `f` (for pagination).
    pub fn count(&self, f: &Filter) -> Result<u64, HistoryError> {
        let (w, args) = Self::where_clause(f);
        let sql = format!("SELECT COUNT(*) FROM cycles {w}");
        self.conn
            .query_row(&sql, rusqlite::params_from_iter(args), |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n.max(0) as u64)
            .map_err(|e| self.err(e))
    }

    /// One entry with every item.
    pub fn show(&self, id: i64) -> Result<Entry, HistoryError> {
        let sql = format!("SELECT {COLUMNS} FROM cycles WHERE id = ?1");
        let (mut e, targets) = self
            .conn
            .query_row(&sql, [id], entry)
            .map_err(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => HistoryError::NoEntry { id },
                e => self.err(e),
            })?;
        self.fill(&mut e, &targets, true)?;
        Ok(e)
    }

    fn items(&self, id: i64) -> Result<Vec<Item>, HistoryError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT kind, target, host, object, action, diff, notes, message FROM items WHERE cycle_id = ?1 ORDER BY ord")
            .map_err(|e| self.err(e))?;
        stmt.query_map(params![id], |r| {
            let notes: String = r.get(6)?;
            Ok(Item {
                kind: ItemKind::parse(&r.get::<_, String>(0)?).unwrap_or(ItemKind::Error),
                target: r.get(1)?,
                host: r.get(2)?,
                object: r.get(3)?,
                action: r.get(4)?,
                diff: r.get(5)?,
                notes: serde_json::from_str(&notes).unwrap_or_default(),
                message: r.get(7)?,
            })
        })
        .and_then(Iterator::collect)
        .map_err(|e| self.err(e))
    }

    /// The rollup per target (and the items when asked).
    fn fill(&self, e: &mut Entry, targets: &str, with_items: bool) -> Result<(), HistoryError> {
        let base = match e.state {
            EntryState::Running => Rollup::Applying,
            EntryState::Interrupted => Rollup::Failed,
            EntryState::Finished => Rollup::Ready,
        };
        for t in targets.split(',').filter(|t| !t.is_empty()) {
            e.targets.insert(t.to_string(), base);
        }
        let mut stmt = self
            .conn
            .prepare_cached("SELECT target, kind, action FROM items WHERE cycle_id = ?1 AND kind IN ('drift', 'error', 'step', 'pending', 'health')")
            .map_err(|er| self.err(er))?;
        let rows: Vec<(String, String, String)> = stmt
            .query_map([e.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .and_then(Iterator::collect)
            .map_err(|er| self.err(er))?;
        for (target, kind, action) in rows {
            let state = match (kind.as_str(), action.as_str()) {
                ("drift", _) => Rollup::Drifted,
                ("step", "applied") | ("health", "healthy") => Rollup::Ready,
                _ => Rollup::Failed,
            };
            let slot = e.targets.entry(target).or_insert(base);
            *slot = (*slot).max(state);
        }
        if with_items {
            e.items = self.items(e.id)?;
        }
        Ok(())
    }
}
