//! The drill's result as one value, and its three renderings: a table (the
//! platform's original evaluation table, with numbers), JSON for tools, Markdown for
//! a change ticket. Every check states its goal and what was measured; the drill
//! passes only when no check fails ([`DrillReport::ok`]).

use serde::Serialize;

/// The checks, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum CheckName {
    Functional,
    Balance,
    Reload,
    Failover,
}

impl CheckName {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckName::Functional => "functional",
            CheckName::Balance => "balance",
            CheckName::Reload => "reload",
            CheckName::Failover => "failover",
        }
    }
    /// Checks that disturb the service on purpose (they need `--disruptive`).
    pub fn disruptive(self) -> bool {
        self == CheckName::Failover
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Fail,
    /// Not measured (nothing declared to measure, no cluster configured…); the reason
    /// is in `measured`. Does not fail the drill, and is always shown.
    Skip,
    /// The check refused to start (e.g. the cluster was not healthy): a failed goal.
    Refused,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::Skip => "SKIP",
            Verdict::Refused => "REFUSED",
        }
    }
    pub fn from_bool(ok: bool) -> Verdict {
        if ok {
            Verdict::Pass
        } else {
            Verdict::Fail
        }
    }
}

/// One goal of a check and its measured value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Expectation {
    /// What is looked at (`route https://apps.lab/app/ via gw`).
    pub what: String,
    pub goal: String,
    pub measured: String,
    pub verdict: Verdict,
}

impl Expectation {
    pub fn new(
        what: impl Into<String>,
        goal: impl Into<String>,
        measured: impl Into<String>,
        ok: bool,
    ) -> Expectation {
        Expectation {
            what: what.into(),
            goal: goal.into(),
            measured: measured.into(),
            verdict: Verdict::from_bool(ok),
        }
    }
    pub fn skip(what: impl Into<String>, goal: impl Into<String>, why: impl Into<String>) -> Self {
        Expectation {
            what: what.into(),
            goal: goal.into(),
            measured: why.into(),
            verdict: Verdict::Skip,
        }
    }
}

/// One check's result.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub check: CheckName,
    pub goal: String,
    /// The headline number(s).
    pub measured: String,
    pub verdict: Verdict,
    pub expectations: Vec<Expectation>,
    pub seconds: f64,
    /// Check-specific measurements for tools (outage windows, shares, timings).
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    pub details: serde_json::Value,
}

impl CheckReport {
    /// A report whose verdict follows its expectations: any failure fails it; all
    /// skipped (or none) skips it.
    pub fn from_expectations(
        check: CheckName,
        goal: impl Into<String>,
        measured: impl Into<String>,
        expectations: Vec<Expectation>,
    ) -> CheckReport {
        let verdict = if expectations
            .iter()
            .any(|e| matches!(e.verdict, Verdict::Fail | Verdict::Refused))
        {
            Verdict::Fail
        } else if expectations.iter().any(|e| e.verdict == Verdict::Pass) {
            Verdict::Pass
        } else {
            Verdict::Skip
        };
        CheckReport {
            check,
            goal: goal.into(),
            measured: measured.into(),
            verdict,
            expectations,
            seconds: 0.0,
            details: serde_json::Value::Null,
        }
    }

    pub fn refused(check: CheckName, goal: impl Into<String>, why: impl Into<String>) -> Self {
        CheckReport {
            check,
            goal: goal.into(),
            measured: why.into(),
            verdict: Verdict::Refused,
            expectations: Vec::new(),
            seconds: 0.0,
            details: serde_json::Value::Null,
        }
    }
}

