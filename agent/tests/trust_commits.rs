//! Signed-commit verification with real `git` and `ssh-keygen -Y sign` (and gpg).

use agent::trust::{verify_commit, AllowList, AllowedSshKey, Verdict};
use std::path::{Path, PathBuf};
use std::process::Command;

struct Lab {
    _dir: tempfile::TempDir,
    root: PathBuf,
    repo: PathBuf,
}

impl Lab {
    fn new() -> Lab {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let repo = root.join("repo");
        let lab = Lab {
            _dir: dir,
            root,
            repo,
        };
        lab.git(&["init", "-q", "-b", "main", lab.repo.to_str().unwrap()]);
        lab
    }

    /// git isolated from the machine's global config.
    fn git(&self, args: &[&str]) -> String {
        let out = Command::new("git")
            .current_dir(if self.repo.exists() {
                &self.repo
            } else {
                &self.root
            })
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GNUPGHOME", self.root.join("gnupg"))
            .args(["-c", "user.name=Lab", "-c", "user.email=lab@example.test"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    fn ssh_key(&self, name: &str) -> (PathBuf, String) {
        let path = self.root.join(name);
        let st = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
            .arg(&path)
            .status()
            .unwrap();
        assert!(st.success());
        let public = std::fs::read_to_string(path.with_extension("pub")).unwrap();
        (path, public.trim().to_string())
    }

    fn commit(&self, file: &str, sign: &[&str]) -> git2::Oid {
        std::fs::write(self.repo.join(file), file).unwrap();
        self.git(&["add", file]);
        let mut args = sign.to_vec();
        args.extend(["commit", "-q", "-m", file]);
        self.git(&args);
        git2::Oid::from_str(&self.git(&["rev-parse", "HEAD"])).unwrap()
    }

    fn ssh_commit(&self, file: &str, key: &Path) -> git2::Oid {
        let signing = format!("user.signingkey={}", key.display());
        self.commit(
            file,
            &[
                "-c",
                "gpg.format=ssh",
                "-c",
                &signing,
                "-c",
                "commit.gpgsign=true",
            ],
        )
    }

    fn verify(&self, id: git2::Oid, allowed: &AllowList) -> Verdict {
        let repo = git2::Repository::open(&self.repo).unwrap();
        verify_commit(&repo, id, allowed).unwrap()
    }
}

fn fingerprint(public: &str) -> String {
    agent::trust::fingerprint(public).unwrap()
}

#[test]
fn ssh_signed_commits_are_accepted_only_from_allowed_keys() {
    let lab = Lab::new();
    let (alice, alice_pub) = lab.ssh_key("alice");
    let (mallory, mallory_pub) = lab.ssh_key("mallory");
    let allowed = AllowList {
        ssh: vec![AllowedSshKey {
            principal: "alice@ops".into(),
            key: alice_pub.clone(),
        }],
        ..AllowList::default()
    };

    let unsigned = lab.commit("a", &[]);
    assert_eq!(lab.verify(unsigned, &allowed), Verdict::Unsigned);

    let good = lab.ssh_commit("b", &alice);
    assert_eq!(
        lab.verify(good, &allowed),
        Verdict::Valid {
            key: fingerprint(&alice_pub),
            principal: "alice@ops".into()
        }
    );

    let stranger = lab.ssh_commit("c", &mallory);
    assert_eq!(
        lab.verify(stranger, &allowed),
        Verdict::UnknownKey {
            fingerprint: fingerprint(&mallory_pub)
        }
    );
    assert!(
        !lab.verify(good, &AllowList::default()).is_valid(),
        "empty list trusts no one"
    );
}

#[test]
fn a_commit_changed_after_signing_keeps_no_trust() {
    let lab = Lab::new();
    let (alice, alice_pub) = lab.ssh_key("alice");
    let allowed = AllowList {
        ssh: vec![AllowedSshKey {
            principal: "alice@ops".into(),
            key: alice_pub,
        }],
        ..AllowList::default()
    };
    let good = lab.ssh_commit("b", &alice);
    assert!(lab.verify(good, &allowed).is_valid());
    // Same header and signature, different message: what an attacker rewriting history
    // while keeping the old signature produces.
    let raw = lab.git(&["cat-file", "commit", &good.to_string()]);
    let forged = raw.replace("\n\nb", "\n\nb, and a backdoor") + "\n";
    assert_ne!(raw + "\n", forged);
    std::fs::write(lab.root.join("forged"), forged).unwrap();
    let forged_path = lab.root.join("forged");
    let id = lab.git(&[
        "hash-object",
        "-t",
        "commit",
        "-w",
        forged_path.to_str().unwrap(),
    ]);
    let verdict = lab.verify(git2::Oid::from_str(&id).unwrap(), &allowed);
    assert!(
        matches!(verdict, Verdict::BadSignature { .. }),
        "{verdict:?}"
    );
}

#[test]
fn gpg_signed_commits_are_checked_against_fingerprints() {
    let lab = Lab::new();
    let home = lab.root.join("gnupg");
    std::fs::create_dir(&home).unwrap();
    let gpg = |args: &[&str]| {
        Command::new("gpg")
            .arg("--homedir")
            .arg(&home)
            .args(["--batch", "--pinentry-mode", "loopback", "--passphrase", ""])
            .args(args)
            .output()
    };
    let Ok(made) = gpg(&[
        "--quick-gen-key",
        "Ops <ops@lab>",
        "ed25519",
        "sign",
        "never",
    ]) else {
        test_skip::skip!("gpg is not installed (bash tests/setup installs it)");
    };
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let listing =
        String::from_utf8(gpg(&["--with-colons", "--list-keys"]).unwrap().stdout).unwrap();
    let fpr = listing
        .lines()
        .find_map(|l| l.strip_prefix("fpr:"))
        .map(|l| l.trim_matches(':').to_string())
        .unwrap();
    let signing = format!("user.signingkey={fpr}");
    let id = lab.commit(
        "g",
        &[
            "-c",
            "gpg.format=openpgp",
            "-c",
            &signing,
            "-c",
            "commit.gpgsign=true",
        ],
    );

    let allowed = AllowList {
        gpg_fingerprints: vec![fpr.clone()],
        gnupg_home: Some(home.clone()),
        ..AllowList::default()
    };
    let verdict = lab.verify(id, &allowed);
    assert_eq!(
        verdict,
        Verdict::Valid {
            key: fpr.clone(),
            principal: "Ops <ops@lab>".into()
        }
    );
    let others = AllowList {
        gpg_fingerprints: vec!["0".repeat(40)],
        gnupg_home: Some(home.clone()),
        ..AllowList::default()
    };
    assert_eq!(
        lab.verify(id, &others),
        Verdict::UnknownKey { fingerprint: fpr }
    );
    let _ = Command::new("gpgconf")
        .arg("--homedir")
        .arg(&home)
        .args(["--kill", "gpg-agent"])
        .status();
}
