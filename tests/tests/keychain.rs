//! The OS keychain through a real Secret Service (gnome-keyring, under scripts/with-keychain).

use ferry_engine::secrets::{Keychain, S3Secret, SecretStore, Sensitive};

fn unique_id() -> String {
    format!("keychain-test-{}", uuid::Uuid::new_v4().simple())
}

#[test]
fn stores_reads_and_deletes_a_secret() {
    let id = unique_id();
    let secret = S3Secret {
        access_key_id: "FERRYKEYCHAINTEST001".into(),
        secret_access_key: Sensitive::new("kc-secret/with+odd=chars".into()),
        session_token: Some(Sensitive::new("kc-session-token".into())),
        bound_to: Some("https://aws/bucket".into()),
    };
    assert_eq!(Keychain.get(&id).unwrap(), None, "nothing stored yet");
    Keychain.set(&id, &secret).unwrap();
    let read = Keychain.get(&id).unwrap().expect("stored");
    assert_eq!(read, secret, "what is stored comes back exactly");
    let replaced = S3Secret {
        session_token: None,
        ..secret.clone()
    };
    Keychain.set(&id, &replaced).unwrap();
    assert_eq!(
        Keychain.get(&id).unwrap().unwrap().session_token,
        None,
        "set replaces"
    );
    assert!(
        Keychain.delete(&id).unwrap(),
        "delete reports it removed something"
    );
    assert_eq!(Keychain.get(&id).unwrap(), None);
    assert!(
        !Keychain.delete(&id).unwrap(),
        "deleting again is not an error"
    );
}

#[test]
fn entries_are_per_workspace() {
    let (a, b) = (unique_id(), unique_id());
    let secret = |s: &str| S3Secret {
        access_key_id: format!("KEY{s}"),
        secret_access_key: Sensitive::new(s.into()),
        session_token: None,
        bound_to: None,
    };
    Keychain.set(&a, &secret("a")).unwrap();
    Keychain.set(&b, &secret("b")).unwrap();
    assert_eq!(Keychain.get(&a).unwrap().unwrap().access_key_id, "KEYa");
    assert_eq!(Keychain.get(&b).unwrap().unwrap().access_key_id, "KEYb");
    Keychain.delete(&a).unwrap();
    assert!(
        Keychain.get(&b).unwrap().is_some(),
        "deleting one leaves the other"
    );
    Keychain.delete(&b).unwrap();
}

/// Counts keychain reads, passing everything to the real keychain.
struct Counted(std::sync::atomic::AtomicUsize);

impl SecretStore for Counted {
    fn get(&self, id: &str) -> Result<Option<S3Secret>, ferry_engine::secrets::SecretError> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Keychain.get(id)
    }
    fn set(&self, id: &str, s: &S3Secret) -> Result<(), ferry_engine::secrets::SecretError> {
        Keychain.set(id, s)
    }
    fn delete(&self, id: &str) -> Result<bool, ferry_engine::secrets::SecretError> {
        Keychain.delete(id)
    }
}

/// One store (one S3 client and its connection pool) per workspace, shared by every listing
/// and job of the engine, with one keychain read; keys entered again or removed are read anew,
/// never served from what was opened before.
#[tokio::test(flavor = "multi_thread")]
async fn one_store_per_workspace_until_its_keys_change() {
    let server = ferry_tests::moto();
    let user = ferry_tests::User::new();
    let ws = user.add_s3(&server, &ferry_tests::unique_bucket("shared"));
    let reads = std::sync::Arc::new(Counted(Default::default()));
    let engine = ferry_engine::Engine::load(user.config.path(), reads.clone()).unwrap();
    let read = || reads.0.load(std::sync::atomic::Ordering::SeqCst);

    let first = engine.open(&ws).await.unwrap();
    let again = engine.open(&ws).await.unwrap();
    let at = engine.parse_location(&format!("{ws}:docs/")).unwrap();
    let listed = engine.resolve(&at).await.unwrap();
    assert!(std::sync::Arc::ptr_eq(&first, &again), "one store");
    assert!(
        std::sync::Arc::ptr_eq(&first, &listed.backend),
        "listings use it too"
    );
    assert_eq!(read(), 1, "the keychain is read once");

    let secret = S3Secret::new(
        server.access_key_id.clone(),
        server.secret_access_key.clone(),
    );
    engine.set_secret(&ws, secret).await.unwrap();
    let renewed = engine.open(&ws).await.unwrap();
    assert!(
        !std::sync::Arc::ptr_eq(&first, &renewed),
        "new keys, new store"
    );
    assert_eq!(read(), 2);

    assert!(engine.clear_secret(&ws).await.unwrap());
    let Err(refused) = engine.open(&ws).await else {
        panic!("no keys, no store");
    };
    assert_eq!(refused.code(), ferry_engine::ErrorCode::Config, "{refused}");
}