/// The whole drill.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DrillReport {
    pub commit: String,
    /// Unix seconds.
    pub started_at: u64,
    /// The running corosync totem token (ms), read from a cluster node.
    pub corosync_token_ms: Option<u32>,
    pub checks: Vec<CheckReport>,
    /// Requests the prober sent in all.
    pub requests: u64,
    /// Addresses and things the drill could not probe.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl DrillReport {
    /// Every goal holds: no check failed or refused.
    pub fn ok(&self) -> bool {
        self.checks
            .iter()
            .all(|c| matches!(c.verdict, Verdict::Pass | Verdict::Skip))
    }

    pub fn json(&self, exit_code: u8) -> serde_json::Value {
        let mut v = serde_json::to_value(self).expect("the report serialises");
        v["ok"] = self.ok().into();
        v["exitCode"] = exit_code.into();
        v
    }

    fn header(&self) -> String {
        let token = self
            .corosync_token_ms
            .map(|t| format!("corosync token {t} ms"))
            .unwrap_or_else(|| "corosync token unknown".into());
        format!(
            "agent drill at {}: {token}, {} requests",
            short(&self.commit),
            self.requests
        )
    }

    fn footer(&self) -> String {
        if self.ok() {
            "Result: every goal holds".into()
        } else {
            let bad: Vec<&str> = self
                .checks
                .iter()
                .filter(|c| !matches!(c.verdict, Verdict::Pass | Verdict::Skip))
                .map(|c| c.check.as_str())
                .collect();
            format!("Result: goals missed in {}", bad.join(", "))
        }
    }

    fn rows(&self) -> Vec<[String; 4]> {
        let mut rows = Vec::new();
        for c in &self.checks {
            rows.push([
                c.check.as_str().to_string(),
                c.goal.clone(),
                format!("{} ({:.1} s)", c.measured, c.seconds),
                c.verdict.label().to_string(),
            ]);
            for e in &c.expectations {
                rows.push([
                    format!("  {}", e.what),
                    e.goal.clone(),
                    e.measured.clone(),
                    e.verdict.label().to_lowercase(),
                ]);
            }
        }
        rows
    }

    /// The evaluation table, one row per check and one per expectation.
    pub fn text(&self) -> String {
        let head = ["EVALUATION", "GOAL", "MEASURED", "RESULT"].map(String::from);
        let rows = self.rows();
        // Long cells overflow their column instead of widening every row.
        let width = |i: usize| {
            rows.iter()
                .chain(std::iter::once(&head))
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
                .min([44, 36, 44][i])
        };
        let w = [width(0), width(1), width(2)];
        let mut out = format!("{}\n\n", self.header());
        for r in std::iter::once(&head).chain(rows.iter()) {
            out.push_str(&format!(
                "{:<w0$}  {:<w1$}  {:<w2$}  {}\n",
                r[0],
                r[1],
                r[2],
                r[3],
                w0 = w[0],
                w1 = w[1],
                w2 = w[2]
            ));
        }
        for n in &self.notes {
            out.push_str(&format!("note: {n}\n"));
        }
        out.push_str(&format!("\n{}\n", self.footer()));
        out
    }

    /// The same table in Markdown, for a change ticket.
    pub fn markdown(&self) -> String {
        let cell = |s: &str| s.replace('|', "\\|");
        let mut out = format!("### {}\n\n", self.header());
        out.push_str("| Evaluation | Goal | Measured | Result |\n|---|---|---|---|\n");
        for c in &self.checks {
            out.push_str(&format!(
                "| **{}** | {} | {} ({:.1} s) | **{}** |\n",
                c.check.as_str(),
                cell(&c.goal),
                cell(&c.measured),
                c.seconds,
                c.verdict.label()
            ));
            for e in &c.expectations {
                out.push_str(&format!(
                    "| &nbsp;&nbsp;{} | {} | {} | {} |\n",
                    cell(&e.what),
                    cell(&e.goal),
                    cell(&e.measured),
                    e.verdict.label().to_lowercase()
                ));
            }
        }
        for n in &self.notes {
            out.push_str(&format!("\nNote: {}\n", cell(n)));
        }
        out.push_str(&format!("\n**{}**\n", self.footer()));
        out
    }
}

fn short(commit: &str) -> &str {
    if commit.len() > 12 && commit.chars().all(|c| c.is_ascii_hexdigit()) {
        &commit[..12]
    } else {
        commit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(second: Verdict) -> DrillReport {
        let mut bad = Expectation::new("server w2", "UP", "DOWN", false);
        bad.verdict = second;
        DrillReport {
            commit: "0123456789abcdef0123".into(),
            started_at: 0,
            corosync_token_ms: Some(1000),
            checks: vec![
                CheckReport::from_expectations(
                    CheckName::Functional,
                    "everything answers",
                    "2 of 2",
                    vec![Expectation::new("route /app", "200-399", "200 | w1", true)],
                ),
                CheckReport::from_expectations(CheckName::Balance, "±5 pp", "w2 0%", vec![bad]),
            ],
            requests: 7,
            notes: vec![],
        }
    }

    #[test]
    fn a_failed_expectation_fails_its_check_and_the_drill() {
        let r = report(Verdict::Fail);
        assert_eq!(r.checks[1].verdict, Verdict::Fail);
        assert!(!r.ok());
        let t = r.text();
        assert!(t.contains("corosync token 1000 ms"), "{t}");
        assert!(
            t.contains("0123456789ab:") || t.contains("0123456789ab "),
            "{t}"
        );
        assert!(t.contains("Result: goals missed in balance"), "{t}");
        let md = r.markdown();
        assert!(md.contains("| **balance** |"), "{md}");
        assert!(md.contains("200 \\| w1"), "pipes are escaped: {md}");
        assert_eq!(r.json(7)["exitCode"], 7);
        assert_eq!(r.json(7)["checks"][1]["verdict"], "fail");
    }

    #[test]
    fn skipped_goals_do_not_fail_the_drill_but_show() {
        let r = report(Verdict::Skip);
        assert_eq!(r.checks[1].verdict, Verdict::Skip);
        assert!(r.ok());
        assert!(r.text().contains("SKIP"));
    }
}
