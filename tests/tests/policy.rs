//! A workspace's upload policy (documents 001 and 002 of the seeds), on the real test servers:
//! gzip stores `NAME.gz` typed `application/gzip` (a download is a gzip file named so); the key
//! template puts each file under `{prefix}/{entity}/{yyyy}/{mm}/{dd}/`; a file over the size
//! limit is refused before any byte moves (the whole job, not only that file); with
//! `file_overwrite: false` a changed file never replaces the workspace's — not by cp, sync or
//! migrate. A command's own flags win.

use std::io::Read;

use ferry_tests::{Server, User, moto, s3s, unique_bucket};

fn set_policy(user: &User, id: &str, policy: serde_json::Value) {
    let path = user.config.path().join("settings.json");
    let mut settings: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let ws = settings["workspaces"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|w| w["id"] == id)
        .unwrap();
    ws["upload"] = policy;
    std::fs::write(&path, serde_json::to_string_pretty(&settings).unwrap()).unwrap();
}

fn keys(user: &User, at: &str) -> Vec<String> {
    let listed = user.run(&["ls", "-r", "--json", at]);
    assert_eq!(listed.code, 0, "{}", listed.output());
    let entries: Vec<serde_json::Value> = serde_json::from_str(&listed.stdout).unwrap();
    let mut keys: Vec<String> = entries
        .iter()
        .filter_map(|e| e["key"].as_str().map(str::to_string))
        .filter(|k| !k.ends_with('/'))
        .collect();
    keys.sort();
    keys
}

fn fetch(user: &User, location: &str) -> Vec<u8> {
    let out = user.home.path().join("fetched");
    let _ = std::fs::remove_file(&out);
    let run = user.run(&["cp", location, out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.output());
    std::fs::read(out).unwrap()
}

fn gunzip(bytes: &[u8]) -> String {
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut text)
        .unwrap();
    text
}

