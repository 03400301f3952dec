//! Parsing the settings text into [`Settings`], collecting every problem with its JSON path and
//! line and column, rather than stopping at the first.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::model::{
    CURRENT_VERSION, LocalStorage, Price, S3Storage, Settings, SyncPair, TransferPrefs, UpdateFeed,
    Workspace,
};
use super::validate;

/// One step of a JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A path such as `workspaces[1].storage.bucket`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JsonPath(pub Vec<Seg>);

impl JsonPath {
    pub fn key(mut self, key: &str) -> Self {
        self.0.push(Seg::Key(key.to_string()));
        self
    }

    pub fn index(mut self, i: usize) -> Self {
        self.0.push(Seg::Index(i));
        self
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(top level)");
        }
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if i == 0 => write!(f, "{k}")?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// A problem in the settings file, located as precisely as the file allows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} (line {}, column {})",
            self.path, self.message, self.line, self.column
        )
    }
}

pub enum Parsed {
    Ok {
        settings: Settings,
        warnings: Vec<Problem>,
    },
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    Invalid(Vec<Problem>),
    TooNew(u32),
}

pub fn parse(text: &str) -> Parsed {
    // Some Windows editors start UTF-8 files with a byte-order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let mut message = syntax_message(&e);
            let at = text
                .lines()
                .nth(e.line().saturating_sub(1))
                .and_then(|l| l.chars().nth(e.column().saturating_sub(1)));
            if at == Some('/') {
                message.push_str(" (JSON does not allow comments)");
            }
            return Parsed::Syntax {
                line: e.line().max(1),
                // serde_json says column 0 when the text ends early; point at the first column.
                column: e.column().max(1),
                message,
            };
        }
    };
    let locator = Locator::new(text);
    let mut problems: Vec<(JsonPath, String)> = Vec::new();
    let Some(top) = value.as_object() else {
        return Parsed::Invalid(vec![locator.problem(
            &JsonPath::default(),
            "the file must hold a JSON object ({ … })".into(),
        )]);
    };

    let version = match top.get("version") {
        None => CURRENT_VERSION,
        Some(v) => match v.as_u64() {
            Some(n) if n >= 1 => n as u32,
            _ => {
                problems.push((
                    JsonPath::default().key("version"),
                    "must be a whole number, 1 or more".into(),
                ));
                CURRENT_VERSION
            }
        },
    };
    if version > CURRENT_VERSION {
        return Parsed::TooNew(version);
    }

    let mut workspaces = Vec::new();
    match top.get("workspaces") {
        None => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let path = JsonPath::default().key("workspaces").index(i);
                if !storage_fields_ok(item, &path, &mut problems) {
                    continue;
                }
                if let Some(ws) = part::<Workspace>(item, &path, &mut problems) {
                    workspaces.push((i, ws));
                }
            }
        }
        Some(_) => problems.push((
            JsonPath::default().key("workspaces"),
            "must be a list ([ … ]) of workspaces".into(),
        )),
    }
    let transfer = match top.get("transfer") {
        None => Some(TransferPrefs::default()),
        Some(v) => part::<TransferPrefs>(v, &JsonPath::default().key("transfer"), &mut problems),
    };
    let sync_pairs = match top.get("sync_pairs") {
        None | Some(Value::Null) => Some(Vec::new()),
        Some(v) => part::<Vec<SyncPair>>(v, &JsonPath::default().key("sync_pairs"), &mut problems),
    };
    let prices = match top.get("prices") {
        None | Some(Value::Null) => Some(BTreeMap::new()),
        Some(v) => {
            part::<BTreeMap<String, Price>>(v, &JsonPath::default().key("prices"), &mut problems)
        }
    };
    let updates = match top.get("updates") {
        None | Some(Value::Null) => None,
        Some(v) => {
            part::<UpdateFeed>(v, &JsonPath::default().key("updates"), &mut problems).map(Box::new)
        }
    };
    let default_workspace = match top.get("default_workspace") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            problems.push((
                JsonPath::default().key("default_workspace"),
                "must be the id of a workspace (a string)".into(),
            ));
            None
        }
    };
    let extra = top
        .iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "version"
                    | "workspaces"
                    | "transfer"
                    | "default_workspace"
                    | "sync_pairs"
                    | "prices"
                    | "updates"
            )
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();

    let indices: Vec<usize> = workspaces.iter().map(|(i, _)| *i).collect();
    let settings = Settings {
        version,
        workspaces: workspaces.into_iter().map(|(_, w)| w).collect(),
        default_workspace,
        transfer: transfer.unwrap_or_default(),
        sync_pairs: sync_pairs.unwrap_or_default(),
        prices: prices.unwrap_or_default(),
        updates,
        extra,
    };
    problems.extend(validate::validate(&settings, &indices));
    if !problems.is_empty() {
        return Parsed::Invalid(
            problems
                .iter()
                .map(|(path, msg)| locator.problem(path, msg.clone()))
                .collect(),
        );
    }
    let mut warnings = unknown_fields(&settings, &indices);
    for (ws, i) in settings.workspaces.iter().zip(&indices) {
        for (field, message) in validate::workspace_warnings(ws) {
            let mut path = JsonPath::default().key("workspaces").index(*i);
            for part in field.split('.') {
                path = path.key(part);
            }
            warnings.push((path, message));
        }
    }
    let warnings = warnings
        .iter()
        .map(|(path, msg)| locator.problem(path, msg.clone()))
        .collect();
    Parsed::Ok { settings, warnings }
}

