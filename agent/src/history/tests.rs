use super::*;
use crate::mask::Masker;
use crate::plan::{Action, Change, TargetError};
use crate::run::{Found, Outcome};
use std::time::Duration;

fn found(host: &str) -> Found {
    Found {
        target: "balancer".into(),
        host: Some(host.into()),
        object: "/etc/haproxy/haproxy.cfg".into(),
    }
}

fn change(host: &str, diff: &str) -> Change {
    Change {
        target: "balancer".into(),
        host: Some(host.into()),
        object: "/etc/haproxy/haproxy.cfg".into(),
        action: Action::Update,
        diff: Some(diff.into()),
        notes: vec!["reload".into()],
    }
}

fn corrected(host: &str) -> Outcome {
    Outcome {
        commit: "c1".into(),
        targets: vec!["balancer".into(), "gateway".into()],
        applied: vec![found(host)],
        changes: vec![change(
            host,
            "-    timeout client 99s\n+    timeout client 50s\n",
        )],
        ..Default::default()
    }
}

fn quiet() -> Outcome {
    Outcome {
        commit: "c1".into(),
        targets: vec!["balancer".into()],
        ..Default::default()
    }
}

fn record(h: &mut History, cause: HistoryCause, out: &Outcome) -> i64 {
    let id = h.begin(Source::Run, cause, &out.commit).unwrap();
    let r = Record::of(out, &Masker::new("k"), Duration::from_millis(120));
    h.finish(id, &r).unwrap();
    id
}

#[test]
fn a_cycle_is_written_and_read_back_with_its_diff_and_rollup() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = History::open(dir.path(), Retention::default()).unwrap();
    let id = record(&mut h, HistoryCause::Drift, &corrected("ha2"));
    let e = h.show(id).unwrap();
    assert_eq!(
        (e.state, e.cause, e.applied, e.errors),
        (EntryState::Finished, HistoryCause::Drift, 1, 0)
    );
    assert_eq!(e.items[0].kind, ItemKind::Applied);
    assert!(e.items[0]
        .diff
        .as_deref()
        .unwrap()
        .contains("+    timeout client 50s"));
    assert_eq!(e.targets["balancer"], Rollup::Ready);
    assert_eq!(e.targets["gateway"], Rollup::Ready);
    assert!(matches!(
        h.show(id + 100),
        Err(HistoryError::NoEntry { .. })
    ));

    let mut failing = corrected("ha1");
    failing.applied.clear();
    failing.errors.push(TargetError {
        target: "balancer".into(),
        host: Some("ha1".into()),
        message: "rolled-back: backends not UP".into(),
        transient: false,
    });
    let id2 = record(&mut h, HistoryCause::Commit, &failing);
    let list = h
        .list(&Filter {
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        list.iter().map(|e| e.id).collect::<Vec<_>>(),
        [id2, id],
        "newest first"
    );
    assert_eq!(list[0].targets["balancer"], Rollup::Failed);
    assert_eq!(list[0].items, vec![], "items only when asked");
    let only_gw = Filter {
        target: Some("gateway".into()),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(
        h.count(&only_gw).unwrap(),
        0,
        "nothing happened to the gateway"
    );
    let since = Filter {
        since_ms: Some(time::now_ms() + 60_000),
        limit: 10,
        ..Default::default()
    };
    assert!(h.list(&since).unwrap().is_empty());
}

#[test]
fn a_cycle_cut_off_by_kill_9_is_marked_interrupted_at_the_next_open() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = History::open(dir.path(), Retention::default()).unwrap();
    let id = h.begin(Source::Run, HistoryCause::Commit, "c2").unwrap();
    // The writer "dies": its row stays running, with a PID that no longer exists.
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    h.conn
        .execute(
            "UPDATE cycles SET pid = ?1 WHERE id = ?2",
            rusqlite::params![dead, id],
        )
        .unwrap();
    let reader = History::open_existing(dir.path()).unwrap();
    assert_eq!(
        reader.show(id).unwrap().state,
        EntryState::Running,
        "readers change nothing"
    );
    drop((h, reader));
    let mut h = History::open(dir.path(), Retention::default()).unwrap();
    let e = h.show(id).unwrap();
    assert_eq!(e.state, EntryState::Interrupted);
    assert_eq!(e.targets.len(), 0);
    let next = record(&mut h, HistoryCause::Drift, &corrected("ha2"));
    assert!(next > id, "the next cycle is recorded after it");
}

