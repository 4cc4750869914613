//! `agent diff -v` for a cluster: what `crm_simulate` says the patch would start,
//! stop or move, as notes on the first pending change.

use super::access::ClusterAccess;
use super::apply::preview;
use super::plan::ClusterPlan;
use crate::exec::Remote;

/// Adds the transition summary of `plan`'s patch (if any) to its first change.
pub async fn add_preview(remote: &dyn Remote, plan: &mut ClusterPlan) {
    let Some(desired) = &plan.desired else { return };
    let access = ClusterAccess::live(vec![plan.observed.node.clone()]);
    let note = match preview(remote, &access, &plan.observed.node, desired).await {
        Ok(text) => transition_summary(&text),
        Err(e) => vec![format!("crm_simulate preview failed: {e}")],
    };
    if let Some(c) = plan.changes.iter_mut().find(|c| c.action.is_change()) {
        c.notes
            .extend(note.into_iter().map(|l| format!("crm_simulate: {l}")));
    }
}

/// The "Transition Summary" lines of `crm_simulate -S` output (what would start,
/// stop or move), or a single line saying nothing would.
fn transition_summary(text: &str) -> Vec<String> {
    let lines: Vec<String> = text
        .lines()
        .skip_while(|l| !l.starts_with("Transition Summary"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty() && !l.starts_with("Executing"))
        .map(|l| l.trim().to_string())
        .collect();
    if lines.is_empty() {
        vec!["no resource would start, stop or move".into()]
    } else {
        lines
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn transition_summary_keeps_only_the_summary() {
        let text = "Current cluster status:\n  * vip (ocf:heartbeat:IPaddr2): Stopped\n\nTransition Summary:\n  * Start      vip     ( ha1 )\n  * Start      haproxy ( ha1 )\n\nExecuting Cluster Transition:\n  * Resource action: vip start on ha1\n";
        assert_eq!(
            super::transition_summary(text),
            [
                "* Start      vip     ( ha1 )",
                "* Start      haproxy ( ha1 )"
            ]
        );
        assert_eq!(
            super::transition_summary("Transition Summary:\n\n"),
            ["no resource would start, stop or move"]
        );
    }
}
