//! Errors of the lab harness: each names the command or host that failed and why.

use std::io;

#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// A helper program could not be started at all.
    #[error("cannot run {program}: {source}")]
    Spawn {
        program: String,
        #[source]
        source: io::Error,
    },
    /// A lab command (`lab up`, `lab poweroff ha1`, …) exited unsuccessfully.
    #[error("`{command}` failed ({status}):\n{stderr}")]
    Command {
        command: String,
        status: String,
        stderr: String,
    },
    /// A command on a lab host exited unsuccessfully.
    #[error("on {host}: `{command}` failed ({status}):\n{stderr}")]
    Host {
        host: String,
        command: String,
        status: String,
        stderr: String,
    },
    /// The probe's JSON report could not be read.
    #[error("cannot parse the probe report: {source}\n{text}")]
    ProbeReport {
        text: String,
        #[source]
        source: serde_json::Error,
    },
    /// A file of the lab's state directory could not be read.
    #[error("cannot read {path}: {source}")]
    State {
        path: String,
        #[source]
        source: io::Error,
    },
}
