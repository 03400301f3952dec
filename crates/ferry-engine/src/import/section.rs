//! Setting fields of a JSON file in place: a value Ferry sets replaces the value where it is
//! written, a field it adds goes after its siblings with their indentation, and every other
//! byte of the file stays as it was (a person's formatting, field order, the other sections).
//! The result is parsed again and compared with what was meant before it is handed back.

use jsonc_parser::ast::{Object, Value as Node};
use jsonc_parser::common::Ranged;
use serde_json::{Map, Value};

/// One field to set: the object that holds it (a path of keys from the top), its key, its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub at: Vec<String>,
    pub key: String,
    pub value: Value,
}

impl Field {
    pub fn new(at: &[&str], key: &str, value: impl Into<Value>) -> Self {
        Self {
            at: at.iter().map(|s| s.to_string()).collect(),
            key: key.to_string(),
            value: value.into(),
        }
    }
}

/// `text` with `fields` set, or why not (not strict JSON, a duplicated key, a field's parent
/// that is not an object).
pub fn set_fields(text: &str, fields: &[Field]) -> Result<String, String> {
    let original: Value =
        serde_json::from_str(text).map_err(|e| format!("it is not plain JSON: {e}"))?;
    let ast = jsonc_parser::parse_to_ast(text, &Default::default(), &Default::default())
        .map_err(|e| format!("it is not plain JSON: {e}"))?;
    let Some(Node::Object(root)) = ast.value else {
        return Err("its top level is not an object".into());
    };
    let unit = indent_unit(text);
    // A file written with CRLF gets CRLF in what is added.
    let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut splices: Vec<(usize, usize, String)> = Vec::new();
    // Fields are grouped by the object that holds (or will hold) them: one splice each.
    let mut groups: Vec<(Vec<String>, Map<String, Value>)> = Vec::new();
    for field in fields {
        let (at, key, value) = existing_parent(&root, field)?;
        match groups.iter_mut().find(|(a, _)| *a == at) {
            Some((_, map)) => merge(map, key, value),
            None => {
                let mut map = Map::new();
                merge(&mut map, key, value);
                groups.push((at, map));
            }
        }
    }
    for (at, map) in &groups {
        // Every object on the way is read as this edit reads it: no key written twice.
        for depth in 0..=at.len() {
            let object = find(&root, &at[..depth]).ok_or("a field's parent is not an object")?;
            no_duplicates(object, &at[..depth])?;
        }
        let object = find(&root, at).ok_or("a field's parent is not an object")?;
        splices.extend(object_splices(text, object, map, &unit, nl));
    }
    splices.sort_by_key(|s| std::cmp::Reverse(s.0));
    if splices.windows(2).any(|w| w[1].1 > w[0].0) {
        return Err("two of the changes overlap".into());
    }
    let mut out = text.to_string();
    for (start, end, with) in splices {
        out.replace_range(start..end, &with);
    }
    // What was meant, computed on the parsed values: the text must say exactly that.
    let mut expected = original;
    for field in fields {
        let mut node = &mut expected;
        for key in &field.at {
            node = node
                .as_object_mut()
                .ok_or("a field's parent is not an object")?
                .entry(key.clone())
                .or_insert_with(|| Value::Object(Map::new()));
        }
        node.as_object_mut()
            .ok_or("a field's parent is not an object")?
            .insert(field.key.clone(), field.value.clone());
    }
    let written: Value = serde_json::from_str(&out)
        .map_err(|e| format!("the rewritten text would not be JSON ({e}); nothing was written"))?;
    if written != expected {
        return Err("the rewritten text would not say what was meant; nothing was written".into());
    }
    Ok(out)
}

