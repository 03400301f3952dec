//! Only what was selected changes. Random worlds (trees with links, colliding names and
//! existing destination files; see [`world`]), random operations (cp, mv, sync with and without
//! `--delete`, rm -r, with every conflict policy, `--follow-links`, key templates, and a
//! destination that folds names) between places drawn to overlap (the same folder, a parent, a
//! child, a sibling, a symlink alias), run through the engine as the CLI and the app run it.
//! After each, an oracle compares the world with a snapshot from before ([`oracle`]):
//!
//! 1. a refused job changed nothing;
//! 2. nothing outside the destination changed (a move: also its source; rm: only what it named);
//! 3. a copy or sync changed nothing under its source;
//! 4. every selected source file is at its destination byte-identical, or the job reported it
//!    skipped or failed;
//! 5. a move removed a source only when its copy arrived, and kept every other;
//! 6. no two sources landed on one destination (as the destination compares names);
//! 7. with a policy other than overwrite, or a destination that never replaces a file
//!    (`file_overwrite: false`, any policy, syncs too), no file that was at the destination
//!    was replaced (a sync's `--delete` may still remove one the source lacks);
//! 8. no partial file is left.
//!
//! proptest shrinks a failing case to a minimal world and command; each one found is kept below
//! as a named regression test. `scripts/test` runs a fixed-seed subset, `scripts/reliability`
//! (FERRY_RELIABILITY_FULL) at least 100,000 cases.

mod edits;
mod oracle;
mod s3;
mod world;

use std::sync::Arc;

use ferry_engine::Engine;
use ferry_engine::secrets::MemoryStore;
use ferry_engine::settings::ConflictPolicy;
use ferry_engine::transfer::{Compare, JobKind, JobOptions};
use ferry_storage::NameFolding;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

use crate::common::{Report, full};
use world::{Pick, TreeSpec};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Copy,
    Move,
    /// With `checksum`, files are compared by content; else by size and time.
    Sync {
        delete: bool,
        checksum: bool,
    },
    Remove,
}

/// One generated case: a world, an operation, where it reads and writes, and how.
#[derive(Debug, Clone)]
pub struct Case {
    pub tree: TreeSpec,
    pub alias: Pick,
    pub op: Op,
    pub src: Pick,
    pub dst: Pick,
    pub policy: ConflictPolicy,
    pub follow: bool,
    /// The destination compares names without case and Unicode form (as macOS, Windows).
    pub fold: bool,
    /// 0: none; 1: `{prefix}/t/{name}`; 2: `{prefix}/one.bin` (every file to one key);
    /// 3: `{name}` (outside the destination unless it is a store's root).
    pub template: u8,
    /// The destination workspace never replaces a file (`file_overwrite: false`).
    pub keep: bool,
}

pub fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Copy),
        2 => Just(Op::Move),
        2 => (any::<bool>(), any::<bool>())
            .prop_map(|(delete, checksum)| Op::Sync { delete, checksum }),
        1 => Just(Op::Remove),
    ]
}

pub fn policy() -> impl Strategy<Value = ConflictPolicy> {
    prop_oneof![
        Just(ConflictPolicy::Ask),
        Just(ConflictPolicy::Skip),
        Just(ConflictPolicy::Rename),
        Just(ConflictPolicy::Overwrite),
        Just(ConflictPolicy::OverwriteIfNewer),
    ]
}

pub fn case() -> impl Strategy<Value = Case> {
    (
        world::tree(),
        any::<u8>().prop_map(Pick),
        op(),
        any::<u8>().prop_map(Pick),
        any::<u8>().prop_map(Pick),
        policy(),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.2),
        prop_oneof![8 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8), 1 => Just(3u8)],
        prop::bool::weighted(0.2),
    )
        .prop_map(
            |(tree, alias, op, src, dst, policy, follow, fold, template, keep)| Case {
                tree,
                alias,
                op,
                src,
                dst,
                policy,
                follow,
                fold,
                template,
                keep,
            },
        )
}

/// Engines sharing one journal: one that asks the disk how names compare, one that takes
/// the destination to fold them.
pub struct Engines {
    _dir: tempfile::TempDir,
    pub exact: Engine,
    pub folding: Engine,
}

impl Engines {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let make = || {
            Engine::load_with(
                &dir.path().join("config"),
                &dir.path().join("Ferry"),
                Arc::new(MemoryStore::default()),
            )
            .unwrap()
            .with_data_dir(dir.path().join("data"))
        };
        let folding = make().assume_local_folding(NameFolding {
            case: true,
            unicode: true,
        });
        Engines {
            exact: make(),
            folding,
            _dir: dir,
        }
    }

    pub fn pick(&self, fold: bool) -> &Engine {
        if fold { &self.folding } else { &self.exact }
    }
}

pub fn options(case: &Case) -> (JobKind, JobOptions) {
    let kind = match case.op {
        Op::Copy | Op::Remove => JobKind::Copy,
        Op::Move => JobKind::Move,
        Op::Sync { .. } => JobKind::Sync,
    };
    let mut options = JobOptions {
        recursive: true,
        conflict: case.policy,
        delete_extraneous: matches!(case.op, Op::Sync { delete: true, .. }),
        compare: if matches!(case.op, Op::Sync { checksum: true, .. }) {
            Compare::Checksum
        } else {
            Compare::SizeMtime
        },
        follow_links: case.follow,
        keep_existing: case.keep,
        ..JobOptions::default()
    };
    options.upload.key_template = match case.template {
        1 => Some("{prefix}/t/{name}".into()),
        2 => Some("{prefix}/one.bin".into()),
        3 => Some("{name}".into()),
        _ => None,
    };
    (kind, options)
}

