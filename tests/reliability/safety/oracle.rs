//! Runs one case and judges it against the snapshot taken before: the invariants of
//! [`super`], each violation returned as a sentence naming the path and what happened to it.

use std::collections::BTreeMap;
use std::sync::Arc;

use ferry_engine::browse;
use ferry_engine::settings::ConflictPolicy;
use ferry_engine::transfer::{
    Accounting, ItemAction, ItemRow, ItemState, JobControl, JobKind, run_job,
};
use ferry_engine::workspace::{Links, Location, Place};
use ferry_storage::{NameFolding, ObjectKey};

use super::world::{Node, Snapshot, World, under};
use super::{Case, Engines, Op, options};

/// Runs a case on local disks and checks every invariant; the number of jobs it ran.
pub async fn run_local(engines: &Engines, case: &Case) -> Result<(usize, usize), String> {
    let world = World::make(&case.tree, case.alias);
    let sources = world.sources();
    let destinations = world.destinations();
    let src = sources[case.src.of(sources.len())].clone();
    let dst = destinations[case.dst.of(destinations.len())].clone();
    let engine = engines.pick(case.fold);
    let before = world.snapshot();
    let at = |rel: &str| Location {
        place: Place::Local(world.path(rel)),
        key: ObjectKey::root(),
    };
    if case.op == Op::Remove {
        let named = engine.resolve_with(&at(&src), Links::Own).await;
        let removed = match named {
            Ok(named) => browse::remove(&named, true, false).await,
            Err(e) => Err(e),
        };
        let after = world.snapshot();
        return check_remove(&before, &after, &src, removed.map(|r| r.failed.len()))
            .map(|()| (0, 0));
    }
    let (kind, options) = options(case);
    let regions = Regions::of(&world, case, &src, &dst);
    let job = match engine
        .create_job(kind, &at(&src), &at(&dst), &options)
        .await
    {
        Ok(job) => job,
        Err(_) => {
            let after = world.snapshot();
            return unchanged(&before, &after, "a refused job").map(|()| (0, 0));
        }
    };
    let ran = run_job(
        engine,
        &job,
        Arc::new(Accounting::default()),
        JobControl::default(),
    )
    .await;
    let after = world.snapshot();
    let journal = engine.journal().map_err(|e| e.to_string())?;
    let row = journal
        .job(&job)
        .map_err(|e| e.to_string())?
        .ok_or("the job vanished")?;
    if ran.is_err() && journal.items(&job).map_err(|e| e.to_string())?.is_empty() {
        // Refused when it started (the pins, the overlap check): nothing may have changed.
        return unchanged(&before, &after, "a job refused as it started").map(|()| (1, 0));
    }
    let items = landed_items(&journal, &job)?;
    let roots = Roots {
        world: &world,
        source: Side::of(&world, &row.source, &[]),
        destination: Side::of(&world, &row.destination, &[]),
    };
    let folding = if case.fold {
        NameFolding {
            case: true,
            unicode: true,
        }
    } else {
        NameFolding::EXACT
    };
    Judge {
        before: &before,
        after: &after,
        roots,
        regions,
        items: &items,
        kind,
        policy: case.policy,
        folding,
        by_content: matches!(case.op, Op::Sync { checksum: true, .. }),
        follow: case.follow,
        keep: case.keep,
        delete: matches!(case.op, Op::Sync { delete: true, .. }),
    }
    .all()
    .map(|verified| (1, verified))
}

/// Where a job's store is rooted, in the snapshot's names: a local folder (relative to the
/// world's root), or `s3/PREFIX` for a workspace on the test bucket.
pub enum Side {
    Local(std::path::PathBuf),
    S3(String),
}

impl Side {
    /// `prefixes`: each S3 workspace's prefix in the bucket.
    pub fn of(world: &World, location: &Location, prefixes: &[(&str, &str)]) -> Side {
        match &location.place {
            Place::Local(root) => Side::Local(root.clone()),
            Place::Workspace(id) => {
                let prefix = prefixes
                    .iter()
                    .find(|(ws, _)| ws == id)
                    .map(|(_, p)| p.trim_end_matches('/'))
                    .unwrap_or_default();
                let _ = world;
                Side::S3(if prefix.is_empty() {
                    "s3".into()
                } else {
                    format!("s3/{prefix}")
                })
            }
        }
    }
}

