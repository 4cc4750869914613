//! The PR comment: the sample platform's comment (its whole first rollout, every file
//! created) fits GitHub's limit with no plaintext secret; a generated 200-host change
//! is cut with the truncation line and stays within the limit; drift is shown apart;
//! a revision that does not validate gives its errors in the same form.

use super::budget::GITHUB_LIMIT;
use super::build::{build, Inputs};
use super::markdown::{comment, invalid, MARKER};
use super::model::{
    HostDelta, InventoryPreview, ObjectPreview, Preview, Revision, Section, SummaryRow,
};
use crate::mask::Masker;
use crate::plan::{Action, Change, ChangeSet};
use crate::rendered::Rendered;
use crate::targets::target::StepPlan;
use crate::textdiff::unified;

fn rev(r: &str, c: &str) -> Revision {
    Revision {
        reference: r.into(),
        commit: c.into(),
    }
}

fn sample() -> crate::validate::Prepared {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let id = crate::secrets::Identity::from_file(&root.join("tests/lab/demo-age-key.txt"))
        .expect("demo key");
    crate::validate::prepare_dir(&root.join("sample-repo"), &[id]).expect("sample loads")
}

/// The engine's view of a platform where nothing exists yet: every file a create.
fn all_created(r: &Rendered, masker: &Masker) -> ChangeSet {
    let changes = r
        .files
        .iter()
        .map(|f| Change {
            target: f.target.into(),
            host: Some(f.host.clone()),
            object: f.path.clone(),
            action: Action::Create,
            diff: unified("", &f.content, "live", "desired", masker),
            notes: vec!["reload".into()],
        })
        .collect();
    ChangeSet {
        commit: "c".into(),
        shard: None,
        changes,
        errors: vec![],
    }
}

#[test]
fn the_sample_platforms_comment_fits_and_masks_its_secrets() {
    let p = sample();
    let masker = crate::secrets::masking::masker_for(&p.state, &p.secrets);
    let apply = all_created(&p.rendered, &masker);
    let waves = vec![
        vec![step("balancer", "ha2")],
        vec![step("balancer", "ha1")],
        vec![step("gateway", "gw")],
    ];
    let preview = build(Inputs {
        base: rev("main", "b"),
        head: rev("pr", "h"),
        base_rendered: &Rendered::default(),
        head_rendered: &p.rendered,
        drift: &ChangeSet::default(),
        apply: &apply,
        waves,
        not_read: vec![],
        inventory: InventoryPreview::default(),
        masker: &masker,
    });
    let md = comment(&preview, GITHUB_LIMIT);
    eprintln!(
        "the sample's first-rollout comment: {} characters",
        md.chars().count()
    );
    assert!(md.starts_with(MARKER));
    assert!(
        !md.contains("Truncated"),
        "the sample fits: {} chars",
        md.len()
    );
    assert!(md.chars().count() <= GITHUB_LIMIT);
    assert!(
        md.contains("| balancer | ha2, ha1 |"),
        "in rollout order: {md}"
    );
    let (a, b) = (
        md.find("1. balancer ha2").unwrap(),
        md.find("2. balancer ha1").unwrap(),
    );
    assert!(a < b, "the standby first");
    assert!(!p.secrets.is_empty());
    for s in &p.secrets {
        for line in s
            .lines()
            .filter(|l| l.len() >= 8 && !l.starts_with("-----"))
        {
            assert!(!md.contains(line.trim()), "plaintext secret in the comment");
        }
    }
    assert!(md.contains("***"), "secrets appear masked");
}

fn step(target: &'static str, host: &str) -> StepPlan {
    StepPlan {
        target,
        id: host.into(),
        host: Some(host.into()),
        objects: vec!["/etc/haproxy/haproxy.cfg".into()],
        start: String::new(),
    }
}

fn big_section(i: usize) -> Section {
    let body: String = (0..40)
        .map(|l| format!("+    server w{i}-{l} 10.1.{i}.{l}:30080 check\n"))
        .collect();
    Section {
        target: "balancer".into(),
        host: Some(format!("lb{i}")),
        objects: vec![ObjectPreview {
            object: "/etc/haproxy/haproxy.cfg".into(),
            action: "update".into(),
            apply_diff: Some(format!("--- live\n+++ desired\n@@ -1 +1,40 @@\n{body}")),
            ..Default::default()
        }],
        step: Some(i + 1),
    }
}

