//! The use cases front ends call on the engine (the app's commands translate to these):
//! new folder, delete, rename, a drop of several sources, a draft workspace's test.

use std::sync::Arc;

use ferry_engine::actions::Planned;
use ferry_engine::secrets::{MemoryStore, S3Secret, SecretStore};
use ferry_engine::settings::{CredentialSource, S3Storage, Storage, Workspace};
use ferry_engine::transfer::JobKind;
use ferry_engine::workspace::Location;
use ferry_engine::{Engine, ErrorCode};
use ferry_tests::read_tree;

/// An engine whose default workspace `local` is `root/Ferry`, holding `files`.
fn engine(root: &std::path::Path, files: &[&str]) -> Engine {
    let home = root.join("Ferry");
    for file in files {
        let path = home.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, file.as_bytes()).unwrap();
    }
    Engine::load_with(
        &root.join("config"),
        &home,
        Arc::new(MemoryStore::default()),
    )
    .unwrap()
    .with_data_dir(root.join("data"))
}

#[tokio::test]
async fn a_rename_onto_a_name_already_there_is_refused_and_records_nothing() {
    let root = tempfile::tempdir().unwrap();
    let engine = engine(root.path(), &["docs/a.txt", "docs/b.txt"]);
    let before = read_tree(&root.path().join("Ferry"));
    let refused = engine
        .rename("local", "docs/a.txt", "b.txt")
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::Conflict, "{refused}");
    assert!(refused.remedy().is_none(), "no conflict rule to choose");
    for bad in ["", "x/y", ".", ".."] {
        let refused = engine.rename("local", "docs/a.txt", bad).await.unwrap_err();
        assert_eq!(refused.code(), ErrorCode::Config, "{bad:?}: {refused}");
    }
    assert!(engine.jobs().unwrap().is_empty(), "no job recorded");
    assert_eq!(read_tree(&root.path().join("Ferry")), before);

    let id = engine.rename("local", "docs/", "papers").await.unwrap();
    let job = engine.journal().unwrap().job(&id).unwrap().unwrap();
    assert_eq!(job.kind, JobKind::Move);
    assert_eq!(job.destination.display(), "local:papers/");
    assert!(job.options.recursive, "a folder moves with what it holds");
}

#[tokio::test]
async fn a_new_folder_needs_a_name_nothing_has() {
    let root = tempfile::tempdir().unwrap();
    let engine = engine(root.path(), &["docs/a.txt"]);
    let refused = engine.create_folder("local", "docs/").await.unwrap_err();
    assert_eq!(refused.code(), ErrorCode::Conflict, "{refused}");
    assert!(engine.create_folder("local", "..").await.is_err());
    engine.create_folder("local", "docs/new/").await.unwrap();
    assert!(root.path().join("Ferry/docs/new").is_dir());
}

#[tokio::test]
async fn a_delete_never_takes_a_whole_workspace_and_lists_what_it_removed() {
    let root = tempfile::tempdir().unwrap();
    let engine = engine(root.path(), &["a.txt", "docs/b.txt", "docs/c/d.txt"]);
    for whole in ["", "/", "//"] {
        let refused = engine.delete("local", &[whole.into()]).await.unwrap_err();
        assert_eq!(refused.code(), ErrorCode::Config, "{whole:?}");
    }
    let refused = engine
        .delete("local", &["a.txt".into(), "/".into()])
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::Config);
    assert!(
        root.path().join("Ferry/a.txt").exists(),
        "refused before anything went"
    );
    let report = engine
        .delete("local", &["a.txt".into(), "docs/".into()])
        .await
        .unwrap();
    assert_eq!(report.deleted, 5, "three files and the two folders");
    assert!(report.failed.is_empty());
    assert!(read_tree(&root.path().join("Ferry")).is_empty());
}

