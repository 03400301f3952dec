//! The invariants with S3 on one side or both: uploads from a world with links, downloads onto
//! a disk that may fold names, copies, moves and syncs between two workspaces on one bucket (one
//! inside the other, its endpoint spelled another way), migrations, and rm -r of prefixes. The
//! bucket's objects join the snapshot as `s3/KEY`.

use std::collections::BTreeMap;
use std::sync::Arc;

use ferry_engine::Engine;
use ferry_engine::browse;
use ferry_engine::secrets::{MemoryStore, S3Secret};
use ferry_engine::settings::Workspace;
use ferry_engine::transfer::{Accounting, JobControl, JobKind, run_job};
use ferry_engine::workspace::{Links, Location, Place};
use ferry_storage::{BackendExt, Entry, NameFolding, ObjectKey, S3Backend};
use ferry_tests::{Server, unique_bucket};
use proptest::prelude::*;

use super::oracle::{
    Judge, Regions, Roots, Side, check_remove, landed_items, reached, real, real_destination,
    unchanged,
};
use super::world::{Node, Pick, Snapshot, World};
use super::{Case, Op, options};

/// The two S3 workspaces of every case: the whole bucket, and a prefix inside it.
const PREFIXES: [(&str, &str); 2] = [("outer", ""), ("inner", "p/")];

/// A case with S3 in it; `migrate` replaces the operation with a migration of the world's
/// tree (a local workspace) into one of the S3 workspaces.
#[derive(Debug, Clone)]
pub struct S3Case {
    pub case: Case,
    pub migrate: bool,
    /// Which side is S3: 0 upload, 1 download, 2 both.
    pub sides: u8,
}

pub fn s3_case() -> impl Strategy<Value = S3Case> {
    (super::case(), prop::bool::weighted(0.15), 0u8..3).prop_map(|(mut case, migrate, sides)| {
        // Links cannot live in S3; following them is for uploads, tried on local disks.
        if sides != 0 {
            case.follow = false;
        }
        S3Case {
            case,
            migrate,
            sides,
        }
    })
}

/// Places in the bucket, as (workspace, key).
fn s3_places(world: &World) -> Vec<(&'static str, String)> {
    let mut places = vec![
        ("outer", String::new()),
        ("outer", "p/".into()),
        ("outer", "q/".into()),
        ("outer", "new/".into()),
        ("inner", String::new()),
        ("inner", "new/".into()),
    ];
    for folder in world.folders.iter().filter_map(|f| f.strip_prefix("w/")) {
        places.push(("inner", format!("{folder}/")));
        places.push(("outer", format!("p/{folder}/")));
    }
    for file in world.files.iter().filter_map(|f| f.strip_prefix("w/")) {
        places.push(("inner", file.to_string()));
    }
    places
}

/// A workspace on `server`'s bucket, its endpoint spelled `endpoint`.
fn workspace(id: &str, bucket: &str, prefix: &str, endpoint: &str) -> Workspace {
    serde_json::from_value(serde_json::json!({
        "id": id,
        "name": id,
        "storage": {
            "type": "s3",
            "bucket": bucket,
            "prefix": prefix,
            "endpoint_url": endpoint,
            "path_style": true,
            "credentials": { "source": "keychain" }
        }
    }))
    .unwrap()
}

/// An engine of its own for the case: the two S3 workspaces, and `here`, the world's tree.
async fn engine(server: &Server, world: &World, fold: bool) -> (Engine, tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut engine = Engine::load_with(
        &dir.path().join("config"),
        &dir.path().join("Ferry"),
        Arc::new(MemoryStore::default()),
    )
    .unwrap()
    .with_data_dir(dir.path().join("data"));
    if fold {
        engine = engine.assume_local_folding(NameFolding {
            case: true,
            unicode: true,
        });
    }
    let bucket = unique_bucket("safety");
    // The inner workspace reaches the same server spelled otherwise.
    let other = format!("{}/", server.endpoint.replace("127.0.0.1", "localhost"));
    for (id, prefix) in PREFIXES {
        let endpoint = if prefix.is_empty() {
            server.endpoint.clone()
        } else {
            other.clone()
        };
        engine
            .add_workspace(workspace(id, &bucket, prefix, &endpoint), false)
            .unwrap();
        engine
            .set_secret(
                id,
                S3Secret::new(
                    server.access_key_id.clone(),
                    server.secret_access_key.clone(),
                ),
            )
            .await
            .unwrap();
    }
    let here: Workspace = serde_json::from_value(serde_json::json!({
        "id": "here",
        "name": "here",
        "storage": { "type": "local", "base_path": world.path("w") }
    }))
    .unwrap();
    engine.add_workspace(here, false).unwrap();
    (engine, dir, bucket)
}

