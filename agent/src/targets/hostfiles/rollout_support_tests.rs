//! Support files (the gateway's TLS certificate and key) in a host's rollout step:
//! applied before the site, so the site's check sees them, and reloaded through the
//! site even when only they changed. Real scripts on a local shell.

use crate::exec::LocalShell;
use crate::mask::Masker;
use crate::outcome::*;
use crate::rendered::{ManagedFile, Rendered};
use crate::targets::hostfiles::files::{Live, Observation, ObservedFile};
use crate::targets::hostfiles::harness_tests::{apply_target, diff_files, TargetKind};
use crate::targets::hostfiles::views::HostViews;

struct Fixture {
    dir: tempfile::TempDir,
    rendered: Rendered,
    views: HostViews,
    key: String,
}

/// `gw` with a site (its check records the key it sees, its reload is logged) and a
/// key file (support: no reload). `site_live`: whether the site is already in sync.
fn fixture(site_in_sync: bool) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log").display().to_string();
    let site = dir.path().join("site.conf").display().to_string();
    // After the site by path: the rollout, not the render order, puts it first.
    let key = dir.path().join("tls/site.key").display().to_string();
    std::fs::write(
        &site,
        if site_in_sync {
            "site v2\n"
        } else {
            "site v1\n"
        },
    )
    .unwrap();
    let mut rendered = Rendered::default();
    rendered.files.push(ManagedFile {
        host: "gw".into(),
        target: TargetKind::Gateway.name(),
        path: site.clone(),
        content: "site v2\n".into(),
        mode: 0o644,
        check: format!("echo \"check sees $(cat {key})\" >> {log}"),
        reload: Some(format!("echo reload >> {log}")),
        modules: vec![],
        source: "Gateway/apps".into(),
        observe: String::new(),
    });
    rendered.files.push(ManagedFile {
        host: "gw".into(),
        target: TargetKind::Gateway.name(),
        path: key.clone(),
        content: "key v2\n".into(),
        mode: 0o600,
        check: "true".into(),
        reload: None,
        modules: vec![],
        source: "Gateway/apps".into(),
        observe: String::new(),
    });
    let mut obs = Observation::default();
    obs.files.push(ObservedFile {
        path: site,
        live: if site_in_sync {
            Live::Same
        } else {
            Live::Differs(b"site v1\n".to_vec())
        },
        reload_pending: false,
    });
    obs.files.push(ObservedFile {
        path: key.clone(),
        live: Live::Missing,
        reload_pending: false,
    });
    let mut views = HostViews::default();
    views.views.insert("gw".into(), obs);
    Fixture {
        dir,
        rendered,
        views,
        key,
    }
}

async fn apply(f: &Fixture) -> Vec<Step> {
    let changes = diff_files(&f.rendered, &f.views, &Masker::new("k"));
    apply_target(
        &LocalShell::default(),
        &schema::DesiredState::default(),
        &f.rendered,
        &f.views,
        &changes,
        TargetKind::Gateway,
        None,
        &|_: &str| {},
        None,
    )
    .await
}

fn log(f: &Fixture) -> String {
    std::fs::read_to_string(f.dir.path().join("log")).unwrap_or_default()
}

#[tokio::test]
async fn key_goes_first_so_the_site_check_sees_it_then_one_reload() {
    let f = fixture(false);
    let steps = apply(&f).await;
    assert_eq!(steps.len(), 1, "{steps:?}");
    assert_eq!(steps[0].status, StepStatus::Applied, "{steps:?}");
    assert_eq!(
        steps[0].files[0], f.key,
        "the key first: {:?}",
        steps[0].files
    );
    assert_eq!(log(&f), "check sees key v2\nreload\n");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&f.key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[tokio::test]
async fn a_changed_key_alone_is_reloaded_through_the_site() {
    let f = fixture(true);
    let steps = apply(&f).await;
    assert_eq!(steps[0].status, StepStatus::Applied, "{steps:?}");
    assert_eq!(std::fs::read_to_string(&f.key).unwrap(), "key v2\n");
    // The site is in sync: not staged or checked again, only reloaded.
    assert_eq!(log(&f), "reload\n");
}

#[tokio::test]
async fn a_rejected_site_puts_the_previous_key_back() {
    let mut f = fixture(false);
    std::fs::create_dir_all(std::path::Path::new(&f.key).parent().unwrap()).unwrap();
    std::fs::write(&f.key, "key v1\n").unwrap();
    f.views.views.get_mut("gw").unwrap().files[1].live = Live::Differs(b"key v1\n".to_vec());
    f.rendered.files[0].check = "echo 'bad site' >&2; false".into();
    let steps = apply(&f).await;
    assert_eq!(steps[0].status, StepStatus::Rejected, "{steps:?}");
    assert!(steps[0].message.contains("bad site"), "{steps:?}");
    assert_eq!(std::fs::read_to_string(&f.key).unwrap(), "key v1\n");
    assert_eq!(log(&f), "", "nothing reloaded");
}