/// A drop of several sources records all its jobs or none: one refused source (here one that
/// would land inside itself) leaves no job of the others behind.
#[tokio::test]
async fn a_drop_with_one_refused_source_records_no_job() {
    let root = tempfile::tempdir().unwrap();
    let engine = engine(root.path(), &["a.txt", "docs/b.txt"]);
    let at = |path: &str| Location::in_workspace("local", path);
    let planned = [
        Planned {
            from: at("a.txt"),
            to: at("docs/a.txt"),
            is_folder: false,
            version: None,
            gunzip: false,
        },
        Planned {
            from: at("docs/"),
            to: at("docs/docs/"),
            is_folder: true,
            version: None,
            gunzip: false,
        },
    ];
    let refused = engine
        .create_jobs(JobKind::Copy, &planned, None)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::Config, "{refused}");
    assert!(
        engine.jobs().unwrap().is_empty(),
        "the first was taken back"
    );

    let same = [Planned {
        from: at("a.txt"),
        to: at("a.txt"),
        is_folder: false,
        version: None,
        gunzip: false,
    }];
    assert!(
        engine
            .create_jobs(JobKind::Copy, &same, None)
            .await
            .is_err()
    );
    assert!(engine.create_jobs(JobKind::Copy, &[], None).await.is_err());

    let ids = engine
        .create_jobs(JobKind::Copy, &planned[..1], None)
        .await
        .unwrap();
    assert_eq!(ids.len(), 1);
}

/// A draft's test sends stored keys only where they were entered for: a draft pointed at
/// another endpoint is tested without them (the server sees no request signed with them),
/// and keys typed into the form are used for the test and stored nowhere.
#[tokio::test(flavor = "multi_thread")]
async fn a_draft_pointed_elsewhere_is_tested_without_the_stored_keys() {
    use ferry_tests::proxy::{Action, Proxy};
    let server = ferry_tests::moto();
    let elsewhere = Proxy::start(&server.endpoint, |_, _, _| Action::Forward).await;
    let root = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemoryStore::default());
    let mut engine = Engine::load_with(&root.path().join("config"), root.path(), secrets.clone())
        .unwrap()
        .with_data_dir(root.path().join("data"));
    let bucket = ferry_tests::unique_bucket("draft");
    let saved = Workspace {
        id: "shop".into(),
        name: "Shop".into(),
        storage: Storage::S3(S3Storage {
            bucket: bucket.clone(),
            endpoint_url: Some(server.endpoint.clone()),
            path_style: true,
            credentials: CredentialSource::Keychain,
            ..S3Storage::default()
        }),
        upload: Default::default(),
        media_plan: None,
        extra: Default::default(),
    };
    engine.add_workspace(saved.clone(), false).unwrap();
    let stored = S3Secret::new("AKIDSTOREDKEYS".into(), "stored-secret".into());
    engine.set_secret("shop", stored).await.unwrap();

    let mut draft = saved.clone();
    if let Storage::S3(s3) = &mut draft.storage {
        s3.endpoint_url = Some(elsewhere.url.clone());
    }
    let refused = engine.test_draft(&draft, None).await.unwrap_err();
    assert!(
        matches!(refused, ferry_engine::Error::NoSecret { .. }),
        "no keys to test with: {refused}"
    );
    assert!(
        !elsewhere.seen().iter().any(|s| s
            .authorization
            .as_deref()
            .is_some_and(|a| a.contains("AKIDSTOREDKEYS"))),
        "the stored keys never reached the other endpoint"
    );

    let typed = S3Secret::new("AKIDTYPEDKEYS".into(), "typed-secret".into());
    let _ = engine.test_draft(&draft, Some(typed)).await.unwrap();
    assert!(
        elsewhere.seen().iter().any(|s| s
            .authorization
            .as_deref()
            .is_some_and(|a| a.contains("AKIDTYPEDKEYS"))),
        "typed keys are what the test signs with"
    );
    let kept = secrets.get("shop").unwrap().unwrap();
    assert_eq!(
        kept.access_key_id, "AKIDSTOREDKEYS",
        "the test stored nothing"
    );
}

