//! Leader election on a `coordination.k8s.io/v1` Lease (`leaderElection:` in
//! agent.yaml): of several `agent run` processes sharing a Lease, only the holder
//! applies; the others keep observing and say who leads.
//!
//! The loop ([`Elector::run`]) is the one controller-runtime and client-go run, written
//! directly on kube's `Api<Lease>`: every `renew` it reads the Lease and, by
//! [`decide::decide`], creates it, renews it, takes it over when it is free or expired,
//! or follows. Every write carries the resourceVersion it was computed from, so of two
//! agents racing for the same Lease the API server lets exactly one win (409 for the
//! other). No consensus of our own: the API server's optimistic concurrency is it.
//!
//! Fencing: a lease is not a lock. The engine asks [`Fence::may_start`] before every
//! step; the answer comes from the state this loop keeps, with no I/O: this agent holds
//! the Lease, its `leaseTransitions` is still the one it acquired with, and its last
//! successful renewal *started* less than `duration` ago. A follower only takes over a
//! Lease it has seen unchanged for `duration` on its own clock, so a leader that cannot
//! renew stops starting steps no later than anyone may take over. A step already
//! running finishes (as on SIGTERM). A leaf: it knows kube and the fence, nothing else.

pub mod decide;

use crate::fence::Fence;
use decide::{Action, Record, Seen};
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use kube::api::{Api, ObjectMeta, PostParams};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// Which Lease, who this agent is, and the timing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    pub name: String,
    pub namespace: String,
    /// `holderIdentity` written by this agent (unique per agent).
    pub identity: String,
    /// `leaseDurationSeconds`: how long a holder that stopped renewing keeps the Lease.
    pub duration: Duration,
    /// How often the holder renews and a follower looks again.
    pub renew: Duration,
}

/// The default identity: host name and state directory (two agents on one host have
/// different state directories; a restarted agent is the same holder again).
pub fn default_identity(state_dir: &Path) -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname NUL-terminates within it.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    let host = if rc == 0 {
        let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
        String::from_utf8_lossy(&buf[..end]).into_owned()
    } else {
        "unknown-host".into()
    };
    format!("{host}:{}", state_dir.display())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Holds the Lease and may apply.
    Leader,
    /// Observes only; `holder` applies.
    Follower,
}

/// What `/status` shows of the election.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Leadership {
    pub role: Role,
    /// `namespace/name`.
    pub lease: String,
    /// This agent's `holderIdentity`.
    pub identity: String,
    /// Who holds the Lease as last read (`None`: nobody, or not read yet).
    pub holder: Option<String>,
    /// `leaseTransitions` as last read.
    pub transitions: Option<i32>,
    /// Why leading is not possible, or the last failure talking to the API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Default)]
struct State {
    /// `leaseTransitions` this agent acquired with; `Some` while it believes it leads.
    held: Option<i32>,
    /// The Lease as last read.
    holder: Option<String>,
    transitions: Option<i32>,
    /// Start of the last successful create, renewal or takeover.
    renewed: Option<Instant>,
    seen: Option<Seen>,
    error: Option<String>,
}

/// The election handle: cheap to clone, shared by the loop, the engine and `/status`.
#[derive(Clone)]
pub struct Elector {
    params: Arc<Params>,
    api: Api<Lease>,
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for Elector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Elector")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

fn record_of(l: &Lease) -> Record {
    let spec = l.spec.clone().unwrap_or_default();
    Record {
        resource_version: l.metadata.resource_version.clone().unwrap_or_default(),
        holder: spec.holder_identity,
        transitions: spec.lease_transitions.unwrap_or(0),
        duration: spec
            .lease_duration_seconds
            .and_then(|s| u64::try_from(s).ok())
            .map(Duration::from_secs),
    }
}

fn conflict(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 409)
}

impl Elector {
    pub fn new(client: kube::Client, params: Params) -> Elector {
        Elector {
            api: Api::namespaced(client, &params.namespace),
            params: Arc::new(params),
            state: Arc::default(),
        }
    }

