//! `agent run`'s source side against real Git repositories (made with the `git` CLI,
//! read over `file://`): new commits accepted, a force-push refused (and accepted when
//! allowed), an invalid commit rejected while the last good one stays, and the last
//! known good restored from the state directory when the repository is gone.

#[path = "support/git.rs"]
mod gitcli;
use agent::run::gitwatch::GitWatch;
use agent::run::Polled;
use agent::source::{FetchOptions, SourceSpec};
use gitcli::{commit_all, git};
use std::path::Path;
use std::process::Command;

fn touch(dir: &Path, line: &str) {
    let f = dir.join("inventory.yaml");
    let mut text = std::fs::read_to_string(&f).unwrap();
    text.push_str(&format!("# {line}\n"));
    std::fs::write(f, text).unwrap();
}

struct Fixture {
    _tmp: tempfile::TempDir,
    work: std::path::PathBuf,
    state: std::path::PathBuf,
    first: String,
}

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("repo");
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sample-repo");
    let st = Command::new("cp")
        .arg("-r")
        .arg(&sample)
        .arg(&work)
        .status()
        .unwrap();
    assert!(st.success());
    git(&work, &["init", "-q"]);
    let first = commit_all(&work, "c1");
    let state = tmp.path().join("state");
    Fixture {
        work,
        state,
        first,
        _tmp: tmp,
    }
}

fn watcher(f: &Fixture, allow_force_push: bool) -> GitWatch {
    let mut opts = FetchOptions::new(Some(f.state.join("cache")));
    opts.timeout = std::time::Duration::from_secs(10);
    GitWatch {
        spec: SourceSpec {
            location: format!("file://{}", f.work.display()),
            rev: Some("main".into()),
            subdir: None,
        },
        opts,
        allow_force_push,
        state_dir: f.state.clone(),
        // sample-repo's secrets are encrypted to the demo key.
        keys: agent::validate::SecretOptions {
            identities: vec![agent_tests::sample::demo_identity()],
            ..Default::default()
        },
        trust: Default::default(),
        shard: None,
    }
}

#[test]
fn fast_forward_accepted_force_push_refused() {
    let f = fixture();
    let w = watcher(&f, false);
    let (p, acc) = w.poll(None);
    assert_eq!(
        p.unwrap(),
        Polled::New {
            commit: f.first.clone()
        }
    );
    let acc = acc.unwrap();
    let (p, none) = w.poll(Some(&acc));
    assert_eq!(
        p.unwrap(),
        Polled::Unchanged {
            commit: f.first.clone()
        }
    );
    assert!(none.is_none());

    touch(&f.work, "second");
    let second = commit_all(&f.work, "c2");
    let (p, acc2) = w.poll(Some(&acc));
    assert_eq!(
        p.unwrap(),
        Polled::New {
            commit: second.clone()
        }
    );
    let acc2 = acc2.unwrap();

    // Rewrite history: drop c2, commit something else on top of c1.
    git(&f.work, &["reset", "-q", "--hard", &f.first]);
    touch(&f.work, "rewritten");
    let rewritten = commit_all(&f.work, "c2'");
    match w.poll(Some(&acc2)) {
        (Ok(Polled::Rejected { commit, reason }), None) => {
            assert_eq!(commit, rewritten);
            assert!(reason.contains("force-push refused"), "{reason}");
            assert!(reason.contains(&second), "{reason}");
        }
        other => panic!("expected a refusal, got {:?}", other.0),
    }
    let (p, acc3) = watcher(&f, true).poll(Some(&acc2));
    assert_eq!(p.unwrap(), Polled::New { commit: rewritten });
    assert!(acc3.is_some());
}

