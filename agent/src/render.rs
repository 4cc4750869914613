//! Rendering: desired state → [`Rendered`], by asking every registered target
//! ([`crate::targets::registry`]) for its part. Pure functions, no I/O: the same
//! [`DesiredState`] always renders to the same bytes (sorted, deterministic; no
//! timestamps, no commit ids), so an unchanged repo never produces a change.

pub use crate::rendered::{document_origin, CibFragment, ManagedFile, RenderError, Rendered};
use crate::targets::registry;
use schema::DesiredState;

/// Renders the whole desired state.
///
/// Fails when two documents claim the same file on the same host, or when a
/// document names a host the inventory does not have.
pub fn render(state: &DesiredState) -> Result<Rendered, RenderError> {
    let mut out = Rendered::default();
    for t in registry::all() {
        t.render(state, &mut out)?;
    }
    out.files
        .sort_by(|a, b| (&a.host, &a.path).cmp(&(&b.host, &b.path)));
    if let Some(w) = out
        .files
        .windows(2)
        .find(|w| w[0].host == w[1].host && w[0].path == w[1].path)
    {
        return Err(RenderError::invalid(
            &w[1].source,
            format!(
                "{}:{} is also rendered by {}; give one of them another path",
                w[1].host, w[1].path, w[0].source
            ),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rendered::{state_from, TEST_INVENTORY};

    const GW: &str = "
apiVersion: agent/v1
kind: Gateway
metadata: {name: a}
spec:
  siteName: same
  vhosts: [{serverName: a.example}]
";

    #[test]
    fn two_documents_claiming_one_file_are_refused() {
        let second = GW.replace("name: a}", "name: b}");
        let s = state_from(&[
            ("inv.yaml", TEST_INVENTORY),
            ("a.yaml", GW),
            ("b.yaml", &second),
        ]);
        let e = render(&s).unwrap_err().to_string();
        assert!(e.contains("gw:/etc/apache2/sites-enabled/same.conf"), "{e}");
        assert!(e.contains("Gateway/a") && e.contains("Gateway/b"), "{e}");
        let d = render(&s).unwrap_err().to_diagnostic(&s);
        // The document starts at its first key (GW begins with an empty line).
        assert_eq!((d.file.as_str(), d.line), ("b.yaml", 2));
    }

    #[test]
    fn files_are_sorted_by_host_then_path() {
        let b = "apiVersion: agent/v1\nkind: Balancer\nmetadata: {name: b}\nspec: {}\n";
        let s = state_from(&[("inv.yaml", TEST_INVENTORY), ("b.yaml", b), ("g.yaml", GW)]);
        let r = render(&s).unwrap();
        let hosts: Vec<_> = r.files.iter().map(|f| f.host.as_str()).collect();
        assert_eq!(hosts, ["gw", "lb1", "lb2"]);
    }
}
