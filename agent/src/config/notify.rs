//! `notify:` in agent.yaml: where `agent run` reports that a commit went live, failed
//! or was rolled back — a generic webhook (JSON, HMAC-SHA256 signed), GitHub's and
//! GitLab's commit-status APIs. Tokens and the webhook key are read from files.

use super::duration;
use schemars::JsonSchema;
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NotifyConfig {
    /// POST a JSON event to a URL, signed with `X-Agent-Signature-256: sha256=HMAC`.
    #[serde(default)]
    pub webhook: Option<WebhookNotify>,
    /// GitHub commit statuses (`POST /repos/{owner}/{repo}/statuses/{sha}`).
    #[serde(default)]
    pub github: Option<GithubNotify>,
    /// GitLab commit statuses (`POST /projects/:id/statuses/:sha`).
    #[serde(default)]
    pub gitlab: Option<GitlabNotify>,
    /// Give up one notification after this long (default 10s); a failure is logged,
    /// never retried and never blocks a cycle.
    #[serde(default, with = "duration::option")]
    #[schemars(with = "Option<duration::DurationText>")]
    pub timeout: Option<Duration>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WebhookNotify {
    /// `http://` or `https://` URL.
    pub url: String,
    /// File holding the HMAC-SHA256 key (its first line).
    pub secret_file: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GithubNotify {
    /// API root (default https://api.github.com; GitHub Enterprise: https://HOST/api/v3).
    #[serde(default = "github_api")]
    pub api: String,
    /// `owner/repo` of the desired-state repository.
    pub repository: String,
    /// File holding a token with the "Commit statuses: write" permission.
    pub token_file: PathBuf,
    /// The status's context (default `agent`; `agent/<shard>` for an agent with `shard:`).
    #[serde(default = "agent_name")]
    pub context: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GitlabNotify {
    /// API root, e.g. https://gitlab.example.org/api/v4.
    pub api: String,
    /// Project id (`42`) or path (`group/platform`, URL-encoded by the agent).
    pub project: String,
    /// File holding a token with the `api` scope.
    pub token_file: PathBuf,
    /// The status's name (default `agent`; `agent/<shard>` for an agent with `shard:`).
    #[serde(default = "agent_name")]
    pub name: String,
}

fn github_api() -> String {
    "https://api.github.com".into()
}

fn agent_name() -> String {
    "agent".into()
}

impl NotifyConfig {
    pub fn is_empty(&self) -> bool {
        self.webhook.is_none() && self.github.is_none() && self.gitlab.is_none()
    }

    /// The statuses of an agent of `shard`: a context/name left at its default becomes
    /// `agent/<shard>`, so that the shards' agents reporting on one commit each have
    /// their own status instead of overwriting one another's.
    pub fn for_shard(mut self, shard: Option<&str>) -> NotifyConfig {
        let Some(s) = shard else { return self };
        let own = |n: &mut String| {
            if *n == agent_name() {
                *n = format!("agent/{s}");
            }
        };
        if let Some(g) = &mut self.github {
            own(&mut g.context);
        }
        if let Some(g) = &mut self.gitlab {
            own(&mut g.name);
        }
        self
    }

    /// Relative key and token files are relative to the config file.
    pub(super) fn resolve_paths(&mut self, abs: impl Fn(&mut PathBuf)) {
        if let Some(w) = &mut self.webhook {
            abs(&mut w.secret_file);
        }
        if let Some(g) = &mut self.github {
            abs(&mut g.token_file);
        }
        if let Some(g) = &mut self.gitlab {
            abs(&mut g.token_file);
        }
    }
}