    pub fn params(&self) -> &Params {
        &self.params
    }

    fn lease_name(&self) -> String {
        format!("{}/{}", self.params.namespace, self.params.name)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("lease state lock")
    }

    /// The fencing check at `now` (module docs): `Ok` only for a holder that is sure.
    pub fn check(&self, now: Instant) -> Result<(), String> {
        let s = self.state();
        let lease = self.lease_name();
        let Some(held) = s.held else {
            return Err(match &s.holder {
                Some(h) if !h.is_empty() => format!("not the leader: lease {lease} is held by {h}"),
                _ => format!("not the leader of lease {lease} (yet)"),
            });
        };
        if s.transitions != Some(held) {
            return Err(format!(
                "lease {lease} changed hands (leaseTransitions {held} → {})",
                s.transitions.map_or("?".into(), |t| t.to_string())
            ));
        }
        match s.renewed {
            Some(t) if now.duration_since(t) < self.params.duration => Ok(()),
            _ => Err(format!(
                "lease {lease} not renewed for {:?}: no longer sure to lead",
                self.params.duration
            )),
        }
    }

    pub fn is_leader(&self) -> bool {
        self.check(Instant::now()).is_ok()
    }

    pub fn view(&self) -> Leadership {
        let verdict = self.check(Instant::now());
        let s = self.state();
        Leadership {
            role: if verdict.is_ok() {
                Role::Leader
            } else {
                Role::Follower
            },
            lease: self.lease_name(),
            identity: self.params.identity.clone(),
            holder: s.holder.clone().filter(|h| !h.is_empty()),
            transitions: s.transitions,
            reason: s.error.clone().or(verdict.err()),
        }
    }

    fn spec(&self, transitions: i32, acquired: Option<MicroTime>) -> LeaseSpec {
        let now = MicroTime(k8s_openapi::jiff::Timestamp::now());
        LeaseSpec {
            holder_identity: Some(self.params.identity.clone()),
            lease_duration_seconds: Some(
                i32::try_from(self.params.duration.as_secs().max(1)).unwrap_or(i32::MAX),
            ),
            lease_transitions: Some(transitions),
            acquire_time: Some(acquired.unwrap_or_else(|| now.clone())),
            renew_time: Some(now),
            ..Default::default()
        }
    }

    /// Notes a successful write: this agent holds `written` since `started`.
    fn held(&self, written: &Lease, started: Instant) {
        let r = record_of(written);
        let mut s = self.state();
        s.held = Some(r.transitions);
        s.transitions = Some(r.transitions);
        s.holder = r.holder.clone();
        s.renewed = Some(started);
        s.seen = Some(Seen {
            resource_version: r.resource_version,
            at: Instant::now(),
        });
    }

    /// One round of the loop; `true` when this round made this agent the leader.
    pub async fn round(&self) -> bool {
        let was = self.state().held;
        let bound = self.params.renew.max(Duration::from_millis(200));
        let res = match tokio::time::timeout(bound, self.try_round()).await {
            Ok(r) => r,
            Err(_) => Err(format!("the API server did not answer within {bound:?}")),
        };
        let mut s = self.state();
        s.error = res.err();
        s.held.is_some() && s.held != was
    }

