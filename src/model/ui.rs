//! Where the engineer is looking: focus, selection, zoom, overlays, filter.

/// Which part of the screen keys act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Focus {
    #[default]
    Panels,
    Alerts,
}

/// A layer over the dashboard that takes the keys while open.
#[derive(Debug, Clone, Default)]
pub enum Overlay {
    #[default]
    None,
    Help,
    /// Typing a filter; the text lives in [`Ui::filter`].
    Filter,
    /// Acknowledging the selected alert: a note and an expiry (index into `ACK_EXPIRIES`).
    Ack {
        key: crate::alert::AlertKey,
        note: String,
        expiry: usize,
    },
    /// A runbook action waiting for confirmation.
    Confirm(Box<Confirmation>),
    /// Typing what to find in the pane; the text lives in [`Ui::find`].
    Find,
    /// The query `query` (an index into the model's queries) and its source, behind what is
    /// selected: a panel, or an alert rule.
    Query {
        query: usize,
        of: QueryOwner,
    },
    /// Choosing the values of a dashboard's variables.
    Variables(Box<VarPicker>),
}

/// Where the variable picker stands: which dashboard and variable (an index into its
/// variables), the option under the cursor (0 is "All" when the variable has it) and, for a
/// multi-value variable, the options ticked so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VarPicker {
    pub dashboard: usize,
    pub var: usize,
    pub cursor: usize,
    pub ticked: Vec<String>,
}

/// What a query shown by the `e` overlay belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryOwner {
    /// A panel (index into the model's panels).
    Panel(usize),
    /// The alert rule of this name.
    Rule(String),
}

/// What the confirm dialog shows and what confirming it runs.
#[derive(Debug, Clone)]
pub struct Confirmation {
    pub action: crate::runbook::ActionSpec,
    pub resolved: crate::runbook::Resolved,
    /// What has been typed (for `type-target` confirmation).
    pub typed: String,
    /// When the key that opened the dialog was read: keys read before `opened + GUARD` were
    /// typed ahead and never confirm.
    pub opened: std::time::Instant,
    /// Run id of the dry run whose output the dialog shows, if any.
    pub dry_run: Option<u64>,
    /// The first line of the dry run's output shown (PgUp/PgDn), below a table's header.
    pub dry_scroll: usize,
    /// The environment name, shown in the dialog.
    pub environment: String,
    /// Why the action cannot run now (another run holds its lock, a cooldown), as the launcher
    /// said when the dialog opened: shown instead of asking.
    pub blocked: Option<String>,
    /// The source the guards are read from: the alert's.
    pub source: usize,
    /// The guards' live readings, one per guard; `None` while they are being read.
    pub guards: Option<Vec<crate::runbook::Reading>>,
    /// Confirmed: the guards are being read once more, and the action runs if they hold.
    pub confirming: bool,
    /// A reading of the guards is under way.
    pub reading: bool,
    /// When the shown readings arrived: they are read again every few seconds while the
    /// dialog is open.
    pub read_at: Option<chrono::DateTime<chrono::Utc>>,
    /// What becomes of the run's announcement to the team, when it is announced: "announced
    /// to the team through Alertmanager", or "not announced: Alertmanager unreachable".
    pub announce: Option<String>,
}

impl Confirmation {
    /// Which action on which target the dialog is about.
    pub fn action_id(&self) -> crate::runbook::ActionId {
        let r = &self.resolved;
        (r.runbook.clone(), r.key, r.target.clone())
    }

    /// Whether some guard was read and does not hold.
    pub fn guard_failed(&self) -> bool {
        self.guards.as_ref().is_some_and(|g| g.iter().any(|r| !r.ok()))
    }

    /// What the engineer types to run it although a guard fails (`override`, or `override`
    /// and the target for `type-target` actions), when the runbook allows that.
    pub fn override_text(&self) -> Option<String> {
        if !(self.action.guard_override && self.guard_failed()) {
            return None;
        }
        Some(match self.resolved.confirm {
            crate::runbook::Confirm::TypeTarget => format!("override {}", self.resolved.target),
            _ => "override".to_owned(),
        })
    }
}

/// Which view the pane beside the alert list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pane {
    #[default]
    Runbook,
    Output,
    History,
}

/// A search in the pane beside the alert list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Find {
    /// What to find, case-insensitive.
    pub text: String,
    /// Which match is shown: counts up with `n`, down with `N`, taken modulo the matches.
    pub at: isize,
}

/// Expiry choices of an acknowledgement, in minutes; `None`: until the alert resolves.
pub const ACK_EXPIRIES: [Option<u32>; 4] = [None, Some(15), Some(60), Some(240)];

/// View state, changed only by `update`.
#[derive(Debug, Clone, Default)]
pub struct Ui {
    pub focus: Focus,
    /// Index into the visible (filtered) panels.
    pub panel: usize,
    /// Index into the visible (filtered) alerts, used when `alert_key` is not listed.
    pub alert: usize,
    /// The selected alert: the selection follows it when the list reorders.
    pub alert_key: Option<crate::alert::AlertKey>,
    /// Panel shown full screen (index into all panels).
    pub zoom: Option<usize>,
    /// The tab shown (an index into [`Model::tabs`](super::Model::tabs)).
    pub tab: usize,
    /// Value-inspection cursor in a zoomed chart: steps back from the newest point.
    pub cursor: Option<usize>,
    pub overlay: Overlay,
    /// Case-insensitive substring filter over panel titles and alert names/labels.
    pub filter: String,
    /// Terminal size, from resize messages.
    pub width: u16,
    pub height: u16,
    /// Scroll of the runbook/output pane.
    pub pane_scroll: u16,
    /// Sideways scroll of the output pane (its lines are not wrapped).
    pub pane_hscroll: u16,
    /// What the pane beside the alert list shows.
    pub pane: Pane,
    /// Text found in the pane (`f`, then `n`/`N`): the pane scrolls to the match.
    pub find: Option<Find>,
    /// A still frame to share (`warroom snapshot`): no key hints, the full date in the header.
    pub still: bool,
    /// "Why no data?" for the query of the `e` overlay, while it is open on an empty panel.
    pub why: Option<Why>,
}

/// The explanation of an empty query, asked of its source part by part.
#[derive(Debug, Clone, PartialEq)]
pub struct Why {
    /// The query explained (index into the model's queries).
    pub query: usize,
    /// `None` while the source is being asked.
    pub answer: Option<crate::explain::Explanation>,
}

impl Ui {
    /// How many panel columns the grid has at the current width.
    pub fn columns(&self) -> usize {
        match self.width {
            0..=119 => 2,
            120..=199 => 3,
            _ => 4,
        }
    }
}
