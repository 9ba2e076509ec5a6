//! Where warroom keeps files between runs.

use std::ffi::OsString;
use std::path::PathBuf;

/// The history file's name inside the state directory.
pub const HISTORY_FILE: &str = "history.jsonl";

/// `$XDG_STATE_HOME/warroom`, else `$HOME/.local/state/warroom`; `None` when neither is usable.
pub fn default_state_dir() -> Option<PathBuf> {
    state_dir_from(std::env::var_os("XDG_STATE_HOME"), std::env::var_os("HOME"))
}

/// [`default_state_dir`] with the environment passed in. Per the XDG spec, an empty or relative
/// `XDG_STATE_HOME` is ignored.
pub fn state_dir_from(xdg_state_home: Option<OsString>, home: Option<OsString>) -> Option<PathBuf> {
    let usable = |v: Option<OsString>| v.map(PathBuf::from).filter(|p| p.is_absolute());
    if let Some(xdg) = usable(xdg_state_home) {
        return Some(xdg.join("warroom"));
    }
    usable(home).map(|h| h.join(".local").join("state").join("warroom"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xdg_then_home() {
        let os = |s: &str| Some(OsString::from(s));
        let cases = [
            (os("/x/state"), os("/home/u"), Some("/x/state/warroom")),
            (os(""), os("/home/u"), Some("/home/u/.local/state/warroom")),
            (
                os("rel/state"),
                os("/home/u"),
                Some("/home/u/.local/state/warroom"),
            ),
            (None, os("/home/u"), Some("/home/u/.local/state/warroom")),
            (None, os(""), None),
            (None, None, None),
        ];
        for (xdg, home, want) in cases {
            assert_eq!(
                state_dir_from(xdg.clone(), home.clone()),
                want.map(PathBuf::from),
                "{xdg:?} {home:?}"
            );
        }
    }
}