/// Runs `cases` generated cases through `check`, with a fixed seed unless the full suite asks
/// for a fresh one, counting them (and a violation, if one is found) in `report`.
fn search<C: std::fmt::Debug>(
    report: &mut Report,
    cases: u32,
    strategy: impl Strategy<Value = C>,
    check: impl Fn(&C) -> Result<(usize, usize), String>,
) {
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 2_000,
        ..Config::default()
    };
    let number: u64 = match std::env::var("FERRY_SAFETY_SEED") {
        Ok(text) => text.parse().expect("FERRY_SAFETY_SEED is a number"),
        Err(_) if full() => rand_seed(),
        // The subset every run of scripts/test searches.
        Err(_) => 20_261_204,
    };
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&number.to_le_bytes());
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed));
    let ran = std::cell::Cell::new(0usize);
    let jobs = std::cell::Cell::new(0usize);
    let files = std::cell::Cell::new(0usize);
    let outcome = runner.run(&strategy, |case| {
        ran.set(ran.get() + 1);
        match check(&case) {
            Ok((n, verified)) => {
                jobs.set(jobs.get() + n);
                files.set(files.get() + verified);
                Ok(())
            }
            Err(violation) => Err(TestCaseError::fail(violation)),
        }
    });
    report.cases += ran.get();
    report.jobs += jobs.get();
    report.files_verified += files.get();
    if let Err(failure) = outcome {
        report.violations += 1;
        panic!(
            "an invariant broke (minimal case below; FERRY_SAFETY_SEED={number} replays the search):\n{failure}"
        );
    }
}

/// A seed of this run's own (printed on failure: FERRY_SAFETY_SEED replays it).
fn rand_seed() -> u64 {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    u64::from_le_bytes(bytes[..8].try_into().unwrap_or_default())
}

fn local_cases() -> u32 {
    if full() { 100_000 } else { 2_500 }
}

#[test]
fn only_what_was_selected_changes_on_local_disks() {
    let mut report = Report::new("safety/local");
    let engines = Engines::new();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    search(&mut report, local_cases(), case(), |case| {
        runtime.block_on(oracle::run_local(&engines, case))
    });
}

fn s3_cases() -> u32 {
    if full() { 1_000 } else { 120 }
}

fn with_s3(server: ferry_tests::Server, name: &str) {
    let mut report = Report::new(format!("safety/{name}"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    search(&mut report, s3_cases(), s3::s3_case(), |case| {
        runtime.block_on(s3::run(&server, case))
    });
}

#[test]
fn only_what_was_selected_changes_with_s3_on_moto() {
    with_s3(ferry_tests::moto(), "moto");
}

#[test]
fn only_what_was_selected_changes_with_s3_on_s3s() {
    with_s3(ferry_tests::s3s(), "s3s-fs");
}

/// The counterexamples the search has found in Ferry, each kept as it was shrunk.
mod regressions {
    use super::world::{Pick, Spec};
    use super::*;

    /// Found on local disks (seed 20261204) while single-file uploads were made to start a
    /// key template at the *parent* of a destination that names the file: the copy wrote
    /// `w/A/a/t`, beside the destination `w/A/a/a` it was given. A template starts at the
    /// destination as named.
    #[test]
    fn a_templated_copy_onto_a_named_key_writes_only_below_it() {
        let file = || Spec::File(0, 0);
        let case = Case {
            tree: vec![
                (vec![4], file()),
                (vec![5, 0, 0], Spec::Link(world::LinkTo::Entry(Pick(0)))),
                (vec![1, 0, 0], file()),
                (vec![3, 0], file()),
                (vec![2, 0, 0], file()),
                (vec![0, 0, 0], file()),
            ],
            alias: Pick(0),
            op: Op::Copy,
            src: Pick(61),
            dst: Pick(92),
            policy: ConflictPolicy::Ask,
            follow: false,
            fold: false,
            template: 1,
            keep: false,
        };
        let engines = Engines::new();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        if let Err(violation) = runtime.block_on(oracle::run_local(&engines, &case)) {
            panic!("{violation}");
        }
    }

    /// Found on s3s-fs (seed 05e8526d…): a migration given `delete_extraneous` — the engine's
    /// API let a front end ask — deleted the objects the local workspace did not have.
    #[test]
    fn a_migration_never_deletes_at_its_destination() {
        let case = s3::S3Case {
            case: Case {
                tree: vec![(vec![0], Spec::File(0, 0))],
                alias: Pick(0),
                op: Op::Sync {
                    delete: true,
                    checksum: false,
                },
                src: Pick(0),
                dst: Pick(0),
                policy: ConflictPolicy::Ask,
                follow: false,
                fold: false,
                template: 0,
                keep: false,
            },
            migrate: true,
            sides: 0,
        };
        let runtime = tokio::runtime::Runtime::new().unwrap();
        for server in [ferry_tests::moto(), ferry_tests::s3s()] {
            if let Err(violation) = runtime.block_on(s3::run(&server, &case)) {
                panic!("{}: {violation}", server.name);
            }
        }
    }
}
