//! The journal: jobs, their items, and the parts of unfinished multipart uploads, in SQLite, so
//! that a job survives `kill -9` and continues without sending finished work again.
//!
//! SQLite (bundled) because it is one file, transactional, and safe to read from a second
//! process (`ferry jobs` while a job runs) — an embedded key-value store would need its own
//! locking and a query layer for the job listings.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use ferry_storage::integrity::{DonePart, MultipartLog, MultipartState};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use ferry_storage::WriteMode;

use super::overlap::Pins;
use super::{ItemAction, ItemState, JobKind, JobOptions, JobState};
use crate::error::{Error, Result};
use crate::workspace::Location;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    destination TEXT NOT NULL,
    options TEXT NOT NULL,
    state TEXT NOT NULL,
    listed INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    error TEXT
);
CREATE TABLE IF NOT EXISTS items (
    job TEXT NOT NULL,
    seq INTEGER NOT NULL,
    action TEXT NOT NULL,
    source_key TEXT NOT NULL,
    dest_key TEXT NOT NULL,
    size INTEGER NOT NULL,
    modified TEXT,
    state TEXT NOT NULL,
    bytes INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    PRIMARY KEY (job, seq),
    UNIQUE (job, action, source_key, dest_key)
);
CREATE TABLE IF NOT EXISTS uploads (
    job TEXT NOT NULL,
    seq INTEGER NOT NULL,
    dest_key TEXT NOT NULL,
    upload_id TEXT NOT NULL,
    part_size INTEGER NOT NULL,
    PRIMARY KEY (job, seq)
);
CREATE TABLE IF NOT EXISTS claims (
    job TEXT NOT NULL,
    seq INTEGER NOT NULL,
    dest_key TEXT,
    copied INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (job, seq)
);
CREATE TABLE IF NOT EXISTS parts (
    job TEXT NOT NULL,
    seq INTEGER NOT NULL,
    number INTEGER NOT NULL,
    etag TEXT NOT NULL,
    md5 TEXT NOT NULL,
    crc32 TEXT,
    size INTEGER NOT NULL,
    PRIMARY KEY (job, seq, number)
);
-- Uploads an item gave up on but the server would not abort: kept until an abort succeeds.
CREATE TABLE IF NOT EXISTS set_aside (
    job TEXT NOT NULL,
    dest_key TEXT NOT NULL,
    upload_id TEXT NOT NULL,
    PRIMARY KEY (job, upload_id)
);
-- What the last sync wrote to each destination file, and from which version of which source,
-- so that a file changed on both sides since is a conflict rather than an overwrite.
CREATE TABLE IF NOT EXISTS synced (
    destination TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    source_version TEXT NOT NULL,
    destination_version TEXT NOT NULL,
    at TEXT NOT NULL
);
";

/// Columns added since the first journals, with their types: added to an older journal when
/// it is opened.
const ADDED_COLUMNS: [(&str, &str, &str); 7] = [
    ("jobs", "pins", "TEXT"),
    ("items", "note", "TEXT"),
    ("items", "version", "TEXT"),
    ("claims", "mode", "TEXT"),
    ("items", "expected", "TEXT"),
    ("items", "policy", "TEXT"),
    ("jobs", "note", "TEXT"),
];

/// A job as recorded.
#[derive(Debug, Clone, Serialize)]
pub struct JobRow {
    pub id: String,
    pub kind: JobKind,
    pub source: Location,
    pub destination: Location,
    pub options: JobOptions,
    pub state: JobState,
    pub listed: bool,
    pub created: String,
    pub updated: String,
    pub error: Option<String>,
    /// Where the job's source and destination were when it was made (older jobs: unknown).
    pub pins: Option<Pins>,
    /// What the job did after its files, in words (a settings file it rewrote).
    pub note: Option<String>,
}

