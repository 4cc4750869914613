//! `agent schema [KIND]`: the JSON Schema of a desired-state kind, for editors
//! (yaml-language-server) and PR tooling. Without KIND: the list of kinds.

use super::{Exit, Format};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Inventory, Gateway, Balancer, HaCluster or App (case-insensitive).
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
    match schema::json_schema(kind) {
        Some(s) => {
            println!("{}", serde_json::to_string_pretty(&s)?);
            Ok(Exit::Ok)
        }
        None => {
            eprintln!(
                "error: unknown kind `{kind}`; one of: {}",
                schema::kinds().join(", ")
            );
            Ok(Exit::Usage)
        }
    }
}
