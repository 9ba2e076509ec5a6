//! A runbook's Markdown body as terminal lines, read with a CommonMark parser: headings,
//! paragraphs (joined, for the pane to wrap), bullet and numbered lists (nested), code blocks
//! kept line for line, inline code, emphasis, links shown as their text with the address after
//! it, block quotes and rules. Every piece of text loses its control characters.

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use crate::sanitize;
use crate::theme::{Role, Theme};

/// What is being built while the parser walks the document.
struct Writer<'t> {
    theme: &'t Theme,
    out: Vec<Line<'static>>,
    line: Vec<Span<'static>>,
    /// Inline styles in force (emphasis, strong, heading, link).
    styles: Vec<Style>,
    /// Open lists: the next number of each numbered one, `None` for bullets.
    lists: Vec<Option<u64>>,
    quote: usize,
    in_code: bool,
    /// Addresses of open links, shown after their text.
    links: Vec<String>,
}

impl<'t> Writer<'t> {
    fn style(&self) -> Style {
        self.styles.iter().fold(self.theme.style(Role::Text), |s, p| s.patch(*p))
    }

    fn push(&mut self, text: &str, style: Style) {
        if self.line.is_empty() && self.quote > 0 {
            self.line.push(Span::styled("│ ".repeat(self.quote), self.theme.style(Role::Muted)));
        }
        self.line.push(Span::styled(sanitize::clean_owned(text), style));
    }

    fn flush(&mut self) {
        if !self.line.is_empty() {
            self.out.push(Line::from(std::mem::take(&mut self.line)));
        }
    }

    /// Ends a block: its line, then one blank line (never two in a row).
    fn end_block(&mut self) {
        self.flush();
        if self.lists.is_empty() && self.out.last().is_some_and(|l| !l.spans.is_empty()) {
            self.out.push(Line::default());
        }
    }

    fn item_marker(&mut self) {
        self.flush();
        let depth = self.lists.len().saturating_sub(1);
        let marker = match self.lists.last_mut() {
            Some(Some(n)) => {
                *n += 1;
                format!("{}. ", *n - 1)
            }
            _ => "• ".to_string(),
        };
        let accent = self.theme.style(Role::Accent);
        self.push(&format!("{}{marker}", "  ".repeat(depth)), accent);
    }

    fn start(&mut self, tag: Tag<'_>) {
        let t = self.theme;
        match tag {
            Tag::Heading { level, .. } => {
                self.flush();
                let mut s = t.style(Role::Title).add_modifier(Modifier::BOLD);
                if level == HeadingLevel::H1 {
                    s = s.add_modifier(Modifier::UNDERLINED);
                }
                self.styles.push(s);
            }
            Tag::Paragraph => {}
            Tag::BlockQuote(_) => {
                self.flush();
                self.quote += 1;
            }
            Tag::CodeBlock(kind) => {
                self.flush();
                self.in_code = true;
                if let CodeBlockKind::Fenced(lang) = kind {
                    if !lang.is_empty() {
                        self.out.push(Line::styled(
                            format!("  ┄ {}", sanitize::clean(&lang)),
                            t.style(Role::Muted),
                        ));
                    }
                }
            }
            Tag::List(start) => {
                self.flush();
                self.lists.push(start);
            }
            Tag::Item => self.item_marker(),
            Tag::Emphasis => self.styles.push(Style::new().add_modifier(Modifier::ITALIC)),
            Tag::Strong => self.styles.push(Style::new().add_modifier(Modifier::BOLD)),
            Tag::Strikethrough => {
                self.styles.push(Style::new().add_modifier(Modifier::CROSSED_OUT))
            }
            Tag::Link { dest_url, .. } => {
                self.links.push(dest_url.to_string());
                self.styles.push(t.style(Role::Accent).add_modifier(Modifier::UNDERLINED));
            }
            Tag::Image { dest_url, .. } => self.links.push(dest_url.to_string()),
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Heading(_) => {
                self.styles.pop();
                self.end_block();
            }
            TagEnd::Paragraph => self.end_block(),
            TagEnd::BlockQuote(_) => {
                self.end_block();
                self.quote = self.quote.saturating_sub(1);
            }
            TagEnd::CodeBlock => {
                self.in_code = false;
                self.end_block();
            }
            TagEnd::List(_) => {
                self.flush();
                self.lists.pop();
                self.end_block();
            }
            TagEnd::Item => self.flush(),
            TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough => {
                self.styles.pop();
            }
            TagEnd::Link | TagEnd::Image => {
                if matches!(tag, TagEnd::Link) {
                    self.styles.pop();
                }
                if let Some(url) = self.links.pop().filter(|u| !u.is_empty()) {
                    let muted = self.theme.style(Role::Muted);
                    self.push(&format!(" ({url})"), muted);
                }
            }
            _ => {}
        }
    }

