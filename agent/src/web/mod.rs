//! The central view of `agent run`: a read-only web page of the platform (`/`), one page
//! per history entry (`/history/ID`), and the same data as JSON (`/api/status`,
//! `/api/history`, `/api/diff`), served by the service's listener ([`crate::run::http`]).
//!
//! Everything on the page is a pure function of values ([`page`], [`sections`],
//! [`history_html`]) written through [`html::Html`], the one place where text is masked
//! and escaped. The live platform data comes from [`live`], gathered by the service loop
//! after each cycle. [`auth`] decides who may read; [`routes`] ties requests to values.

pub mod auth;
pub mod history_html;
pub mod html;
pub mod live;
pub mod page;
pub mod page_data;
pub mod routes;
pub mod sections;
pub mod style;

#[cfg(test)]
mod page_tests;