impl JobRow {
    /// A job that is not recorded, for a dry run.
    pub fn draft(
        kind: JobKind,
        source: &Location,
        destination: &Location,
        options: &JobOptions,
    ) -> Self {
        JobRow {
            id: "dry-run".into(),
            kind,
            source: source.absolute(),
            destination: destination.absolute(),
            options: options.clone(),
            state: JobState::Queued,
            listed: false,
            created: now(),
            updated: now(),
            error: None,
            pins: None,
            note: None,
        }
    }
}

/// One unit of work of a job.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ItemRow {
    pub seq: i64,
    pub action: ItemAction,
    pub source_key: String,
    pub dest_key: String,
    pub size: u64,
    pub modified: Option<String>,
    pub state: ItemState,
    pub bytes: u64,
    pub error: Option<String>,
    /// What the plan says of it: why it was skipped (a symbolic link), or why an update is a
    /// conflict for the policy to decide (changed on both sides since the last sync).
    pub note: Option<String>,
    /// The source's version when planned (sync and migrate), recorded with what it wrote.
    pub version: Option<String>,
    /// The destination's version a reviewed plan saw (an update or a delete): the item is
    /// carried out only while it still is.
    pub expected: Option<String>,
    /// What this item does about a taken destination, when someone chose for it (a conflict
    /// decided in a reviewed plan); otherwise the job's policy.
    pub policy: Option<crate::settings::ConflictPolicy>,
}

/// An item about to be recorded.
#[derive(Debug, Clone)]
pub struct NewItem {
    pub action: ItemAction,
    pub source_key: String,
    pub dest_key: String,
    pub size: u64,
    pub modified: Option<String>,
    /// `Skipped` for what the plan already decided not to carry (with a note saying why).
    pub state: ItemState,
    pub note: Option<String>,
    pub version: Option<String>,
    /// What the destination holds there now (its version), for an update or a delete: a
    /// reviewed job checks it again before changing the file.
    pub expected: Option<String>,
    /// A conflict's own decision (a reviewed plan's choice for this file).
    pub policy: Option<crate::settings::ConflictPolicy>,
}

/// What the last sync wrote to a destination file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncRecord {
    pub source: String,
    pub source_version: String,
    pub destination_version: String,
}

/// Counts per item state, for listings and reports.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Tally {
    pub pending: u64,
    pub done: u64,
    pub skipped: u64,
    pub failed: u64,
    pub bytes_total: u64,
    pub bytes_done: u64,
    /// Sizes of the skipped items.
    pub bytes_skipped: u64,
    /// Sizes of the items still to run.
    pub bytes_pending: u64,
}

pub struct Journal {
    conn: Mutex<Connection>,
    path: PathBuf,
}

/// Creates a folder (and its parents) that only its owner can enter: Ferry's data folder
/// holds the journal, locks and reports.
pub(crate) fn private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Creates `path` readable by its owner only, if it is not there yet: the journal names every
/// file and bucket a person moves. (SQLite gives its `-wal` and `-shm` files the same mode.)
pub(crate) fn create_private(path: &Path) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(Error::Journal(format!(
            "could not create {}: {e}",
            path.display()
        ))),
    }
}

fn now() -> String {
    jiff::Timestamp::now().to_string()
}

fn db(err: rusqlite::Error) -> Error {
    Error::Journal(err.to_string())
}

fn to_text<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string).or(Some(v.to_string())))
        .unwrap_or_default()
}

fn from_text<T: for<'de> Deserialize<'de>>(text: &str) -> rusqlite::Result<T> {
    serde_json::from_value(serde_json::Value::String(text.to_string()))
        .or_else(|_| serde_json::from_str(text))
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
        })
}

fn parse_json<T: for<'de> Deserialize<'de>>(text: &str) -> rusqlite::Result<T> {
    serde_json::from_str(text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// Switches the journal to WAL. SQLite answers "database is locked" at once, without calling
/// the busy handler, when another connection is switching the same new file; so wait here, as
/// long as the busy timeout would.
fn use_wal(conn: &Connection) -> Result<()> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match conn.query_row("PRAGMA journal_mode=WAL", [], |row| row.get::<_, String>(0)) {
            Ok(_) => return Ok(()),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Err(e) => return Err(db(e)),
        }
    }
}

