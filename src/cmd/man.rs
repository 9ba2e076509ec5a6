//! `warroom man`: the man page. clap renders the name, synopsis and options; the rest is
//! written here from the same tables the program uses (the keymap for KEYS), so the page never
//! points at pages that do not exist and never lists a key the dashboard does not have.

use std::io::Write;

use clap::CommandFactory;

use crate::cli::Cli;
use crate::keymap::BINDINGS;

/// Escapes text for roff: backslashes, and a leading `.` or `'` that would read as a request.
fn roff(s: &str) -> String {
    let s = s.replace('\\', "\\e").replace('-', "\\-");
    if s.starts_with('.') || s.starts_with('\'') {
        format!("\\&{s}")
    } else {
        s
    }
}

fn section(out: &mut Vec<u8>, title: &str, items: &[(String, String)]) -> std::io::Result<()> {
    writeln!(out, ".SH {title}")?;
    for (term, text) in items {
        writeln!(out, ".TP\n\\fB{}\\fR\n{}", roff(term), roff(text))?;
    }
    Ok(())
}

/// The whole page, as roff.
pub fn page() -> std::io::Result<Vec<u8>> {
    let cmd = Cli::command();
    let man = clap_mangen::Man::new(cmd.clone());
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    // Each subcommand here, with its own options: one page, no warroom-check(1) to look for.
    let commands: Vec<(String, String)> = cmd
        .get_subcommands()
        .filter(|c| c.get_name() != "help")
        .map(|c| {
            let opts: Vec<String> =
                c.get_arguments().filter_map(|a| a.get_long().map(|l| format!("--{l}"))).collect();
            let name = if opts.is_empty() {
                format!("warroom {}", c.get_name())
            } else {
                format!("warroom {} [{}]", c.get_name(), opts.join("] ["))
            };
            (name, c.get_about().map(|a| a.to_string()).unwrap_or_default())
        })
        .collect();
    section(&mut out, "COMMANDS", &commands)?;
    let keys: Vec<(String, String)> =
        BINDINGS.iter().map(|b| (b.label.to_string(), b.help.to_string())).collect();
    let mut keys = keys;
    keys.push(("Ctrl-L".into(), "repaint the whole screen".into()));
    keys.push((
        "runbook keys".into(),
        "one letter each, listed in the footer and the runbook pane for the selected alert; \
         actions that change things ask for confirmation first"
            .into(),
    ));
    section(&mut out, "KEYS", &keys)?;
    let files = [
        ("$XDG_CONFIG_HOME/warroom/config.toml", "the config when neither --config nor $WARROOM_CONFIG is given (TOML; see the README's configuration reference)"),
        ("$XDG_CONFIG_HOME/warroom/themes/NAME.toml", "user themes: colours for roles, with a parent theme"),
        ("runbooks/*.md", "runbooks beside the config (or runbooks_dir, or --runbooks): TOML front matter with the actions, Markdown body"),
        ("$XDG_STATE_HOME/warroom/ENVIRONMENT/history.jsonl", "alert transitions and acknowledgements, append-only"),
        ("$XDG_STATE_HOME/warroom/ENVIRONMENT/audit.jsonl", "every action started, finished, refused or denied, append-only"),
        ("$XDG_STATE_HOME/warroom/ENVIRONMENT/warroom.log", "the log (warroom never writes to the terminal it draws on)"),
    ];
    let files: Vec<(String, String)> =
        files.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    section(&mut out, "FILES", &files)?;
    let env = [
        ("WARROOM_CONFIG", "config file, when --config is not given"),
        ("XDG_CONFIG_HOME, XDG_STATE_HOME, HOME", "where config and state live"),
        ("NO_COLOR", "set: no colours, severity still reads from symbols and words"),
        ("COLORTERM, TERM", "colour depth (truecolor, 256, 16)"),
        ("SUDO_USER, USER", "who acknowledges and runs actions, in the history and the audit log"),
        ("RUST_LOG", "log detail, e.g. warroom=debug"),
    ];
    let env: Vec<(String, String)> =
        env.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    section(&mut out, "ENVIRONMENT", &env)?;
    let exit = [
        ("0", "success; for check: no problem found"),
        ("1", "check found problems in runbooks, themes or sources; or a command failed"),
        ("2", "the config (or a theme) cannot be loaded; or the command line is wrong"),
    ];
    let exit: Vec<(String, String)> =
        exit.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    section(&mut out, "EXIT STATUS", &exit)?;
    man.render_version_section(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_page_has_its_sections_and_points_at_no_other_page() {
        let page = String::from_utf8(super::page().unwrap_or_default()).unwrap_or_default();
        for section in ["NAME", "SYNOPSIS", "OPTIONS", "COMMANDS", "KEYS", "FILES", "ENVIRONMENT"] {
            assert!(page.contains(&format!(".SH {section}")), "{section} missing:\n{page}");
        }
        assert!(page.contains(".SH EXIT STATUS"));
        assert!(!page.contains("(1)"), "a reference to a page that does not exist:\n{page}");
        for key in ["\\fBq\\fR", "\\fBv\\fR", "\\fBCtrl\\-L\\fR"] {
            assert!(page.contains(key), "{key} not in KEYS:\n{page}");
        }
        // Each command with the flags it takes, and only those.
        let timeline =
            "warroom timeline [\\-\\-since] [\\-\\-format] [\\-\\-config] [\\-\\-demo]\\fR";
        assert!(page.contains(timeline), "{timeline} not in COMMANDS:\n{page}");
        assert!(page.contains("warroom man\\fR"), "{page}");
    }
}
