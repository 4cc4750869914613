//! The masker of a cycle: every secret value the desired state holds is masked
//! wherever it appears in output (diffs, logs, reports, errors).

use crate::mask::Masker;
use schema::DesiredState;

/// A masker knowing every secret value the desired state holds: the decrypted
/// `secrets` (`Prepared::secrets`, registered with their base64 and per-line forms)
/// and the plaintext secret fields of the model.
pub fn masker_for(state: &DesiredState, secrets: &[String]) -> Masker {
    let mut m = secret_masker(secrets);
    for b in &state.balancers {
        if let Some(a) = b.doc.spec.stats.as_ref().and_then(|s| s.auth.as_ref()) {
            m.add_secret(a.password.clone());
        }
        for u in b.doc.spec.userlists.iter().flat_map(|l| &l.users) {
            m.add_secret(u.password.clone());
        }
    }
    m
}

/// A masker knowing only `secrets` (for output produced before a state exists).
pub fn secret_masker(secrets: &[String]) -> Masker {
    let mut m = Masker::installation();
    register(&mut m, secrets);
    m
}

/// Registers secrets with the masker, each also in its base64 form, since Kubernetes
/// `Secret.data` carries values base64-encoded and would otherwise leak in a diff.
/// The masker works line by line, so each line of a multi-line secret (a PEM key) is
/// registered too; PEM armor lines (`-----BEGIN …`) are public and stay readable.
pub fn register(masker: &mut Masker, secrets: &[String]) {
    use base64::Engine;
    for s in secrets {
        masker.add_secret(s.clone());
        masker.add_secret(base64::engine::general_purpose::STANDARD.encode(s));
        if s.contains('\n') {
            s.lines()
                .map(str::trim)
                .filter(|l| l.len() >= 8 && !l.starts_with("-----"))
                .for_each(|l| masker.add_secret(l.to_string()));
        }
    }
}