    async fn try_round(&self) -> Result<(), String> {
        let started = Instant::now();
        let name = self.params.name.as_str();
        let current = self
            .api
            .get_opt(name)
            .await
            .map_err(|e| format!("reading lease {}: {e}", self.lease_name()))?;
        let record = current.as_ref().map(record_of);
        let seen = {
            let mut s = self.state();
            s.holder = record.as_ref().and_then(|r| r.holder.clone());
            s.transitions = record.as_ref().map(|r| r.transitions);
            if let Some(r) = &record {
                s.seen = Some(decide::observe(s.seen.take(), r, Instant::now()));
            }
            // Another holder, or our tenure ended meanwhile (transitions moved on).
            let ours = record
                .as_ref()
                .is_some_and(|r| r.holder() == Some(self.params.identity.as_str()));
            if !ours || s.held.is_some_and(|h| Some(h) != s.transitions) {
                s.held = None;
            }
            s.seen.clone()
        };
        let action = decide::decide(
            &self.params.identity,
            record.as_ref(),
            seen.as_ref(),
            Instant::now(),
            self.params.duration,
        );
        let pp = PostParams {
            field_manager: Some("agent-leader-election".into()),
            ..Default::default()
        };
        let (write, transitions) = match action {
            Action::Follow { .. } => return Ok(()),
            Action::Create => {
                let lease = Lease {
                    metadata: ObjectMeta {
                        name: Some(name.into()),
                        namespace: Some(self.params.namespace.clone()),
                        ..Default::default()
                    },
                    spec: Some(self.spec(0, None)),
                };
                match self.api.create(&pp, &lease).await {
                    Ok(l) => {
                        self.held(&l, started);
                        return Ok(());
                    }
                    Err(e) if conflict(&e) => return Ok(()),
                    Err(e) => return Err(format!("creating lease {}: {e}", self.lease_name())),
                }
            }
            Action::Renew { transitions } => (current, transitions),
            Action::TakeOver { transitions } => (current, transitions),
        };
        let mut lease = write.expect("renew and takeover follow a read lease");
        let keep_acquired = lease
            .spec
            .as_ref()
            .filter(|s| s.lease_transitions.unwrap_or(0) == transitions)
            .and_then(|s| s.acquire_time.clone());
        lease.spec = Some(self.spec(transitions, keep_acquired));
        lease.metadata.managed_fields = None;
        match self.api.replace(name, &pp, &lease).await {
            Ok(l) => {
                self.held(&l, started);
                Ok(())
            }
            // Someone wrote first: whatever it was, the next round reads it.
            Err(e) if conflict(&e) => Ok(()),
            Err(e) => Err(format!("writing lease {}: {e}", self.lease_name())),
        }
    }

    /// Gives the Lease up (holder emptied) so a follower takes over at once; only
    /// after the last step has finished (`agent run` calls it when its loop ended).
    pub async fn release(&self) {
        if self.state().held.take().is_none() {
            return;
        }
        let Ok(Some(mut lease)) = self.api.get_opt(&self.params.name).await else {
            return;
        };
        let spec = lease.spec.get_or_insert_with(Default::default);
        if spec.holder_identity.as_deref() != Some(self.params.identity.as_str()) {
            return;
        }
        spec.holder_identity = Some(String::new());
        spec.lease_duration_seconds = Some(1);
        lease.metadata.managed_fields = None;
        match self
            .api
            .replace(&self.params.name, &PostParams::default(), &lease)
            .await
        {
            Ok(_) => tracing::info!(lease = %self.lease_name(), "leader election: lease released"),
            Err(e) => {
                tracing::warn!(lease = %self.lease_name(), "leader election: cannot release the lease: {e}")
            }
        }
    }

    /// Rounds every `renew` until `done` turns true. `on_lead` runs each time this
    /// agent becomes the leader (a new leader starts with a normal cycle).
    pub async fn run(
        self,
        on_lead: impl Fn() + Send,
        mut done: tokio::sync::watch::Receiver<bool>,
    ) {
        let mut leading = false;
        loop {
            if *done.borrow() {
                break;
            }
            let acquired = self.round().await;
            let now = self.is_leader();
            let v = self.view();
            if now && (acquired || !leading) {
                tracing::info!(lease = %v.lease, identity = %v.identity, transitions = ?v.transitions, "leader election: this agent leads; starting a cycle");
                on_lead();
            } else if leading && !now {
                tracing::warn!(lease = %v.lease, reason = v.reason.as_deref().unwrap_or(""), "leader election: no longer the leader; no further step starts");
            }
            leading = now;
            tokio::select! {
                _ = tokio::time::sleep(self.params.renew) => {}
                _ = done.changed() => {}
            }
        }
    }
}

impl Fence for Elector {
    fn may_start(&self) -> Result<(), String> {
        self.check(Instant::now())
    }
}

#[cfg(test)]
mod tests;
