//! Where the engineer is looking: focus, selection, zoom, overlays, filter.

/// Which part of the screen keys act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Focus {
    #[default]
    Panels,
    Alerts,
}

/// A layer over the dashboard that takes the keys while open.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Overlay {
    #[default]
    None,
    Help,
    /// Typing a filter; the text lives in [`Ui::filter`].
    Filter,
}

/// View state, changed only by `update`.
#[derive(Debug, Clone, Default)]
pub struct Ui {
    pub focus: Focus,
    /// Index into the visible (filtered) panels.
    pub panel: usize,
    /// Index into the visible (filtered) alerts.
    pub alert: usize,
    /// Panel shown full screen (index into all panels).
    pub zoom: Option<usize>,
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
