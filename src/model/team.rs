//! What the dashboard knows of other warrooms' runs on an alert: the announcements (read from
//! Alertmanager) of the actions of its runbooks, on the target each would act on. The runbook
//! pane lists them under each action; the alert's row is tagged while one runs.

use crate::alert::AlertView;
use crate::pager::Announcement;
use crate::runbook::{ActionSpec, Context};

use super::Model;

impl Model {
    /// Other warrooms' announcements of `act` on the target it has for `alert`, newest first.
    pub fn announced<'a>(
        &'a self,
        alert: &AlertView,
        act: &'a ActionSpec,
    ) -> Vec<&'a Announcement> {
        let Some(team) = self.pager.team.as_ref().filter(|t| !t.others.is_empty()) else {
            return Vec::new();
        };
        let target = match &act.target {
            None => String::new(),
            Some(_) => {
                let ctx = Context { labels: (*alert.labels).clone(), ..Default::default() };
                act.resolve(&ctx).map(|r| r.target).unwrap_or_default()
            }
        };
        team.of_action((&act.runbook, act.key, &target))
    }

    /// The newest announcement still running of any action of `alert`'s runbooks, if any.
    pub fn running_on(&self, alert: &AlertView) -> Option<&Announcement> {
        if self.pager.team.as_ref().is_none_or(|t| t.others.is_empty()) {
            return None;
        }
        self.runbooks_for(alert)
            .into_iter()
            .flat_map(|rb| rb.actions.iter())
            .flat_map(|act| self.announced(alert, act))
            .filter(|an| an.running(self.now))
            .max_by_key(|an| an.since)
    }
}
