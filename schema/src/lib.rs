//! `schema`: the desired-state model of agent.
//!
//! Place in the pipeline: a Git snapshot (repo-relative paths and bytes) goes
//! in, a typed [`DesiredState`] or every [`Diagnostic`] found comes out. No I/O
//! besides [`load_dir`], which only reads a local directory for convenience.

pub mod diag;
pub mod jsonschema;
pub mod load;
pub mod model;
pub mod source_map;
pub mod validate;

pub use diag::{Diagnostic, Diagnostics, Severity};
pub use jsonschema::{json_schema, kinds};
pub use load::{load_dir, load_files, SourceFile};
pub use model::*;
pub use source_map::{Pos, SourceMap, Span};
pub use validate::validate;
