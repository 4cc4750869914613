//! `agent diff --rev PR --base BASE [--output markdown|json]`: the PR preview
//! (`crate::preview`). Thin: read both revisions, load them, open the connections
//! **from the base's inventory** and the agent config, print.
//!
//! The base's commit passes the signed-commit gate like any commit the agent acts
//! on; the PR's head is only rendered and compared (nothing of it is applied, and
//! nothing of it decides where to connect), so an unsigned contributor's head can be
//! previewed.

use super::exit::Exit;
use super::format::Output;
use super::via_service::DiffArgs;
use crate::config::Config;
use crate::preview::budget::GITHUB_LIMIT;
use crate::preview::markdown;
use crate::preview::model::Revision;
use crate::preview::observe::{preview, Context, Side};
use crate::ssh::{Pool, SshConfig, SshRemote};
use crate::targets::target::Settings;
use crate::validate::{prepare_with, Prepared};

fn revision(reference: Option<&str>, commit: &str) -> Revision {
    Revision {
        reference: reference.unwrap_or(commit).to_string(),
        commit: commit.to_string(),
    }
}

/// Prints why `r` does not load, in the chosen form; the exit code of an invalid state.
fn invalid(which: &str, r: &Revision, diags: &[schema::Diagnostic], output: Output) -> Exit {
    match output {
        Output::Markdown => print!("{}", markdown::invalid(which, r, diags, GITHUB_LIMIT)),
        Output::Json => println!(
            "{}",
            serde_json::json!({"valid": false, "which": which, "reference": r.reference, "commit": r.commit, "errors": diags, "exitCode": Exit::Invalid.code()})
        ),
        Output::Text => {
            for d in diags {
                eprintln!("{d}");
            }
            eprintln!(
                "the {which} {} does not validate: nothing was compared",
                r.commit
            );
        }
    }
    Exit::Invalid
}

pub fn run(args: &DiffArgs, config: Option<&Config>, output: Output) -> anyhow::Result<Exit> {
    let base_ref = args.base.as_deref().expect("called with --base");
    let common = &args.common;
    let keys = super::validate::secret_options(config)?;
    let mut base_source = common.source.clone();
    base_source.rev = Some(base_ref.to_string());
    let base_snap = base_source.verified_snapshot(config, true)?;
    let head_snap = common.source.snapshot(config)?;
    let base_rev = revision(Some(base_ref), &base_snap.commit);
    let head_rev = revision(common.source.rev.as_deref(), &head_snap.commit);
    let base = match prepare_with(&base_snap, &keys) {
        Ok(p) => p,
        Err(d) => return Ok(invalid("base", &base_rev, &d, output)),
    };
    let head = match prepare_with(&head_snap, &keys) {
        Ok(p) => p,
        Err(d) => return Ok(invalid("PR head", &head_rev, &d, output)),
    };
    // `shard:`: the preview is the shard's, like its agent's diff (base and head alike).
    let shard = config.and_then(|c| c.shard.as_deref());
    let (base, head) = match (
        crate::shard::narrow(base, shard),
        crate::shard::narrow(head, shard),
    ) {
        (Ok(b), Ok(h)) => (b, h),
        (Err(why), _) | (_, Err(why)) => {
            eprintln!("error: {why}: nothing was compared");
            return Ok(Exit::Config);
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let p = compare(args, config, &base, base_rev, &head, head_rev).await?;
        match output {
            Output::Json => println!("{}", serde_json::to_string_pretty(&p)?),
            Output::Markdown | Output::Text => print!("{}", markdown::comment(&p, GITHUB_LIMIT)),
        }
        Ok(match p.exit_code() {
            0 => Exit::Ok,
            1 => Exit::Differences,
            _ => Exit::TargetFailed,
        })
    })
}

async fn compare(
    args: &DiffArgs,
    config: Option<&Config>,
    base: &Prepared,
    base_rev: Revision,
    head: &Prepared,
    head_rev: Revision,
) -> anyhow::Result<crate::preview::model::Preview> {
    let common = &args.common;
    let pool = Pool::new(config.map(SshConfig::from).unwrap_or_default());
    // Where to connect: the base's inventory, never the PR's.
    let remote = SshRemote::from_inventory(pool, &base.state);
    let select = common.selection();
    let kubeconfig = common
        .kubeconfig
        .clone()
        .or_else(|| config.and_then(|c| c.kubeconfig.clone()));
    let wants = select.uses_kube(&base.rendered) || select.uses_kube(&head.rendered);
    let kube = if wants && (kubeconfig.is_some() || std::env::var_os("KUBECONFIG").is_some()) {
        Some(crate::kubeapi::connect(kubeconfig.as_deref()).await?)
    } else {
        None
    };
    let cx = Context {
        remote: &remote,
        kube: kube.as_ref(),
        select,
        settings: Settings {
            cluster: config.map(|c| c.cluster).unwrap_or_default(),
            preview: false,
            rollout: config.map(|c| c.rollout).unwrap_or_default(),
        },
    };
    let p = preview(
        &cx,
        Side {
            rev: base_rev,
            prepared: base,
        },
        Side {
            rev: head_rev,
            prepared: head,
        },
    )
    .await;
    remote.pool.close().await;
    Ok(p)
}