/// The deepest existing object on the field's path, and what to set in it: the field itself,
/// or (when its parents are missing) the first missing parent holding the rest.
fn existing_parent(root: &Object, field: &Field) -> Result<(Vec<String>, String, Value), String> {
    let mut at = Vec::new();
    let mut node = root;
    for (i, key) in field.at.iter().enumerate() {
        match node.get(key).map(|p| &p.value) {
            Some(Node::Object(inner)) => {
                node = inner;
                at.push(key.clone());
            }
            Some(_) => return Err(format!("{} is not an object", field.at[..=i].join("."))),
            None => {
                let mut value = field.value.clone();
                let mut key_here = field.key.clone();
                for k in field.at[i + 1..].iter().rev() {
                    let mut m = Map::new();
                    m.insert(key_here, value);
                    value = Value::Object(m);
                    key_here = k.clone();
                }
                let mut m = Map::new();
                m.insert(key_here, value);
                return Ok((at, key.clone(), Value::Object(m)));
            }
        }
    }
    Ok((at, field.key.clone(), field.value.clone()))
}

/// Adds `value` under `key`, merging objects (two fields below one missing parent).
fn merge(map: &mut Map<String, Value>, key: String, value: Value) {
    match (map.get_mut(&key), value) {
        (Some(Value::Object(have)), Value::Object(more)) => {
            for (k, v) in more {
                merge(have, k, v);
            }
        }
        (_, value) => {
            map.insert(key, value);
        }
    }
}

fn find<'b, 'a>(root: &'b Object<'a>, at: &[String]) -> Option<&'b Object<'a>> {
    let mut node = root;
    for key in at {
        match node.get(key).map(|p| &p.value) {
            Some(Node::Object(inner)) => node = inner,
            _ => return None,
        }
    }
    Some(node)
}

/// A key written twice is read differently by different programs (the first or the last
/// wins): such a file is not rewritten.
fn no_duplicates(object: &Object, at: &[String]) -> Result<(), String> {
    let mut seen = std::collections::HashSet::new();
    for p in &object.properties {
        let name = p.name.as_str();
        if !seen.insert(name) {
            let place = if at.is_empty() {
                "the top level".to_string()
            } else {
                at.join(".")
            };
            return Err(format!("{place} names {name:?} twice"));
        }
    }
    Ok(())
}

/// Replacements of existing values, and one insertion after the last field for new ones.
fn object_splices(
    text: &str,
    object: &Object,
    map: &Map<String, Value>,
    unit: &str,
    nl: &str,
) -> Vec<(usize, usize, String)> {
    let mut splices = Vec::new();
    let mut new = Vec::new();
    for (key, value) in map {
        match object.get(key) {
            Some(prop) => {
                let indent = line_indent(text, prop.range.start);
                splices.push((
                    prop.value.start(),
                    prop.value.end(),
                    render(value, &indent, unit, nl),
                ));
            }
            None => new.push((key, value)),
        }
    }
    if new.is_empty() {
        return splices;
    }
    let inline = !text[object.range.start..object.range.end].contains('\n');
    match object.properties.last() {
        Some(last) => {
            let indent = line_indent(text, last.range.start);
            let mut with = String::new();
            for (key, value) in new {
                let key = serde_json::to_string(key).unwrap_or_default();
                if inline {
                    with.push_str(&format!(", {key}: {}", compact(value)));
                } else {
                    with.push_str(&format!(
                        ",{nl}{indent}{key}: {}",
                        render(value, &indent, unit, nl)
                    ));
                }
            }
            splices.push((last.range.end, last.range.end, with));
        }
        None => {
            let outer = line_indent(text, object.range.start);
            let inner = format!("{outer}{unit}");
            let lines: Vec<String> = new
                .iter()
                .map(|(key, value)| {
                    let key = serde_json::to_string(key).unwrap_or_default();
                    format!("{inner}{key}: {}", render(value, &inner, unit, nl))
                })
                .collect();
            splices.push((
                object.range.start,
                object.range.end,
                format!("{{{nl}{}{nl}{outer}}}", lines.join(&format!(",{nl}"))),
            ));
        }
    }
    splices
}