/// Creates the tables, or brings a journal written by an older Ferry up to date. One write
/// transaction, taken before the first read: two Ferry processes opening a new journal at once
/// would otherwise both add the same column, or one would find its read out of date (SQLite
/// answers "database is locked" at once then, without waiting).
fn create_tables(conn: &mut Connection) -> Result<()> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db)?;
    tx.execute_batch(SCHEMA).map_err(db)?;
    for (table, column, kind) in ADDED_COLUMNS {
        let has: bool = tx
            .prepare(&format!(
                "SELECT 1 FROM pragma_table_info('{table}') WHERE name = ?1"
            ))
            .and_then(|mut q| q.exists([column]))
            .map_err(db)?;
        if !has {
            tx.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {kind}"))
                .map_err(db)?;
        }
    }
    tx.commit().map_err(db)
}

impl Journal {
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent() {
            private_dir(dir)
                .map_err(|e| Error::Journal(format!("could not create {}: {e}", dir.display())))?;
        }
        create_private(path)?;
        let mut conn = Connection::open(path).map_err(db)?;
        // First: switching to WAL takes a lock that another Ferry may be holding.
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(db)?;
        // WAL + NORMAL: a committed row survives the process being killed.
        use_wal(&conn)?;
        conn.execute_batch("PRAGMA synchronous=NORMAL;")
            .map_err(db)?;
        create_tables(&mut conn)?;
        // Room for every per-item statement (see [`exec`]), so none evicts another.
        conn.set_prepared_statement_cache_capacity(32);
        Ok(Self {
            conn: Mutex::new(conn),
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic mid-statement leaves SQLite consistent; keep using the connection.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn create_job(
        &self,
        kind: JobKind,
        source: &Location,
        destination: &Location,
        options: &JobOptions,
        pins: Option<&Pins>,
    ) -> Result<String> {
        let id = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
        let now = now();
        self.lock()
            .execute(
                "INSERT INTO jobs (id, kind, source, destination, options, state, created, updated, pins)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8)",
                params![
                    id,
                    to_text(&kind),
                    serde_json::to_string(source).unwrap_or_default(),
                    serde_json::to_string(destination).unwrap_or_default(),
                    serde_json::to_string(options).unwrap_or_default(),
                    to_text(&JobState::Queued),
                    now,
                    pins.and_then(|p| serde_json::to_string(p).ok())
                ],
            )
            .map_err(db)?;
        Ok(id)
    }

    fn row_to_job(row: &rusqlite::Row<'_>) -> rusqlite::Result<JobRow> {
        let json = |i: usize| -> rusqlite::Result<String> { row.get(i) };
        Ok(JobRow {
            id: row.get(0)?,
            kind: from_text(&json(1)?)?,
            source: parse_json(&json(2)?)?,
            destination: parse_json(&json(3)?)?,
            options: parse_json(&json(4)?)?,
            state: from_text(&json(5)?)?,
            listed: row.get::<_, i64>(6)? != 0,
            created: row.get(7)?,
            updated: row.get(8)?,
            error: row.get(9)?,
            pins: row
                .get::<_, Option<String>>(10)?
                .and_then(|p| serde_json::from_str(&p).ok()),
            note: row.get(11)?,
        })
    }

    pub fn jobs(&self) -> Result<Vec<JobRow>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare(
                "SELECT id, kind, source, destination, options, state, listed, created, updated, error, pins, note
                 FROM jobs ORDER BY created",
            )
            .map_err(db)?;
        let rows = stmt
            .query_map([], Self::row_to_job)
            .map_err(db)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(db)?;
        Ok(rows)
    }

    pub fn job(&self, id: &str) -> Result<Option<JobRow>> {
        let conn = self.lock();
        conn.query_row(
            "SELECT id, kind, source, destination, options, state, listed, created, updated, error, pins, note
             FROM jobs WHERE id = ?1",
            [id],
            Self::row_to_job,
        )
        .optional()
        .map_err(db)
    }

    pub fn set_state(&self, id: &str, state: JobState, error: Option<&str>) -> Result<()> {
        self.lock()
            .execute(
                "UPDATE jobs SET state = ?2, error = ?3, updated = ?4 WHERE id = ?1",
                params![id, to_text(&state), error, now()],
            )
            .map_err(db)?;
        Ok(())
    }

    /// Records what the job did after its files.
    pub fn set_note(&self, id: &str, note: &str) -> Result<()> {
        self.lock()
            .execute(
                "UPDATE jobs SET note = ?2, updated = ?3 WHERE id = ?1",
                params![id, note, now()],
            )
            .map_err(db)?;
        Ok(())
    }

    pub fn set_listed(&self, id: &str) -> Result<()> {
        self.lock()
            .execute(
                "UPDATE jobs SET listed = 1, updated = ?2 WHERE id = ?1",
                params![id, now()],
            )
            .map_err(db)?;
        Ok(())
    }

    /// Records items not recorded yet (a resumed listing sees old ones again) and returns the
    /// new ones with their sequence numbers.
    pub fn add_items(&self, job: &str, items: Vec<NewItem>) -> Result<Vec<ItemRow>> {
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(db)?;
        let mut next: i64 = tx
            .query_row(
                "SELECT COALESCE(MAX(seq), 0) FROM items WHERE job = ?1",
                [job],
                |r| r.get(0),
            )
            .map_err(db)?;
        let mut added = Vec::new();
        {
            let mut insert = tx
                .prepare(
                    "INSERT OR IGNORE INTO items (job, seq, action, source_key, dest_key, size, modified, state, note, version, expected, policy)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                )
                .map_err(db)?;
            for item in items {
                next += 1;
                let changed = insert
                    .execute(params![
                        job,
                        next,
                        to_text(&item.action),
                        item.source_key,
                        item.dest_key,
                        item.size as i64,
                        item.modified,
                        to_text(&item.state),
                        item.note,
                        item.version,
                        item.expected,
                        item.policy.as_ref().map(to_text)
                    ])
                    .map_err(db)?;
                if changed == 1 {
                    added.push(ItemRow {
                        seq: next,
                        action: item.action,
                        source_key: item.source_key,
                        dest_key: item.dest_key,
                        size: item.size,
                        modified: item.modified,
                        state: item.state,
                        bytes: 0,
                        error: None,
                        note: item.note,
                        version: item.version,
                        expected: item.expected,
                        policy: item.policy,
                    });
                } else {
                    next -= 1;
                }
            }
        }
        tx.commit().map_err(db)?;
        Ok(added)
    }

    fn items_where(&self, job: &str, clause: &str) -> Result<Vec<ItemRow>> {
        let conn = self.lock();
        let sql = format!(
            "SELECT seq, action, source_key, dest_key, size, modified, state, bytes, error, note, version, expected, policy
             FROM items WHERE job = ?1 {clause} ORDER BY seq"
        );
        let mut stmt = conn.prepare(&sql).map_err(db)?;
        let rows = stmt
            .query_map([job], |row| {
                Ok(ItemRow {
                    seq: row.get(0)?,
                    action: from_text(&row.get::<_, String>(1)?)?,
                    source_key: row.get(2)?,
                    dest_key: row.get(3)?,
                    size: row.get::<_, i64>(4)? as u64,
                    modified: row.get(5)?,
                    state: from_text(&row.get::<_, String>(6)?)?,
                    bytes: row.get::<_, i64>(7)? as u64,
                    error: row.get(8)?,
                    note: row.get(9)?,
                    version: row.get(10)?,
                    expected: row.get(11)?,
                    policy: row
                        .get::<_, Option<String>>(12)?
                        .map(|t| from_text(&t))
                        .transpose()?,
                })
            })
            .map_err(db)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(db)?;
        Ok(rows)
    }

    pub fn items(&self, job: &str) -> Result<Vec<ItemRow>> {
        self.items_where(job, "")
    }

    pub fn pending_items(&self, job: &str) -> Result<Vec<ItemRow>> {
        self.items_where(job, "AND state = 'pending'")
    }

    pub fn failed_items(&self, job: &str) -> Result<Vec<ItemRow>> {
        self.items_where(job, "AND state = 'failed'")
    }

    /// Items the plan decided not to carry, with the reason.
    /// Skipped items with a reason: the plan's (`note`) or the one found when the item's turn
    /// came (`error`: a destination changed since a review, a file the workspace keeps).
    pub fn noted_skips(&self, job: &str) -> Result<Vec<ItemRow>> {
        self.items_where(
            job,
            "AND state = 'skipped' AND (note IS NOT NULL OR error IS NOT NULL)",
        )
    }

    /// Items carried with something to say (a `.gz` kept as downloaded, and why).
    pub fn noted_done(&self, job: &str) -> Result<Vec<ItemRow>> {
        self.items_where(job, "AND state = 'done' AND error IS NOT NULL")
    }

    pub fn finish_item(
        &self,
        job: &str,
        seq: i64,
        state: ItemState,
        bytes: u64,
        error: Option<&str>,
    ) -> Result<()> {
        exec(
            &self.lock(),
            "UPDATE items SET state = ?3, bytes = ?4, error = ?5 WHERE job = ?1 AND seq = ?2",
            params![job, seq, to_text(&state), bytes as i64, error],
        )
        .map_err(db)?;
        Ok(())
    }

    /// Puts failed items back in the queue (retry).
    pub fn requeue_failed(&self, job: &str) -> Result<u64> {
        let n = self
            .lock()
            .execute(
                "UPDATE items SET state = 'pending', error = NULL WHERE job = ?1 AND state = 'failed'",
                [job],
            )
            .map_err(db)?;
        Ok(n as u64)
    }

    pub fn tally(&self, job: &str) -> Result<Tally> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare(
                "SELECT state, COUNT(*), COALESCE(SUM(size), 0), COALESCE(SUM(bytes), 0)
                 FROM items WHERE job = ?1 AND action != 'delete' GROUP BY state",
            )
            .map_err(db)?;
        let mut tally = Tally::default();
        let rows = stmt
            .query_map([job], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)? as u64,
                    r.get::<_, i64>(2)? as u64,
                    r.get::<_, i64>(3)? as u64,
                ))
            })
            .map_err(db)?;
        for row in rows {
            let (state, count, size, bytes) = row.map_err(db)?;
            tally.bytes_total += size;
            tally.bytes_done += bytes;
            match state.as_str() {
                "done" => tally.done += count,
                "skipped" => {
                    tally.skipped += count;
                    tally.bytes_skipped += size;
                }
                "failed" => tally.failed += count,
                _ => {
                    tally.pending += count;
                    tally.bytes_pending += size;
                }
            }
        }
        Ok(tally)
    }

    /// Open multipart uploads of a job, its items' and those set aside: (destination key,
    /// upload id).
    pub fn open_uploads(&self, job: &str) -> Result<Vec<(String, String)>> {
        self.key_and_upload(
            "SELECT dest_key, upload_id FROM uploads WHERE job = ?1
             UNION ALL SELECT dest_key, upload_id FROM set_aside WHERE job = ?1",
            job,
        )
    }

    /// Rows of (destination key, upload id) that `sql` selects for `job`.
    fn key_and_upload(&self, sql: &str, job: &str) -> Result<Vec<(String, String)>> {
        let conn = self.lock();
        let mut stmt = conn.prepare(sql).map_err(db)?;
        let rows = stmt
            .query_map([job], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(db)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(db)?;
        Ok(rows)
    }

    /// Records an item's conflict decision (`None`: skip) — where it writes and whether it may
    /// replace what is there — made before it first writes, so that a retry or a resume after
    /// a crash does not take the item's own earlier write for someone else's file.
    pub fn claim(&self, job: &str, seq: i64, decision: Option<(&str, WriteMode)>) -> Result<()> {
        exec(
            &self.lock(),
            "INSERT OR REPLACE INTO claims (job, seq, dest_key, copied, mode) VALUES (?1, ?2, ?3, 0, ?4)",
            params![
                job,
                seq,
                decision.map(|d| d.0),
                decision.map(|d| to_text(&d.1))
            ],
        )
        .map(|_| ())
        .map_err(db)
    }

    /// Claims `key` for an item renamed to it, unless another item of the job plans or claims
    /// it: two sources never land on one name. One statement, so two items cannot both win.
    pub fn claim_free(&self, job: &str, seq: i64, key: &str) -> Result<bool> {
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(db)?;
        let taken: bool = tx
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM items WHERE job = ?1 AND dest_key = ?2 AND seq != ?3)
                     OR EXISTS (SELECT 1 FROM claims WHERE job = ?1 AND dest_key = ?2 AND seq != ?3)",
                params![job, key, seq],
                |r| r.get(0),
            )
            .map_err(db)?;
        if taken {
            return Ok(false);
        }
        tx.execute(
            "INSERT OR REPLACE INTO claims (job, seq, dest_key, copied, mode) VALUES (?1, ?2, ?3, 0, ?4)",
            params![job, seq, key, to_text(&WriteMode::Create)],
        )
        .map_err(db)?;
        tx.commit().map_err(db)?;
        Ok(true)
    }

    /// Records that an item's copy is written and verified: a move may now delete its source,
    /// and a resumed move whose source is already gone knows why.
    pub fn mark_copied(&self, job: &str, seq: i64) -> Result<()> {
        exec(
            &self.lock(),
            "UPDATE claims SET copied = 1 WHERE job = ?1 AND seq = ?2",
            params![job, seq],
        )
        .map(|_| ())
        .map_err(db)
    }

    pub fn is_copied(&self, job: &str, seq: i64) -> Result<bool> {
        let copied: Option<bool> = row(
            &self.lock(),
            "SELECT copied FROM claims WHERE job = ?1 AND seq = ?2",
            params![job, seq],
            |r| r.get(0),
        )
        .optional()
        .map_err(db)?;
        Ok(copied.unwrap_or(false))
    }

    /// The decision [`Journal::claim`] recorded, if any. A claim from before modes were
    /// recorded replaces (as Ferry then did).
    pub fn claimed(&self, job: &str, seq: i64) -> Result<Option<Option<(String, WriteMode)>>> {
        let claim: Option<(Option<String>, Option<String>)> = row(
            &self.lock(),
            "SELECT dest_key, mode FROM claims WHERE job = ?1 AND seq = ?2",
            params![job, seq],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(db)?;
        Ok(claim.map(|(key, mode)| {
            key.map(|key| {
                let mode = mode
                    .and_then(|m| from_text(&m).ok())
                    .unwrap_or(WriteMode::Overwrite);
                (key, mode)
            })
        }))
    }

    /// Ends items as failed with `error` before they run (destinations that collide); answers
    /// the sizes of those it ended (deletions aside).
    pub fn fail_planned(&self, job: &str, dest_keys: &[String], error: &str) -> Result<Vec<u64>> {
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(db)?;
        let mut sizes = Vec::new();
        for key in dest_keys {
            let mut stmt = tx
                .prepare(
                    "UPDATE items SET state = 'failed', error = ?3
                     WHERE job = ?1 AND dest_key = ?2 AND state = 'pending' RETURNING size, action",
                )
                .map_err(db)?;
            let rows = stmt
                .query_map(params![job, key, error], |r| {
                    Ok((r.get::<_, i64>(0)? as u64, r.get::<_, String>(1)?))
                })
                .map_err(db)?;
            for row in rows {
                let (size, action) = row.map_err(db)?;
                if action != "delete" {
                    sizes.push(size);
                }
            }
        }
        tx.commit().map_err(db)?;
        Ok(sizes)
    }

    /// What the last sync wrote to `destination` (an [`ferry_storage::Identity`] as text).
    pub fn synced(&self, destination: &str) -> Result<Option<SyncRecord>> {
        row(
            &self.lock(),
            "SELECT source, source_version, destination_version FROM synced WHERE destination = ?1",
            [destination],
            |r| {
                Ok(SyncRecord {
                    source: r.get(0)?,
                    source_version: r.get(1)?,
                    destination_version: r.get(2)?,
                })
            },
        )
        .optional()
        .map_err(db)
    }

    pub fn record_synced(&self, destination: &str, record: &SyncRecord) -> Result<()> {
        exec(
            &self.lock(),
            "INSERT OR REPLACE INTO synced (destination, source, source_version, destination_version, at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                destination,
                record.source,
                record.source_version,
                record.destination_version,
                now()
            ],
        )
        .map(|_| ())
        .map_err(db)
    }

    pub fn forget_synced(&self, destination: &str) -> Result<()> {
        exec(
            &self.lock(),
            "DELETE FROM synced WHERE destination = ?1",
            [destination],
        )
        .map(|_| ())
        .map_err(db)
    }

    /// The open multipart upload of one item: (destination key, upload id).
    pub fn upload_of(&self, job: &str, seq: i64) -> Result<Option<(String, String)>> {
        row(
            &self.lock(),
            "SELECT dest_key, upload_id FROM uploads WHERE job = ?1 AND seq = ?2",
            params![job, seq],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(db)
    }

    pub fn forget_upload(&self, job: &str, seq: i64) -> Result<()> {
        let conn = self.lock();
        for table in ["parts", "uploads"] {
            conn.execute(
                &format!("DELETE FROM {table} WHERE job = ?1 AND seq = ?2"),
                params![job, seq],
            )
            .map_err(db)?;
        }
        Ok(())
    }

    /// Uploads the job's items set aside because the server would not abort them.
    pub fn set_aside_uploads(&self, job: &str) -> Result<Vec<(String, String)>> {
        self.key_and_upload(
            "SELECT dest_key, upload_id FROM set_aside WHERE job = ?1",
            job,
        )
    }

    /// Forgets one upload (it was aborted) and the parts recorded for it.
    pub fn forget_upload_id(&self, job: &str, upload_id: &str) -> Result<()> {
        let conn = self.lock();
        conn.execute(
            "DELETE FROM set_aside WHERE job = ?1 AND upload_id = ?2",
            params![job, upload_id],
        )
        .map_err(db)?;
        conn.execute(
            "DELETE FROM parts WHERE job = ?1 AND seq IN
               (SELECT seq FROM uploads WHERE job = ?1 AND upload_id = ?2)",
            params![job, upload_id],
        )
        .map_err(db)?;
        conn.execute(
            "DELETE FROM uploads WHERE job = ?1 AND upload_id = ?2",
            params![job, upload_id],
        )
        .map_err(db)?;
        Ok(())
    }

    /// Parts recorded for one item's upload (for tests and `ferry jobs show`).
    pub fn parts(&self, job: &str, seq: i64) -> Result<Vec<DonePart>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare(
                "SELECT number, etag, md5, crc32, size FROM parts WHERE job = ?1 AND seq = ?2 ORDER BY number",
            )
            .map_err(db)?;
        let rows = stmt
            .query_map(params![job, seq], |r| {
                Ok(DonePart {
                    number: r.get(0)?,
                    etag: r.get(1)?,
                    md5: r.get(2)?,
                    checksum_crc32: r.get(3)?,
                    size: r.get::<_, i64>(4)? as u64,
                })
            })
            .map_err(db)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(db)?;
        Ok(rows)
    }

    pub fn remove_job(&self, job: &str) -> Result<()> {
        let conn = self.lock();
        for table in ["parts", "uploads", "set_aside", "claims", "items"] {
            conn.execute(&format!("DELETE FROM {table} WHERE job = ?1"), [job])
                .map_err(db)?;
        }
        conn.execute("DELETE FROM jobs WHERE id = ?1", [job])
            .map_err(db)?;
        Ok(())
    }
}

