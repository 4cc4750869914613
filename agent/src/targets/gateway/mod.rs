//! The gateway target: Apache httpd virtual hosts on the gateway hosts. Rendering
//! ([`render`], single directives and the settings beyond proxying in [`directives`],
//! TLS material in [`tls`], the modules it needs in [`modules`]), the route probe that decides whether a
//! reload stays ([`health`]), and [`kind::Gateway`], which plugs it into the shared
//! host-file machinery.

pub mod directives;
pub mod health;
pub mod kind;
pub mod modules;
pub mod render;
pub mod tls;
