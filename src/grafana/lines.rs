//! Where things are in a dashboard's JSON text, for messages: found in one pass.

use std::collections::HashMap;

/// Lines of `"key": "value"` pairs in a JSON text, found in one pass: for messages about the
/// panel titled or the variable named so. The first of equal pairs wins; a value written with
/// other escapes than `serde_json` writes is not found (the message then has no line).
#[derive(Debug, Clone, Default)]
pub struct KeyLines(HashMap<(String, String), usize>);

impl KeyLines {
    pub fn new(text: &str, keys: &[&str]) -> Self {
        let mut map = HashMap::new();
        let bytes = text.as_bytes();
        let mut line = 1;
        for (i, &b) in bytes.iter().enumerate() {
            if b == b'\n' {
                line += 1;
                continue;
            }
            if b != b'"' {
                continue;
            }
            let Some(rest) = text.get(i + 1..) else { continue };
            for key in keys {
                let Some(after) = rest.strip_prefix(key).and_then(|r| r.strip_prefix('"')) else {
                    continue;
                };
                let Some(value) = after.trim_start().strip_prefix(':').map(str::trim_start) else {
                    continue;
                };
                if let Some(literal) = string_literal(value) {
                    map.entry(((*key).to_string(), literal.to_string())).or_insert(line);
                }
            }
        }
        KeyLines(map)
    }

    /// The line of `"key": value`.
    pub fn get(&self, key: &str, value: &str) -> Option<usize> {
        let literal = serde_json::to_string(value).ok()?;
        self.0.get(&(key.to_string(), literal)).copied()
    }
}

/// The JSON string literal `s` starts with, quotes included.
fn string_literal(s: &str) -> Option<&str> {
    let body = s.strip_prefix('"')?;
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return s.get(..i + 2),
            '\n' => return None,
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_keys() {
        let text = "{\n  \"title\": \"a\",\n  \"panels\": [{\n    \"title\" : \"b\"}]}";
        let lines = KeyLines::new(text, &["title"]);
        assert_eq!(lines.get("title", "b"), Some(4));
        assert_eq!(lines.get("title", "a"), Some(2));
        assert_eq!(lines.get("title", "c"), None);
        let tricky = "{\"title\": \"q\\\"x\", \"title\":\n\"y\"}";
        let lines = KeyLines::new(tricky, &["title"]);
        assert_eq!(lines.get("title", "q\"x"), Some(1));
        assert_eq!(lines.get("title", "y"), Some(1), "the key's line");
    }
}