/// The whole bucket, as `s3/KEY` names (folder markers as folders).
async fn bucket_snapshot(bucket: &S3Backend) -> BTreeMap<String, Node> {
    let mut out = BTreeMap::new();
    for entry in bucket.list_collect(&ObjectKey::root(), true).await.unwrap() {
        // A marker keeps its `/`: S3 can hold an object `a` and a folder `a/` side by side.
        let key = entry.key().as_str().to_string();
        match entry {
            Entry::Folder { .. } => {
                out.insert(format!("s3/{key}"), Node::Dir);
            }
            Entry::Object(meta) if meta.key.is_folder() => {
                out.insert(format!("s3/{key}"), Node::Dir);
            }
            Entry::Object(meta) => {
                let bytes = bucket.get_bytes(&meta.key).await.unwrap().to_vec();
                out.insert(format!("s3/{key}"), Node::File(bytes));
            }
        }
    }
    out
}

async fn snapshot(world: &World, bucket: &S3Backend) -> Snapshot {
    let mut all = world.snapshot();
    all.0.extend(bucket_snapshot(bucket).await);
    all
}

/// Runs a case with S3 on one side or both and checks every invariant.
pub async fn run(server: &Server, c: &S3Case) -> Result<(usize, usize), String> {
    let case = &c.case;
    let world = World::make(&case.tree, case.alias);
    let (engine, _dir, bucket) = engine(server, &world, case.fold).await;
    let raw = S3Backend::connect(server.config(&bucket)).await;
    raw.create_bucket().await.map_err(|e| e.to_string())?;
    // The bucket holds the tree's files below p/ (the inner workspace; some changed since, so
    // that copies, syncs and migrations meet objects that differ) and some below q/.
    for (i, file) in world.files.iter().enumerate() {
        let Some(rel) = file.strip_prefix("w/") else {
            continue;
        };
        let bytes = std::fs::read(world.path(file)).unwrap();
        let mut there = bytes.clone();
        match i % 4 {
            1 => there.push(b'+'),
            3 => there.reverse(),
            _ => {}
        }
        raw.put_bytes(&ObjectKey::new(format!("p/{rel}")), there.into())
            .await
            .unwrap();
        if i % 3 == 0 {
            raw.put_bytes(&ObjectKey::new(format!("q/{rel}")), bytes.into())
                .await
                .unwrap();
        }
    }
    let s3 = s3_places(&world);
    let local_sources = world.sources();
    let local_destinations = world.destinations();
    let pick_s3 = |i: &Pick| s3[i.of(s3.len())].clone();
    let s3_location = |(ws, key): (&str, String)| Location {
        place: Place::Workspace(ws.to_string()),
        key: ObjectKey::new(key),
    };
    let s3_region = |(ws, key): &(&str, String)| {
        let prefix = PREFIXES.iter().find(|(id, _)| id == ws).unwrap().1;
        let full = format!("{prefix}{key}");
        let full = full.trim_end_matches('/');
        if full.is_empty() {
            "s3".to_string()
        } else {
            format!("s3/{full}")
        }
    };
    let local_location = |rel: &str| Location {
        place: Place::Local(world.path(rel)),
        key: ObjectKey::root(),
    };
    let before = snapshot(&world, &raw).await;

    if case.op == Op::Remove && !c.migrate {
        let place = pick_s3(&case.src);
        let region = s3_region(&place);
        let named = engine.resolve_with(&s3_location(place), Links::Own).await;
        let removed = match named {
            Ok(named) => browse::remove(&named, true, false).await,
            Err(e) => Err(e),
        };
        let after = snapshot(&world, &raw).await;
        return check_remove(&before, &after, &region, removed.map(|r| r.failed.len()))
            .map(|()| (0, 0));
    }
    let (mut kind, mut options) = options(case);
    let (from, to, regions) = if c.migrate {
        kind = JobKind::Migrate;
        options.recursive = true;
        let into = pick_s3(&case.dst);
        let ws = into.0;
        let region = s3_region(&(ws, String::new()));
        (
            s3_location(("here", String::new())),
            s3_location((ws, String::new())),
            Regions {
                source: real(&world, "w"),
                destination: region,
                reached: if case.follow {
                    reached(&world, "w")
                } else {
                    Vec::new()
                },
            },
        )
    } else {
        let named = |rel: &str| {
            if case.op == Op::Move {
                rel.to_string()
            } else {
                real(&world, rel)
            }
        };
        match (c.sides, case.op) {
            (0, _) => {
                let src = &local_sources[case.src.of(local_sources.len())];
                let dst = pick_s3(&case.dst);
                let region = s3_region(&dst);
                (
                    local_location(src),
                    s3_location(dst),
                    Regions {
                        source: named(src),
                        destination: region,
                        reached: if case.follow {
                            reached(&world, src)
                        } else {
                            Vec::new()
                        },
                    },
                )
            }
            (1, _) => {
                let src = pick_s3(&case.src);
                let dst = &local_destinations[case.dst.of(local_destinations.len())];
                let region = s3_region(&src);
                (
                    s3_location(src),
                    local_location(dst),
                    Regions {
                        source: region,
                        destination: real_destination(&world, dst),
                        reached: Vec::new(),
                    },
                )
            }
            _ => {
                let (src, dst) = (pick_s3(&case.src), pick_s3(&case.dst));
                let regions = Regions {
                    source: s3_region(&src),
                    destination: s3_region(&dst),
                    reached: Vec::new(),
                };
                (s3_location(src), s3_location(dst), regions)
            }
        }
    };
    let job = match engine.create_job(kind, &from, &to, &options).await {
        Ok(job) => job,
        Err(_) => {
            let after = snapshot(&world, &raw).await;
            return unchanged(&before, &after, "a refused job").map(|()| (0, 0));
        }
    };
    let ran = run_job(
        &engine,
        &job,
        Arc::new(Accounting::default()),
        JobControl::default(),
    )
    .await;
    let after = snapshot(&world, &raw).await;
    let journal = engine.journal().map_err(|e| e.to_string())?;
    let items = landed_items(&journal, &job)?;
    if ran.is_err() && items.is_empty() {
        return unchanged(&before, &after, "a job refused as it started").map(|()| (1, 0));
    }
    let row = journal
        .job(&job)
        .map_err(|e| e.to_string())?
        .ok_or("the job vanished")?;
    let side = |location: &Location| match (&location.place, location.key.is_root()) {
        (Place::Workspace(id), _) if id == "here" => Side::Local(world.path("w")),
        _ => Side::of(&world, location, &PREFIXES),
    };
    let destination = side(&row.destination);
    // Only a local destination folds names (the engine is told so); S3 keys are exact.
    let folds = case.fold && matches!(destination, Side::Local(_));
    Judge {
        before: &before,
        after: &after,
        roots: Roots {
            world: &world,
            source: side(&row.source),
            destination,
        },
        regions,
        items: &items,
        kind,
        policy: case.policy,
        folding: if folds {
            NameFolding {
                case: true,
                unicode: true,
            }
        } else {
            NameFolding::EXACT
        },
        by_content: matches!(case.op, Op::Sync { checksum: true, .. }),
        follow: case.follow,
        keep: case.keep,
        delete: kind == JobKind::Sync && matches!(case.op, Op::Sync { delete: true, .. }),
    }
    .all()
    .map(|verified| (1, verified))
}