#[test]
fn invalid_commit_is_rejected_and_last_good_survives_the_repo() {
    let f = fixture();
    let w = watcher(&f, false);
    let acc = w.poll(None).1.unwrap();
    std::fs::write(
        f.work.join("broken.yaml"),
        "apiVersion: agent/v1\nkind: Nonsense\nmetadata: {name: x}\nspec: {}\n",
    )
    .unwrap();
    let bad = commit_all(&f.work, "broken");
    match w.poll(Some(&acc)) {
        (Ok(Polled::Rejected { commit, reason }), None) => {
            assert_eq!(commit, bad);
            assert!(reason.contains("invalid desired state"), "{reason}");
            assert!(reason.contains("broken.yaml"), "{reason}");
        }
        other => panic!("expected a rejection, got {:?}", other.0),
    }
    // The repository disappears: polls fail, the saved last good commit is still there.
    std::fs::remove_dir_all(&f.work).unwrap();
    let (p, _) = w.poll(Some(&acc));
    assert!(p.is_err());
    let restored = w.restore().expect("last good restored from the state dir");
    assert_eq!(restored.snapshot.commit, f.first);
    assert_eq!(restored.snapshot.files, acc.snapshot.files);
    assert_eq!(
        restored.prepared.rendered.files,
        acc.prepared.rendered.files
    );
}

#[test]
fn an_unsigned_commit_is_refused_when_signatures_are_required() {
    let f = fixture();
    let mut w = watcher(&f, false);
    let (p, acc) = w.poll(None);
    assert_eq!(
        p.unwrap(),
        Polled::New {
            commit: f.first.clone()
        }
    );
    let acc = acc.unwrap();
    w.trust.require_signed_commits = true;
    touch(&f.work, "unsigned");
    let unsigned = commit_all(&f.work, "c2 (unsigned)");
    match w.poll(Some(&acc)) {
        (Ok(Polled::Rejected { commit, reason }), None) => {
            assert_eq!(commit, unsigned);
            assert!(
                reason.contains("unsigned") || reason.contains("not signed"),
                "{reason}"
            );
        }
        other => panic!("expected a refusal, got {:?}", other.0),
    }
}

/// `shard:`: a commit whose inventory does not carry the agent's shard is refused
/// (saying which shards exist) and the last good one stays; an accepted commit holds
/// only the shard's hosts.
#[test]
fn a_commit_without_the_agents_shard_is_refused_and_an_accepted_one_is_narrowed() {
    let f = fixture();
    let mut w = watcher(&f, false);
    w.shard = Some("edge".into());
    match w.poll(None) {
        (Ok(Polled::Rejected { reason, .. }), None) => {
            assert!(reason.contains("the inventory has no shards"), "{reason}")
        }
        other => panic!("expected a rejection, got {:?}", other.0),
    }
    let inv = f.work.join("inventory.yaml");
    let text = std::fs::read_to_string(&inv).unwrap();
    let mut labelled = text.clone();
    for (host, shard) in [
        ("gw", "edge"),
        ("ha1", "lb"),
        ("ha2", "lb"),
        ("w1", "edge"),
        ("w2", "lb"),
    ] {
        let from = format!("    - name: {host}\n");
        labelled = labelled.replacen(
            &from,
            &format!("{from}      labels: {{shard: {shard}}}\n"),
            1,
        );
    }
    std::fs::write(&inv, &labelled).unwrap();
    let sharded = commit_all(&f.work, "shards");
    let (p, acc) = w.poll(None);
    assert_eq!(p.unwrap(), Polled::New { commit: sharded });
    let acc = acc.unwrap();
    let hosts: std::collections::BTreeSet<&str> = acc
        .prepared
        .rendered
        .files
        .iter()
        .map(|f| f.host.as_str())
        .collect();
    assert_eq!(hosts.into_iter().collect::<Vec<_>>(), ["gw"]);
    assert_eq!(acc.prepared.rendered.shard.as_deref(), Some("edge"));
    assert!(acc.prepared.rendered.cib.is_empty());

    // The shard is renamed in Git: refused, naming the shards there are.
    std::fs::write(&inv, labelled.replace("shard: edge", "shard: front")).unwrap();
    commit_all(&f.work, "renamed");
    match w.poll(Some(&acc)) {
        (Ok(Polled::Rejected { reason, .. }), None) => {
            assert!(
                reason.contains("shard `edge`") && reason.contains("front, lb"),
                "{reason}"
            )
        }
        other => panic!("expected a rejection, got {:?}", other.0),
    }
    // Restarted with that shard, the saved last good commit is still narrowed to it.
    let restored = w.restore().expect("the last good commit");
    assert_eq!(restored.prepared.rendered.shard.as_deref(), Some("edge"));
}
