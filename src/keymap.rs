//! Keys → actions. One table, so help, the footer and runbook key clash checks read the same map.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    Help,
    Filter,
    Up,
    Down,
    Left,
    Right,
    NextFocus,
    Zoom,
    Back,
    RangeIn,
    RangeOut,
    PanBack,
    PanForward,
    Acknowledge,
    ScrollUp,
    ScrollDown,
    /// Cycle the pane beside the alert list: runbook → output → history.
    NextPane,
    /// Back to the live window (no pan).
    Live,
    /// Show the selected panel's query and source.
    ShowQuery,
    /// Repaint the whole screen (after stray output on the terminal).
    Repaint,
    /// Copy the selected panel's query, or the selected alert, to the clipboard (OSC 52).
    Copy,
    /// Find text in the pane beside the alert list (then `n`/`N`).
    Find,
    /// Choose the values of the dashboards' template variables.
    Variables,
    /// The previous / next tab (the config's panels, then each Grafana dashboard).
    PrevTab,
    NextTab,
}

/// One binding: the keys, the action and the text shown in help and the footer.
pub struct Binding {
    pub keys: &'static [KeyCode],
    pub label: &'static str,
    pub action: Action,
    pub help: &'static str,
}

/// The built-in bindings, in the order help lists them.
pub const BINDINGS: &[Binding] = &[
    Binding { keys: &[KeyCode::Char('q')], label: "q", action: Action::Quit, help: "quit" },
    Binding { keys: &[KeyCode::Char('?')], label: "?", action: Action::Help, help: "all keys" },
    Binding {
        keys: &[KeyCode::Char('/')],
        label: "/",
        action: Action::Filter,
        help: "filter panels and alerts",
    },
    Binding {
        keys: &[KeyCode::Up, KeyCode::Char('k')],
        label: "↑/k",
        action: Action::Up,
        help: "move up",
    },
    Binding {
        keys: &[KeyCode::Down, KeyCode::Char('j')],
        label: "↓/j",
        action: Action::Down,
        help: "move down",
    },
    Binding {
        keys: &[KeyCode::Left, KeyCode::Char('h')],
        label: "←/h",
        action: Action::Left,
        help: "move left / cursor back",
    },
    Binding {
        keys: &[KeyCode::Right, KeyCode::Char('l')],
        label: "→/l",
        action: Action::Right,
        help: "move right / cursor forward",
    },
    Binding {
        keys: &[KeyCode::Tab, KeyCode::BackTab],
        label: "Tab",
        action: Action::NextFocus,
        help: "panels ↔ alerts",
    },
    Binding { keys: &[KeyCode::Enter], label: "Enter", action: Action::Zoom, help: "zoom panel" },
    Binding { keys: &[KeyCode::Esc], label: "Esc", action: Action::Back, help: "back" },
    Binding {
        keys: &[KeyCode::Char('+'), KeyCode::Char('=')],
        label: "+",
        action: Action::RangeIn,
        help: "shorter time range",
    },
    Binding {
        keys: &[KeyCode::Char('-')],
        label: "-",
        action: Action::RangeOut,
        help: "longer time range",
    },
    Binding {
        keys: &[KeyCode::Char('[')],
        label: "[",
        action: Action::PanBack,
        help: "pan into the past",
    },
    Binding {
        keys: &[KeyCode::Char(']')],
        label: "]",
        action: Action::PanForward,
        help: "pan toward now",
    },
    Binding {
        keys: &[KeyCode::Char('a')],
        label: "a",
        action: Action::Acknowledge,
        help: "acknowledge alert",
    },
    Binding {
        keys: &[KeyCode::PageUp],
        label: "PgUp",
        action: Action::ScrollUp,
        help: "scroll runbook/output up",
    },
    Binding {
        keys: &[KeyCode::PageDown],
        label: "PgDn",
        action: Action::ScrollDown,
        help: "scroll runbook/output down",
    },
    Binding {
        keys: &[KeyCode::Char('v')],
        label: "v",
        action: Action::NextPane,
        help: "runbook → output → history",
    },
    Binding {
        keys: &[KeyCode::Char('0'), KeyCode::Home],
        label: "0",
        action: Action::Live,
        help: "back to live (end of pan)",
    },
    Binding {
        keys: &[KeyCode::Char('e')],
        label: "e",
        action: Action::ShowQuery,
        help: "the panel's query (why no data?)",
    },
    Binding {
        keys: &[KeyCode::Char('y')],
        label: "y",
        action: Action::Copy,
        help: "copy query or alert (OSC 52)",
    },
    Binding {
        keys: &[KeyCode::Char('f')],
        label: "f",
        action: Action::Find,
        help: "find in the pane (n/N next)",
    },
    Binding {
        keys: &[KeyCode::Char(':')],
        label: ":",
        action: Action::Variables,
        help: "choose dashboard variable values",
    },
    Binding {
        keys: &[KeyCode::Char('<')],
        label: "<",
        action: Action::PrevTab,
        help: "previous dashboard tab",
    },
    Binding {
        keys: &[KeyCode::Char('>')],
        label: ">",
        action: Action::NextTab,
        help: "next dashboard tab",
    },
];

/// How the footer names `action` with its pair (`+/-` for a shorter or longer range, `hjkl` for
/// moving); other actions by their own label.
pub fn hint(action: Action) -> &'static str {
    match action {
        Action::Up => "hjkl",
        Action::Down => "j/k",
        Action::Left | Action::Right => "←/→",
        Action::RangeIn | Action::RangeOut => "+/-",
        Action::PanBack | Action::PanForward => "[/]",
        Action::PrevTab | Action::NextTab => "</>",
        other => label(other),
    }
}

/// The label of the first binding of `action`, as help and the footer show it.
pub fn label(action: Action) -> &'static str {
    if action == Action::Repaint {
        return "^L";
    }
    BINDINGS.iter().find(|b| b.action == action).map_or("", |b| b.label)
}

/// The action bound to `key`, if any. Ctrl-C always quits.
pub fn action_for(key: &KeyEvent) -> Option<Action> {
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return match key.code {
            KeyCode::Char('c') => Some(Action::Quit),
            KeyCode::Char('l') => Some(Action::Repaint),
            _ => None,
        };
    }
    BINDINGS.iter().find(|b| b.keys.contains(&key.code)).map(|b| b.action)
}

/// Characters the built-in bindings use: runbook keys must not take them.
pub fn reserved_chars() -> Vec<char> {
    BINDINGS
        .iter()
        .flat_map(|b| b.keys.iter())
        .filter_map(|k| match k {
            KeyCode::Char(c) => Some(*c),
            _ => None,
        })
        .chain(['n', 'N'])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vim_and_arrow_keys_agree() {
        let k = |c| KeyEvent::new(c, KeyModifiers::NONE);
        assert_eq!(action_for(&k(KeyCode::Char('j'))), action_for(&k(KeyCode::Down)));
        assert_eq!(action_for(&k(KeyCode::Char('q'))), Some(Action::Quit));
        assert_eq!(
            action_for(&KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(action_for(&k(KeyCode::Char('Z'))), None);
    }

    #[test]
    fn no_key_is_bound_twice() {
        let mut seen = std::collections::HashSet::new();
        for b in BINDINGS {
            for k in b.keys {
                assert!(seen.insert(format!("{k:?}")), "{k:?} bound twice");
            }
        }
        assert!(reserved_chars().contains(&'a'));
    }
}
