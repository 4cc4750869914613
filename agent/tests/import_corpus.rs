//! Issue #12: the import round-trips a corpus of real-world configurations
//! (`tests/corpus/import/`, sources and licences in its `SOURCES.tsv`) offline.
//!
//! For every file: import it alone (`--from KIND=FILE`), validate the repo it gives
//! (load, render, the real `haproxy -c` / `apache2ctl -t` / `crm_verify` where
//! installed) and compare live and rendered in canonical form. Fails when a file's
//! semantic comparison is not empty, when the repo does not validate, or when the
//! real tool accepts the original but not the rendered file. The table of results
//! is `tests/corpus/import/RESULTS.md` (`UPDATE_CORPUS=1` rewrites it; otherwise it
//! must be current).

use agent::import::{self, write::SopsConfig, Format, Parts};
use agent::secrets::Identity;
use agent::validate::SecretOptions;
use std::path::{Path, PathBuf};

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus/import")
}

fn key() -> Identity {
    let text = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/lab/demo-age-key.txt"),
    )
    .unwrap();
    Identity::parse(&text).unwrap()
}

struct Row {
    file: String,
    typed: usize,
    raw: usize,
    refused: usize,
    unmanaged: usize,
    differences: Vec<String>,
    valid: bool,
    errors: Vec<String>,
    original_ok: Option<bool>,
    skipped: Vec<String>,
}

/// Imports one file the way `agent import --from` does and proves it.
fn run(format: Format, path: &Path, keys: &SecretOptions, sops: &SopsConfig) -> Row {
    let sources = import::offline_sources(&[(format, path.to_path_buf())]).unwrap();
    let mut built = import::build(&sources, None, Some(sops), Parts::default()).unwrap();
    let proof = import::roundtrip::prove(&mut built, keys);
    // Diagnostics while working on the importers: CORPUS_RAW=1 lists every raw line,
    // DEBUG_CORPUS=<part of a file name> prints that file's summary and repo.
    if std::env::var_os("CORPUS_RAW").is_some() {
        for s in built.summaries() {
            for i in s.items.iter().filter(|i| i.fate == import::Fate::Raw) {
                let w: String = i.what.split_whitespace().take(1).collect();
                eprintln!("RAW\t{:?}\t{}\t{}", format, w, i.why);
                if i.why.contains("typed form differed") {
                    eprintln!("FALLBACK\t{}\t{}", path.display(), i.what);
                }
            }
        }
    }
    if std::env::var("DEBUG_CORPUS").is_ok_and(|d| path.display().to_string().contains(&d)) {
        for s in built.summaries() {
            eprintln!("{}", s.text());
        }
        for f in built.files() {
            eprintln!("==== {}\n{}", f.path, f.plain);
        }
        eprintln!("{proof:#?}");
    }
    let sums: Vec<_> = built.summaries().collect();
    let sum = |f: fn(&import::FileSummary) -> usize| sums.iter().map(|s| f(s)).sum::<usize>();
    let differences = sums
        .iter()
        .flat_map(|s| s.semantic_differences.clone().unwrap_or_default())
        .collect();
    if let Some(ok) = proof.encrypted_ok {
        assert!(
            ok,
            "{}: the encrypted files do not render like their plain twins",
            path.display()
        );
    }
    Row {
        file: path.strip_prefix(corpus()).unwrap().display().to_string(),
        typed: sum(|s| s.typed),
        raw: sum(|s| s.raw),
        refused: sum(|s| s.refused),
        unmanaged: sum(|s| s.unmanaged),
        differences,
        valid: proof.valid,
        errors: proof.errors,
        original_ok: original_check(format, path, keys),
        skipped: proof.skipped_tools,
    }
}

/// Whether the real tool accepts the original file: the same pipeline on the file kept
/// verbatim (HAProxy, Apache), `crm_verify` on the CIB itself; `None` for corosync.conf.
fn original_check(format: Format, path: &Path, keys: &SecretOptions) -> Option<bool> {
    let text = std::fs::read_to_string(path).unwrap();
    let p = path.display().to_string();
    let entries: Vec<(String, String)> = match format {
        Format::Haproxy => {
            let imp = import::haproxy::verbatim(
                &import::haproxy::Source {
                    host: None,
                    path: &p,
                    text: &text,
                },
                "original",
            );
            vec![(
                "balancer/original.yaml".into(),
                import::write::to_yaml(&imp.document(), &imp.comments),
            )]
        }
        Format::Apache => {
            let site = import::apache::Site {
                host: None,
                path: &p,
                text: &text,
                includes: None,
                enabled: None,
            };
            let imp = import::apache::verbatim(&site, "original");
            vec![(
                "gateway/original.yaml".into(),
                import::write::to_yaml(&imp.document(), &imp.comments),
            )]
        }
        Format::Cib => {
            let crm = agent::localcheck::find_tool("crm_verify")?;
            let out = std::process::Command::new(crm)
                .arg("--xml-file")
                .arg(path)
                .output()
                .ok()?;
            return Some(out.status.success());
        }
        _ => return None,
    };
    let inv = "apiVersion: agent/v1\nkind: Inventory\nmetadata: {name: o}\nspec:\n  hosts:\n    - {name: gw, address: 192.0.2.10, roles: [gateway]}\n    - {name: lb, address: 192.0.2.11, roles: [balancer]}\n";
    let mut files: Vec<schema::SourceFile> = entries
        .into_iter()
        .map(|(p, t)| schema::SourceFile::new(p, t))
        .collect();
    files.push(schema::SourceFile::new("inventory.yaml", inv));
    let snap = agent::source::Snapshot {
        commit: "o".into(),
        reference: "o".into(),
        origin: "o".into(),
        subdir: ".".into(),
        files,
        work_tree: None,
    };
    let v = agent::validate::validate_with(&snap, true, keys);
    Some(v.is_valid())
}

