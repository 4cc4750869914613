//! Applying a plan: one guarded CIB patch, then wait for the cluster to settle.
//!
//! The patch round trip (see [`PATCH`]) checks the desired CIB with
//! `crm_verify` on a shadow file, makes the patch with `crm_diff` against the
//! CIB text agent observed, and applies it with `cibadmin --patch` only if the
//! live configuration version (admin_epoch, epoch) is still the observed one.
//! The patch's source version carries the current `num_updates`, so the CIB
//! manager itself refuses it if anything changed in between: an edit by
//! someone else is never overwritten, only retried on a fresh observation.

use super::access::{ApplyOptions, ClusterAccess, ClusterPolicy};
use super::cib::{CibVersion, ConfigView};
use super::corosync::CorosyncWant;
use super::error::ClusterError;
use super::merge::{merge, Owned};
use super::observe::{observe, Observed};
use super::plan::{declared_agents, plan, ClusterPlan};
use super::settle::wait_converged;
use super::status::ClusterStatus;
use super::xml::Elem;
use crate::exec::Remote;
use crate::mask::Masker;
use crate::plan::Change;
use std::collections::BTreeSet;

/// Exit 3: crm_verify refused; 4: tool failure; 5: version conflict.
const PATCH: &str = r#"
set -u
d=$(mktemp -d) || exit 4
trap 'rm -rf "$d"' EXIT
awk -v d="$d" '$0 == "@@desired" { f = 1; next } { print > (f ? d "/new.xml" : d "/old.xml") }'
if [ "$MODE" != restore ] && ! crm_verify --xml-file "$d/new.xml" > "$d/verify" 2>&1; then
  echo @@invalid; cat "$d/verify"; exit 3
fi
crm_diff -o "$d/old.xml" -n "$d/new.xml" > "$d/patch" 2> "$d/err"; rc=$?
if [ "$rc" -eq 0 ]; then echo @@nochange; exit 0; fi
if [ "$rc" -ne 1 ]; then echo "@@error crm_diff"; cat "$d/err"; exit 4; fi
if [ "$MODE" = dry-run ]; then echo @@would-apply; cat "$d/patch"; exit 0; fi
cur=$(cibadmin -Q 2> "$d/err" | head -n 1)
v() { printf '%s\n' "$cur" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
if [ -z "$(v epoch)" ]; then echo "@@error cibadmin -Q"; cat "$d/err"; exit 4; fi
if [ "$(v admin_epoch)" != "$AE" ] || [ "$(v epoch)" != "$EP" ]; then
  echo "@@conflict $(v admin_epoch).$(v epoch)"; exit 5
fi
sed -i "/<source /s/num_updates=\"[0-9]*\"/num_updates=\"$(v num_updates)\"/" "$d/patch"
cibadmin --patch --xml-file "$d/patch" > "$d/err" 2>&1; rc=$?
if [ "$rc" -eq 0 ]; then echo @@applied; cat "$d/patch"; exit 0; fi
if [ "$rc" -eq 103 ] || grep -q -i "older than existing\|diff failed" "$d/err"; then
  echo "@@conflict patch"; cat "$d/err"; exit 5
fi
echo "@@error cibadmin --patch"; cat "$d/err"; exit 4
"#;

/// What [`patch`] does after computing the patch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchMode {
    /// crm_verify the desired CIB, then apply the patch.
    Apply,
    /// crm_verify, then only return the patch (`agent diff`).
    DryRun,
    /// Apply without crm_verify: a rollback restores what was live before, even a
    /// state crm_verify complains about (e.g. stonith enabled without a fencing device).
    Restore,
}

