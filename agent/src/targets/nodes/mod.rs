//! The node-registration target: the Kubernetes Node object of every inventory
//! worker that declares `node:` gets the labels and taints Git declares, and keeps
//! everything else (the kubelet's labels, other controllers' taints). Pure parts:
//! [`render`] (inventory → desired registrations) and [`compare`] (live Node →
//! the merge patch that converges it); [`target::Nodes`] observes and patches
//! through the API, one step per node.

pub mod compare;
pub mod render;
pub mod target;
