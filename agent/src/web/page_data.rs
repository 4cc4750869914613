//! What one page shows, and the small wordings every section shares.

use super::live::LiveView;
use crate::history::Entry;
use crate::run::status::{Status, Sync};
use crate::run::Outcome;

/// Everything one page shows.
pub struct PageData<'a> {
    pub status: &'a Status,
    pub last: Option<&'a Outcome>,
    pub live: Option<&'a LiveView>,
    pub history: &'a [Entry],
    /// Entries in the whole history (for the pager).
    pub total: u64,
    /// 1-based page of history shown.
    pub page: u32,
    pub per_page: u32,
    /// Unix seconds, for "5 s ago".
    pub now: u64,
}

pub fn ago(now: u64, at: u64) -> String {
    match now.checked_sub(at) {
        Some(s) if s < 120 => format!("{s} s ago"),
        Some(s) if s < 7200 => format!("{} min ago", s / 60),
        Some(s) => format!("{} h ago", s / 3600),
        None => format!("in {} s", at - now),
    }
}

pub fn sync_label(s: Sync) -> (&'static str, &'static str) {
    match s {
        Sync::Synced => ("in sync", "ok"),
        Sync::Drifted => ("drifted", "warn"),
        Sync::Failed => ("failed", "bad"),
    }
}