#[test]
fn a_200_host_change_is_truncated_with_the_truncation_line() {
    let p = Preview {
        base: rev("main", "b"),
        head: rev("pr", "h"),
        order: (0..200)
            .map(|i| step("balancer", &format!("lb{i}")))
            .collect(),
        inventory: InventoryPreview {
            hosts: (0..200)
                .map(|i| HostDelta {
                    name: format!("w{i}"),
                    change: "added".into(),
                    diff: format!("+- name: w{i}\n+  address: 10.1.0.{i}\n"),
                })
                .collect(),
            not_contacted: (0..200).map(|i| format!("w{i}")).collect(),
        },
        sections: (0..200).map(big_section).collect(),
        summary: vec![SummaryRow {
            target: "balancer".into(),
            hosts: (0..200).map(|i| format!("lb{i}")).collect(),
            update: 200,
            path: "reload".into(),
            ..Default::default()
        }],
        ..Default::default()
    };
    let md = comment(&p, GITHUB_LIMIT);
    assert!(md.chars().count() <= GITHUB_LIMIT, "{}", md.chars().count());
    let last = md.trim_end().lines().last().unwrap();
    assert!(
        last.starts_with("**✂️ Truncated** (GitHub limits a comment to 65,536 characters)"),
        "{last}"
    );
    assert!(last.contains("× host section"), "{last}");
    assert!(
        md.contains("+188 more"),
        "long host lists are cut in the summary"
    );
    // Whole sections only: every <details> opened is closed.
    assert_eq!(
        md.matches("<details>").count(),
        md.matches("</details>").count()
    );
}

#[test]
fn drift_is_shown_apart_from_the_prs_change() {
    let masker = Masker::new("k");
    let change = |action, diff: &str| Change {
        target: "balancer".into(),
        host: Some("ha1".into()),
        object: "/etc/haproxy/haproxy.cfg".into(),
        action,
        diff: Some(diff.into()),
        notes: vec![],
    };
    let cs = |c| ChangeSet {
        commit: "c".into(),
        shard: None,
        changes: vec![c],
        errors: vec![],
    };
    let file = |content: &str| Rendered {
        files: vec![crate::rendered::ManagedFile {
            host: "ha1".into(),
            target: "balancer",
            path: "/etc/haproxy/haproxy.cfg".into(),
            content: content.into(),
            ..Default::default()
        }],
        ..Default::default()
    };
    let p = build(Inputs {
        base: rev("main", "b"),
        head: rev("pr", "h"),
        base_rendered: &file("a\n"),
        head_rendered: &file("a\nserver w3\n"),
        drift: &cs(change(Action::Update, "-hand edit\n+a\n")),
        apply: &cs(change(Action::Update, "-hand edit\n+a\n+server w3\n")),
        waves: vec![vec![step("balancer", "ha1")]],
        not_read: vec![],
        inventory: InventoryPreview::default(),
        masker: &masker,
    });
    let md = comment(&p, GITHUB_LIMIT);
    assert!(
        md.contains("Drift on the live side, not part of this PR"),
        "{md}"
    );
    let pr = md.find("What this PR changes (base → PR)").expect(&md);
    let drift = md.find("Drift, not from this PR").expect(&md);
    assert!(pr < drift);
    assert!(md[pr..drift].contains("+server w3") && !md[pr..drift].contains("hand edit"));
    assert!(md[drift..].contains("-hand edit"));
}

#[test]
fn an_invalid_revision_lists_its_errors() {
    let d = schema::Diagnostic::error("balancer/haproxy.yaml", 12, 5, "unknown field `balanse`")
        .with_hint("did you mean `balance`?");
    let md = invalid("PR head", &rev("pr", "abc"), &[d], GITHUB_LIMIT);
    assert!(md.starts_with(MARKER));
    assert!(md.contains("does not validate"));
    assert!(
        md.contains(
            "| `balancer/haproxy.yaml:12:5` | unknown field `balanse` | did you mean `balance`? |"
        ),
        "{md}"
    );
}

#[test]
fn a_sharded_preview_says_which_shard_it_covers() {
    let mut p = Preview {
        base: rev("main", "b"),
        head: rev("pr", "h"),
        ..Default::default()
    };
    assert!(!comment(&p, GITHUB_LIMIT).contains("Shard"));
    p.shard = Some("site-a".into());
    let md = comment(&p, GITHUB_LIMIT);
    assert!(
        md.contains("Shard `site-a`: only the hosts labelled `shard: site-a`."),
        "{md}"
    );
    let json = serde_json::to_value(&p).unwrap();
    assert_eq!(json["shard"], "site-a");
}
