//! The mask key's rules: per installation, stable within one, never a constant.

use super::*;
use crate::mask::Masker;
use std::os::unix::fs::PermissionsExt;

const SECRET: &str = "hunter2";

fn token(k: &MaskKey) -> String {
    Masker::new(k.bytes()).token(SECRET)
}

#[test]
fn two_installations_mask_the_same_secret_differently() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let ka = MaskKey::from_state_dir(a.path()).unwrap().unwrap();
    let kb = MaskKey::from_state_dir(b.path()).unwrap().unwrap();
    assert_ne!(token(&ka), token(&kb));
    let (ia, ib) = (Identity::generate(), Identity::generate());
    assert_ne!(
        token(&MaskKey::from_identity(&ia)),
        token(&MaskKey::from_identity(&ib))
    );
}

#[test]
fn one_installation_masks_the_same_secret_the_same_way_across_runs() {
    let dir = tempfile::tempdir().unwrap();
    let first = MaskKey::from_state_dir(dir.path()).unwrap().unwrap();
    // A later run reads the key the first one made.
    let again = MaskKey::from_state_dir(dir.path()).unwrap().unwrap();
    assert_eq!(token(&first), token(&again));
    assert_eq!(first.source, KeySource::StateDir(dir.path().join(FILE)));
    let id = Identity::generate();
    let reread = Identity::parse(&id.to_file_text()).unwrap();
    assert_eq!(
        token(&MaskKey::from_identity(&id)),
        token(&MaskKey::from_identity(&reread))
    );
}

#[test]
fn the_state_key_is_private_hex_and_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let k = MaskKey::from_state_dir(dir.path()).unwrap().unwrap();
    let path = dir.path().join(FILE);
    let meta = std::fs::metadata(&path).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text, format!("{}\n", hex::encode(k.bytes())));
    // No temporary file is left next to it.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, [FILE]);
    // A damaged key is an error, not silently replaced (that would change every mask).
    std::fs::write(&path, "not hex\n").unwrap();
    let err = MaskKey::from_state_dir(dir.path()).unwrap_err();
    assert!(err.to_string().contains("not 64 hex digits"), "{err}");
    assert!(err.to_string().contains(FILE), "{err}");
}

#[test]
fn racing_first_uses_agree_on_one_key() {
    let dir = tempfile::tempdir().unwrap();
    let keys: Vec<[u8; 32]> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    *MaskKey::from_state_dir(dir.path())
                        .unwrap()
                        .unwrap()
                        .bytes()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(keys.windows(2).all(|w| w[0] == w[1]), "one key for all");
    let on_disk = std::fs::read_to_string(dir.path().join(FILE)).unwrap();
    assert_eq!(on_disk.trim(), hex::encode(keys[0]));
}

#[test]
fn the_identity_wins_then_the_state_dir_then_the_process() {
    let dir = tempfile::tempdir().unwrap();
    let id = Identity::generate();
    let k = MaskKey::resolve(Some(&id), Some(dir.path()));
    assert_eq!(k.source, KeySource::Identity);
    assert!(
        !dir.path().join(FILE).exists(),
        "nothing written with an identity"
    );
    let k = MaskKey::resolve(None, Some(dir.path()));
    assert_eq!(k.source, KeySource::StateDir(dir.path().join(FILE)));
    // A state directory that does not exist is not created.
    let missing = dir.path().join("absent");
    let p1 = MaskKey::resolve(None, Some(&missing));
    assert_eq!(p1.source, KeySource::Process);
    assert!(!missing.exists());
    let p2 = MaskKey::resolve(None, None);
    assert_ne!(
        token(&p1),
        token(&p2),
        "a per-process key is fresh each time"
    );
}

#[test]
fn no_key_is_a_constant_of_the_binary() {
    // The constant key of earlier versions, the empty key, and the label alone:
    // none of them is what any rule produces.
    let constants: [&[u8]; 3] = [b"agent-mask-v1", b"", LABEL];
    let dir = tempfile::tempdir().unwrap();
    let keys = [
        MaskKey::from_identity(&Identity::generate()),
        MaskKey::from_state_dir(dir.path()).unwrap().unwrap(),
        MaskKey::random().unwrap(),
        current().clone(),
    ];
    for k in &keys {
        for c in constants {
            assert_ne!(token(k), Masker::new(c).token(SECRET), "{k:?}");
        }
    }
    assert_eq!(
        Masker::default().token(SECRET),
        Masker::new(current().bytes()).token(SECRET),
        "Masker::default() uses the installation's key"
    );
}

#[test]
fn debug_never_shows_the_key() {
    let k = MaskKey::random().unwrap();
    let text = format!("{k:?}");
    assert!(!text.contains(&hex::encode(k.bytes())), "{text}");
    assert!(text.contains("Process"), "{text}");
}
