//! Coverage-guided fuzzing of the loader: any bytes, as a file at the repo root or under
//! workloads/ (first byte decides), alone or next to a minimal valid inventory.
//! The loader must return, never panic, and point only at lines that exist.

#![no_main]

use libfuzzer_sys::fuzz_target;
use schema::{load_files, SourceFile};

const INVENTORY: &str = "apiVersion: agent/v1\nkind: Inventory\nmetadata: {name: lab}\n\
spec:\n  hosts:\n    - {name: ha1, address: 10.77.0.11, roles: [balancer]}\n\
    - {name: ha2, address: 10.77.0.12, roles: [balancer]}\n";

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let path = if selector & 1 == 0 { "f.yaml" } else { "workloads/f.yaml" };
    let mut files = vec![SourceFile::new(path, body)];
    if selector & 2 != 0 {
        files.push(SourceFile::new("inventory.yaml", INVENTORY));
    }
    if let Err(diags) = load_files(&files) {
        let lines = body.split(|b| *b == b'\n').count();
        for d in diags.iter().filter(|d| d.file == path) {
            assert!(d.line <= lines, "line {} past the end ({lines} lines): {d}", d.line);
        }
    }
});
