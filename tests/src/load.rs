//! Load through the lab with wrk, beside the probe: the probe sees every outage window on
//! fresh connections, wrk keeps many keep-alive connections busy (what a reload must not
//! drop). `lab load URL DURATION --connections N` runs it; [`LoadReport`] is its summary.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::error::LabError;

/// wrk's summary. wrk counts socket errors, not failed requests: a keep-alive connection cut
/// by a failover counts as one read error, a refused reconnect as one connect error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadReport {
    pub requests: u64,
    pub connect_errors: u64,
    pub read_errors: u64,
    pub write_errors: u64,
    pub timeouts: u64,
    /// Answers that were not 2xx or 3xx.
    pub bad_status: u64,
}

impl LoadReport {
    /// Socket errors plus bad answers: 0 means wrk saw nothing go wrong.
    pub fn errors(&self) -> u64 {
        self.connect_errors + self.read_errors + self.write_errors + self.timeouts + self.bad_status
    }

    /// Read wrk's text summary; `None` when it has no "N requests in" line.
    pub fn parse(text: &str) -> Option<LoadReport> {
        let mut report = LoadReport::default();
        let mut seen = false;
        for line in text.lines().map(str::trim) {
            if let Some((n, _)) = line.split_once(" requests in ") {
                report.requests = n.trim().parse().ok()?;
                seen = true;
            } else if let Some(rest) = line.strip_prefix("Socket errors:") {
                for part in rest.split(',') {
                    let (kind, n) = part.trim().split_once(' ')?;
                    let n: u64 = n.trim().parse().ok()?;
                    match kind {
                        "connect" => report.connect_errors = n,
                        "read" => report.read_errors = n,
                        "write" => report.write_errors = n,
                        "timeout" => report.timeouts = n,
                        _ => {}
                    }
                }
            } else if let Some(n) = line.strip_prefix("Non-2xx or 3xx responses:") {
                report.bad_status = n.trim().parse().ok()?;
            }
        }
        seen.then_some(report)
    }
}

/// wrk running in the background.
pub struct Load {
    child: Child,
    url: String,
}

impl Load {
    pub(crate) fn start(
        script: &Path,
        url: &str,
        duration: Duration,
        connections: u16,
    ) -> Result<Load, LabError> {
        let child = Command::new(script)
            .arg("load")
            .arg(url)
            .arg(duration.as_secs().max(1).to_string())
            .arg("--connections")
            .arg(connections.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| LabError::Spawn {
                program: "lab load".into(),
                source,
            })?;
        Ok(Load {
            child,
            url: url.to_string(),
        })
    }

    /// Wait for the run to end and read its summary.
    pub fn wait(self) -> Result<LoadReport, LabError> {
        let out = self
            .child
            .wait_with_output()
            .map_err(|source| LabError::Spawn {
                program: "lab load".into(),
                source,
            })?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        match LoadReport::parse(&stdout) {
            Some(report) if out.status.success() => Ok(report),
            _ => Err(LabError::Command {
                command: format!("lab load {}", self.url),
                status: out.status.to_string(),
                stderr: format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_clean_run() {
        let text = "Running 2s test @ http://10.77.0.21:30080/
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    43.38ms    5.54ms  48.03ms   97.83%
    Req/Sec    91.90     16.67   121.00     72.50%
  368 requests in 2.01s, 96.80KB read
Requests/sec:    183.25
Transfer/sec:     48.20KB
";
        let r = LoadReport::parse(text).unwrap();
        assert_eq!(
            r,
            LoadReport {
                requests: 368,
                ..LoadReport::default()
            }
        );
        assert_eq!(r.errors(), 0);
    }

    #[test]
    fn counts_socket_errors_and_bad_answers() {
        let text = "  26497 requests in 1.00s, 11.96MB read
  Socket errors: connect 3, read 17, write 3222, timeout 1
  Non-2xx or 3xx responses: 40
Requests/sec:  26423.99
";
        let r = LoadReport::parse(text).unwrap();
        assert_eq!(
            (r.connect_errors, r.read_errors, r.write_errors, r.timeouts),
            (3, 17, 3222, 1)
        );
        assert_eq!(r.bad_status, 40);
        assert_eq!(r.errors(), 3 + 17 + 3222 + 1 + 40);
    }

    #[test]
    fn no_summary_is_no_report() {
        assert_eq!(
            LoadReport::parse("unable to connect to 10.77.0.21:30080 Connection refused"),
            None
        );
    }
}
