//! Test doubles.
pub mod apiserver;
pub mod sample;
