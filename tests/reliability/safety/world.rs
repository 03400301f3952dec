//! Generated worlds: a folder tree with files, nested and empty folders, and symbolic links
//! (to inside, to outside, to themselves, up, to nothing), names that collide under case-folding
//! and NFC/NFD, an `outside/` folder nothing may touch, and an alias link to one of the folders.
//! Snapshots record every path as it is (links as links), to compare before and after.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use proptest::prelude::*;

/// Names chosen to collide: under case-folding (`a`/`A`, `b.txt`/`B.txt`), under Unicode
/// normalisation (`café` in NFC and NFD), with the rename policy's own pattern (`a (1)`).
pub const NAMES: [&str; 9] = [
    "a",
    "A",
    "b.txt",
    "B.txt",
    "caf\u{e9}",
    "cafe\u{301}",
    "x y",
    "a (1)",
    "d",
];

/// A choice among what a world turns out to hold: the n-th, counting round. (Small numbers
/// shrink to the first places.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pick(pub u8);

impl Pick {
    pub fn of(self, len: usize) -> usize {
        usize::from(self.0) % len.max(1)
    }
}

#[derive(Debug, Clone)]
pub enum Spec {
    /// Content seed and a length class.
    File(u8, u8),
    Dir,
    Link(LinkTo),
}

#[derive(Debug, Clone)]
pub enum LinkTo {
    /// An entry made earlier in the tree.
    Entry(Pick),
    /// The `outside/` folder, or a file in it.
    Outside(bool),
    Itself,
    Up,
    Nowhere,
}

pub type TreeSpec = Vec<(Vec<u8>, Spec)>;

pub fn tree() -> impl Strategy<Value = TreeSpec> {
    let spec = prop_oneof![
        5 => (any::<u8>(), 0u8..4).prop_map(|(s, l)| Spec::File(s, l)),
        2 => Just(Spec::Dir),
        2 => prop_oneof![
            any::<u8>().prop_map(Pick).prop_map(LinkTo::Entry),
            any::<bool>().prop_map(LinkTo::Outside),
            Just(LinkTo::Itself),
            Just(LinkTo::Up),
            Just(LinkTo::Nowhere),
        ]
        .prop_map(Spec::Link),
    ];
    prop::collection::vec(
        (prop::collection::vec(0..NAMES.len() as u8, 1..=3), spec),
        0..14,
    )
}

fn content(seed: u8, class: u8) -> Vec<u8> {
    let len = [0usize, 1, 100, 3000][class as usize % 4];
    ferry_storage::testkit::pattern(len, seed).to_vec()
}

/// A world on disk: `root/outside` (never to be touched) and `root/w` (the generated tree).
pub struct World {
    pub _dir: tempfile::TempDir,
    pub root: PathBuf,
    /// Every folder, file and link made, relative to `root` (`w` first).
    pub folders: Vec<String>,
    pub files: Vec<String>,
    pub links: Vec<String>,
}

/// Where test worlds live: memory-backed when the machine has it (no fsync costs).
fn scratch() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir()
        && let Ok(dir) = tempfile::tempdir_in(shm)
    {
        return dir;
    }
    tempfile::tempdir().unwrap()
}

impl World {
    pub fn make(spec: &TreeSpec, alias: Pick) -> World {
        let dir = scratch();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        write(&root.join("outside/o1.txt"), b"outside 1");
        write(&root.join("outside/sub/o2.txt"), b"outside 2");
        std::fs::create_dir_all(root.join("w")).unwrap();
        let mut world = World {
            _dir: dir,
            root,
            folders: vec!["w".into()],
            files: Vec::new(),
            links: Vec::new(),
        };
        let mut made: Vec<String> = Vec::new();
        for (parts, spec) in spec {
            let rel = std::iter::once("w")
                .chain(parts.iter().map(|&i| NAMES[i as usize]))
                .collect::<Vec<_>>()
                .join("/");
            let path = world.root.join(&rel);
            if std::fs::symlink_metadata(&path).is_ok() || !world.parents_are_folders(&rel) {
                continue;
            }
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            for up in ancestors(&rel) {
                if !world.folders.contains(&up) {
                    world.folders.push(up);
                }
            }
            match spec {
                Spec::File(seed, class) => {
                    write(&path, &content(*seed, *class));
                    world.files.push(rel.clone());
                }
                Spec::Dir => {
                    std::fs::create_dir_all(&path).unwrap();
                    world.folders.push(rel.clone());
                }
                Spec::Link(to) => {
                    let target = match to {
                        LinkTo::Entry(i) if !made.is_empty() => {
                            relative_to(&rel, &made[i.of(made.len())])
                        }
                        LinkTo::Entry(_) | LinkTo::Nowhere => "nowhere".into(),
                        LinkTo::Outside(true) => world.root.join("outside").display().to_string(),
                        LinkTo::Outside(false) => {
                            world.root.join("outside/o1.txt").display().to_string()
                        }
                        LinkTo::Itself => rel.rsplit('/').next().unwrap().to_string(),
                        LinkTo::Up => "..".into(),
                    };
                    std::os::unix::fs::symlink(&target, &path).unwrap();
                    world.links.push(rel.clone());
                }
            }
            made.push(rel);
        }
        // An alias of one folder, beside the tree: the same place under another name.
        let aliased = world.folders[alias.of(world.folders.len())].clone();
        std::os::unix::fs::symlink(world.root.join(&aliased), world.root.join("alias")).unwrap();
        world.links.push("alias".into());
        world
    }