/// Where a job's stores are rooted, to turn its items' keys into the snapshot's names.
pub struct Roots<'a> {
    pub world: &'a World,
    pub source: Side,
    pub destination: Side,
}

impl Roots<'_> {
    fn name(&self, side: &Side, key: &str) -> Option<String> {
        let key = key.trim_end_matches('/');
        match side {
            Side::Local(root) => root
                .join(key)
                .strip_prefix(&self.world.root)
                .ok()
                .map(|p| p.to_string_lossy().into_owned()),
            Side::S3(root) if key.is_empty() => Some(root.clone()),
            Side::S3(root) => Some(format!("{root}/{key}")),
        }
    }

    fn source(&self, key: &str) -> Option<String> {
        self.name(&self.source, key)
    }

    fn destination(&self, key: &str) -> Option<String> {
        self.name(&self.destination, key)
    }
}

/// The places a job may change and must keep, in the snapshot's names.
pub struct Regions {
    /// What the source names: for a move the name itself (a link is moved as a link), for a
    /// copy or sync where it leads.
    pub source: String,
    pub destination: String,
    /// With `--follow-links`: where the links inside the source lead (read, so kept too).
    pub reached: Vec<String>,
}

impl Regions {
    fn of(world: &World, case: &Case, src: &str, dst: &str) -> Regions {
        Regions {
            source: if case.op == Op::Move {
                src.to_string()
            } else {
                real(world, src)
            },
            destination: real_destination(world, dst),
            reached: if case.follow {
                reached(world, src)
            } else {
                Vec::new()
            },
        }
    }
}

/// Where the links below a local place lead (followed, loops and all), relative to the
/// world's root: what a copy with `--follow-links` reads.
pub fn reached(world: &World, rel: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![world.path(rel)];
    let mut seen = std::collections::BTreeSet::new();
    while let Some(dir) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(real) = std::fs::canonicalize(&path) else {
                continue;
            };
            let is_link =
                std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
            if is_link && let Ok(name) = real.strip_prefix(&world.root) {
                out.push(name.to_string_lossy().into_owned());
            }
            if real.is_dir() && seen.insert(real.clone()) {
                todo.push(real);
            }
        }
    }
    out
}

/// Where a destination leads: a link to a folder is followed (as `cp x link/` does), a link
/// to a file is the link itself (a write replaces it, as `mv` does).
pub fn real_destination(world: &World, rel: &str) -> String {
    let path = world.path(rel);
    if std::fs::canonicalize(&path).is_ok_and(|p| p.is_dir()) {
        return real(world, rel);
    }
    let parent = std::fs::canonicalize(path.parent().unwrap()).unwrap();
    let lexical = parent.join(path.file_name().unwrap());
    lexical
        .strip_prefix(&world.root)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| format!("<outside the world: {}>", lexical.display()))
}

/// Where a local place leads (links and `..` resolved), relative to the world's root.
pub fn real(world: &World, rel: &str) -> String {
    let path = world.path(rel);
    let resolved = std::fs::canonicalize(&path).unwrap_or_else(|_| {
        let parent = std::fs::canonicalize(path.parent().unwrap()).unwrap();
        parent.join(path.file_name().unwrap())
    });
    resolved
        .strip_prefix(&world.root)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| format!("<outside the world: {}>", resolved.display()))
}

pub struct Judge<'a> {
    pub before: &'a Snapshot,
    pub after: &'a Snapshot,
    pub roots: Roots<'a>,
    pub regions: Regions,
    pub items: &'a [ItemRow],
    pub kind: JobKind,
    pub policy: ConflictPolicy,
    pub folding: NameFolding,
    /// A sync compared by content (else by size and time).
    pub by_content: bool,
    /// The job read through links (`--follow-links`).
    pub follow: bool,
    /// The destination never replaces a file (`file_overwrite: false`).
    pub keep: bool,
    /// A sync that deletes what the source lacks.
    pub delete: bool,
}

