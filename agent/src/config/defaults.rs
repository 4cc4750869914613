//! Default values of `agent.yaml` settings (serde's `default = "…"`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub(super) fn thirty_seconds() -> Duration {
    Duration::from_secs(30)
}
pub(super) fn sixty_seconds() -> Duration {
    Duration::from_secs(60)
}
pub(super) fn ten_seconds() -> Duration {
    Duration::from_secs(10)
}
pub(super) fn eight() -> u32 {
    8
}
pub(super) fn default_user() -> String {
    "root".into()
}
pub(super) fn default_branch() -> String {
    "main".into()
}
pub(super) fn default_path() -> String {
    ".".into()
}
pub(super) fn default_state_dir() -> PathBuf {
    PathBuf::from("/var/lib/agent")
}
pub(super) fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 9440))
}
