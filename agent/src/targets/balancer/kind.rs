//! The balancer (HAProxy) as a host-level kind: one `haproxy.cfg` per balancer
//! host ([`super::render`]), whose runtime state is read in the host's observation
//! round trip ([`super::drift`]); server changes go live through the runtime API
//! without a reload when they can ([`super::runtime_apply`], [`super::drift_apply`]);
//! healthy means every backend UP where HAProxy runs ([`super::health`]).

use super::drift::{drifted_backends, file_path, observe_script, socket_of, OBJECT_PREFIX};
use super::drift_apply::correct_runtime;
use super::drift_changes::runtime_changes;
use super::health::{balancer_script, stats_socket};
use super::render::{render, NAME};
use super::runtime_apply::runtime_path;
use crate::import::formatting::formatting_note;
use crate::mask::Masker;
use crate::plan::Change;
use crate::rendered::{source_doc_name, ManagedFile, RenderError};
use crate::targets::hostfiles::files::{Live, Observation, ObservedFile};
use crate::targets::hostfiles::kind::{HostKind, LivePath};
use crate::targets::hostfiles::views::HostViews;
use crate::targets::target::Cx;
use async_trait::async_trait;
use schema::DesiredState;

/// HAProxy on the balancer hosts.
pub struct Balancer;

#[async_trait]
impl HostKind for Balancer {
    type Baseline = ();

    fn name(&self) -> &'static str {
        NAME
    }

    fn render(&self, state: &DesiredState) -> Result<Vec<ManagedFile>, RenderError> {
        let mut files = Vec::new();
        for b in &state.balancers {
            for mut f in render(state, b)? {
                f.observe = socket_of(&f)
                    .map(|s| observe_script(&s))
                    .unwrap_or_default();
                files.push(f);
            }
        }
        Ok(files)
    }

    fn diff_notes(&self, file: &ManagedFile, live: &str, obs: &Observation) -> Vec<String> {
        let drifted = drifted_backends(file, Some(obs));
        let mut notes = vec![file_path(live, &file.content, &drifted).describe()];
        // After an import: say when the rewrite changes no directive.
        notes.extend(formatting_note(NAME, &file.path, live, &file.content));
        notes
    }

    fn extra_changes(
        &self,
        files: &[&ManagedFile],
        views: &HostViews,
        masker: &Masker,
    ) -> Vec<Change> {
        runtime_changes(files, views, masker)
    }

    fn touches(&self, change: &Change, _file: &ManagedFile) -> bool {
        change.object.starts_with(OBJECT_PREFIX)
    }

    async fn baseline(&self, _: &Cx<'_>, _: &str, _: &[&ManagedFile]) {}

    async fn go_live(
        &self,
        cx: &Cx<'_>,
        file: &ManagedFile,
        obs: Option<&ObservedFile>,
        host: Option<&Observation>,
    ) -> LivePath {
        if obs.is_some_and(|o| o.live == Live::Same && !o.reload_pending) {
            // The file is in sync: only its runtime state drifted.
            correct_runtime(cx.remote, file, host).await
        } else {
            runtime_path(cx.remote, file, obs, &drifted_backends(file, host)).await
        }
    }

    async fn health(&self, cx: &Cx<'_>, file: &ManagedFile, _: &()) -> Result<Vec<String>, String> {
        let socket = cx
            .state
            .balancers
            .iter()
            .find(|b| b.doc.metadata.name == source_doc_name(&file.source))
            .map(|b| stats_socket(&b.doc.spec))
            .unwrap_or_else(|| "/run/haproxy/admin.sock".into());
        match cx
            .remote
            .exec(&file.host, &balancer_script(&socket), b"")
            .await
        {
            Ok(o) if o.success() => Ok(vec![o.stdout_str().trim().to_string()]),
            Ok(o) => Err(o.stderr_str().trim().to_string()),
            Err(e) => Err(e.to_string()),
        }
    }
}
