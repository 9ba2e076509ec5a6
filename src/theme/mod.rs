//! Placeholder theme (the full role-based theme loader lands with the theme work).
use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Text,
    Muted,
    Accent,
    Border,
    BorderFocus,
    Title,
    Critical,
    Warning,
    Ok,
    Info,
    NoData,
    Stale,
    Selection,
    HeaderBg,
    EnvProd,
    EnvStaging,
    EnvOther,
    ChartGrid,
    Threshold,
    Marker,
}

#[derive(Debug, Clone, Default)]
pub struct Theme {
    _private: (),
}

impl Theme {
    pub fn style(&self, role: Role) -> Style {
        let s = Style::default();
        match role {
            Role::Muted | Role::ChartGrid => s.fg(Color::DarkGray),
            Role::Accent | Role::Title => s.fg(Color::Cyan).add_modifier(Modifier::BOLD),
            Role::BorderFocus => s.fg(Color::Cyan),
            Role::Critical => s.fg(Color::Red).add_modifier(Modifier::BOLD),
            Role::Warning => s.fg(Color::Yellow),
            Role::Ok => s.fg(Color::Green),
            Role::NoData | Role::Stale => s.fg(Color::Magenta),
            Role::Selection => s.add_modifier(Modifier::REVERSED),
            Role::EnvProd => s
                .bg(Color::Red)
                .fg(Color::White)
                .add_modifier(Modifier::BOLD),
            Role::EnvStaging => s.bg(Color::Yellow).fg(Color::Black),
            Role::EnvOther => s.bg(Color::Blue).fg(Color::White),
            Role::Threshold => s.fg(Color::Yellow),
            Role::Marker => s.fg(Color::Magenta),
            _ => s,
        }
    }

    pub fn series(&self, i: usize) -> Style {
        const P: [Color; 6] = [
            Color::Cyan,
            Color::Green,
            Color::Yellow,
            Color::Magenta,
            Color::Blue,
            Color::LightRed,
        ];
        Style::default().fg(P[i % P.len()])
    }
}
