//! The lab harness for agent's end-to-end suites.
//!
//! `tests/lab/lab` (a shell script) builds the reference platform's hosts — `gw`, `ha1`,
//! `ha2`, `w1`, `w2`… — as Linux namespaces on one machine, in the base state the agent
//! starts from (see `tests/lab/README.md`). This crate is the Rust side:
//!
//! - [`Lab`]: one lab's paths and addresses, commands on its hosts (`exec` through the
//!   namespaces, `ssh` with the pinned keys), fault injection and the availability probe;
//! - [`Lab::shared`] / [`Lab::fresh`] ([`fixture`]): the per-test-binary lab, brought up on
//!   first use, torn down when the process exits, serialised across processes by a file
//!   lock so parallel test processes never build two labs at once;
//! - [`probe`]: the probe's report (requests, failures, outage windows) as plain data;
//! - [`git_server`]: a bare repository on a lab host, pushed to over `ssh://`;
//! - [`run_agent`]: `agent run` as a child process (killed on drop), its status and metrics;
//! - [`load`]: wrk's summary (requests, socket errors, bad answers) for load beside it;
//! - [`tcp_proxy`]: a relay to the API that a test cuts (one agent partitioned);
//! - [`drill`]: a power-off of the VIP holder measured with `agent drill`'s own probe.
//!
//! Tests skip (a counted skip, see crate `test-skip`) only when the process is not root or the kernel refuses
//! namespaces; any other failure to bring the lab up fails the test.

pub mod agent_cli;
pub mod browser;
pub mod capture;
pub mod drill;
pub mod error;
pub mod fixture;
pub mod git_server;
pub mod haproxy;
pub mod lab;
pub mod load;
pub mod probe;
pub mod run_agent;
pub mod sample;
pub mod sops_edit;
pub mod tcp_proxy;

pub use error::LabError;
pub use fixture::{FreshLab, SharedLab};
pub use lab::{CmdOutput, Lab, Service};
pub use load::{Load, LoadReport};
pub use probe::{Outage, Probe, ProbeReport};

/// `let lab = lab_or_skip!(Lab::shared());` — returns from the test (a skip) when the lab
/// cannot run here; the fixture has already recorded the skip and why (`test_skip`).
#[macro_export]
macro_rules! lab_or_skip {
    ($fixture:expr) => {
        match $fixture {
            Some(lab) => lab,
            None => return,
        }
    };
}

/// Poll `check` every 100 ms until it holds or `timeout` passes; true when it held.
/// For end-to-end tests waiting on the lab's real services (never in unit tests).
pub fn wait_until(timeout: std::time::Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if check() {
            return true;
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
