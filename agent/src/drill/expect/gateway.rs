//! Gateway expectations: every declared route of every virtual host answers through
//! the gateway with a success (or its declared `expectStatus`), over TLS where TLS is
//! declared, presenting the certificate declared in Git; `redirectHttp` sends plain
//! HTTP to HTTPS.

use super::answered;
use crate::drill::probe::Scheme;
use crate::drill::report::Expectation;
use crate::drill::{tls, Drill};
use crate::exec::Remote;

pub async fn routes<R: Remote>(d: &Drill<'_, R>) -> Vec<Expectation> {
    let mut out = Vec::new();
    for r in &d.endpoints.routes {
        let s = d.prober.send(&r.request).await;
        let what = format!("route {} via {}", r.request.endpoint.url(), r.gateway);
        let (goal, ok) = match r.expect_status {
            Some(want) => (format!("status {want}"), s.status() == Some(want)),
            None => ("status 200-399".to_string(), s.ok()),
        };
        out.push(Expectation::new(what, goal, answered(&s), ok));
        if r.request.endpoint.scheme == Scheme::Https {
            out.push(certificate(
                d,
                r,
                s.result
                    .as_ref()
                    .ok()
                    .and_then(|a| a.peer_certificate.as_deref()),
            ));
        }
    }
    for r in &d.endpoints.redirects {
        let s = d.prober.send(&r.request).await;
        let location = s.result.as_ref().ok().and_then(|a| a.location.clone());
        let ok = matches!(s.status(), Some(301 | 302 | 303 | 307 | 308))
            && location
                .as_deref()
                .is_some_and(|l| l.starts_with(&r.location_prefix));
        let measured = match &location {
            Some(l) => format!("{} to {l}", answered(&s)),
            None => answered(&s),
        };
        out.push(Expectation::new(
            format!("redirect {} via {}", r.request.endpoint.url(), r.gateway),
            format!("3xx to {}/…", r.location_prefix),
            measured,
            ok,
        ));
    }
    if out.is_empty() {
        out.push(Expectation::skip(
            "gateway routes",
            "every route answers",
            "no route declared",
        ));
    }
    out
}

/// The certificate presented for the route's virtual host against the declared one.
fn certificate<R: Remote>(
    d: &Drill<'_, R>,
    r: &crate::drill::endpoints::RouteProbe,
    presented: Option<&[u8]>,
) -> Expectation {
    let what = format!("certificate of {} on {}", r.vhost, r.gateway);
    let declared = d
        .state
        .gateways
        .iter()
        .flat_map(|g| &g.doc.spec.vhosts)
        .find(|v| v.server_name.as_deref() == Some(r.vhost.as_str()))
        .and_then(|v| v.tls.as_ref())
        .and_then(|t| t.certificate_pem.as_deref())
        .and_then(tls::pem_certificate_der);
    let Some(presented) = presented else {
        return Expectation::new(what, "the declared certificate", "no TLS session", false);
    };
    let got = tls::fingerprint(presented);
    match declared {
        None => Expectation::skip(
            what,
            "the declared certificate",
            format!(
                "sha256 {}… presented; none declared in Git (tls.certificatePem)",
                &got[..16]
            ),
        ),
        Some(want) => {
            let want = tls::fingerprint(&want);
            let ok = want == got;
            let measured = if ok {
                format!("sha256 {}… (as declared)", &got[..16])
            } else {
                format!("sha256 {}…, declared {}…", &got[..16], &want[..16])
            };
            Expectation::new(what, "the declared certificate", measured, ok)
        }
    }
}