    fn parents_are_folders(&self, rel: &str) -> bool {
        ancestors(rel).iter().all(|up| {
            let path = self.root.join(up);
            match std::fs::symlink_metadata(&path) {
                Ok(meta) => meta.is_dir(),
                Err(_) => true,
            }
        })
    }

    /// Places a job can name as its source: every folder, file and link.
    pub fn sources(&self) -> Vec<String> {
        let mut all = self.folders.clone();
        all.extend(self.files.iter().cloned());
        all.extend(self.links.iter().cloned());
        all
    }

    /// Places a job can name as its destination: what exists, and new folders below the tree.
    pub fn destinations(&self) -> Vec<String> {
        let mut all = self.sources();
        for folder in &self.folders {
            all.push(format!("{folder}/new"));
        }
        all
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    pub fn snapshot(&self) -> Snapshot {
        let mut out = BTreeMap::new();
        walk(&self.root, &self.root, &mut out);
        Snapshot(out)
    }
}

fn ancestors(rel: &str) -> Vec<String> {
    let parts: Vec<&str> = rel.split('/').collect();
    (1..parts.len()).map(|n| parts[..n].join("/")).collect()
}

/// A link target that reaches `to` from the folder holding `from` (both relative to root).
fn relative_to(from: &str, to: &str) -> String {
    let depth = from.matches('/').count();
    let mut target = "../".repeat(depth);
    target.push_str(to);
    target
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// One path as it is: a file's bytes, a folder, or a link's target (never followed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    File(Vec<u8>),
    Dir,
    Link(PathBuf),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot(pub BTreeMap<String, Node>);

impl Snapshot {
    /// Where `path` led when the snapshot was taken, following its links (targets relative to
    /// the link's folder, or absolute inside the world at `root`); `None` for a loop or a
    /// target outside the world.
    pub fn resolve(&self, root: &Path, path: &str) -> Option<String> {
        let mut todo: std::collections::VecDeque<String> =
            path.split('/').map(str::to_string).collect();
        let mut done: Vec<String> = Vec::new();
        let mut hops = 0;
        while let Some(part) = todo.pop_front() {
            match part.as_str() {
                "" | "." => continue,
                ".." => {
                    done.pop()?;
                    continue;
                }
                _ => done.push(part),
            }
            let Some(Node::Link(target)) = self.0.get(&done.join("/")) else {
                continue;
            };
            hops += 1;
            if hops > 40 {
                return None;
            }
            done.pop();
            let rest: Vec<String> = if target.is_absolute() {
                done.clear();
                let inside = target.strip_prefix(root).ok()?;
                inside
                    .to_string_lossy()
                    .split('/')
                    .map(str::to_string)
                    .collect()
            } else {
                target
                    .to_string_lossy()
                    .split('/')
                    .map(str::to_string)
                    .collect()
            };
            for part in rest.into_iter().rev() {
                todo.push_front(part);
            }
        }
        Some(done.join("/"))
    }
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Node>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let rel = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.file_type().is_symlink() {
            out.insert(
                rel,
                Node::Link(std::fs::read_link(&path).unwrap_or_default()),
            );
        } else if meta.is_dir() {
            out.insert(rel, Node::Dir);
            walk(root, &path, out);
        } else {
            out.insert(rel, Node::File(std::fs::read(&path).unwrap_or_default()));
        }
    }
}

/// Whether `path` is `region` or lies below it (both relative to the world's root).
pub fn under(path: &str, region: &str) -> bool {
    if region.is_empty() {
        // The world's root holds every local path; the bucket's names (`s3/…`) are not in it.
        return path != "s3" && !path.starts_with("s3/");
    }
    path == region
        || path
            .strip_prefix(region)
            .is_some_and(|rest| rest.starts_with('/'))
}