/// Checks a workspace's `storage` fields on their own: through the `type` tag serde only knows
/// that `storage` is wrong, not which field.
fn storage_fields_ok(item: &Value, at: &JsonPath, problems: &mut Vec<(JsonPath, String)>) -> bool {
    let Some(storage) = item.get("storage").and_then(Value::as_object) else {
        return true;
    };
    let mut fields = storage.clone();
    let kind = fields.remove("type");
    let fields = Value::Object(fields);
    let at = at.clone().key("storage");
    let before = problems.len();
    match kind.as_ref().and_then(Value::as_str) {
        Some("s3") => {
            part::<S3Storage>(&fields, &at, problems);
        }
        Some("local") => {
            part::<LocalStorage>(&fields, &at, problems);
        }
        Some(other) => problems.push((
            at.key("type"),
            format!("unknown storage type {other:?} (expected \"local\" or \"s3\")"),
        )),
        None => problems.push((at, "needs a \"type\": \"local\" or \"s3\"".into())),
    }
    problems.len() == before
}

fn syntax_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    // serde_json appends " at line L column C"; the caller reports the position itself.
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// Deserializes one part of the file, recording a located problem instead of failing.
fn part<T: DeserializeOwned>(
    value: &Value,
    base: &JsonPath,
    problems: &mut Vec<(JsonPath, String)>,
) -> Option<T> {
    match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(v) => Some(v),
        Err(err) => {
            let mut path = base.clone();
            for seg in err.path().iter() {
                match seg {
                    serde_path_to_error::Segment::Seq { index } => path = path.index(*index),
                    serde_path_to_error::Segment::Map { key } => path = path.key(key),
                    serde_path_to_error::Segment::Enum { .. }
                    | serde_path_to_error::Segment::Unknown => {}
                }
            }
            problems.push((path, friendly(&err.into_inner().to_string())));
            None
        }
    }
}

/// serde's wording, made a little more helpful for a hand-edited file.
fn friendly(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        return format!("unknown value {rest}");
    }
    if message.starts_with("unknown field ") {
        return format!("{message} (a typo? unknown fields are not allowed here)");
    }
    message.to_string()
}

fn unknown_fields(settings: &Settings, indices: &[usize]) -> Vec<(JsonPath, String)> {
    let mut warnings = Vec::new();
    for key in settings.extra.keys() {
        warnings.push((
            JsonPath::default().key(key),
            format!("unknown field {key:?} is kept but not used"),
        ));
    }
    for (ws, i) in settings.workspaces.iter().zip(indices) {
        for key in ws.extra.keys() {
            warnings.push((
                JsonPath::default().key("workspaces").index(*i).key(key),
                format!("unknown field {key:?} is kept but not used"),
            ));
        }
    }
    warnings
}

/// Finds where a JSON path is written in the text.
struct Locator<'a> {
    text: &'a str,
    ast: Option<jsonc_parser::ast::Value<'a>>,
}

impl<'a> Locator<'a> {
    fn new(text: &'a str) -> Self {
        let ast = jsonc_parser::parse_to_ast(text, &Default::default(), &Default::default())
            .ok()
            .and_then(|r| r.value);
        Self { text, ast }
    }

    fn problem(&self, path: &JsonPath, message: String) -> Problem {
        let offset = self.offset(path);
        let (line, column) = line_column(self.text, offset);
        Problem {
            path: path.to_string(),
            line,
            column,
            message,
        }
    }

    /// Byte offset of the deepest node on `path` that exists; a missing field points at the
    /// object that should hold it.
    fn offset(&self, path: &JsonPath) -> usize {
        use jsonc_parser::ast::Value as V;
        use jsonc_parser::common::Ranged;
        let Some(mut node) = self.ast.as_ref() else {
            return 0;
        };
        let mut offset = node.start();
        for seg in &path.0 {
            let next = match (seg, node) {
                (Seg::Key(k), V::Object(obj)) => obj.get(k).map(|p| {
                    offset = p.value.start();
                    &p.value
                }),
                (Seg::Index(i), V::Array(arr)) => arr.elements.get(*i).inspect(|v| {
                    offset = v.start();
                }),
                _ => None,
            };
            match next {
                Some(n) => node = n,
                None => break,
            }
        }
        offset
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    (line, before[line_start..].chars().count() + 1)
}
