//! Tabs: with Grafana dashboards open, the config's own panels are one tab and each dashboard
//! another; `<`/`>` turn them. Without dashboards there is one tab and no tab bar.

use super::Model;

/// One tab: its title and the panels on it (indexes into the model's panels).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tab {
    pub title: String,
    pub panels: Vec<usize>,
}

impl Model {
    /// The tabs: the config's own panels (when there are any), then each dashboard's.
    pub fn tabs(&self) -> Vec<Tab> {
        let mut imported = vec![false; self.panels.len()];
        for &i in self.dashboards.iter().flat_map(|d| &d.panels) {
            if let Some(flag) = imported.get_mut(i) {
                *flag = true;
            }
        }
        let own: Vec<usize> = (0..self.panels.len()).filter(|&i| !imported[i]).collect();
        let mut tabs = Vec::new();
        if !own.is_empty() {
            tabs.push(Tab { title: "panels".into(), panels: own });
        }
        for d in &self.dashboards {
            let title = match d.dashboard.title.trim() {
                "" => "dashboard".to_string(),
                t => t.to_string(),
            };
            tabs.push(Tab { title, panels: d.panels.clone() });
        }
        tabs
    }

    /// The panels of the tab shown; every panel when there is one tab.
    pub(super) fn tab_panels(&self) -> Option<Vec<usize>> {
        if self.dashboards.is_empty() {
            return None;
        }
        let mut tabs = self.tabs();
        (tabs.len() > 1).then(|| tabs.swap_remove(self.ui.tab.min(tabs.len() - 1)).panels)
    }
}
