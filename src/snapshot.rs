//! `warroom snapshot`: poll every query once, render one frame into a buffer, print it as text.

use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::Terminal;

use crate::app::App;
use crate::msg::Msg;
use crate::prom::plan::plan;
use crate::prom::{fetch_capped, PollResult};
use crate::update::update;

/// Fetches everything once and returns the rendered frame; `Err` when no source answered.
pub async fn snapshot(mut app: App, width: u16, height: u16) -> anyhow::Result<String> {
    app.model.ui.still = true;
    update(&mut app.model, Msg::Resize { width, height });
    let now = chrono::Utc::now();
    update(&mut app.model, Msg::Tick(now));
    let specs = app.model.query_specs();
    let window = app.model.window;
    let fetches = specs.into_iter().map(|q| {
        let (client, cap) = (&app.clients[q.source], &app.caps[q.source]);
        async move {
            let p = plan(&q, &window, None, now);
            let outcome = fetch_capped(cap, client, &q.expr, q.range.then_some(&p)).await;
            PollResult::of(q.id, window.generation, &p, outcome)
        }
    });
    let (results, pager) =
        tokio::join!(futures_util::future::join_all(fetches), crate::pager::fetch_once(&app.pager));
    for msg in pager {
        update(&mut app.model, Msg::Pager(msg));
    }
    let mut reached = false;
    let mut first_error = None;
    for r in results {
        match &r.outcome {
            Ok(_) | Err(crate::prom::PromError::Api { .. }) => reached = true,
            Err(e) => {
                first_error.get_or_insert_with(|| e.to_string());
            }
        }
        update(&mut app.model, Msg::Poll(Box::new(r)));
    }
    if !reached && !app.model.queries.is_empty() {
        let source = app.model.sources.first().map(|s| s.url.clone()).unwrap_or_default();
        anyhow::bail!(
            "no source answered ({source}): {}",
            first_error.unwrap_or_else(|| "unknown error".into())
        );
    }
    Ok(render_text(&app, width, height))
}

/// Renders the model into a plain-text frame.
pub fn render_text(app: &App, width: u16, height: u16) -> String {
    let mut terminal = match Terminal::new(TestBackend::new(width, height)) {
        Ok(t) => t,
        Err(e) => return format!("cannot render: {e}"),
    };
    let _ = terminal.draw(|f| crate::ui::render(&app.model, &app.theme, f));
    buffer_text(terminal.backend().buffer())
}

/// A buffer's symbols, one line per row, trailing spaces trimmed.
pub fn buffer_text(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        for x in 0..buf.area.width {
            if let Some(cell) = buf.cell((x, y)) {
                line.push_str(cell.symbol());
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