/// The app's downloads unpack `.gz` files when the settings say so (`transfer.unpack_gz`):
/// only what comes from S3 to this computer; a copy between local folders is left as it is.
#[tokio::test(flavor = "multi_thread")]
async fn the_apps_downloads_unpack_gz_files_when_the_settings_say_so() {
    use std::io::Write;
    let server = ferry_tests::s3s();
    let root = tempfile::tempdir().unwrap();
    let mut engine = engine(root.path(), &[]);
    let bucket = ferry_tests::unique_bucket("unpack");
    let client = ferry_tests::sdk_client(&server);
    client.create_bucket().bucket(&bucket).send().await.unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"invoice 42\n").unwrap();
    let packed = gz.finish().unwrap();
    client
        .put_object()
        .bucket(&bucket)
        .key("exports/invoice.csv.gz")
        .body(packed.clone().into())
        .send()
        .await
        .unwrap();
    engine
        .add_workspace(
            Workspace {
                id: "exports".into(),
                name: "Exports".into(),
                storage: Storage::S3(S3Storage {
                    bucket: bucket.clone(),
                    endpoint_url: Some(server.endpoint.clone()),
                    path_style: true,
                    credentials: CredentialSource::Keychain,
                    ..S3Storage::default()
                }),
                upload: Default::default(),
                media_plan: None,
                extra: Default::default(),
            },
            false,
        )
        .unwrap();
    let keys = S3Secret::new(
        server.access_key_id.clone(),
        server.secret_access_key.clone(),
    );
    engine.set_secret("exports", keys).await.unwrap();
    engine
        .update(|s| {
            s.transfer.unpack_gz = true;
            Ok(())
        })
        .unwrap();
    let downloads = root.path().join("Downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    let into = |dir: &std::path::Path| Location {
        place: ferry_engine::workspace::Place::Local(dir.join("invoice.csv.gz")),
        key: ferry_storage::ObjectKey::root(),
    };
    let download = Planned {
        from: Location::in_workspace("exports", "exports/invoice.csv.gz"),
        to: into(&downloads),
        is_folder: false,
        version: None,
        gunzip: false,
    };
    let ids = engine
        .create_jobs(JobKind::Copy, &[download], None)
        .await
        .unwrap();
    let report = ferry_engine::transfer::run_job(
        &engine,
        &ids[0],
        Arc::new(ferry_engine::transfer::Accounting::default()),
        ferry_engine::transfer::JobControl::default(),
    )
    .await
    .unwrap();
    assert!(report.notes.is_empty(), "{:?}", report.notes);
    assert_eq!(
        std::fs::read_to_string(downloads.join("invoice.csv")).unwrap(),
        "invoice 42\n"
    );
    assert!(!downloads.join("invoice.csv.gz").exists());

    // Local to local: a .gz stays a .gz.
    let again = root.path().join("Again");
    std::fs::create_dir_all(&again).unwrap();
    std::fs::create_dir_all(root.path().join("Ferry")).unwrap();
    std::fs::write(root.path().join("Ferry/kept.gz"), &packed).unwrap();
    let local = Planned {
        from: Location::in_workspace("local", "kept.gz"),
        to: Location {
            place: ferry_engine::workspace::Place::Local(again.join("kept.gz")),
            key: ferry_storage::ObjectKey::root(),
        },
        is_folder: false,
        version: None,
        gunzip: false,
    };
    let ids = engine
        .create_jobs(JobKind::Copy, &[local], None)
        .await
        .unwrap();
    ferry_engine::transfer::run_job(
        &engine,
        &ids[0],
        Arc::new(ferry_engine::transfer::Accounting::default()),
        ferry_engine::transfer::JobControl::default(),
    )
    .await
    .unwrap();
    assert_eq!(std::fs::read(again.join("kept.gz")).unwrap(), packed);
    assert!(!again.join("kept").exists());
}
