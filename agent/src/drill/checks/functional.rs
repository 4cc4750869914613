//! `functional`: the platform does what the desired state says, right now — each
//! target kind's expectations ([`crate::drill::expect`]) in one check.

use super::summary;
use crate::drill::expect;
use crate::drill::report::{CheckName, CheckReport};
use crate::drill::Drill;
use crate::exec::Remote;

pub const GOAL: &str = "routes answer, stats page, servers UP, placement, replicas";

pub async fn run<R: Remote>(d: &Drill<'_, R>) -> CheckReport {
    let mut exp = expect::gateway::routes(d).await;
    exp.extend(expect::balancer::servers(d).await);
    exp.extend(expect::cluster::placement(d).await);
    exp.extend(expect::workloads::replicas(d).await);
    let measured = summary(&exp);
    CheckReport::from_expectations(CheckName::Functional, GOAL, measured, exp)
}
