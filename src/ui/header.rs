//! The header line: environment badge, read-only state, sources' health and round-trip time,
//! chart range, clock with time zone.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::text;
use crate::config::EnvKind;
use crate::model::{Health, Model};
use crate::theme::{Role, Theme};

pub fn render(model: &Model, theme: &Theme, area: Rect, buf: &mut Buffer) {
    buf.set_style(area, theme.style(Role::HeaderBg));
    // Plain words in the header are drawn in the bar's own colours, whatever the text role is.
    let text_style = theme.style(Role::HeaderBg);
    let env_role = match model.env.kind {
        EnvKind::Prod => Role::EnvProd,
        EnvKind::Staging => Role::EnvStaging,
        EnvKind::Other => Role::EnvOther,
    };
    let env_text = match model.env.kind {
        EnvKind::Prod => format!(" ▲ PROD {} ", model.env.name.to_uppercase()),
        _ => format!(" {} ", model.env.name),
    };
    let mut left = vec![Span::styled(env_text, theme.style(env_role)), Span::raw(" ")];
    if model.env.peak.contains(model.now) {
        left.push(Span::styled(" PEAK ", theme.style(Role::Critical)));
        left.push(Span::raw(" "));
    }
    if model.read_only {
        left.push(Span::styled("READ-ONLY ", theme.style(Role::Warning)));
    }
    for s in &model.sources {
        let (sym, role) = match s.health() {
            _ if s.auth_refused => ("✖", Role::Critical),
            Health::Up => ("●", Role::Ok),
            Health::Degraded => ("◐", Role::Warning),
            Health::Down => ("✖", Role::Critical),
            Health::Unknown => ("○", Role::Muted),
        };
        left.push(Span::styled(format!("{sym} "), theme.style(role)));
        let mut detail = match (s.health(), s.last_rtt) {
            _ if s.auth_refused => "credentials refused".to_string(),
            (Health::Down, _) => "down".to_string(),
            (_, Some(rtt)) => format!("{}ms", rtt.as_millis()),
            _ => "…".to_string(),
        };
        if let (Health::Degraded | Health::Up, Some(why)) = (s.health(), s.caveat()) {
            detail = format!("{detail} {}", text::fit(&crate::sanitize::clean(&why), 24));
        }
        left.push(Span::styled(format!("{} {detail}  ", text::fit(&s.name, 16)), text_style));
    }
    let mut right = Vec::new();
    let list = &model.alert_list;
    let (firing, unacked) = (list.firing, list.unhandled);
    if firing > 0 {
        let role = if unacked > 0 { Role::Critical } else { Role::Warning };
        let acked =
            if unacked < firing { format!(" ({} acked)", firing - unacked) } else { String::new() };
        right.push(Span::styled(format!("▲ {firing} FIRING{acked}  "), theme.style(role)));
    }
    // Never green while blind: the all-clear needs every rule evaluated on a fresh answer.
    let blind_at = right.len();
    let blind_style = |b: &crate::alert::Blind| {
        theme.style(if b.starting { Role::Warning } else { Role::Critical })
    };
    match &list.blind {
        Some(b) => right.push(Span::styled(format!("{}  ", b.text()), blind_style(b))),
        None if firing == 0 && list.watching => {
            right.push(Span::styled("✓ no alerts firing  ", theme.style(Role::Ok)))
        }
        None => {}
    }
    let blind = list.blind.is_some();
    let range = crate::duration::format(model.window.range);
    let range = if model.window.offset.is_zero() {
        format!("range {range}")
    } else {
        format!("range {range} −{}", crate::duration::format(model.window.offset))
    };
    right.push(Span::styled(format!("{range}  "), theme.style(Role::Muted)));
    let tz = model.utc_offset.to_string();
    let tz = if tz == "+00:00" { "UTC".to_string() } else { tz };
    right.push(Span::styled(
        if model.ui.still {
            // A frame read later, elsewhere: when exactly, with the date.
            format!(
                "{} {tz} ",
                model.now.with_timezone(&model.utc_offset).format("%Y-%m-%d %H:%M:%S")
            )
        } else {
            format!("{} {tz} ", text::clock(model.now, model.utc_offset))
        },
        text_style,
    ));
    // When both sides do not fit, the range goes first, then an all-clear; a firing count and
    // the clock stay, and the left side is cut short rather than overwritten.
    let left_width: usize = left.iter().map(|s| s.width()).sum();
    let width = |spans: &[Span]| spans.iter().map(|s| s.width()).sum::<usize>();
    let range_at = right.len() - 2;
    if left_width + width(&right) > area.width as usize {
        right.remove(range_at);
    }
    if left_width + width(&right) > area.width as usize && firing == 0 && !blind && right.len() > 1
    {
        right.remove(0);
    }
    // Blindness is never dropped, only said in fewer words.
    if let Some(b) =
        list.blind.as_ref().filter(|_| left_width + width(&right) > area.width as usize)
    {
        right[blind_at] = Span::styled(format!("{}  ", b.short()), blind_style(b));
    }
    let right_width = width(&right) as u16;
    let left_area = Rect { width: area.width.saturating_sub(right_width), ..area };
    Line::from(left).render(left_area, buf);
    let r = Rect { x: area.right().saturating_sub(right_width), width: right_width, ..area };
    Line::from(right).render(r.intersection(area), buf);
}