fn policies(server: &Server) {
    let user = User::new();
    let ws = user.add_s3(server, &unique_bucket("policy"));
    set_policy(
        &user,
        &ws,
        serde_json::json!({
            "compression": "gzip",
            "key_template": "{prefix}/{entity}/{yyyy}/{mm}/{dd}/{name}",
            "max_file_size_mb": 1,
            "file_overwrite": false,
        }),
    );
    let export = user.home.path().join("export");
    for (entity, name) in [("billing", "invoices.csv"), ("usage", "meters.csv")] {
        std::fs::create_dir_all(export.join(entity)).unwrap();
        std::fs::write(
            export.join(entity).join(name),
            format!("{entity},{name}\n").repeat(200),
        )
        .unwrap();
    }
    let run = user.run(&[
        "cp",
        "-r",
        export.to_str().unwrap(),
        &format!("{ws}:exports/"),
    ]);
    assert_eq!(run.code, 0, "{}", run.output());
    let today = jiff::Zoned::now().with_time_zone(jiff::tz::TimeZone::UTC);
    let day = today.strftime("%Y/%m/%d").to_string();
    assert_eq!(
        keys(&user, &format!("{ws}:")),
        [
            format!("exports/billing/{day}/invoices.csv.gz"),
            format!("exports/usage/{day}/meters.csv.gz"),
        ]
    );
    let key = format!("{ws}:exports/billing/{day}/invoices.csv.gz");
    let stat = user.run(&["stat", "--json", &key]);
    let meta: serde_json::Value = serde_json::from_str(&stat.stdout).unwrap();
    assert_eq!(meta["content_type"], "application/gzip", "{meta}");
    // A download is the gzip file its name says, holding the original.
    assert_eq!(
        gunzip(&fetch(&user, &key)),
        "billing,invoices.csv\n".repeat(200)
    );

    // The command's flags win: no gzip, the file's own name.
    let one = export.join("billing").join("invoices.csv");
    let run = user.run(&[
        "cp",
        "--no-gzip",
        "--key-template",
        "{prefix}/{name}",
        one.to_str().unwrap(),
        &format!("{ws}:plain/"),
    ]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(keys(&user, &format!("{ws}:plain/")), ["plain/invoices.csv"]);

    // One file into a folder: {entity} from the file's folder on disk.
    let run = user.run(&[
        "cp",
        export.join("usage").join("meters.csv").to_str().unwrap(),
        &format!("{ws}:single/"),
    ]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(
        keys(&user, &format!("{ws}:single/")),
        [format!("single/usage/{day}/meters.csv.gz")]
    );

    // Inside the workspace a copy (or a move, a rename) keeps its name: the policy is for
    // what comes in.
    let run = user.run(&["cp", &key, &format!("{ws}:kept/")]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(
        keys(&user, &format!("{ws}:kept/")),
        ["kept/invoices.csv.gz"]
    );

    // Two files that the template would put at one key: refused before anything moves.
    let clash = user.home.path().join("clash");
    std::fs::create_dir_all(clash.join("clash")).unwrap();
    std::fs::write(clash.join("a.csv"), "top\n").unwrap();
    std::fs::write(clash.join("clash").join("a.csv"), "nested\n").unwrap();
    let run = user.run(&["cp", "-r", clash.to_str().unwrap(), &format!("{ws}:clash/")]);
    assert_ne!(run.code, 0, "{}", run.output());
    assert!(
        run.output().contains("two files would get the key"),
        "{}",
        run.output()
    );

    // Over the limit: the whole job is refused before a byte moves, naming file and limit.
    let big = user.home.path().join("big");
    std::fs::create_dir_all(&big).unwrap();
    std::fs::write(big.join("small.txt"), "small\n").unwrap();
    std::fs::write(big.join("huge.bin"), vec![7u8; (1 << 20) + 1]).unwrap();
    let run = user.run(&["cp", "-r", big.to_str().unwrap(), &format!("{ws}:big/")]);
    assert_ne!(run.code, 0, "{}", run.output());
    assert!(
        run.output()
            .contains("huge.bin is 1.0 MiB, more than the limit of 1.0 MiB"),
        "{}",
        run.output()
    );
    assert!(
        !keys(&user, &format!("{ws}:"))
            .iter()
            .any(|k| k.starts_with("big/")),
        "nothing sent"
    );
    let dry = user.run(&[
        "cp",
        "-r",
        "--dry-run",
        big.to_str().unwrap(),
        &format!("{ws}:big/"),
    ]);
    assert_ne!(dry.code, 0, "a dry run says so too: {}", dry.output());

    // file_overwrite: false — a changed local file does not replace the object: not by a
    // sync, not by a migration, not by cp --overwrite.
    let site = user.home.path().join("site");
    std::fs::create_dir_all(&site).unwrap();
    std::fs::write(site.join("page.html"), "first\n").unwrap();
    let run = user.run(&[
        "sync",
        &format!("{}/", site.display()),
        &format!("{ws}:site/"),
    ]);
    assert_eq!(run.code, 0, "{}", run.output());
    std::fs::write(site.join("page.html"), "second, changed\n").unwrap();
    let first = user.home.path().join("first");
    std::fs::create_dir_all(&first).unwrap();
    std::fs::write(first.join("page.html"), "first\n").unwrap();
    let put = user.run(&[
        "cp",
        "--no-gzip",
        "--key-template",
        "{prefix}/{name}",
        first.join("page.html").to_str().unwrap(),
        &format!("{ws}:"),
    ]);
    assert_eq!(put.code, 0, "{}", put.output());
    // A local workspace on the folder, for the migration (which moves between workspaces).
    let added = user.run(&[
        "workspace",
        "add",
        "site",
        "--local",
        site.to_str().unwrap(),
    ]);
    assert_eq!(added.code, 0, "{}", added.output());
    // The plan says so before anything runs: a skip, not an update.
    let dry = user.run(&[
        "sync",
        "--dry-run",
        "--json",
        &format!("{}/", site.display()),
        &format!("{ws}:site/"),
    ]);
    assert_eq!(dry.code, 0, "{}", dry.output());
    assert!(
        dry.stdout.contains("is already there and is kept")
            && dry.stdout.contains("\"action\": \"skip\"")
            && !dry.stdout.contains("\"action\": \"update\""),
        "{}",
        dry.stdout
    );
    for args in [
        vec![
            "sync".to_string(),
            format!("{}/", site.display()),
            format!("{ws}:site/"),
        ],
        vec!["migrate".to_string(), "site".to_string(), ws.clone()],
        vec![
            "cp".to_string(),
            "--overwrite".to_string(),
            "--no-gzip".to_string(),
            "--key-template".to_string(),
            "{prefix}/{name}".to_string(),
            site.join("page.html").display().to_string(),
            format!("{ws}:site/"),
        ],
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        // A migration copies the whole workspace, to the top of the bucket.
        let at = if args[0] == "migrate" {
            format!("{ws}:page.html")
        } else {
            format!("{ws}:site/page.html")
        };
        let run = user.run(&args);
        assert!(
            run.output().contains("never replaces a file"),
            "{args:?}: {}",
            run.output()
        );
        assert_eq!(
            fetch(&user, &at),
            b"first\n",
            "{args:?} replaced the workspace's file"
        );
    }
}

#[test]
fn upload_policies_hold_on_moto() {
    policies(&moto());
}

#[test]
fn upload_policies_hold_on_s3s() {
    policies(&s3s());
}

/// `--gunzip`: what `--gzip` stored comes back under its own name, byte for byte, once the
/// `.gz` arrived; a `.gz` that is not gzip, or whose plain name is taken, stays as downloaded
/// and the job says why — the file already there is not touched.
fn gunzip_restores(server: &Server) {
    let user = User::new();
    let ws = user.add_s3(server, &unique_bucket("gunzip"));
    let src = user.home.path().join("out");
    std::fs::create_dir_all(&src).unwrap();
    let report = "date,amount\n2026-12-07,42\n".repeat(500);
    std::fs::write(src.join("report.csv"), &report).unwrap();
    std::fs::write(src.join("taken.csv"), "theirs, compressed").unwrap();
    let run = user.run(&[
        "cp",
        "-r",
        "--gzip",
        src.to_str().unwrap(),
        &format!("{ws}:exports/"),
    ]);
    assert_eq!(run.code, 0, "{}", run.output());
    // A folder with both NAME and NAME.gz: NAME comes as itself, NAME.gz is not unpacked
    // over it (nor it over the unpacked one).
    let both = user.home.path().join("both");
    std::fs::create_dir_all(&both).unwrap();
    std::fs::write(both.join("both.csv"), "the plain one").unwrap();
    for gzip in ["--no-gzip", "--gzip"] {
        let run = user.run(&[
            "cp",
            gzip,
            both.join("both.csv").to_str().unwrap(),
            &format!("{ws}:exports/"),
        ]);
        assert_eq!(run.code, 0, "{}", run.output());
    }
    // A name that is no file without its .gz (`..gz`) is kept as it is.
    let dots = user.home.path().join("..gz");
    std::fs::write(&dots, b"\x1f\x8b not really").unwrap();
    let run = user.run(&["cp", dots.to_str().unwrap(), &format!("{ws}:exports/")]);
    assert_eq!(run.code, 0, "{}", run.output());
    let fake = user.home.path().join("fake.txt.gz");
    std::fs::write(&fake, "plain text, not gzip").unwrap();
    let run = user.run(&["cp", fake.to_str().unwrap(), &format!("{ws}:exports/")]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(
        keys(&user, &format!("{ws}:exports/")),
        [
            "exports/..gz",
            "exports/both.csv",
            "exports/both.csv.gz",
            "exports/fake.txt.gz",
            "exports/report.csv.gz",
            "exports/taken.csv.gz"
        ]
    );

    let dl = user.home.path().join("dl");
    std::fs::create_dir_all(&dl).unwrap();
    std::fs::write(dl.join("taken.csv"), "mine, already here").unwrap();
    let run = user.run(&[
        "cp",
        "-r",
        "--gunzip",
        &format!("{ws}:exports/"),
        dl.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(
        std::fs::read_to_string(dl.join("report.csv")).unwrap(),
        report
    );
    assert!(
        !dl.join("report.csv.gz").exists(),
        "the .gz goes once unpacked"
    );
    assert_eq!(
        std::fs::read_to_string(dl.join("fake.txt.gz")).unwrap(),
        "plain text, not gzip"
    );
    assert!(!dl.join("fake.txt").exists());
    assert!(
        run.stderr
            .contains("fake.txt.gz was kept as downloaded: it is not a complete gzip file"),
        "{}",
        run.output()
    );
    assert_eq!(
        std::fs::read_to_string(dl.join("taken.csv")).unwrap(),
        "mine, already here"
    );
    assert_eq!(
        gunzip(&std::fs::read(dl.join("taken.csv.gz")).unwrap()),
        "theirs, compressed"
    );
    assert!(
        run.stderr
            .contains("taken.csv is already there and was not replaced"),
        "{}",
        run.output()
    );

    assert_eq!(
        std::fs::read_to_string(dl.join("both.csv")).unwrap(),
        "the plain one"
    );
    assert_eq!(
        gunzip(&std::fs::read(dl.join("both.csv.gz")).unwrap()),
        "the plain one"
    );
    assert!(
        run.stderr.contains("the source also has exports/both.csv"),
        "{}",
        run.output()
    );

    assert!(dl.join("..gz").exists());
    assert!(run.stderr.contains("names no file"), "{}", run.output());

    // Only downloads unpack.
    let run = user.run(&[
        "cp",
        "--gunzip",
        src.join("report.csv").to_str().unwrap(),
        &format!("{ws}:again/"),
    ]);
    assert_ne!(run.code, 0);
    assert!(
        run.stderr.contains("into a folder on this computer"),
        "{}",
        run.output()
    );
    assert!(
        !keys(&user, &format!("{ws}:"))
            .iter()
            .any(|k| k.starts_with("again/"))
    );
}

#[test]
fn gunzip_restores_gzip_uploads_on_moto() {
    gunzip_restores(&moto());
}

#[test]
fn gunzip_restores_gzip_uploads_on_s3s() {
    gunzip_restores(&s3s());
}
