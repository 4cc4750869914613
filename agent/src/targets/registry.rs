//! Every kind of target the agent knows, in apply order. Adding a kind is one
//! line here (docs/architecture.md, "Adding a kind of target"); the order must
//! list a target after every target it depends on (a unit test checks it).

use super::balancer::kind::Balancer;
use super::cluster::target::Cluster;
use super::gateway::kind::Gateway;
use super::hostfiles::target::HostTarget;
use super::nodes::target::Nodes;
use super::target::Target;
use super::workloads::target::Workloads;

/// The targets, in the order `apply` walks them.
pub fn all() -> Vec<Box<dyn Target>> {
    vec![
        Box::new(Nodes),
        Box::new(Workloads),
        Box::new(HostTarget(Balancer)),
        Box::new(Cluster),
        Box::new(HostTarget(Gateway)),
    ]
}

/// Their names, in the same order.
pub fn names() -> Vec<&'static str> {
    all().iter().map(|t| t.name()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_comes_after_what_it_depends_on_and_names_are_unique() {
        let names = names();
        for (i, t) in all().iter().enumerate() {
            for d in t.depends_on() {
                let at = names.iter().position(|n| *n == d.on);
                assert!(
                    at.is_some_and(|at| at < i),
                    "{} depends on {}, which must be registered before it",
                    t.name(),
                    d.on
                );
            }
            assert_eq!(names.iter().filter(|n| **n == t.name()).count(), 1);
        }
    }
}
