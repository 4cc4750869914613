//! Unified diffs of file contents (live → desired), masked, optionally coloured.

use crate::mask::Masker;
use similar::{ChangeTag, TextDiff};

/// Unified diff with 3 lines of context; `None` when equal. Secrets are masked.
pub fn unified(
    live: &str,
    desired: &str,
    live_label: &str,
    desired_label: &str,
    masker: &Masker,
) -> Option<String> {
    if live == desired {
        return None;
    }
    let diff = TextDiff::from_lines(live, desired);
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(live_label, desired_label)
        .to_string();
    Some(masker.mask(&text))
}

/// Counts of added and removed lines, for summaries.
pub fn stats(live: &str, desired: &str) -> (usize, usize) {
    let diff = TextDiff::from_lines(live, desired);
    diff.iter_all_changes()
        .fold((0, 0), |(a, r), c| match c.tag() {
            ChangeTag::Insert => (a + 1, r),
            ChangeTag::Delete => (a, r + 1),
            ChangeTag::Equal => (a, r),
        })
}

/// ANSI colours for a unified diff printed on a terminal.
pub fn colorize(diff: &str) -> String {
    diff.lines()
        .map(|l| {
            if l.starts_with("+++") || l.starts_with("---") {
                format!("\x1b[1m{l}\x1b[0m")
            } else if l.starts_with('+') {
                format!("\x1b[32m{l}\x1b[0m")
            } else if l.starts_with('-') {
                format!("\x1b[31m{l}\x1b[0m")
            } else if l.starts_with("@@") {
                format!("\x1b[36m{l}\x1b[0m")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_shows_only_the_changed_hunk_with_labels() {
        let live = "a\nb\nc\nd\ne\nf\ng\nh\n";
        let desired = "a\nb\nc\nd\nE\nf\ng\nh\n";
        let d = unified(
            live,
            desired,
            "ha2:/etc/haproxy/haproxy.cfg",
            "desired",
            &Masker::new("k"),
        )
        .unwrap();
        assert!(
            d.starts_with("--- ha2:/etc/haproxy/haproxy.cfg\n+++ desired\n"),
            "{d}"
        );
        assert!(d.contains("-e\n+E\n"), "{d}");
        assert!(!d.contains(" a\n"), "context is 3 lines: {d}");
        assert_eq!(stats(live, desired), (1, 1));
        assert_eq!(unified(live, live, "x", "y", &Masker::new("k")), None);
    }
}
