//! What each target kind promises, checked against the running platform. One
//! function per kind, all of the same shape (`async fn(&Drill) -> Vec<Expectation>`),
//! so that each can become a method of its target kind's trait later:
//!
//! - [`gateway::routes`]: every route answers over TLS, HTTP redirects to HTTPS, the
//!   declared certificate is the one presented;
//! - [`balancer::servers`]: the stats page on the VIP (with and without the declared
//!   credentials), every declared server UP there and answering its health check;
//! - [`cluster::placement`]: nodes online, no failed actions, every declared resource
//!   started once, colocations and locations held;
//! - [`workloads::replicas`]: every declared Deployment has its replicas available.

pub mod balancer;
pub mod cluster;
pub mod gateway;
pub mod workloads;

use super::probe::Sample;

/// `200 from w1`, `503`, `refused`: one answer as a table cell.
pub fn answered(s: &Sample) -> String {
    match (&s.result, s.worker()) {
        (Ok(a), Some(w)) => format!("{} from {w}", a.status),
        (Ok(a), None) => a.status.to_string(),
        (Err(f), _) => f.to_string(),
    }
}
