//! `schema`: the desired-state model of agent.
//!
//! Place in the pipeline: a Git snapshot (repo-relative paths and bytes) goes
//! in, a typed [`DesiredState`] or every [`Diagnostic`] found comes out. No I/O
//! besides [`load_dir`], which only reads a local directory for convenience.
//!
//! - [`load_files`] / [`load_dir`]: parse, decode and [`validate()`] (module [`load`]);
//! - [`SourceMap`] (`DesiredState::source_map`): value path → file, line, column, so
//!   any later stage can point an error back into the repo;
//! - [`json_schema`] / [`kinds`]: JSON Schema of each kind, for editors and PR checks.

pub mod diag;
pub mod jsonschema;
pub mod load;
pub mod model;
pub mod source_map;
pub mod validate;

pub use diag::{Diagnostic, Diagnostics, Severity};
pub use jsonschema::{json_schema, kinds};
pub use load::{load_dir, load_files, parse_files, SourceFile};
pub use model::*;
pub use source_map::{Pos, SourceMap, Span};
pub use validate::validate;
