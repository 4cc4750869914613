//! Correcting runtime drift on a balancer whose file is in sync: the commands
//! [`super::drift::correction`] planned, over the stats socket, then the same check
//! as a reload-free file change. The outcome is a [`LivePath`] for the shared step.

use super::drift::host_drift;
use super::runtime::BalancerPath;
use super::runtime_apply::{script, verify};
use crate::exec::Remote;
use crate::rendered::ManagedFile;
use crate::targets::hostfiles::files::Observation;
use crate::targets::hostfiles::kind::{GoLive, LivePath};

fn path(how: GoLive, note: impl Into<String>) -> LivePath {
    LivePath {
        how,
        notes: vec![note.into()],
    }
}

/// `ReloadOnly` when the correction fails or the drift needs a reload; `Done` when
/// it held, when there is nothing to correct, or when HAProxy stopped meanwhile.
pub async fn correct_runtime(
    remote: &dyn Remote,
    file: &ManagedFile,
    obs: Option<&Observation>,
) -> LivePath {
    let drift = match obs.and_then(|o| host_drift(file, o)) {
        Some(Ok(d)) if !d.servers.is_empty() => d,
        _ => {
            return LivePath {
                how: GoLive::Done,
                notes: vec![],
            }
        }
    };
    let (socket, ops) = match &drift.fix {
        BalancerPath::Runtime { socket, ops } if !ops.is_empty() => (socket, ops),
        BalancerPath::Runtime { .. } => {
            return path(
                GoLive::ReloadOnly,
                "runtime state drifted, no command to correct it: reload",
            )
        }
        BalancerPath::Reload(_) => {
            let note = format!("runtime state drifted; {}", drift.fix.describe());
            return path(GoLive::ReloadOnly, note);
        }
    };
    let out = match remote.exec(&file.host, &script(socket, ops), b"").await {
        Ok(o) if o.success() => o.stdout_str(),
        Ok(o) => {
            let note = format!(
                "runtime API failed, reloading instead: {}",
                o.stderr_str().trim()
            );
            return path(GoLive::ReloadOnly, note);
        }
        Err(e) => {
            return LivePath {
                how: GoLive::Failed(e.to_string()),
                notes: vec![],
            }
        }
    };
    if out.lines().any(|l| l == "STANDBY") {
        return path(
            GoLive::Done,
            "HAProxy no longer runs here: no runtime state to correct",
        );
    }
    let state = out.split_once("STATE\n").map(|(_, s)| s).unwrap_or("");
    match verify(&file.content, ops, state) {
        Ok(()) => path(
            GoLive::Done,
            format!("runtime drift corrected: {}", drift.fix.describe()),
        ),
        Err(why) => path(
            GoLive::ReloadOnly,
            format!("runtime API failed, reloading instead: runtime state does not match the file: {why}"),
        ),
    }
}
