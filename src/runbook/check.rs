//! Checks across loaded runbooks, for `warroom check` and start-up: references to alerts that do
//! not exist, keys that clash, programs that are not installed, placeholders nothing fills.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::resolve::CONTEXT_VARS;
use super::spec::{ActionKind, ActionSpec, Runbook};
use super::{diag, Diagnostic};
use crate::template;

/// Every problem across `runbooks` that a single file cannot show on its own.
pub fn check_runbooks(
    runbooks: &[Runbook],
    known_alerts: &[String],
    // The dashboard's own keys: pass `crate::keymap::reserved_chars()`.
    reserved_keys: &[char],
) -> Vec<Diagnostic> {
    let mut out = unknown_alerts(runbooks, known_alerts);
    for rb in runbooks {
        for action in &rb.actions {
            if reserved_keys.contains(&action.key) {
                out.push(diag(
                    &rb.file,
                    action.line,
                    format!("key '{}' is already a dashboard key", action.key),
                    format!("pick a key that is not one of {}", key_names(reserved_keys)),
                ));
            }
            check_programs(rb, action, &mut out);
            check_placeholders(rb, action, &mut out);
        }
    }
    check_clashes(runbooks, &mut out);
    out
}

/// The runbooks' `alerts` entries that name none of `known_alerts`.
pub fn unknown_alerts(runbooks: &[Runbook], known_alerts: &[String]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for rb in runbooks {
        for alert in rb.alerts.iter().filter(|a| !known_alerts.contains(a)) {
            out.push(diag(
                &rb.file,
                rb.alerts_line,
                format!("alert {alert:?} is not defined by any alert rule"),
                suggest(alert, known_alerts),
            ));
        }
    }
    out
}

fn key_names(keys: &[char]) -> String {
    let mut names: Vec<String> = Vec::new();
    for k in keys {
        let name = key_name(*k);
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names.join(" ")
}

fn key_name(k: char) -> String {
    match k {
        '\n' | '\r' => "Enter".into(),
        '\u{1b}' => "Esc".into(),
        '\t' => "Tab".into(),
        c => c.to_string(),
    }
}

fn suggest(alert: &str, known: &[String]) -> String {
    let lower = alert.to_ascii_lowercase();
    let close = known
        .iter()
        .find(|k| k.to_ascii_lowercase() == lower)
        .map(String::as_str)
        .or_else(|| crate::diag::suggest(alert, known.iter().map(String::as_str)));
    if let Some(close) = close {
        return format!("did you mean {close:?}?");
    }
    if known.is_empty() {
        "define an alert rule with this name in the config or in a rule file".into()
    } else if known.len() <= 12 {
        format!("use one of: {}", known.join(", "))
    } else {
        "use the name of an alert rule from the config".into()
    }
}

fn check_programs(rb: &Runbook, action: &ActionSpec, out: &mut Vec<Diagnostic>) {
    let mut programs = Vec::new();
    if let ActionKind::Argv { argv, .. } = &action.kind {
        programs.push(("argv", argv.first()));
    }
    if let Some(d) = &action.dry_run {
        programs.push(("dry_run", d.first()));
    }
    for (field, program) in programs {
        let Some(program) = program else { continue };
        if find_program(program).is_none() {
            out.push(diag(
                &rb.file,
                action.line_of(field),
                format!(
                    "program {program:?} ({field}[0] of key '{}') is not installed",
                    action.key
                ),
                "install it on this host, fix PATH, or give its full path",
            ));
        }
    }
}

/// Finds `program` like `execvp` would: a path as is, a bare name along `$PATH`.
pub fn find_program(program: &str) -> Option<PathBuf> {
    let executable =
        |p: &Path| p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
    if program.contains('/') {
        let p = PathBuf::from(program);
        return executable(&p).then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|p| executable(p))
}

fn check_placeholders(rb: &Runbook, action: &ActionSpec, out: &mut Vec<Diagnostic>) {
    // Labels are filled once, at load time: only constants from `vars` are known then.
    if let Ok(names) = template::placeholders(&action.label_template) {
        for name in names.into_iter().filter(|n| !action.vars.contains_key(*n)) {
            out.push(diag(
                &rb.file,
                action.line_of("label"),
                format!(
                    "key '{}': label placeholder {{{{ {name} }}}} is not a name from vars",
                    action.key
                ),
                "a label may only use names from vars, e.g. {{ older_than }}",
            ));
        }
    }
    for (field, tpl) in action.templates() {
        let Ok(names) = template::placeholders(tpl) else {
            continue;
        };
        for name in names {
            if let Some(problem) = placeholder_problem(action, name) {
                out.push(diag(
                    &rb.file,
                    action.line_of(field),
                    format!("key '{}': {problem}", action.key),
                    format!(
                        "use labels.NAME, a name from vars, or one of {}",
                        CONTEXT_VARS.join(", ")
                    ),
                ));
            }
        }
    }
}

fn placeholder_problem(action: &ActionSpec, name: &str) -> Option<String> {
    if let Some(path) = name.strip_prefix("labels.") {
        let (label, group) = match path.split_once('.') {
            Some((l, g)) => (l, Some(g)),
            None => (path, None),
        };
        if label.is_empty() {
            return Some(format!("placeholder {{{{ {name} }}}} names no label"));
        }
        let group = group?;
        let has_group = action
            .allow
            .get(label)
            .is_some_and(|p| p.regex.capture_names().any(|n| n == Some(group)));
        return (!has_group).then(|| {
            format!(
                "placeholder {{{{ {name} }}}} needs a named group (?P<{group}>…) in allow.{label}"
            )
        });
    }
    if action.vars.contains_key(name) || CONTEXT_VARS.contains(&name) {
        return None;
    }
    Some(format!("unknown placeholder {{{{ {name} }}}}"))
}

/// Two runbooks offered for the same alert must not bind the same key.
fn check_clashes(runbooks: &[Runbook], out: &mut Vec<Diagnostic>) {
    for (i, a) in runbooks.iter().enumerate() {
        for b in &runbooks[i + 1..] {
            let Some(why) = overlap(a, b) else { continue };
            for act in &b.actions {
                if let Some(other) = a.action(act.key) {
                    out.push(diag(
                        &b.file,
                        act.line,
                        format!(
                            "key '{}' is also bound by runbook {:?} ({}:{}), and both apply to {why}",
                            act.key,
                            a.id,
                            a.file.display(),
                            other.line
                        ),
                        "change one of the keys",
                    ));
                }
            }
        }
    }
}

fn overlap(a: &Runbook, b: &Runbook) -> Option<String> {
    if a.alerts.is_empty() || b.alerts.is_empty() {
        return Some("the same alerts (one of them selects by matchers only)".into());
    }
    a.alerts.iter().find(|x| b.alerts.contains(x)).map(|x| format!("alert {x}"))
}
