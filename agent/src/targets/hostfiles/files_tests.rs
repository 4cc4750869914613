//! Runs the observe/apply scripts for real, with a local shell on a temp dir.

use crate::exec::LocalShell;
use crate::rendered::ManagedFile;
use crate::targets::hostfiles::files::*;
use crate::targets::hostfiles::harness_tests::TargetKind;
use std::fs;
use std::os::unix::fs::PermissionsExt;

fn file(
    dir: &std::path::Path,
    name: &str,
    content: &str,
    check: &str,
    reload: &str,
) -> ManagedFile {
    ManagedFile {
        host: "h".into(),
        target: TargetKind::Balancer.name(),
        path: dir.join(name).display().to_string(),
        content: content.into(),
        mode: 0o640,
        check: check.into(),
        reload: Some(reload.into()),
        modules: vec![],
        source: "Balancer/test".into(),
        observe: String::new(),
    }
}

#[tokio::test]
async fn observe_reports_same_missing_and_differing_content_in_one_call() {
    let dir = tempfile::tempdir().unwrap();
    let same = file(dir.path(), "same.cfg", "a\n", "true", "true");
    let differs = file(dir.path(), "differs.cfg", "new\n", "true", "true");
    let missing = file(dir.path(), "missing cfg", "x", "true", "true");
    fs::write(&same.path, "a\n").unwrap();
    fs::write(&differs.path, "old line\nno newline at end").unwrap();
    fs::write(format!("{}.agent-pending", same.path), "").unwrap();
    let obs = observe(
        &LocalShell::default(),
        "h",
        &[&same, &differs, &missing],
        "echo vip=yes\necho 'k = v'\necho 'BLOCK st'\nprintf '1\\n# a=b\\n'",
    )
    .await
    .unwrap();
    assert_eq!(obs.files.len(), 3);
    assert_eq!(
        (&obs.files[0].live, obs.files[0].reload_pending),
        (&Live::Same, true)
    );
    assert_eq!(
        obs.files[1].live,
        Live::Differs(b"old line\nno newline at end".to_vec())
    );
    assert_eq!(
        (obs.files[2].path.as_str(), &obs.files[2].live),
        (missing.path.as_str(), &Live::Missing)
    );
    assert_eq!(obs.facts.get("vip").map(String::as_str), Some("yes"));
    assert_eq!(obs.facts.get("k").map(String::as_str), Some("v"));
    assert_eq!(obs.facts.len(), 2, "a block's lines are not facts: {obs:?}");
    assert_eq!(obs.blocks.get("st").map(String::as_str), Some("1\n# a=b\n"));
}

#[tokio::test]
async fn apply_validates_keeps_previous_renames_and_reloads() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("reloaded");
    let f = file(
        dir.path(),
        "app.cfg",
        "good config\n",
        "grep -q good {file}",
        &format!("touch {}", marker.display()),
    );
    fs::write(&f.path, "old\n").unwrap();
    let out = apply_file(&LocalShell::default(), &f, true, false)
        .await
        .unwrap();
    assert_eq!(out, ApplyOutcome::Applied);
    assert_eq!(fs::read_to_string(&f.path).unwrap(), "good config\n");
    assert_eq!(
        fs::read_to_string(format!("{}.agent-prev", f.path)).unwrap(),
        "old\n"
    );
    assert_eq!(
        fs::metadata(&f.path).unwrap().permissions().mode() & 0o777,
        0o640
    );
    assert!(marker.exists());
    assert!(!std::path::Path::new(&format!("{}.agent-pending", f.path)).exists());
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .collect();
    assert_eq!(
        leftovers.len(),
        3,
        "file, previous version and reload marker only: {leftovers:?}"
    );
}

#[tokio::test]
async fn a_rejected_config_never_goes_live_and_nothing_reloads() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("reloaded");
    let f = file(
        dir.path(),
        "app.cfg",
        "bad\n",
        "echo 'line 3: unknown keyword' >&2; false",
        &format!("touch {}", marker.display()),
    );
    fs::write(&f.path, "old\n").unwrap();
    let out = apply_file(&LocalShell::default(), &f, true, false)
        .await
        .unwrap();
    assert_eq!(
        out,
        ApplyOutcome::CheckFailed("line 3: unknown keyword".into())
    );
    assert_eq!(fs::read_to_string(&f.path).unwrap(), "old\n");
    assert!(!marker.exists());
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        1,
        "staged copy removed"
    );
}