impl Judge<'_> {
    /// Every invariant; the number of arrived files it verified.
    pub fn all(&self) -> Result<usize, String> {
        no_partial_files(self.after)?;
        self.nothing_else_changed()?;
        self.source_kept()?;
        self.deleted_only_what_the_source_lacks()?;
        let verified = self.arrived()?;
        self.moves_removed_only_what_arrived()?;
        self.one_source_per_destination()?;
        self.no_overwrite_unasked()?;
        Ok(verified)
    }

    /// 2: outside the destination (and a move's source), nothing changed — but the folders
    /// made on the way to a destination that did not exist yet.
    fn nothing_else_changed(&self) -> Result<(), String> {
        let allowed = |path: &str| {
            under(path, &self.regions.destination)
                || (self.kind == JobKind::Move && under(path, &self.regions.source))
        };
        for path in paths(self.before, self.after) {
            if allowed(&path) {
                continue;
            }
            let (was, is) = (self.before.0.get(&path), self.after.0.get(&path));
            let made_on_the_way =
                was.is_none() && is == Some(&Node::Dir) && under(&self.regions.destination, &path);
            // The rename policy writes `name (n)` beside a destination that is taken.
            let renamed = was.is_none()
                && self.policy == ConflictPolicy::Rename
                && numbered_from(&path).is_some_and(|p| under(&p, &self.regions.destination));
            if was != is && !made_on_the_way && !renamed {
                return Err(format!(
                    "{path} changed outside the destination {}: {} → {}",
                    self.regions.destination,
                    show(was),
                    show(is)
                ));
            }
        }
        Ok(())
    }

    /// 3: a copy or a sync changed nothing under its source (nor, following links, where
    /// they lead).
    fn source_kept(&self) -> Result<(), String> {
        if self.kind == JobKind::Move {
            return Ok(());
        }
        let read = |path: &str| {
            under(path, &self.regions.source)
                || self
                    .regions
                    .reached
                    .iter()
                    .any(|r| !r.is_empty() && under(path, r))
        };
        for path in paths(self.before, self.after) {
            if read(&path) && self.before.0.get(&path) != self.after.0.get(&path) {
                return Err(format!(
                    "{path} under the source {} changed: {} → {}",
                    self.regions.source,
                    show(self.before.0.get(&path)),
                    show(self.after.0.get(&path))
                ));
            }
        }
        Ok(())
    }

    /// 4: every item the job says it carried is at its destination as the source was; every
    /// selected source file has an item, or (sync) its destination already matched.
    fn arrived(&self) -> Result<usize, String> {
        let mut verified = 0;
        for item in self.items.iter().filter(|i| i.state == ItemState::Done) {
            let (Some(src), Some(dst)) = (
                self.roots.source(&item.source_key),
                self.roots.destination(&item.dest_key),
            ) else {
                continue;
            };
            let wanted = match item.action {
                ItemAction::Copy | ItemAction::Update => self.original(&src).map(Node::File),
                ItemAction::Link => self.before.0.get(&src).cloned(),
                _ => continue,
            };
            let Some(wanted) = wanted else {
                return Err(format!(
                    "item {src} ({:?}) was done, but its source was not a file before: {} (leads to {:?})",
                    item.source_key,
                    show(self.before.0.get(&src)),
                    std::fs::canonicalize(self.roots.world.path(&src))
                ));
            };
            let got = self.after.0.get(&dst);
            if got != Some(&wanted) {
                return Err(format!(
                    "{src} was reported done, but {dst} is {} instead of {}",
                    show(got),
                    show(Some(&wanted))
                ));
            }
            verified += 1;
        }
        let with_item: std::collections::BTreeSet<String> = self
            .items
            .iter()
            .filter_map(|i| self.roots.source(&i.source_key))
            .collect();
        for (path, node) in &self.before.0 {
            if !matches!(node, Node::File(_))
                || !under(path, &self.regions.source)
                || with_item.contains(path)
                || self.through_a_link(path)
            {
                continue;
            }
            if matches!(self.kind, JobKind::Sync | JobKind::Migrate)
                && self.matched_at_destination(path, node)
            {
                continue;
            }
            return Err(format!(
                "{path} in the source was neither carried nor reported (no item)"
            ));
        }
        Ok(verified)
    }

    /// 9: a sync deletes at the destination only what the source does not name — a link the
    /// sync did not follow still names what lies below it there.
    fn deleted_only_what_the_source_lacks(&self) -> Result<(), String> {
        if self.kind != JobKind::Sync {
            return Ok(());
        }
        for (path, node) in &self.before.0 {
            if matches!(node, Node::Dir)
                || self.after.0.contains_key(path)
                || !under(path, &self.regions.destination)
            {
                continue;
            }
            let rest = path
                .strip_prefix(&self.regions.destination)
                .unwrap_or(path)
                .trim_start_matches('/');
            let mut named = String::new();
            for part in rest.split('/') {
                if !named.is_empty() {
                    named.push('/');
                }
                named.push_str(part);
                let at = if self.regions.source.is_empty() {
                    named.clone()
                } else {
                    format!("{}/{named}", self.regions.source)
                };
                let names = match self.before.0.get(&at) {
                    Some(Node::File(_)) => true,
                    // Followed to a folder, a link is one; else it is a name of its own.
                    Some(Node::Link(_)) => {
                        !(self.follow
                            && self
                                .before
                                .resolve(&self.roots.world.root, &at)
                                .is_some_and(|real| self.before.0.get(&real) == Some(&Node::Dir)))
                    }
                    _ => false,
                };
                if names {
                    return Err(format!("{path} was deleted although the source has {at}"));
                }
            }
        }
        Ok(())
    }

    /// 5: a move's source is gone exactly where its item arrived; the rest stayed.
    fn moves_removed_only_what_arrived(&self) -> Result<(), String> {
        if self.kind != JobKind::Move {
            return Ok(());
        }
        for item in self.items {
            let Some(src) = self.roots.source(&item.source_key) else {
                continue;
            };
            let (was, is) = (self.before.0.get(&src), self.after.0.get(&src));
            let carried = matches!(item.action, ItemAction::Copy | ItemAction::Link);
            if !carried || was.is_none() {
                continue;
            }
            match item.state {
                ItemState::Done if is.is_some() && is != Some(&Node::Dir) => {
                    return Err(format!("{src} was moved but is still there"));
                }
                ItemState::Done => {}
                _ if was != is => {
                    return Err(format!(
                        "{src} was not moved ({:?}) but changed: {} → {}",
                        item.state,
                        show(was),
                        show(is)
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// 6: no two items landed on one destination, as the destination compares names.
    fn one_source_per_destination(&self) -> Result<(), String> {
        let mut landed: BTreeMap<String, &str> = BTreeMap::new();
        for item in self.items.iter().filter(|i| {
            i.state == ItemState::Done
                && matches!(
                    i.action,
                    ItemAction::Copy | ItemAction::Update | ItemAction::Link
                )
        }) {
            let claimed = self.folding.fold(&item.dest_key);
            if let Some(other) = landed.insert(claimed, &item.source_key) {
                return Err(format!(
                    "{other} and {} both landed on {}",
                    item.source_key, item.dest_key
                ));
            }
        }
        Ok(())
    }

    /// 7: without overwrite, a file that was at the destination (and is not the source's)
    /// is as it was.
    fn no_overwrite_unasked(&self) -> Result<(), String> {
        let keeps = self.keep
            || (matches!(
                self.policy,
                ConflictPolicy::Ask | ConflictPolicy::Skip | ConflictPolicy::Rename
            ) && self.kind != JobKind::Sync);
        if !keeps {
            return Ok(());
        }
        for (path, node) in &self.before.0 {
            if matches!(node, Node::Dir)
                || !under(path, &self.regions.destination)
                || under(path, &self.regions.source)
            {
                continue;
            }
            // A sync's --delete removes what the source lacks (invariant 1b checks which).
            let deleted = !self.after.0.contains_key(path) && self.delete;
            if self.after.0.get(path) != Some(node) && !deleted {
                return Err(format!(
                    "{path} was at the destination and was replaced under {:?} (keep: {}): {} → {}",
                    self.policy,
                    self.keep,
                    show(Some(node)),
                    show(self.after.0.get(path))
                ));
            }
        }
        Ok(())
    }

    /// What a source file held before: itself, or (read through links) what it led to then.
    fn original(&self, rel: &str) -> Option<Vec<u8>> {
        let real = self.before.resolve(&self.roots.world.root, rel)?;
        match self.before.0.get(&real) {
            Some(Node::File(bytes)) => Some(bytes.clone()),
            _ => None,
        }
    }

    /// Whether a path lies below a link within the source (not part of a walk that does not
    /// follow links).
    fn through_a_link(&self, path: &str) -> bool {
        let mut up = path;
        while let Some((parent, _)) = up.rsplit_once('/') {
            if parent.len() < self.regions.source.len() {
                return false;
            }
            if matches!(self.before.0.get(parent), Some(Node::Link(_))) {
                return true;
            }
            up = parent;
        }
        false
    }

    /// A sync plans nothing for a file its destination already has: the same bytes, or by
    /// the size-and-time rule the same size (and not older, which the snapshot does not tell).
    fn matched_at_destination(&self, path: &str, node: &Node) -> bool {
        let rest = path
            .strip_prefix(&self.regions.source)
            .unwrap_or(path)
            .trim_start_matches('/');
        let there = if rest.is_empty() {
            self.regions.destination.clone()
        } else {
            format!("{}/{rest}", self.regions.destination)
        };
        match (self.after.0.get(&there), node) {
            (Some(got), _) if got == node => true,
            (Some(Node::File(got)), Node::File(want)) => {
                !self.by_content && got.len() == want.len()
            }
            _ => false,
        }
    }
}

/// The job's items, each with the destination it really went to: its claim (the rename
/// policy picks another name).
pub fn landed_items(
    journal: &ferry_engine::transfer::Journal,
    job: &str,
) -> Result<Vec<ItemRow>, String> {
    let mut items = journal.items(job).map_err(|e| e.to_string())?;
    for item in &mut items {
        if let Ok(Some(Some((key, _)))) = journal.claimed(job, item.seq) {
            item.dest_key = key;
        }
    }
    Ok(items)
}

/// `dir/name (3).ext` → `dir/name.ext`: what the rename policy named a file after.
fn numbered_from(path: &str) -> Option<String> {
    let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
    let (stem, ext) = match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i..]),
        _ => (name, ""),
    };
    let open = stem.rfind(" (")?;
    let number = stem[open + 2..].strip_suffix(')')?;
    number.parse::<u32>().ok()?;
    let original = format!("{}{ext}", &stem[..open]);
    Some(if dir.is_empty() {
        original
    } else {
        format!("{dir}/{original}")
    })
}

fn paths(a: &Snapshot, b: &Snapshot) -> std::collections::BTreeSet<String> {
    a.0.keys().chain(b.0.keys()).cloned().collect()
}

fn show(node: Option<&Node>) -> String {
    match node {
        None => "absent".into(),
        Some(Node::Dir) => "a folder".into(),
        Some(Node::Link(to)) => format!("a link to {}", to.display()),
        Some(Node::File(bytes)) => format!("a file of {} bytes", bytes.len()),
    }
}

pub fn unchanged(before: &Snapshot, after: &Snapshot, what: &str) -> Result<(), String> {
    for path in paths(before, after) {
        let (was, is) = (before.0.get(&path), after.0.get(&path));
        if was != is {
            return Err(format!(
                "{what} changed {path}: {} → {}",
                show(was),
                show(is)
            ));
        }
    }
    Ok(())
}

/// 8: nothing half-written is left.
fn no_partial_files(after: &Snapshot) -> Result<(), String> {
    match after
        .0
        .keys()
        .find(|p| p.contains(".ferry-partial-") || p.contains(".ferry-probe-"))
    {
        Some(path) => Err(format!("{path} was left behind")),
        None => Ok(()),
    }
}

/// rm -r: what was named is gone (unless a failure was reported), nothing else changed — a
/// link inside goes as a link, what it pointed to stays.
pub fn check_remove(
    before: &Snapshot,
    after: &Snapshot,
    named: &str,
    removed: ferry_engine::Result<usize>,
) -> Result<(), String> {
    for path in paths(before, after) {
        if under(&path, named) {
            continue;
        }
        let (was, is) = (before.0.get(&path), after.0.get(&path));
        if was != is {
            return Err(format!(
                "removing {named} changed {path}: {} → {}",
                show(was),
                show(is)
            ));
        }
    }
    match removed {
        Ok(0) => match after.0.keys().find(|p| under(p, named)) {
            Some(left) => Err(format!("removing {named} reported success but left {left}")),
            None => Ok(()),
        },
        Ok(_) | Err(_) => Ok(()),
    }
}
