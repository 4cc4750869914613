//! What `--output` and `--log-format` take.

/// Output (or log) format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// What `--output` accepts: the two formats of every command, and Markdown for the
/// drill's change-ticket table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    Text,
    Json,
    Markdown,
}

impl Output {
    /// The format of commands without a Markdown rendering (`None` for Markdown).
    pub fn format(self) -> Option<Format> {
        match self {
            Output::Text => Some(Format::Text),
            Output::Json => Some(Format::Json),
            Output::Markdown => None,
        }
    }
}
