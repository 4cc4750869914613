//! Test doubles.
pub mod apiserver;