#[tokio::test]
async fn a_failed_reload_restores_the_previous_file() {
    let dir = tempfile::tempdir().unwrap();
    let count = dir.path().join("reloads");
    // The reload fails only while the new content is live.
    let reload = format!("echo r >> {c}; ! grep -q new {{path}}", c = count.display());
    let mut f = file(dir.path(), "app.cfg", "new\n", "true", "");
    f.reload = Some(reload.replace("{path}", &f.path));
    fs::write(&f.path, "old\n").unwrap();
    let out = apply_file(&LocalShell::default(), &f, true, false)
        .await
        .unwrap();
    assert!(
        matches!(
            out,
            ApplyOutcome::ReloadFailed {
                rolled_back: Ok(()),
                ..
            }
        ),
        "{out:?}"
    );
    assert_eq!(fs::read_to_string(&f.path).unwrap(), "old\n");
    assert_eq!(
        fs::read_to_string(&count).unwrap(),
        "r\nr\n",
        "reloaded again after the restore"
    );
    assert!(!std::path::Path::new(&format!("{}.agent-pending", f.path)).exists());
}

#[tokio::test]
async fn rollback_of_a_created_file_removes_it() {
    let dir = tempfile::tempdir().unwrap();
    let f = file(dir.path(), "new.cfg", "x\n", "true", "true");
    assert_eq!(
        apply_file(&LocalShell::default(), &f, false, false)
            .await
            .unwrap(),
        ApplyOutcome::Applied
    );
    rollback(&LocalShell::default(), &f, false).await.unwrap();
    assert!(!std::path::Path::new(&f.path).exists());
}

#[tokio::test]
async fn an_interrupted_apply_is_seen_and_finished_by_reload_only() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("reloaded");
    let f = file(
        dir.path(),
        "app.cfg",
        "new\n",
        "true",
        &format!("touch {}", marker.display()),
    );
    // State a kill between rename and reload leaves behind.
    fs::write(&f.path, "new\n").unwrap();
    fs::write(format!("{}.agent-pending", f.path), "").unwrap();
    let obs = observe(&LocalShell::default(), "h", &[&f], "")
        .await
        .unwrap();
    assert_eq!(
        (&obs.files[0].live, obs.files[0].reload_pending),
        (&Live::Same, true)
    );
    assert_eq!(
        apply_file(&LocalShell::default(), &f, true, true)
            .await
            .unwrap(),
        ApplyOutcome::Applied
    );
    assert!(marker.exists());
    let obs = observe(&LocalShell::default(), "h", &[&f], "")
        .await
        .unwrap();
    assert!(!obs.files[0].reload_pending);
}

/// The runtime path's contract: after `swap_then` the file is swapped, the previous one
/// kept, and the pending marker stays whatever `then` did — so an agent killed before
/// [`clear_pending`] leaves a host the next observe reports as "reload pending", and the
/// next apply reloads it. A rejected copy touches nothing.
#[tokio::test]
async fn swap_then_keeps_the_pending_marker_until_cleared() {
    let dir = tempfile::tempdir().unwrap();
    let sh = LocalShell::default();
    let f = file(
        dir.path(),
        "h.cfg",
        "new\n",
        "true",
        "echo reloaded >&2; false",
    );
    fs::write(&f.path, "old\n").unwrap();
    let pending = format!("{}.agent-pending", f.path);

    let failed = swap_then(&sh, &f, "echo 'refused' >&2; exit 1")
        .await
        .unwrap();
    assert_eq!(failed, SwapOutcome::ThenFailed("refused".into()));
    assert_eq!(fs::read_to_string(&f.path).unwrap(), "new\n");
    assert_eq!(
        fs::read_to_string(format!("{}.agent-prev", f.path)).unwrap(),
        "old\n"
    );
    let obs = observe(&sh, "h", &[&f], "").await.unwrap();
    assert_eq!(
        (&obs.files[0].live, obs.files[0].reload_pending),
        (&Live::Same, true)
    );

    let done = swap_then(&sh, &f, "echo STATE; echo ok").await.unwrap();
    assert_eq!(done, SwapOutcome::Done("STATE\nok\n".into()));
    assert!(fs::metadata(&pending).is_ok(), "marker kept until cleared");
    clear_pending(&sh, &f).await.unwrap();
    assert!(fs::metadata(&pending).is_err());

    let bad = file(
        dir.path(),
        "h.cfg",
        "bad\n",
        "echo 'line 3: unknown' >&2; false",
        "true",
    );
    let rejected = swap_then(&sh, &bad, "echo never").await.unwrap();
    assert_eq!(rejected, SwapOutcome::CheckFailed("line 3: unknown".into()));
    assert_eq!(fs::read_to_string(&f.path).unwrap(), "new\n");
    assert!(fs::metadata(&pending).is_err(), "nothing live touched");
}
