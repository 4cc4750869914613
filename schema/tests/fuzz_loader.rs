//! Bounded, deterministic fuzzing of the loader: runs in every `cargo test`.
//!
//! Random bytes, and byte- and line-level mutations of the valid lab repo, from a
//! fixed seed (so a failure reproduces). Every load must return (no panic), and
//! every diagnostic must point inside the repo: a file that exists (or the repo
//! itself), a line that exists in it. The coverage-guided target lives in
//! `schema/fuzz/` (see its README).

mod common;

use common::*;
use schema::{load_files, SourceFile};

/// xorshift64*: tiny, deterministic, good enough to drive mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bytes that matter to YAML, so mutations reach the parser's interesting states.
const ALPHABET: &[u8] = b" \n\t:-?[]{},#&*!|>'\"%@`0123456789abcxyz.\\\r\xc3\xa9\xff";

fn mutate(rng: &mut Rng, text: &mut Vec<u8>) {
    let len = text.len();
    match rng.below(8) {
        0 if len > 0 => text[rng.below(len)] = ALPHABET[rng.below(ALPHABET.len())],
        1 => text.insert(rng.below(len + 1), ALPHABET[rng.below(ALPHABET.len())]),
        2 if len > 0 => {
            let at = rng.below(len);
            let end = (at + rng.below(16)).min(len);
            text.drain(at..end);
        }
        3 => text.insert(rng.below(len + 1), b'\n'),
        _ => {
            let mut lines: Vec<Vec<u8>> = text.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
            let n = lines.len();
            let i = rng.below(n);
            match rng.below(5) {
                0 => lines.remove(i).len(),
                1 => {
                    let l = lines[i].clone();
                    lines.insert(rng.below(n), l);
                    0
                }
                2 => {
                    lines.swap(i, rng.below(n));
                    0
                }
                3 => {
                    lines[i].splice(0..0, *b"  ");
                    0
                }
                _ => {
                    lines.insert(i, b"---".to_vec());
                    0
                }
            };
            *text = lines.join(&b'\n');
        }
    }
}

/// Loads and checks the invariants; returns a description of a violation.
fn check(files: &[SourceFile]) -> Result<(), String> {
    let diags = match std::panic::catch_unwind(|| load_files(files)) {
        Err(_) => return Err("panicked".into()),
        Ok(Ok(state)) => state.warnings,
        Ok(Err(d)) => {
            if !d.has_errors() {
                return Err(format!("failed without an error:\n{d}"));
            }
            d
        }
    };
    for d in diags.iter() {
        if d.file.is_empty() {
            continue;
        }
        let Some(f) = files.iter().find(|f| f.path == d.file) else {
            return Err(format!("diagnostic for unknown file: {d}"));
        };
        let text = String::from_utf8_lossy(&f.bytes);
        let lines: Vec<&str> = text.split('\n').collect();
        if d.line > lines.len() {
            return Err(format!(
                "line {} beyond the file's {} lines: {d}",
                d.line,
                lines.len()
            ));
        }
        let width = d
            .line
            .checked_sub(1)
            .map_or(0, |l| lines[l].chars().count());
        if d.line > 0 && (d.column == 0 || d.column > width + 1) {
            return Err(format!(
                "column {} outside line {} ({width} chars): {d}",
                d.column, d.line
            ));
        }
    }
    Ok(())
}

fn show(files: &[SourceFile]) -> String {
    files
        .iter()
        .map(|f| format!("--- {}\n{}", f.path, String::from_utf8_lossy(&f.bytes)))
        .collect()
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x5eed_0001);
    for i in 0..1500 {
        let len = rng.below(200);
        let bytes: Vec<u8> = (0..len)
            .map(|_| match rng.below(3) {
                0 => rng.next() as u8,
                _ => ALPHABET[rng.below(ALPHABET.len())],
            })
            .collect();
        let files = [SourceFile::new("f.yaml", bytes)];
        if let Err(e) = check(&files) {
            panic!("iteration {i}: {e}\n{}", show(&files));
        }
    }
}

#[test]
fn mutated_documents_never_panic() {
    let mut rng = Rng(0x5eed_0002);
    let texts = valid_texts();
    for i in 0..2000 {
        let (path, mut bytes) = texts[rng.below(texts.len())].clone();
        for _ in 0..1 + rng.below(4) {
            mutate(&mut rng, &mut bytes);
        }
        // Alone, and (every 8th time) together with the rest of the repo for cross-checks.
        let mut files = vec![SourceFile::new(path.clone(), bytes)];
        if i % 8 == 0 {
            files.extend(valid_repo().into_iter().filter(|f| f.path != path));
        }
        if let Err(e) = check(&files) {
            panic!("iteration {i}: {e}\n{}", show(&files));
        }
    }
}

#[test]
fn hostile_shapes_finish() {
    let deep = "[".repeat(5000);
    let deep_map = "a:\n".to_string()
        + &(1..200)
            .map(|i| format!("{}b:\n", " ".repeat(i)))
            .collect::<String>();
    let laughs = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n\
                  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n\
                  e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n";
    let crlf = INVENTORY.replace('\n', "\r\n");
    let bom = format!("\u{feff}{GATEWAY}");
    for text in [
        deep.as_str(),
        &deep_map,
        laughs,
        &crlf,
        &bom,
        "---\n---\n...\n",
        "\r",
        "? [a]\n: b\n",
        "*x\n",
    ] {
        let files = [SourceFile::new("workloads/f.yaml", text)];
        if let Err(e) = check(&files) {
            panic!("{e}\n{}", show(&files));
        }
    }
}
