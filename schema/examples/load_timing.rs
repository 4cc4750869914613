//! How long loading a desired-state repo takes (a measurement, not a test):
//! `cargo run -p schema --release --example load_timing [REPO_DIR]` (default `sample-repo`).

use std::time::Instant;

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "sample-repo".into());
    let state = schema::load_dir(std::path::Path::new(&dir))
        .unwrap_or_else(|d| panic!("{dir} does not load:\n{d}"));
    let files: Vec<schema::SourceFile> = walk(std::path::Path::new(&dir));
    let n = 200u32;
    let start = Instant::now();
    for _ in 0..n {
        schema::load_files(&files).expect("loads");
    }
    println!(
        "load_files ({} files): {:?} per load",
        files.len(),
        start.elapsed() / n
    );
    let start = Instant::now();
    for _ in 0..n {
        schema::validate(&state);
    }
    println!("validate alone: {:?}", start.elapsed() / n);
}

fn walk(dir: &std::path::Path) -> Vec<schema::SourceFile> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("readable dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.push(schema::SourceFile {
                    path: rel,
                    bytes: std::fs::read(&p).unwrap(),
                });
            }
        }
    }
    out
}
