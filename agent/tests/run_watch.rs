//! `agent run`'s file watching with real inotify: the config file reloads (an invalid
//! version is ignored, the old config stays), and a local repository directory changing
//! triggers a cycle.

use agent::config::Config;
use agent::run::schedule::Schedule;
use agent::run::watch::spawn;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test]
async fn config_reloads_when_valid_and_local_repo_changes_trigger() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    let file = dir.path().join("agent.yaml");
    std::fs::write(&file, "interval: 5s\n").unwrap();
    let config = Config::load(&file).unwrap();
    let (config_tx, config_rx) = watch::channel(config.clone());
    let (schedule_tx, mut schedule_rx) = watch::channel(Schedule::of(&config));
    let trigger = Arc::new(Notify::new());
    let (_stop, shutdown) = watch::channel(false);
    let _w = spawn(
        &file,
        &repo.display().to_string(),
        config_tx,
        schedule_tx,
        trigger.clone(),
        shutdown,
    )
    .expect("inotify available");

    // An invalid edit is not taken (given time to be seen: several debounce periods).
    std::fs::write(&file, "interval: soon\n").unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(config_rx.borrow().interval, Duration::from_secs(5));
    assert!(!schedule_rx.has_changed().unwrap());

    // A valid edit, written the way config management does it (temp file + rename).
    let tmp = dir.path().join(".agent.yaml.tmp");
    std::fs::write(
        &tmp,
        "interval: 7s\ndriftInterval: 1m\npolicies: {gateway: observe}\n",
    )
    .unwrap();
    std::fs::rename(&tmp, &file).unwrap();
    tokio::time::timeout(WAIT, schedule_rx.changed())
        .await
        .expect("reloaded")
        .unwrap();
    assert_eq!(schedule_rx.borrow().interval, Duration::from_secs(7));
    assert_eq!(
        schedule_rx.borrow().drift_interval,
        Some(Duration::from_secs(60))
    );
    assert_eq!(
        config_rx.borrow().policies.of("gateway"),
        agent::config::Policy::Observe
    );

    // The local repository changes: one cycle is triggered.
    std::fs::write(repo.join("inventory.yaml"), "# edited\n").unwrap();
    tokio::time::timeout(WAIT, trigger.notified())
        .await
        .expect("triggered");
}
