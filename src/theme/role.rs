//! What a piece of the screen *means*, independent of how it looks. Widgets ask the theme for a
//! role's style; theme files name roles, never widgets.

/// A meaning on screen. Theme files use the snake_case names from [`Role::name`].
///
/// Series colours for graph lines are not roles: they are an ordered palette, see
/// [`Theme::series`](super::Theme::series).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Role {
    /// Ordinary text.
    Text,
    /// Secondary text: labels, help, timestamps, units.
    Muted,
    /// Something to notice that is not a problem: key hints, links, the active tab.
    Accent,
    /// Panel borders.
    Border,
    /// The border of the focused panel.
    BorderFocus,
    /// Panel and dialog titles.
    Title,
    /// A firing critical alert, a failed action, a destructive confirmation.
    Critical,
    /// A firing warning alert, a pending alert, a slow or partial answer.
    Warning,
    /// Healthy: resolved alerts, successful actions, values within thresholds.
    Ok,
    /// Informational alerts and messages.
    Info,
    /// A query that returned no series: a state of its own, never "ok".
    NoData,
    /// Data that stopped updating: "stale since …" markers.
    Stale,
    /// A query that failed (HTTP error, timeout, bad PromQL).
    QueryError,
    /// An alert someone acknowledged: still firing, no longer shouting.
    Acked,
    /// The selected row or item.
    Selection,
    /// The header and status bars.
    HeaderBg,
    /// The environment badge when the environment is production: loud on purpose.
    EnvProd,
    /// The environment badge for staging.
    EnvStaging,
    /// The environment badge for anything else.
    EnvOther,
    /// Chart axes, grid lines and axis labels.
    ChartGrid,
    /// Threshold lines drawn on charts.
    Threshold,
    /// Markers on charts where runbook actions ran.
    Marker,
}

impl Role {
    /// Number of roles; the size of a theme's style table.
    pub const COUNT: usize = 22;

    /// Every role, in declaration order (`Role::ALL[r as usize] == r`).
    pub const ALL: [Role; Role::COUNT] = [
        Role::Text,
        Role::Muted,
        Role::Accent,
        Role::Border,
        Role::BorderFocus,
        Role::Title,
        Role::Critical,
        Role::Warning,
        Role::Ok,
        Role::Info,
        Role::NoData,
        Role::Stale,
        Role::QueryError,
        Role::Acked,
        Role::Selection,
        Role::HeaderBg,
        Role::EnvProd,
        Role::EnvStaging,
        Role::EnvOther,
        Role::ChartGrid,
        Role::Threshold,
        Role::Marker,
    ];

    /// The name used in theme files, e.g. `border_focus`.
    pub const fn name(self) -> &'static str {
        match self {
            Role::Text => "text",
            Role::Muted => "muted",
            Role::Accent => "accent",
            Role::Border => "border",
            Role::BorderFocus => "border_focus",
            Role::Title => "title",
            Role::Critical => "critical",
            Role::Warning => "warning",
            Role::Ok => "ok",
            Role::Info => "info",
            Role::NoData => "no_data",
            Role::Stale => "stale",
            Role::QueryError => "query_error",
            Role::Acked => "acked",
            Role::Selection => "selection",
            Role::HeaderBg => "header_bg",
            Role::EnvProd => "env_prod",
            Role::EnvStaging => "env_staging",
            Role::EnvOther => "env_other",
            Role::ChartGrid => "chart_grid",
            Role::Threshold => "threshold",
            Role::Marker => "marker",
        }
    }

    /// Looks a role up by its theme-file name (exact, snake_case).
    pub fn from_name(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == name)
    }

    /// The position of this role in a theme's style table.
    pub const fn index(self) -> usize {
        self as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_in_declaration_order_and_names_round_trip() {
        for (i, role) in Role::ALL.into_iter().enumerate() {
            assert_eq!(role.index(), i);
            assert_eq!(Role::from_name(role.name()), Some(role));
        }
        assert_eq!(Role::from_name("Critical"), None);
    }
}
