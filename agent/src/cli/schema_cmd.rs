//! `agent schema [KIND]`: the JSON Schema of a desired-state kind, for editors
//! (yaml-language-server) and PR tooling; `agent schema config`: the schema of the
//! agent's own `agent.yaml`. Without KIND: the list of kinds.

use super::exit::Exit;
use super::format::Format;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Inventory, Gateway, Balancer, HaCluster or App (case-insensitive), or `config`
    /// for the agent's own configuration file.
    pub kind: Option<String>,
}

pub fn run(args: &Args, format: Format) -> anyhow::Result<Exit> {
    let Some(kind) = &args.kind else {
        let kinds = schema::kinds();
        match format {
            Format::Json => println!("{}", serde_json::json!({ "kinds": kinds })),
            Format::Text => kinds.iter().for_each(|k| println!("{k}")),
        }
        return Ok(Exit::Ok);
    };
    if kind.eq_ignore_ascii_case("config") {
        println!(
            "{}",
            serde_json::to_string_pretty(&crate::config::json_schema(
                &crate::targets::registry::names()
            ))?
        );
        return Ok(Exit::Ok);
    }
    match schema::json_schema(kind) {
        Some(s) => {
            println!("{}", serde_json::to_string_pretty(&s)?);
            Ok(Exit::Ok)
        }
        None => {
            eprintln!(
                "error: unknown kind `{kind}`; one of: {}, or config",
                schema::kinds().join(", ")
            );
            Ok(Exit::Usage)
        }
    }
}