impl PatchMode {
    fn as_str(self) -> &'static str {
        match self {
            PatchMode::Apply => "apply",
            PatchMode::DryRun => "dry-run",
            PatchMode::Restore => "restore",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatchOutcome {
    /// Applied; the `crm_diff` patch that was sent (raw XML, for `--verbose`).
    Applied(String),
    /// Dry run: the patch that would be sent.
    WouldApply(String),
    NoChange,
    Conflict,
}

/// Sends one guarded patch turning `observed` into `desired` on `node` (one round trip).
pub async fn patch(
    remote: &dyn Remote,
    access: &ClusterAccess,
    node: &str,
    observed_text: &str,
    observed: CibVersion,
    desired: &Elem,
    mode: PatchMode,
) -> Result<PatchOutcome, ClusterError> {
    let script = format!(
        "{}\nAE={}; EP={}; MODE={}\n{PATCH}",
        access.prelude,
        observed.admin_epoch,
        observed.epoch,
        mode.as_str()
    );
    let mut stdin = observed_text.trim_end().to_string();
    stdin.push_str("\n@@desired\n");
    stdin.push_str(&desired.to_xml());
    let out = remote
        .exec(node, &script, stdin.as_bytes())
        .await
        .map_err(|e| ClusterError::Unreachable(e.to_string()))?;
    let text = out.stdout_str();
    let (head, body) = text.split_once('\n').unwrap_or((&text, ""));
    let tool = |step: &str, message: String| ClusterError::Tool {
        node: node.to_string(),
        step: step.to_string(),
        message,
    };
    match (out.status, head) {
        (0, "@@applied") => Ok(PatchOutcome::Applied(body.to_string())),
        (0, "@@would-apply") => Ok(PatchOutcome::WouldApply(body.to_string())),
        (0, "@@nochange") => Ok(PatchOutcome::NoChange),
        (5, _) => Ok(PatchOutcome::Conflict),
        (3, _) => Err(ClusterError::Invalid(format!(
            "crm_verify on {node}: {}",
            body.trim()
        ))),
        (_, h) => Err(tool(
            h.strip_prefix("@@error ").unwrap_or("patch"),
            format!("{}{}", body.trim(), out.stderr_str().trim()),
        )),
    }
}

/// `agent diff` on the node: crm_verify the plan's desired CIB on a shadow copy and
/// return the raw `crm_diff` patch apply would send (`None`: nothing to send).
/// Read-only; an invalid desired state is reported as [`ClusterError::Invalid`].
pub async fn dry_run(
    remote: &dyn Remote,
    access: &ClusterAccess,
    plan: &ClusterPlan,
) -> Result<Option<String>, ClusterError> {
    let Some(desired) = &plan.desired else {
        return Ok(None);
    };
    let obs = &plan.observed;
    let mode = PatchMode::DryRun;
    match patch(
        remote,
        access,
        &obs.node,
        &obs.cib_text,
        obs.version,
        desired,
        mode,
    )
    .await?
    {
        PatchOutcome::WouldApply(p) => Ok(Some(p)),
        PatchOutcome::NoChange => Ok(None),
        PatchOutcome::Applied(_) | PatchOutcome::Conflict => Err(ClusterError::Tool {
            node: obs.node.clone(),
            step: "dry run".into(),
            message: "unexpected outcome".into(),
        }),
    }
}

/// What an apply did.
#[derive(Debug, Clone)]
pub struct ApplyReport {
    /// The comparison the applied patch was computed from (last attempt).
    pub changes: Vec<Change>,
    /// The patch sent, `None` when everything was already in sync.
    pub patch: Option<String>,
    pub attempts: u32,
    /// CIB version the patch was computed against.
    pub base: CibVersion,
    /// Placement after settling (when a patch was sent).
    pub status: Option<ClusterStatus>,
}

/// Observes, plans and applies `fragment`, retrying on concurrent edits, then waits
/// for the declared resources; on timeout restores the declared ids' previous state.
/// Then, when the policy allows it and it differs, sets corosync's totem token
/// ([`super::corosync_apply`]); its outcome is noted on the `corosync.conf` change.
pub async fn apply(
    remote: &dyn Remote,
    access: &ClusterAccess,
    fragment: &Elem,
    corosync: &CorosyncWant,
    policy: &ClusterPolicy,
    masker: &Masker,
    opts: &ApplyOptions,
) -> Result<ApplyReport, ClusterError> {
    let job = Job {
        access,
        fragment,
        corosync,
        policy,
        masker,
    };
    apply_observed(remote, &job, opts, None).await
}

/// What one cluster's apply works on.
pub struct Job<'a> {
    pub access: &'a ClusterAccess,
    pub fragment: &'a Elem,
    pub corosync: &'a CorosyncWant,
    pub policy: &'a ClusterPolicy,
    pub masker: &'a Masker,
}

/// [`apply`], its first attempt planned from `first` (an observation just made, as
/// by the cycle's plan) instead of observing again; the CIB version guard still
/// refuses a patch when the CIB changed since.
pub async fn apply_observed(
    remote: &dyn Remote,
    job: &Job<'_>,
    opts: &ApplyOptions,
    first: Option<Observed>,
) -> Result<ApplyReport, ClusterError> {
    let (access, corosync, policy) = (job.access, job.corosync, job.policy);
    let mut report = apply_cib(remote, job, opts, first).await?;
    let due = report
        .changes
        .iter()
        .any(|c| c.object == super::corosync::OBJECT && c.action.is_change());
    if let (true, Some(token)) = (due && policy.manage_corosync, corosync.token) {
        let done = super::corosync_apply::set_token(remote, access, token).await?;
        if let Some(c) = report
            .changes
            .iter_mut()
            .find(|c| c.object == super::corosync::OBJECT)
        {
            c.notes
                .push(done.unwrap_or_else(|| "corosync.conf already in sync".into()));
        }
    }
    Ok(report)
}

async fn apply_cib(
    remote: &dyn Remote,
    job: &Job<'_>,
    opts: &ApplyOptions,
    mut first: Option<Observed>,
) -> Result<ApplyReport, ClusterError> {
    let Job {
        access,
        fragment,
        corosync,
        policy,
        masker,
    } = *job;
    let agents = declared_agents(fragment);
    for attempt in 1..=opts.attempts {
        let obs = match first.take() {
            Some(obs) => obs,
            None => observe(remote, access, &agents).await?,
        };
        let p = plan(fragment, corosync, obs, policy, masker)?;
        let mut report = ApplyReport {
            changes: p.changes,
            patch: None,
            attempts: attempt,
            base: p.observed.version,
            status: None,
        };
        let Some(desired) = p.desired else {
            return Ok(report);
        };
        let obs = p.observed;
        match patch(
            remote,
            access,
            &obs.node,
            &obs.cib_text,
            obs.version,
            &desired,
            PatchMode::Apply,
        )
        .await?
        {
            PatchOutcome::Conflict => continue,
            PatchOutcome::NoChange | PatchOutcome::WouldApply(_) => return Ok(report),
            PatchOutcome::Applied(sent) => report.patch = Some(sent),
        }
        let want = ConfigView::of(fragment);
        match wait_converged(remote, access, &obs.node, &want, opts).await {
            Ok(status) => {
                report.status = Some(status);
                return Ok(report);
            }
            Err(detail) => {
                let owned = Owned::of(&want);
                let rollback = match restore(remote, access, &obs.cib, &owned, opts).await {
                    Ok(()) => "restored the previous state of the declared ids".to_string(),
                    Err(e) => format!("restoring the previous state failed: {e}"),
                };
                return Err(ClusterError::NotConverged { detail, rollback });
            }
        }
    }
    Err(ClusterError::Conflict(opts.attempts))
}

/// Puts the owned objects back as they were in `previous` (retrying on conflict).
async fn restore(
    remote: &dyn Remote,
    access: &ClusterAccess,
    previous: &Elem,
    owned: &Owned,
    opts: &ApplyOptions,
) -> Result<(), ClusterError> {
    for _ in 0..opts.attempts {
        let obs = observe(remote, access, &BTreeSet::new()).await?;
        let desired = merge(&obs.cib, previous, owned, false);
        match patch(
            remote,
            access,
            &obs.node,
            &obs.cib_text,
            obs.version,
            &desired,
            PatchMode::Restore,
        )
        .await?
        {
            PatchOutcome::Conflict => continue,
            _ => return Ok(()),
        }
    }
    Err(ClusterError::Conflict(opts.attempts))
}

/// `crm_simulate` preview of the transitions `desired` would cause (for `diff --verbose`):
/// the "Transition Summary" and the actions, as crm_simulate prints them.
pub async fn preview(
    remote: &dyn Remote,
    access: &ClusterAccess,
    node: &str,
    desired: &Elem,
) -> Result<String, ClusterError> {
    let script = format!(
        "{}\nset -u\nd=$(mktemp -d) || exit 4\ntrap 'rm -rf \"$d\"' EXIT\n\
         cat > \"$d/new.xml\"\nunset CIB_file\ncrm_simulate -x \"$d/new.xml\" -S 2>&1",
        access.prelude
    );
    let out = remote
        .exec(node, &script, desired.to_xml().as_bytes())
        .await
        .map_err(|e| ClusterError::Unreachable(e.to_string()))?;
    let text = out.stdout_str();
    if !out.success() {
        return Err(ClusterError::Tool {
            node: node.into(),
            step: "crm_simulate".into(),
            message: text.trim().to_string(),
        });
    }
    let start = text.find("Transition Summary:").unwrap_or(0);
    let end = text.find("Revised Cluster Status:").unwrap_or(text.len());
    Ok(text[start..end.max(start)].trim_end().to_string())
}