/// The journal seen from one item's multipart upload.
pub struct ItemLog {
    pub journal: Arc<Journal>,
    pub job: String,
    pub seq: i64,
    pub dest_key: String,
    /// Told about each finished part's size (progress).
    pub on_part: Box<dyn Fn(u64) + Send + Sync>,
}

/// Runs a statement through the connection's cache of prepared statements: the per-item ones
/// run thousands of times a job, and parsing them each time was 5% of a small-file download's
/// samples.
fn exec(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute(params)
}

/// One row of a cached statement (see [`exec`]).
fn row<T>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    f: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    conn.prepare_cached(sql)?.query_row(params, f)
}

impl ItemLog {
    fn warn(&self, what: &str, err: rusqlite::Error) {
        // A lost journal row costs a resend after a crash, never data: log and go on.
        tracing::warn!(job = %self.job, seq = self.seq, error = %err, "could not record {what}");
    }
}

impl MultipartLog for ItemLog {
    fn resume(&self) -> Option<MultipartState> {
        let conn = self.journal.lock();
        let (upload_id, part_size): (String, i64) = row(
            &conn,
            "SELECT upload_id, part_size FROM uploads WHERE job = ?1 AND seq = ?2",
            params![self.job, self.seq],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .ok()
        .flatten()?;
        drop(conn);
        let parts = self.journal.parts(&self.job, self.seq).ok()?;
        Some(MultipartState {
            upload_id,
            part_size: part_size as u64,
            parts,
        })
    }

    fn started(&self, upload_id: &str, part_size: u64) {
        let conn = self.journal.lock();
        if let Err(e) = exec(
            &conn,
            "INSERT OR REPLACE INTO uploads (job, seq, dest_key, upload_id, part_size) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                self.job,
                self.seq,
                self.dest_key,
                upload_id,
                part_size as i64
            ],
        ) {
            self.warn("a multipart upload", e);
        }
    }