#[test]
fn identical_quiet_cycles_fold_into_one_entry_and_changes_never_do() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = History::open(dir.path(), Retention::default()).unwrap();
    let first = record(&mut h, HistoryCause::Drift, &quiet());
    for _ in 0..5 {
        record(&mut h, HistoryCause::Drift, &quiet());
    }
    let all = Filter {
        limit: 100,
        ..Default::default()
    };
    let list = h.list(&all).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!((list[0].id, list[0].repeats), (first, 6));
    record(&mut h, HistoryCause::Drift, &corrected("ha2"));
    record(&mut h, HistoryCause::Drift, &corrected("ha2"));
    record(&mut h, HistoryCause::Commit, &quiet());
    assert_eq!(
        h.count(&all).unwrap(),
        4,
        "applied changes and a new cause each get an entry"
    );
}

#[test]
fn retention_keeps_the_newest_entries() {
    let dir = tempfile::tempdir().unwrap();
    let keep = Retention {
        max_age: Some(Duration::from_secs(3600)),
        max_entries: Some(3),
    };
    let mut h = History::open(dir.path(), keep).unwrap();
    let ids: Vec<i64> = (0..5)
        .map(|_| record(&mut h, HistoryCause::Drift, &corrected("ha1")))
        .collect();
    let list = h
        .list(&Filter {
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        list.iter().map(|e| e.id).collect::<Vec<_>>(),
        [ids[4], ids[3], ids[2]]
    );
    let n: i64 = h
        .conn
        .query_row("SELECT COUNT(*) FROM items", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 3, "items of deleted entries go with them");
    h.conn
        .execute("UPDATE cycles SET started_ms = 0 WHERE id = ?1", [ids[2]])
        .unwrap();
    record(&mut h, HistoryCause::Commit, &quiet());
    assert!(
        matches!(h.show(ids[2]), Err(HistoryError::NoEntry { .. })),
        "too old"
    );
}

#[test]
fn records_are_masked_before_they_are_stored() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = History::open(dir.path(), Retention::default()).unwrap();
    let mut m = Masker::new("k");
    m.add_secret("hunter2-secret");
    let mut out = corrected("ha1");
    out.changes[0].diff =
        Some("-    stats auth admin:old-pass-9\n+    stats auth admin:hunter2-secret\n".into());
    out.errors.push(TargetError {
        target: "gateway".into(),
        host: Some("gw".into()),
        message: "apache2ctl: bad line hunter2-secret".into(),
        transient: false,
    });
    let id = h.begin(Source::Apply, HistoryCause::Manual, "c1").unwrap();
    h.finish(id, &Record::of(&out, &m, Duration::ZERO)).unwrap();
    drop(h);
    let raw = std::fs::read(dir.path().join(FILE)).unwrap();
    let wal = std::fs::read(dir.path().join(format!("{FILE}-wal"))).unwrap_or_default();
    for bytes in [raw, wal] {
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("hunter2-secret") && !text.contains("old-pass-9"));
    }
    let e = History::open_existing(dir.path())
        .unwrap()
        .show(id)
        .unwrap();
    assert!(e.items[0]
        .diff
        .as_deref()
        .unwrap()
        .contains(&m.token("hunter2-secret")));
}

#[test]
fn the_schema_is_migrated_and_a_newer_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let h = History::open(dir.path(), Retention::default()).unwrap();
    let v: i64 = h
        .conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, migrate::VERSION);
    h.conn.pragma_update(None, "user_version", 99).unwrap();
    drop(h);
    let err = History::open(dir.path(), Retention::default()).unwrap_err();
    assert!(err.to_string().contains("newer agent"), "{err}");
    assert!(matches!(
        History::open_existing(&dir.path().join("none")),
        Err(HistoryError::Missing { .. })
    ));
}
