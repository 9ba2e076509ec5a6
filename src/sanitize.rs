//! Strings from outside (label values, legends, server error text, runbook output) never reach the
//! terminal with control characters in them: every such string goes through [`clean`] first.

use std::borrow::Cow;

/// Replaces every control character (C0, DEL and C1, including ESC and BEL) with a visible escape
/// such as `\x1b`, and tabs/newlines with a single space. Returns the input unchanged (borrowed)
/// when it is already clean, so the common case costs no allocation.
pub fn clean(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\t' | '\n' | '\r' => out.push(' '),
            c if is_unsafe(c) => {
                use std::fmt::Write;
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Like [`clean`] but always returns an owned `String`.
pub fn clean_owned(s: &str) -> String {
    clean(s).into_owned()
}

/// Whether `c` must never reach the terminal: control characters and the invisible
/// direction and zero-width marks that disguise text.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_strings_are_borrowed() {
        assert!(matches!(clean("db-1:9187"), Cow::Borrowed(_)));
    }

    #[test]
    fn escape_sequences_become_visible_text() {
        assert_eq!(clean("a\u{1b}]0;x\u{7}b"), "a\\x1b]0;x\\x07b");
        assert_eq!(clean("\u{1b}[2J"), "\\x1b[2J");
        assert_eq!(clean("line1\nline2\tx"), "line1 line2 x");
        assert_eq!(clean("c1\u{9b}31m"), "c1\\x9b31m");
        assert_eq!(clean("rtl\u{202e}evil"), "rtl\\x202eevil");
    }
}
