//! The pull request preview (`agent diff --rev PR --base main`): what a PR would do
//! to the live platform, as a PR comment (Markdown) or JSON.
//!
//! Three comparisons over one set of connections, all opened as the **base** says
//! (its inventory, the agent config's keys and known_hosts; never the PR's): live vs
//! base (drift already there), live vs PR (what apply would do), base vs PR (what
//! the PR changes). The PR's render is confined to what the base manages before any
//! host is asked (`confine`): a new host is not contacted, a new path is not read.
//! `build` turns the comparisons into a [`model::Preview`], `markdown` prints it
//! within GitHub's comment limit (`budget`). Only `observe` does I/O.

pub mod budget;
pub mod build;
pub mod confine;
pub mod inventory;
pub mod markdown;
pub mod model;
pub mod observe;
pub mod texts;

#[cfg(test)]
mod markdown_tests;
