//! Prometheus metrics of the service, rendered as the text exposition format
//! (version 0.0.4) by hand: a handful of counters, one gauge per target, one histogram.

use super::{Cause, Outcome};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

/// Upper bounds (seconds) of the cycle duration histogram.
const BUCKETS: &[f64] = &[0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0];

#[derive(Debug, Clone, Default)]
pub struct Metrics {
    /// Cumulative count per bucket of [`BUCKETS`], then the total count.
    cycle_buckets: [u64; BUCKETS.len()],
    cycle_count: u64,
    cycle_sum: f64,
    /// (target, cause) → changes applied.
    changes: BTreeMap<(String, &'static str), u64>,
    /// target → errors (the source counts as target `source`).
    errors: BTreeMap<String, u64>,
    /// target → differences found and not corrected, at the last reconcile.
    drift: BTreeMap<String, u64>,
    last_success: Option<u64>,
}

impl Metrics {
    pub fn observe_cycle(&mut self, d: Duration) {
        let secs = d.as_secs_f64();
        for (i, le) in BUCKETS.iter().enumerate() {
            if secs <= *le {
                self.cycle_buckets[i] += 1;
            }
        }
        self.cycle_count += 1;
        self.cycle_sum += secs;
    }

    pub fn record(&mut self, cause: Cause, out: &Outcome) {
        for t in &out.targets {
            self.drift.insert(t.clone(), 0);
        }
        for f in &out.applied {
            *self
                .changes
                .entry((f.target.clone(), cause.as_str()))
                .or_default() += 1;
        }
        for f in &out.drift {
            *self.drift.entry(f.target.clone()).or_default() += 1;
        }
        for e in &out.errors {
            self.error(&e.target);
        }
    }

    pub fn error(&mut self, target: &str) {
        *self.errors.entry(target.to_string()).or_default() += 1;
    }

    pub fn success(&mut self, unix_secs: u64) {
        self.last_success = Some(unix_secs);
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(
            o,
            "# HELP agent_cycle_duration_seconds Wall time of one poll + reconcile cycle."
        );
        let _ = writeln!(o, "# TYPE agent_cycle_duration_seconds histogram");
        for (le, n) in BUCKETS.iter().zip(self.cycle_buckets) {
            let _ = writeln!(o, "agent_cycle_duration_seconds_bucket{{le=\"{le}\"}} {n}");
        }
        let _ = writeln!(
            o,
            "agent_cycle_duration_seconds_bucket{{le=\"+Inf\"}} {}",
            self.cycle_count
        );
        let _ = writeln!(o, "agent_cycle_duration_seconds_sum {}", self.cycle_sum);
        let _ = writeln!(o, "agent_cycle_duration_seconds_count {}", self.cycle_count);
        let _ = writeln!(o, "# HELP agent_changes_applied_total Changes applied, by target and cause (intentional: new commit; corrective: drift).");
        let _ = writeln!(o, "# TYPE agent_changes_applied_total counter");
        for ((t, cause), n) in &self.changes {
            let _ = writeln!(
                o,
                "agent_changes_applied_total{{target=\"{}\",cause=\"{cause}\"}} {n}",
                esc(t)
            );
        }
        let _ = writeln!(o, "# HELP agent_errors_total Errors by target (`source`: fetching or accepting a commit).");
        let _ = writeln!(o, "# TYPE agent_errors_total counter");
        for (t, n) in &self.errors {
            let _ = writeln!(o, "agent_errors_total{{target=\"{}\"}} {n}", esc(t));
        }
        let _ = writeln!(o, "# HELP agent_drift_objects Differences found and left alone (policy observe) at the last reconcile.");
        let _ = writeln!(o, "# TYPE agent_drift_objects gauge");
        for (t, n) in &self.drift {
            let _ = writeln!(o, "agent_drift_objects{{target=\"{}\"}} {n}", esc(t));
        }
        if let Some(ts) = self.last_success {
            let _ = writeln!(
                o,
                "# HELP agent_last_success_timestamp_seconds End of the last cycle without errors."
            );
            let _ = writeln!(o, "# TYPE agent_last_success_timestamp_seconds gauge");
            let _ = writeln!(o, "agent_last_success_timestamp_seconds {ts}");
        }
        o
    }
}

/// Label values: backslash, quote and newline escaped.
fn esc(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::TargetError;
    use crate::run::Found;

    #[test]
    fn renders_histogram_counters_and_gauges() {
        let mut m = Metrics::default();
        m.observe_cycle(Duration::from_millis(200));
        m.observe_cycle(Duration::from_secs(3));
        let f = |t: &str| Found {
            target: t.into(),
            host: Some("ha1".into()),
            object: "/etc/haproxy/haproxy.cfg".into(),
        };
        let out = Outcome {
            commit: "c".into(),
            targets: vec!["balancer".into(), "gateway".into()],
            applied: vec![f("balancer"), f("balancer")],
            drift: vec![f("gateway")],
            errors: vec![TargetError {
                target: "gateway".into(),
                host: Some("gw".into()),
                message: "x".into(),
                transient: true,
            }],
            ..Default::default()
        };
        m.record(Cause::Intentional, &out);
        m.record(Cause::Corrective, &out);
        m.success(1_700_000_000);
        let t = m.render();
        for line in [
            "agent_cycle_duration_seconds_bucket{le=\"0.1\"} 0",
            "agent_cycle_duration_seconds_bucket{le=\"0.25\"} 1",
            "agent_cycle_duration_seconds_bucket{le=\"5\"} 2",
            "agent_cycle_duration_seconds_bucket{le=\"+Inf\"} 2",
            "agent_cycle_duration_seconds_count 2",
            "agent_changes_applied_total{target=\"balancer\",cause=\"intentional\"} 2",
            "agent_changes_applied_total{target=\"balancer\",cause=\"corrective\"} 2",
            "agent_errors_total{target=\"gateway\"} 2",
            "agent_drift_objects{target=\"balancer\"} 0",
            "agent_drift_objects{target=\"gateway\"} 1",
            "agent_last_success_timestamp_seconds 1700000000",
        ] {
            assert!(t.lines().any(|l| l == line), "missing {line}\n{t}");
        }
    }
}
