//! `agent import`: read the live platform (or backup files) and write a desired-state
//! repository that means the same, with the round-trip proof. Thin: arguments, where
//! the inventory and the `.sops.yaml` come from, printing; the work is
//! [`crate::import`].

use super::exit::Exit;
use super::format::Format;
use super::import_args::{Args, Part, Sub};
pub use super::import_setup::UsageError;
use super::import_setup::{find_inventory, inventory_cmd, read_live, sops_config};
use crate::config::Config;
use crate::import::write;
use crate::import::{self, roundtrip, Parts};
use anyhow::Context;
use std::path::Path;

fn parts(args: &Args) -> Parts {
    use Part as T;
    if args.targets.is_empty() {
        return Parts::default();
    }
    Parts {
        gateway: args.targets.contains(&T::Gateway),
        balancer: args.targets.contains(&T::Balancer),
        cluster: args.targets.contains(&T::Cluster),
        workloads: args.targets.contains(&T::Workloads),
    }
}

pub fn run(args: &Args, config: Option<&Config>, format: Format) -> anyhow::Result<Exit> {
    if let Some(Sub::Inventory(i)) = &args.sub {
        return inventory_cmd(i, format);
    }
    let progress = |line: &str| {
        if format == Format::Text {
            eprintln!("{line}");
        }
    };
    let keys = super::validate::secret_options(config)?;
    let inventory = find_inventory(args)?;
    let parts = parts(args);
    let sources = if args.from.is_empty() {
        let Some(inv) = &inventory else {
            anyhow::bail!(crate::source::SourceError::Unreadable {
                location: args.out.join("inventory.yaml").display().to_string(),
                cause: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "no Inventory document: write it first (`agent import inventory --hosts gw=10.0.0.10,...`), or pass --inventory, or import files offline with --from",
                ),
            });
        };
        read_live(args, config, inv, parts, &progress)?
    } else {
        import::offline_sources(&args.from).map_err(|e| crate::source::SourceError::Unreadable {
            location: "--from".into(),
            cause: e,
        })?
    };
    let (sops, new_sops) = sops_config(args, config, &keys)?;
    progress("importing and checking the round trip");
    let mut built = import::build(&sources, inventory, sops.as_ref(), parts)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let proof = roundtrip::prove(&mut built, &keys);
    let masker = roundtrip::masker(&built);
    let mut files = built.files();
    if let Some(text) = new_sops {
        files.push(write::RepoFile {
            path: ".sops.yaml".into(),
            text: text.clone(),
            plain: text,
            secret_note: None,
        });
    }
    let summary_json = serde_json::json!({"files": built.summaries().collect::<Vec<_>>(), "errors": built.errors, "proof": proof});
    let out_abs = std::fs::canonicalize(&args.out).unwrap_or_else(|_| args.out.clone());
    let exit = exit_of(&built, &proof);
    let report = report_text(&built, &proof, &files, &out_abs, exit);
    for (path, text) in [
        (
            "IMPORT.md",
            format!("# Import report\n\n```\n{}```\n", masker.mask(&report)),
        ),
        (
            ".import/summary.json",
            masker.mask(&serde_json::to_string_pretty(&summary_json)?) + "\n",
        ),
        (
            ".import/agent.yaml",
            write::suggested_config(&out_abs, config),
        ),
    ] {
        files.push(write::RepoFile {
            path: path.into(),
            text: text.clone(),
            plain: text,
            secret_note: None,
        });
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    write::write_all(&args.out, &files, args.force)
        .with_context(|| format!("writing {}", args.out.display()))?;
    match format {
        Format::Json => println!("{}", masker.mask(&serde_json::to_string_pretty(&serde_json::json!({
            "out": out_abs, "files": built.summaries().collect::<Vec<_>>(), "errors": built.errors, "proof": proof, "exitCode": exit.code()
        }))?)),
        Format::Text => print!("{}", masker.mask(&report)),
    }
    Ok(exit)
}

/// 2: the new repo does not validate; 6: a host could not be read; 7: input refused
/// or unreadable, or a semantic difference; else 0.
fn exit_of(built: &import::Built, proof: &roundtrip::Proof) -> Exit {
    let host_failed = built.errors.iter().any(|e| e.host.is_some() && e.line == 0);
    let refused = built
        .summaries()
        .any(|s| s.refused > 0 || !s.errors.is_empty())
        || !built.errors.is_empty();
    if !proof.valid {
        Exit::Invalid
    } else if host_failed {
        Exit::TargetFailed
    } else if refused || proof.differences > 0 || proof.encrypted_ok == Some(false) {
        Exit::Incomplete
    } else {
        Exit::Ok
    }
}

fn report_text(
    built: &import::Built,
    proof: &roundtrip::Proof,
    files: &[write::RepoFile],
    out: &Path,
    exit: Exit,
) -> String {
    let mut t = String::new();
    for e in &built.errors {
        t.push_str(&format!("error: {e}\n"));
    }
    for s in built.summaries() {
        t.push_str(&s.text());
    }
    for f in files.iter().filter(|f| f.secret_note.is_some()) {
        t.push_str(&format!(
            "{}: {}\n",
            f.path,
            f.secret_note.as_deref().unwrap_or_default()
        ));
    }
    let (typed, raw): (usize, usize) = built
        .summaries()
        .fold((0, 0), |(a, b), s| (a + s.typed, b + s.raw));
    t.push_str(&format!(
        "\nround trip: the new repo {} ({}; {} warning(s){})\n",
        if proof.valid {
            "validates"
        } else {
            "does NOT validate"
        },
        proof.checked,
        proof.warnings,
        if proof.skipped_tools.is_empty() {
            String::new()
        } else {
            format!(
                "; not installed here, not checked: {}",
                proof.skipped_tools.join(", ")
            )
        }
    ));
    for e in &proof.errors {
        t.push_str(&format!("  {e}\n"));
    }
    t.push_str(&match proof.differences {
        0 => "round trip: live and rendered configuration mean the same (semantic comparison: no difference)\n".to_string(),
        n => format!("round trip: {n} semantic difference(s), listed above per file\n"),
    });
    if let Some(ok) = proof.encrypted_ok {
        t.push_str(&format!(
            "round trip: the encrypted files {}\n",
            if ok {
                "decrypt and render the same"
            } else {
                "do NOT render like their plain form"
            }
        ));
    }
    t.push_str(&format!(
        "wrote {} ({} files): {typed} directives typed, {raw} kept verbatim; suggested agent config (every target `observe`): {}\n",
        out.display(),
        files.len(),
        out.join(".import/agent.yaml").display()
    ));
    t.push_str(&format!("exit {}\n", exit.code()));
    t
}
