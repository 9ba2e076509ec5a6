//! Prometheus rule files as warroom's alert rules (`rule_files = ["rules/*.yml"]`), so the
//! rules Prometheus evaluates for the pager and the ones warroom shows are one file, one source
//! of truth.
//!
//! - [`file`]: the file format, read bounded; `rule_files` patterns.
//! - [`convert`]: Prometheus rules → warroom rules (threshold pairs merged, `present` rules).
//! - [`annotations`]: summary templates and the `warroom_*` annotations.

pub mod annotations;
pub mod convert;
pub mod file;

use std::path::Path;

use crate::alert::RuleSpec;
use crate::diag::Diagnostic;

/// The alert rules of every file `patterns` name (relative to `base`), and every problem:
/// patterns matching nothing (at `config`'s `rule_files` line), unreadable files, bad rules.
pub fn load(
    patterns: &[String],
    base: &Path,
    config: &Path,
    config_line: Option<usize>,
) -> (Vec<RuleSpec>, Vec<Diagnostic>) {
    let (files, missing) = file::expand(patterns, base);
    let mut problems: Vec<Diagnostic> = missing
        .into_iter()
        .map(|m| {
            Diagnostic::new(config, config_line, format!("rule_files: {m}"))
                .with_fix("name Prometheus rule files, relative to this config file")
        })
        .collect();
    let mut rules = Vec::new();
    for path in files {
        match file::read(&path) {
            Ok(parsed) => {
                let (mut r, p) = convert::convert(&path, &parsed.groups);
                rules.append(&mut r);
                problems.extend(p);
            }
            Err(d) => problems.push(d),
        }
    }
    (rules, problems)
}
