//! A real browser for the web view's end-to-end test: Debian's `chromium`, headless,
//! with a fresh profile per instance and the flags that keep it off the network (no
//! background networking, component updates or sync: the machine has no network beyond
//! the lab). `--dump-dom` gives the DOM after load, `--screenshot` a PNG.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::agent_cli::Scratch;

pub const CHROMIUM: &str = "/usr/bin/chromium";

pub struct Browser {
    profile: Scratch,
}

impl Browser {
    /// `None` (after printing `SKIP: ...`) when chromium is not installed.
    pub fn start() -> Option<Browser> {
        if !Path::new(CHROMIUM).exists() {
            eprintln!(
                "SKIP: {CHROMIUM} is not installed (apt-get install chromium; .ci/run installs it)"
            );
            return None;
        }
        Some(Browser {
            profile: Scratch::new("chromium"),
        })
    }

    fn run(&self, args: &[String]) -> String {
        let mut c = Command::new(CHROMIUM);
        c.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
        ])
        .args([
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .args([
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
        ])
        .arg(format!("--user-data-dir={}", self.profile.path().display()))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
        let child = c.spawn().expect("chromium starts");
        let pid = child.id();
        let t = Instant::now();
        let out = std::thread::spawn(move || child.wait_with_output());
        while !out.is_finished() {
            if t.elapsed() > Duration::from_secs(60) {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
                panic!("chromium ran longer than 60 s: {args:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let out = out.join().unwrap().expect("chromium ran");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The DOM of `url` after it loaded, serialized.
    pub fn dump_dom(&self, url: &str) -> String {
        self.run(&["--dump-dom".into(), url.into()])
    }

    /// A PNG of `url` at `width`×`height` CSS pixels.
    pub fn screenshot(&self, url: &str, out: &Path, width: u32, height: u32) -> PathBuf {
        let _ = std::fs::remove_file(out);
        self.run(&[
            format!("--screenshot={}", out.display()),
            format!("--window-size={width},{height}"),
            url.into(),
        ]);
        assert!(out.exists(), "chromium wrote no screenshot of {url}");
        out.to_path_buf()
    }
}

/// The state badge of host `name` on the platform map (`in sync`, `drifted`, ...).
pub fn node_state(dom: &str, name: &str) -> Option<String> {
    let at = dom.find(&format!("<div class=\"name\">{name}</div>"))?;
    let rest = &dom[at..];
    let b = rest.find("class=\"badge ")?;
    let text = &rest[b..];
    let start = text.find('>')? + 1;
    let end = text.find("</span>")?;
    Some(text[start..end].to_string())
}