    fn part_done(&self, part: &DonePart) {
        let conn = self.journal.lock();
        if let Err(e) = exec(
            &conn,
            "INSERT OR REPLACE INTO parts (job, seq, number, etag, md5, crc32, size) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                self.job,
                self.seq,
                part.number,
                part.etag,
                part.md5,
                part.checksum_crc32,
                part.size as i64
            ],
        ) {
            self.warn("a finished part", e);
        }
        drop(conn);
        (self.on_part)(part.size);
    }

    fn finished(&self) {
        let conn = self.journal.lock();
        for table in ["parts", "uploads"] {
            if let Err(e) = exec(
                &conn,
                &format!("DELETE FROM {table} WHERE job = ?1 AND seq = ?2"),
                params![self.job, self.seq],
            ) {
                self.warn("the end of an upload", e);
            }
        }
    }

    fn tag(&self) -> Option<String> {
        Some(format!("{}/{}", self.job, self.seq))
    }

    fn set_aside(&self) -> bool {
        let mut conn = self.journal.lock();
        // One transaction: a crash between the two steps must not lose the upload.
        let moved = conn.transaction().and_then(|tx| {
            tx.execute(
                "INSERT OR IGNORE INTO set_aside (job, dest_key, upload_id)
                 SELECT job, dest_key, upload_id FROM uploads WHERE job = ?1 AND seq = ?2",
                params![self.job, self.seq],
            )?;
            for table in ["parts", "uploads"] {
                tx.execute(
                    &format!("DELETE FROM {table} WHERE job = ?1 AND seq = ?2"),
                    params![self.job, self.seq],
                )?;
            }
            tx.commit()
        });
        if let Err(e) = &moved {
            tracing::warn!(job = %self.job, seq = self.seq, error = %e, "could not set an upload aside");
        }
        moved.is_ok()
    }
}
