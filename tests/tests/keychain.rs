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
