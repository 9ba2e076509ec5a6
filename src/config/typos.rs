//! Reading a config that does not parse: every unknown key in one run, each with a "did you
//! mean", in line order.

use std::path::Path;

use super::model::Config;
use crate::diag::{self, Diagnostic};

/// Every problem serde finds, not only the first: after an unknown key, its line is set aside and
/// the file read again (up to 50 times), so seven typos take one run; each unknown key gets a
/// "did you mean" from the keys that table knows. Other errors end the search (setting their
/// line aside could only add false "missing field" errors).
pub(super) fn parse_problems(text: &str, shown: &Path, first: toml::de::Error) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut err = first;
    for _ in 0..50 {
        let mut d = diag::from_toml(shown, text, &err);
        let unknown = err.message().starts_with("unknown field");
        let (fix, suggested) = did_you_mean(err.message()).unzip();
        if let Some(fix) = fix {
            d = d.with_fix(fix);
        }
        let line = d.line;
        problems.push(d);
        let Some(line) = line.filter(|_| unknown) else { break };
        // Read on as if the key were fixed (its suggestion), else as if it were not there.
        let word = err.message().split('`').nth(1).unwrap_or_default().to_string();
        match (lines.get_mut(line - 1), suggested.flatten()) {
            (Some(l), Some(key)) if l.trim_start().starts_with(&word) => {
                *l = l.replacen(&word, &key, 1);
            }
            (Some(l), _) if !l.starts_with('#') => *l = format!("# {l}"),
            _ => break,
        }
        match toml::from_str::<Config>(&lines.join("\n")) {
            Ok(_) => break,
            Err(e) => err = e,
        }
    }
    problems.sort_by_key(|p| p.line);
    problems
}

/// From serde's "unknown field `refersh`, expected one of `refresh`, `range`…": "did you mean
/// `refresh`?" and that key, or the list of keys this table takes.
fn did_you_mean(message: &str) -> Option<(String, Option<String>)> {
    let (head, expected) = message.split_once("expected")?;
    let word = head.split('`').nth(1)?;
    let keys: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    if !head.starts_with("unknown") || keys.is_empty() {
        return None;
    }
    Some(match diag::suggest(word, keys.iter().copied()) {
        Some(k) => (format!("did you mean `{k}`?"), Some(k.to_string())),
        None => (format!("this table takes: {}", keys.join(", ")), None),
    })
}
