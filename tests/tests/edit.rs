//! Editing an object in another app (the engine's part, on moto and s3s-fs): a save of the
//! copy goes back over the object when the object is still the one opened; when someone else
//! changed or deleted it meanwhile that is reported instead, and the edit can go beside it as a
//! copy, leaving their version alone. The cache of opened files is private and evicts the
//! least recently opened beyond its cap, never a file being edited.

use std::sync::Arc;

use ferry_engine::Engine;
use ferry_engine::edit::{Edit, OpenCache, Remote, SaveTo, Use};
use ferry_engine::transfer::JobStatus;
use ferry_storage::ObjectKey;
use ferry_tests::{Server, User, moto, s3s, unique_bucket};

fn engine(user: &User) -> Arc<Engine> {
    Arc::new(
        Engine::load(
            user.config.path(),
            Arc::new(ferry_engine::secrets::Keychain),
        )
        .unwrap()
        .with_data_dir(user.home.path().join("data")),
    )
}

fn cat(user: &User, location: &str) -> String {
    let out = user.home.path().join("cat.out");
    let _ = std::fs::remove_file(&out);
    let run = user.run(&["cp", location, out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.output());
    std::fs::read_to_string(out).unwrap()
}

fn put(user: &User, text: &str, location: &str) {
    let file = user.home.path().join("put.in");
    std::fs::write(&file, text).unwrap();
    let run = user.run(&["cp", "--overwrite", file.to_str().unwrap(), location]);
    assert_eq!(run.code, 0, "{}", run.output());
}

/// Rewrites the copy as an editor does: a new file renamed over the old one.
fn save(file: &std::path::Path, text: &str) {
    let tmp = file.with_extension("swp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, file).unwrap();
}

async fn send(engine: &Arc<Engine>, edit: &Edit, to: SaveTo) {
    let job = edit.upload_job(engine, to).await.unwrap();
    let ended = engine
        .runner()
        .run_to_end(engine.clone(), &job)
        .await
        .unwrap();
    assert_eq!(ended.status, JobStatus::Completed, "{:?}", ended.error);
}

async fn saves_go_back_and_changes_meanwhile_are_caught(server: &Server) {
    let user = User::new();
    let ws = user.add_s3(server, &unique_bucket("edit"));
    put(&user, "first draft\n", &format!("{ws}:notes/plan.txt"));
    let engine = engine(&user);

    // Opened: downloaded into the cache, as the app does.
    let cache = OpenCache::new(user.home.path().join("cache"), 1 << 30).unwrap();
    let key = ObjectKey::new("notes/plan.txt");
    let file = cache
        .folder_for(&ws, &key, Use::Edit)
        .unwrap()
        .join("plan.txt");
    let run = user.run(&[
        "cp",
        &format!("{ws}:notes/plan.txt"),
        file.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.output());
    let at = engine
        .resolve(
            &engine
                .parse_location(&format!("{ws}:notes/plan.txt"))
                .unwrap(),
        )
        .await
        .unwrap();
    let meta = ferry_engine::browse::stat(&at).await.unwrap();
    let mut edit = Edit::new(ws.clone(), key, file.clone(), meta);
    assert_eq!(edit.changed(), None, "nothing saved yet");

    // A save: the object is as opened, so the copy goes over it.
    save(&file, "second draft\n");
    let sent = edit.changed();
    assert!(sent.is_some(), "the save is seen");
    assert_eq!(edit.remote(&engine).await.unwrap(), Remote::AsOpened);
    send(&engine, &edit, SaveTo::Object).await;
    edit.uploaded(&engine, sent).await.unwrap();
    assert_eq!(
        cat(&user, &format!("{ws}:notes/plan.txt")),
        "second draft\n"
    );
    assert_eq!(
        edit.changed(),
        None,
        "uploaded: the copy and the object agree"
    );
    // A second save is checked against the object as last uploaded, not as first opened.
    save(&file, "third draft\n");
    assert_eq!(edit.remote(&engine).await.unwrap(), Remote::AsOpened);

    // Someone else writes the object meanwhile: the save is not sent, it is reported.
    put(&user, "their version\n", &format!("{ws}:notes/plan.txt"));
    let Remote::Changed(theirs) = edit.remote(&engine).await.unwrap() else {
        panic!("their write is seen");
    };
    assert_eq!(theirs.size, "their version\n".len() as u64);
    // Saved as a copy: beside it, theirs untouched.
    send(&engine, &edit, SaveTo::Copy).await;
    assert_eq!(
        cat(&user, &format!("{ws}:notes/plan.txt")),
        "their version\n"
    );
    assert_eq!(
        cat(&user, &format!("{ws}:notes/plan (1).txt")),
        "third draft\n"
    );

    // Or kept as theirs: later saves are checked against their version.
    edit.accept(*theirs);
    assert_eq!(edit.changed(), None);
    assert_eq!(edit.remote(&engine).await.unwrap(), Remote::AsOpened);

    // Deleted meanwhile: reported as gone.
    let run = user.run(&["rm", &format!("{ws}:notes/plan.txt")]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(edit.remote(&engine).await.unwrap(), Remote::Gone);
}

#[tokio::test(flavor = "multi_thread")]
async fn edits_on_moto() {
    saves_go_back_and_changes_meanwhile_are_caught(&moto()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn edits_on_s3s() {
    saves_go_back_and_changes_meanwhile_are_caught(&s3s()).await;
}

#[test]
fn the_cache_is_private_and_evicts_the_least_recently_opened_but_never_an_edit() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("cache");
    let cache = OpenCache::new(dir.clone(), 3000).unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    let mut files = Vec::new();
    for (i, name) in ["a.bin", "b.bin", "c.bin", "d.bin"].into_iter().enumerate() {
        let folder = cache
            .folder_for("ws", &ObjectKey::new(name), Use::View)
            .unwrap();
        assert_eq!(mode(&folder), 0o700, "each object's folder is private too");
        let file = folder.join(name);
        std::fs::write(&file, vec![b'x'; 1000]).unwrap();
        // Opened in turn, a second apart as far as the folder's time says.
        let when =
            std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000 + i as u64);
        std::fs::File::open(&folder)
            .unwrap()
            .set_modified(when)
            .unwrap();
        files.push(file);
    }
    // Opening a.bin again makes it the most recently opened.
    cache
        .folder_for("ws", &ObjectKey::new("a.bin"), Use::View)
        .unwrap();
    // 4000 bytes over a 3000 cap: the least recently opened (b) goes…
    assert_eq!(cache.evict(&[]).unwrap(), 1000);
    let left: Vec<bool> = files.iter().map(|f| f.exists()).collect();
    assert_eq!(left, [true, false, true, true]);
    assert_eq!(cache.evict(&[]).unwrap(), 0, "under the cap, nothing goes");
    // A kept file (being edited, downloading) stays however old: the next ones go instead.
    let smaller = OpenCache::new(dir.clone(), 1000).unwrap();
    assert_eq!(
        smaller.evict(std::slice::from_ref(&files[2])).unwrap(),
        2000
    );
    let left: Vec<bool> = files.iter().map(|f| f.exists()).collect();
    assert_eq!(left, [false, false, true, false]);
    // Two objects of the same name in two places do not share a folder.
    let folder = |key: &str, use_: Use| cache.folder_for("ws", &ObjectKey::new(key), use_).unwrap();
    assert_ne!(
        folder("x/report.pdf", Use::View),
        folder("y/report.pdf", Use::View)
    );
    // A copy opened to look at is never the copy being edited.
    assert_ne!(
        folder("x/report.pdf", Use::View),
        folder("x/report.pdf", Use::Edit)
    );
}
