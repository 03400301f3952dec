//! The two plain-text shapes imported files come in: INI (AWS CLI `config`, `rclone.conf`),
//! with the AWS CLI's nested sections (`s3 =` followed by indented `key = value` lines), and
//! dotenv (`KEY=value`, quotes, `export`, `# comments`). Hand-written: each is a few lines, and
//! the AWS nesting is not INI that an INI crate reads.

use std::collections::BTreeMap;

/// A section: its keys, and nested blocks by name (`s3` → its keys).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Section {
    pub keys: BTreeMap<String, String>,
    pub nested: BTreeMap<String, BTreeMap<String, String>>,
}

/// Sections in file order, by their header (`profile dev`, `services local`, `myremote`).
pub fn ini(text: &str) -> Vec<(String, Section)> {
    let mut out: Vec<(String, Section)> = Vec::new();
    let mut block: Option<String> = None;
    for raw in text.lines() {
        let indented = raw.starts_with([' ', '\t']);
        let line = raw.trim();
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            out.push((name.trim().to_string(), Section::default()));
            block = None;
            continue;
        }
        let Some((_, section)) = out.last_mut() else {
            continue;
        };
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let (key, value) = (key.trim().to_string(), value.trim().to_string());
        match (&block, indented) {
            (Some(name), true) => {
                section
                    .nested
                    .entry(name.clone())
                    .or_default()
                    .insert(key, value);
            }
            _ if value.is_empty() => {
                // `s3 =` opens a nested block of indented lines.
                block = Some(key);
            }
            _ => {
                block = None;
                section.keys.insert(key, value);
            }
        }
    }
    out
}

/// `KEY=value` lines: `export` and surrounding quotes dropped, an unquoted value's ` # comment`
/// cut off.
pub fn dotenv(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim();
        let value = match value.chars().next() {
            Some(q @ ('"' | '\'')) => value[1..].split(q).next().unwrap_or_default(),
            _ => value.split(" #").next().unwrap_or_default().trim(),
        };
        out.insert(key.trim().to_string(), value.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_nesting_and_comments() {
        let got = ini(
            "[default]\nregion = eu-west-1\n# note\n[profile dev]\nservices = local\n\
             [services local]\ns3 =\n  endpoint_url = http://127.0.0.1:9000\n  addressing_style = path\nregion=x\n",
        );
        assert_eq!(got[0].0, "default");
        assert_eq!(got[0].1.keys["region"], "eu-west-1");
        assert_eq!(got[2].0, "services local");
        assert_eq!(
            got[2].1.nested["s3"]["endpoint_url"],
            "http://127.0.0.1:9000"
        );
        assert_eq!(
            got[2].1.keys["region"], "x",
            "an unindented line ends the block"
        );
    }

    #[test]
    fn dotenv_quotes_exports_and_comments() {
        let got = dotenv(
            "# c\nexport A=1\nB=\"two # not a comment\"\nC='x'\nD=nyc3  # nyc3, sfo3\nbroken\n",
        );
        assert_eq!(got["A"], "1");
        assert_eq!(got["B"], "two # not a comment");
        assert_eq!(got["C"], "x");
        assert_eq!(got["D"], "nyc3");
        assert_eq!(got.len(), 4);
    }
}
