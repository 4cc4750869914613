//! The availability probe's result as data tests can assert on.
//!
//! `lab probe URL DURATION --out CSV --json` (tests/lab/probe.py) sends one request per
//! interval, each on a new connection, writes every request to CSV and prints the analysis
//! as JSON: counts, outage windows (start of the first failed request to the start of the
//! next successful one) and which backend answered. [`Probe`] runs it in the background so
//! a test can inject a fault meanwhile.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use serde::Deserialize;

use crate::error::LabError;

/// One window in which requests failed. Times are Unix seconds.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Outage {
    pub start: f64,
    pub end: f64,
    pub duration: f64,
    pub failed: u64,
    /// Failed requests by kind: an error class (`TimeoutError`, `ConnectionRefusedError`…)
    /// or the backend that answered with an error status.
    pub kinds: BTreeMap<String, u64>,
    /// Still failing when the probe ended.
    pub open: bool,
}

/// The probe's analysis (the JSON printed by `probe.py --json`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ProbeReport {
    pub requests: u64,
    pub ok: u64,
    pub failed: u64,
    pub first_start: Option<f64>,
    pub last_start: Option<f64>,
    pub outages: Vec<Outage>,
    pub longest_outage: f64,
    pub total_outage: f64,
    /// Successful requests by the backend that answered (`X-LB`, else `X-Worker` header).
    pub served_by: BTreeMap<String, u64>,
}

impl ProbeReport {
    pub fn from_json(text: &str) -> Result<ProbeReport, LabError> {
        serde_json::from_str(text.trim()).map_err(|source| LabError::ProbeReport {
            text: text.to_string(),
            source,
        })
    }

    /// Analyse a probe CSV file (as written by `lab probe --out`).
    pub fn analyze_csv(script: &Path, csv: &Path) -> Result<ProbeReport, LabError> {
        let mut c = Command::new(script);
        c.arg("probe").arg("--analyze").arg(csv).arg("--json");
        let out = c.output().map_err(|source| LabError::Spawn {
            program: "lab probe --analyze".into(),
            source,
        })?;
        if !out.status.success() {
            return Err(LabError::Command {
                command: format!("lab probe --analyze {}", csv.display()),
                status: out.status.to_string(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            });
        }
        ProbeReport::from_json(&String::from_utf8_lossy(&out.stdout))
    }
}

impl fmt::Display for ProbeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} requests, {} failed", self.requests, self.failed)?;
        for o in &self.outages {
            let kinds: Vec<String> = o.kinds.iter().map(|(k, n)| format!("{k} x{n}")).collect();
            write!(
                f,
                "; outage {:.2} s{} ({} failed: {})",
                o.duration,
                if o.open { " still open" } else { "" },
                o.failed,
                kinds.join(", ")
            )?;
        }
        write!(f, "; served by {:?}", self.served_by)
    }
}

/// A probe running in the background.
pub struct Probe {
    child: Child,
    csv: PathBuf,
    url: String,
}

impl Probe {
    pub(crate) fn start(
        script: &Path,
        url: &str,
        duration: Duration,
        interval: Duration,
        timeout: Option<Duration>,
    ) -> Result<Probe, LabError> {
        static SEQ: AtomicU32 = AtomicU32::new(0);
        let csv = std::env::temp_dir().join(format!(
            "agent-lab-probe-{}-{}.csv",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let mut cmd = Command::new(script);
        if let Some(t) = timeout {
            cmd.arg("probe")
                .arg("--timeout")
                .arg(format!("{:.3}", t.as_secs_f64()));
        } else {
            cmd.arg("probe");
        }
        let child = cmd
            .arg(url)
            .arg(format!("{:.3}", duration.as_secs_f64()))
            .arg("--interval")
            .arg(format!("{:.3}", interval.as_secs_f64()))
            .arg("--out")
            .arg(&csv)
            .arg("--json")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| LabError::Spawn {
                program: "lab probe".into(),
                source,
            })?;
        Ok(Probe {
            child,
            csv,
            url: url.to_string(),
        })
    }

    /// The CSV of every request (kept after [`Probe::wait`] for inspection).
    pub fn csv(&self) -> &Path {
        &self.csv
    }

    /// Wait for the probe's duration to end and return its analysis.
    pub fn wait(self) -> Result<ProbeReport, LabError> {
        let out = self
            .child
            .wait_with_output()
            .map_err(|source| LabError::Spawn {
                program: "lab probe".into(),
                source,
            })?;
        if !out.status.success() {
            return Err(LabError::Command {
                command: format!("lab probe {}", self.url),
                status: out.status.to_string(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            });
        }
        ProbeReport::from_json(&String::from_utf8_lossy(&out.stdout))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("lab/lab")
    }

    /// The analyser splits failures into windows bounded by the next success, and keeps a
    /// window that lasts to the end open. Needs only python3, no lab.
    #[test]
    fn analyzer_finds_outage_windows() {
        let dir = std::env::temp_dir().join(format!("agent-lab-analyze-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let csv = dir.join("p.csv");
        std::fs::write(
            &csv,
            "start,ok,latency,status,detail\n\
             100.0,1,0.010,200,ha1\n\
             100.1,0,0.500,0,TimeoutError\n\
             100.6,0,0.001,0,ConnectionRefusedError\n\
             100.7,1,0.010,200,ha2\n\
             100.8,1,0.010,200,ha2\n\
             100.9,0,0.010,503,HTTP503\n\
             101.0,0,0.200,0,TimeoutError\n",
        )
        .unwrap();
        let r = ProbeReport::analyze_csv(&script(), &csv).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!((r.requests, r.ok, r.failed), (7, 3, 4));
        assert_eq!(r.outages.len(), 2);
        let (a, b) = (&r.outages[0], &r.outages[1]);
        assert_eq!((a.start, a.end, a.failed, a.open), (100.1, 100.7, 2, false));
        assert!((a.duration - 0.6).abs() < 1e-6);
        assert_eq!(a.kinds.get("TimeoutError"), Some(&1));
        assert_eq!(a.kinds.get("ConnectionRefusedError"), Some(&1));
        assert!(b.open);
        assert_eq!(b.kinds.get("HTTP503"), Some(&1));
        assert!(
            (b.end - 101.2).abs() < 1e-6,
            "an open window ends with the last request"
        );
        assert_eq!(r.served_by.get("ha2"), Some(&2));
        assert!((r.longest_outage - 0.6).abs() < 1e-6);
    }

    #[test]
    fn report_without_requests_parses() {
        let r = ProbeReport::from_json(
            r#"{"requests":0,"ok":0,"failed":0,"first_start":null,"last_start":null,
                "outages":[],"longest_outage":0.0,"total_outage":0,"served_by":{}}"#,
        )
        .unwrap();
        assert_eq!(r.requests, 0);
        assert!(r.outages.is_empty());
    }
}