fn compact(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// A value written as the file writes its own: objects pretty-printed with the file's
/// indentation unit, continuing at the indentation of the line they are on.
fn render(value: &Value, indent: &str, unit: &str, nl: &str) -> String {
    if !value.is_object() && !value.is_array() {
        return compact(value);
    }
    let mut buf = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(unit.as_bytes());
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, formatter);
    if serde::Serialize::serialize(value, &mut ser).is_err() {
        return compact(value);
    }
    String::from_utf8_lossy(&buf).replace('\n', &format!("{nl}{indent}"))
}

/// The whitespace that starts the line `offset` is on.
fn line_indent(text: &str, offset: usize) -> String {
    let start = text[..offset].rfind('\n').map(|i| i + 1).unwrap_or(0);
    text[start..]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect()
}

/// The file's indentation unit: the first indented line's whitespace, else two spaces.
fn indent_unit(text: &str) -> String {
    text.lines()
        .map(|l| {
            l.chars()
                .take_while(|c| *c == ' ' || *c == '\t')
                .collect::<String>()
        })
        .find(|w| !w.is_empty())
        .unwrap_or_else(|| "  ".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const FILE: &str = "{\n    \"workspace_id\": \"w1\",\n    \"storage\": {\n        \"mode\": \"local\",\n        \"local\": {\"base_path\": \"/plans\"}\n    },\n    \"database\": {\"enabled\": false}\n}\n";

    #[test]
    fn values_are_replaced_where_they_are_written() {
        let out = set_fields(FILE, &[Field::new(&["storage"], "mode", "s3")]).unwrap();
        assert_eq!(out, FILE.replace("\"local\",", "\"s3\","));
    }

    #[test]
    fn a_missing_block_is_added_after_its_siblings_with_their_indentation() {
        let out = set_fields(
            FILE,
            &[
                Field::new(&["storage"], "mode", "s3"),
                Field::new(&["storage", "s3"], "bucket", "plans"),
                Field::new(&["storage", "s3"], "region", "us-east-1"),
            ],
        )
        .unwrap();
        let want = "{\n    \"workspace_id\": \"w1\",\n    \"storage\": {\n        \"mode\": \"s3\",\n        \"local\": {\"base_path\": \"/plans\"},\n        \"s3\": {\n            \"bucket\": \"plans\",\n            \"region\": \"us-east-1\"\n        }\n    },\n    \"database\": {\"enabled\": false}\n}\n";
        assert_eq!(out, want);
    }

    #[test]
    fn a_one_line_object_stays_on_one_line() {
        let out = set_fields(
            FILE,
            &[Field::new(&["storage", "local"], "create_if_missing", true)],
        )
        .unwrap();
        assert!(out.contains("{\"base_path\": \"/plans\", \"create_if_missing\": true}"));
    }

    #[test]
    fn an_empty_object_gets_its_fields_indented() {
        let text = "{\n  \"storage\": {}\n}";
        let out = set_fields(text, &[Field::new(&["storage"], "mode", "local")]).unwrap();
        assert_eq!(out, "{\n  \"storage\": {\n    \"mode\": \"local\"\n  }\n}");
    }

    #[test]
    fn files_that_cannot_be_rewritten_safely_are_refused() {
        let dup = "{\"storage\": {\"mode\": \"local\", \"mode\": \"s3\"}}";
        let err = set_fields(dup, &[Field::new(&["storage"], "mode", "s3")]).unwrap_err();
        assert!(err.contains("twice"), "{err}");
        let comment = "{\"storage\": {} // note\n}";
        assert!(set_fields(comment, &[Field::new(&["storage"], "mode", "s3")]).is_err());
        let not_object = "{\"storage\": \"s3\"}";
        assert!(set_fields(not_object, &[Field::new(&["storage"], "mode", "s3")]).is_err());
    }

    mod generated {
        use super::*;
        use proptest::prelude::*;

        /// A settings-like value: a few sections, one of them `storage` (or none).
        fn doc() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                any::<bool>().prop_map(Value::from),
                any::<i32>().prop_map(Value::from),
                "[a-z /\\\\\"é]{0,8}".prop_map(Value::from),
                Just(Value::Null),
            ];
            let value = leaf.prop_recursive(3, 16, 4, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..3).prop_map(Value::from),
                    prop::collection::btree_map("[a-z_]{1,6}", inner, 0..4)
                        .prop_map(|m| Value::Object(m.into_iter().collect())),
                ]
            });
            prop::collection::btree_map("[a-z_]{1,6}", value, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect()))
        }

        fn write(value: &Value, style: u8) -> String {
            match style % 3 {
                0 => serde_json::to_string(value).unwrap(),
                1 => serde_json::to_string_pretty(value).unwrap(),
                _ => {
                    let mut buf = Vec::new();
                    let f = serde_json::ser::PrettyFormatter::with_indent(b"\t");
                    let mut ser = serde_json::Serializer::with_formatter(&mut buf, f);
                    serde::Serialize::serialize(value, &mut ser).unwrap();
                    String::from_utf8(buf).unwrap()
                }
            }
        }

        proptest! {
            /// Invariant: setting fields under `storage` changes nothing outside the storage
            /// section (the bytes before and after it are the same), and the file then says
            /// exactly the old values with those fields set.
            #[test]
            fn only_the_storage_section_changes(
                mut top in doc(),
                storage in doc(),
                style in 0u8..3,
                mode in "[a-z0-9]{1,5}",
                bucket in "[a-z\"é\\\\]{0,6}",
            ) {
                top.as_object_mut().unwrap().insert("storage".into(), storage);
                let text = write(&top, style);
                let fields = [
                    Field::new(&["storage"], "mode", mode.as_str()),
                    Field::new(&["storage", "s3"], "bucket", bucket.as_str()),
                ];
                match set_fields(&text, &fields) {
                    Ok(out) => {
                        let ast = jsonc_parser::parse_to_ast(&text, &Default::default(), &Default::default()).unwrap();
                        let Some(Node::Object(root)) = ast.value else { panic!("not an object") };
                        let span = root.get("storage").unwrap().value.range();
                        let (before, after) = (&text[..span.start], &text[span.end..]);
                        prop_assert!(out.starts_with(before));
                        prop_assert!(out.ends_with(after));
                        let written: Value = serde_json::from_str(&out).unwrap();
                        prop_assert_eq!(&written["storage"]["mode"], &Value::from(mode.as_str()));
                        prop_assert_eq!(&written["storage"]["s3"]["bucket"], &Value::from(bucket.as_str()));
                    }
                    // Refused only when `storage.s3` exists and is not an object.
                    Err(e) => prop_assert!(
                        top["storage"].get("s3").is_some_and(|s| !s.is_object()),
                        "refused: {}", e
                    ),
                }
            }
        }
    }

    #[test]
    fn crlf_files_get_crlf_and_a_twice_written_section_is_refused() {
        let text = "{\r\n  \"storage\": {\r\n    \"mode\": \"local\"\r\n  }\r\n}\r\n";
        let out = set_fields(text, &[Field::new(&["storage", "s3"], "bucket", "b")]).unwrap();
        assert_eq!(
            out,
            "{\r\n  \"storage\": {\r\n    \"mode\": \"local\",\r\n    \"s3\": {\r\n      \"bucket\": \"b\"\r\n    }\r\n  }\r\n}\r\n"
        );
        let twice = "{\"storage\": {\"mode\": \"local\"}, \"storage\": {\"mode\": \"s3\"}}";
        let err = set_fields(twice, &[Field::new(&["storage"], "mode", "s3")]).unwrap_err();
        assert!(
            err.contains("the top level names \"storage\" twice"),
            "{err}"
        );
    }

    #[test]
    fn nested_missing_parents_are_written_whole() {
        let out = set_fields(
            "{\"a\": 1}",
            &[Field::new(&["storage", "s3"], "bucket", json!("b"))],
        )
        .unwrap();
        assert_eq!(out, "{\"a\": 1, \"storage\": {\"s3\":{\"bucket\":\"b\"}}}");
    }
}
