//! Lab harness (being written).
