//! The drill's checks, one module each; every `run` returns one [`CheckReport`]
//! (goal, measured value, verdict, and the expectations behind it).
//!
//! [`CheckReport`]: super::report::CheckReport

pub mod balance;
pub mod failover;
mod failover_judge;
pub mod functional;
pub mod reload;
pub mod standby_guard;

use super::report::{Expectation, Verdict};

/// `12/12 hold` or `11/12 hold; failed: server http_back/w2, …`.
pub fn summary(exp: &[Expectation]) -> String {
    let counted: Vec<&Expectation> = exp.iter().filter(|e| e.verdict != Verdict::Skip).collect();
    let held = counted
        .iter()
        .filter(|e| e.verdict == Verdict::Pass)
        .count();
    let skipped = exp.len() - counted.len();
    let mut s = format!("{held}/{} hold", counted.len());
    if skipped > 0 {
        s.push_str(&format!(", {skipped} skipped"));
    }
    let failed: Vec<&str> = counted
        .iter()
        .filter(|e| e.verdict != Verdict::Pass)
        .map(|e| e.what.as_str())
        .collect();
    if !failed.is_empty() {
        s.push_str(&format!("; failed: {}", failed.join(", ")));
    }
    s
}
