//! `k8s-double`: the in-memory Kubernetes API server the agent's workloads tests
//! and the lab demo run against (no API server can be installed on the machines
//! this project is built and tested on). Test code only: the `agent` crate does
//! not depend on it; its tests do (`[dev-dependencies]`).

pub mod apiserver;
