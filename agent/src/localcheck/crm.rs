//! `crm_verify` on a whole CIB built from each rendered fragment.

use super::tool::{diag, rendered_line, run, LocalCheck, Tools};
use crate::rendered::Rendered;
use crate::targets::cluster::render as cib;
use schema::DesiredState;
use std::path::Path;
use std::process::Command;

pub(super) fn check(
    rendered: &Rendered,
    tools: &Tools,
    base: &Path,
    state: Option<&DesiredState>,
) -> LocalCheck {
    let mut out = LocalCheck::default();
    if rendered.cib.is_empty() {
        return out;
    }
    let Some(crm_verify) = &tools.crm_verify else {
        out.skipped.push("crm_verify".into());
        return out;
    };
    // A cluster document that declares no CIB object (corosync settings only) has
    // nothing for crm_verify to check.
    for (i, frag) in rendered
        .cib
        .iter()
        .enumerate()
        .filter(|(_, f)| !f.ids.is_empty())
    {
        let staged = base.join(format!("cib-{i}.xml"));
        let source = format!("HaCluster/{}", frag.cluster);
        let at = format!("the CIB of {source}");
        let xml = match cib::full_cib(frag) {
            Ok(x) => x,
            Err(e) => {
                let msg = format!("the rendered CIB fragment is not XML: {e}");
                out.problems.push(diag(state, &source, true, msg));
                continue;
            }
        };
        if let Err(e) = std::fs::write(&staged, &xml) {
            out.problems.push(diag(
                state,
                &source,
                false,
                format!("crm_verify did not run for {at}: {e}"),
            ));
            continue;
        }
        out.checked.push(format!("crm_verify: {at}"));
        match run(Command::new(crm_verify)
            .arg("-V")
            .arg("--xml-file")
            .arg(&staged))
        {
            Err(e) => out.problems.push(diag(
                state,
                &source,
                false,
                format!("crm_verify did not run for {at}: {e}"),
            )),
            Ok((ok, text)) => {
                let staged = staged.display().to_string();
                let mut lines = Vec::new();
                for l in text.lines() {
                    if l.starts_with("crm_verify: Errors found")
                        || l.contains("-V may provide more details")
                    {
                        continue;
                    }
                    // `FILE:LINE: element X: … error : msg`: quote the CIB line it is about.
                    let located = l
                        .strip_prefix(&format!("{staged}:"))
                        .and_then(|r| r.split_once(':'))
                        .and_then(|(n, rest)| Some((n.parse::<usize>().ok()?, rest.trim())));
                    // `(unpack_resources) \terror: …` → `error: …`
                    let l = match l.strip_prefix('(').and_then(|r| r.split_once(')')) {
                        Some((_, rest)) => rest.trim(),
                        None => l,
                    };
                    let msg =
                        match located.and_then(|(n, rest)| Some((rendered_line(&xml, n)?, rest))) {
                            Some((t, rest)) => format!("`{t}`: {rest}"),
                            None => l.replace(&staged, "cib.xml"),
                        };
                    if !lines.contains(&msg) {
                        lines.push(msg);
                    }
                }
                if !ok || !lines.is_empty() {
                    let what = if ok { "warns about" } else { "rejects" };
                    out.problems.push(diag(
                        state,
                        &source,
                        !ok,
                        format!("crm_verify {what} {at}: {}", lines.join("; ")),
                    ));
                }
            }
        }
    }
    out
}
