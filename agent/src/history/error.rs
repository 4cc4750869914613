//! Why the history could not be read or written.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("history {}: {source}", path.display())]
    Db {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("history {}: schema version {found} was written by a newer agent (this one knows up to {known}); upgrade the agent", path.display())]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("no history in {} yet (`agent run`, or `agent apply` with a stateDir, writes it)", dir.display())]
    Missing { dir: PathBuf },
    #[error("no history entry {id}")]
    NoEntry { id: i64 },
}