/// Files whose semantic comparison is not empty, and why: real limits of the model or
/// of the agent, stated here so the test notices when one appears or goes away.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[(
    "corosync/corosync.conf.example.udpu",
    "no `totem.cluster_name`: an HaCluster always declares one, so the agent reports corosync.conf as drifted (report-only; it never writes it)",
)];

/// RESULTS.md: an introduction and the table.
fn results(rows: &[Row]) -> String {
    format!(
        "# Import corpus: results\n\n\
         Generated by `UPDATE_CORPUS=1 cargo test -p agent --test import_corpus` (sources and\n\
         licences: [`SOURCES.tsv`](SOURCES.tsv)); the same table is in the README.\n\n{}",
        table(rows)
    )
}

fn table(rows: &[Row]) -> String {
    let mut t = String::from(
        "Counts are directives (HAProxy, Apache, corosync lines; CIB elements): typed, kept\n\
         verbatim in an escape hatch (raw), refused, left on the host (not managed by the\n\
         agent). *Semantic* compares the original with what the agent renders from the\n\
         imported repo; *tool* is the real `haproxy -c` / `apache2ctl -t` / `crm_verify`\n\
         (Debian 12) on the original → on the render.\n\n\
         | file | typed | raw | refused | left on host | raw % | semantic | tool |\n|---|---:|---:|---:|---:|---:|---|---|\n",
    );
    let (mut typed, mut raw) = (0, 0);
    for r in rows {
        let pct = if r.typed + r.raw == 0 {
            0.0
        } else {
            100.0 * r.raw as f64 / (r.typed + r.raw) as f64
        };
        typed += r.typed;
        raw += r.raw;
        let sem = match KNOWN_DIFFERENCES.iter().find(|(f, _)| *f == r.file) {
            _ if r.differences.is_empty() => "no difference".to_string(),
            Some((_, why)) => format!("{} difference(s): {why}", r.differences.len()),
            None => format!("{} difference(s)", r.differences.len()),
        };
        let tool = match (r.original_ok, r.valid) {
            (None, true) => "— → ok".to_string(),
            (None, false) => "— → FAILS".to_string(),
            (Some(o), v) => format!(
                "{} → {}",
                if o { "ok" } else { "fails" },
                if v { "ok" } else { "fails" }
            ),
        };
        t.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {pct:.0} | {sem} | {tool} |\n",
            r.file, r.typed, r.raw, r.refused, r.unmanaged
        ));
    }
    let pct = 100.0 * raw as f64 / (typed + raw).max(1) as f64;
    t.push_str(&format!(
        "\n{} files; {typed} directives typed, {raw} raw ({pct:.1} %).\n",
        rows.len()
    ));
    t
}

#[test]
fn every_corpus_file_round_trips() {
    let keys = SecretOptions::new(Some(key()), Default::default());
    let sops = SopsConfig::parse(&SopsConfig::text_for(&key().recipients()[0])).unwrap();
    let mut rows = Vec::new();
    for (dir, format) in [
        ("haproxy", Format::Haproxy),
        ("apache", Format::Apache),
        ("cib", Format::Cib),
        ("corosync", Format::Corosync),
    ] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(corpus().join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for f in files {
            rows.push(run(format, &f, &keys, &sops));
        }
    }
    assert!(rows.len() >= 30, "the corpus has {} files", rows.len());
    let mut problems = Vec::new();
    for r in &rows {
        let known = KNOWN_DIFFERENCES.iter().any(|(f, _)| *f == r.file);
        if known && r.differences.is_empty() {
            problems.push(format!(
                "{}: listed in KNOWN_DIFFERENCES but has none now",
                r.file
            ));
        }
        if !r.differences.is_empty() && !known {
            problems.push(format!(
                "{}: semantic differences:\n  {}",
                r.file,
                r.differences.join("\n  ")
            ));
        }
        if !r.valid && r.original_ok != Some(false) {
            problems.push(format!(
                "{}: the imported repo does not validate (the original does):\n  {}",
                r.file,
                r.errors.join("\n  ")
            ));
        }
        if !r.skipped.is_empty() {
            eprintln!(
                "SKIP: {}: tools not installed: {}",
                r.file,
                r.skipped.join(", ")
            );
        }
    }
    let text = results(&rows);
    let path = corpus().join("RESULTS.md");
    let readme_path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    let readme = std::fs::read_to_string(&readme_path).unwrap();
    let (begin, end) = (
        "<!-- import-corpus:begin -->\n",
        "<!-- import-corpus:end -->",
    );
    let (head, rest) = readme
        .split_once(begin)
        .expect("README has the corpus table markers");
    let (_, tail) = rest
        .split_once(end)
        .expect("README has the corpus table end marker");
    let new_readme = format!("{head}{begin}{}{end}{tail}", table(&rows));
    if std::env::var_os("UPDATE_CORPUS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &text).unwrap();
        std::fs::write(&readme_path, &new_readme).unwrap();
        assert!(problems.is_empty(), "{}\n\n{text}", problems.join("\n"));
        return;
    }
    assert!(problems.is_empty(), "{}\n\n{text}", problems.join("\n"));
    let stale = "is stale: UPDATE_CORPUS=1 cargo test -p agent --test import_corpus";
    assert_eq!(
        std::fs::read_to_string(&path).unwrap_or_default(),
        text,
        "RESULTS.md {stale}"
    );
    assert_eq!(readme, new_readme, "the README's corpus table {stale}");
}