    fn text(&mut self, text: &str) {
        if self.in_code {
            let code = self.theme.style(Role::Accent);
            for l in text.lines() {
                self.push(&format!("  {l}"), code);
                self.flush();
            }
            return;
        }
        let style = self.style();
        self.push(text, style);
    }
}

/// The lines of `body`; a first heading that only repeats `title` (shown above it) is left out.
pub fn lines(body: &str, title: &str, theme: &Theme) -> Vec<Line<'static>> {
    let mut w = Writer {
        theme,
        out: Vec::new(),
        line: Vec::new(),
        styles: Vec::new(),
        lists: Vec::new(),
        quote: 0,
        in_code: false,
        links: Vec::new(),
    };
    let mut events = Parser::new_ext(body, Options::ENABLE_STRIKETHROUGH).peekable();
    // The title is already on screen: skip a leading heading that says the same.
    if let Some(Event::Start(Tag::Heading { .. })) = events.peek() {
        let mut heading = Vec::new();
        let mut probe = Parser::new_ext(body, Options::ENABLE_STRIKETHROUGH);
        probe.next();
        for e in probe.by_ref() {
            match e {
                Event::Text(t) | Event::Code(t) => heading.push(t.to_string()),
                Event::End(TagEnd::Heading(_)) => break,
                _ => {}
            }
        }
        if heading.concat().trim() == title.trim() {
            for e in events.by_ref() {
                if matches!(e, Event::End(TagEnd::Heading(_))) {
                    break;
                }
            }
        }
    }
    for event in events {
        match event {
            Event::Start(tag) => w.start(tag),
            Event::End(tag) => w.end(tag),
            Event::Text(t) => w.text(&t),
            Event::Code(t) => {
                let code = theme.style(Role::Accent);
                w.push(&t, code);
            }
            Event::SoftBreak => {
                let style = w.style();
                w.push(" ", style);
            }
            Event::HardBreak => w.flush(),
            Event::Rule => {
                w.flush();
                w.out.push(Line::styled("────────", theme.style(Role::Muted)));
            }
            Event::Html(t) | Event::InlineHtml(t) => {
                let muted = theme.style(Role::Muted);
                w.push(&t, muted);
            }
            Event::TaskListMarker(done) => {
                let accent = theme.style(Role::Accent);
                w.push(if done { "[x] " } else { "[ ] " }, accent);
            }
            _ => {}
        }
    }
    w.flush();
    while w.out.last().is_some_and(|l| l.spans.is_empty()) {
        w.out.pop();
    }
    w.out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(lines: &[Line]) -> Vec<String> {
        lines.iter().map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect()).collect()
    }

    #[test]
    fn lists_code_links_and_no_repeated_title() {
        let body =
            "# Idle sessions\n\nCheck first:\n\n1. Look at `pg_stat_activity`.\n2. Find the\n   \
                    holder.\n   - nested *one*\n\n```sql\nSELECT 1;\nSELECT 2;\n```\n\nSee \
                    [the docs](https://example.org/x) and\x1b[2J.\n";
        let lines = lines(body, "Idle sessions", &Theme::default());
        assert_eq!(
            text(&lines),
            [
                "Check first:",
                "",
                "1. Look at pg_stat_activity.",
                "2. Find the holder.",
                "  • nested one",
                "",
                "  ┄ sql",
                "  SELECT 1;",
                "  SELECT 2;",
                "",
                "See the docs (https://example.org/x) and\\x1b[2J.",
            ]
        );
    }

    #[test]
    fn another_first_heading_stays() {
        let lines = lines("# Something else\n\nbody", "Title", &Theme::default());
        assert_eq!(text(&lines), ["Something else", "", "body"]);
    }
}
