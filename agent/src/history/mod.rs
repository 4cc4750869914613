//! The history of cycles: every reconcile of `agent run` and every `agent apply` (with a
//! state directory) as one entry in an embedded SQLite database, `<stateDir>/history.db`.
//!
//! Place in the pipeline: a cycle's [`Outcome`](crate::run::Outcome) (its change set with
//! the masked diffs, rollout steps, errors, health) becomes a [`Record`] — only through
//! [`Record::of`], which passes every text through the [`Masker`](crate::mask::Masker) —
//! and the record is appended here. `agent history`, the web page and `/api/history` are
//! renderings of the same entries ([`Entry`]). Nothing unmasked is ever stored.
//!
//! Guarantees:
//! - Crash-safe: WAL journal; a cycle's row is written when the cycle starts
//!   ([`History::begin`], state `running`) and completed in ONE transaction when it ends
//!   ([`History::finish`]: its items, counts, state `finished`). A kill -9 in between
//!   leaves the `running` row and nothing else; the next writer to open the database
//!   marks it `interrupted` (its process is gone), so the history is always consistent.
//! - Schema migrations run at open, numbered, in order ([`migrate`]); a database from a
//!   newer agent is refused rather than misread.
//! - Bounded: retention by age and by count ([`Retention`], `history:` in agent.yaml),
//!   applied after each finished cycle; identical cycles with nothing applied (the
//!   steady state of a drift sweep every few seconds) are folded into one entry with a
//!   repeat count instead of thousands of rows.

pub mod error;
mod migrate;
mod query;
mod record;
pub mod retention;
pub mod store;
pub mod time;

pub use error::HistoryError;
pub use query::{Entry, EntryState, Filter, Rollup};
pub use record::{HistoryCause, Item, ItemKind, Record, Source};
pub use retention::Retention;
pub use store::{History, FILE};

#[cfg(test)]
mod tests;
