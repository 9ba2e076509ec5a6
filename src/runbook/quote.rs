//! Showing arguments in a form that can be read unambiguously, and placing values in URLs.
//! (Secrets are kept out of the confirm dialog and the audit log by [`crate::secret`].)

/// Quotes one argument for display the way a POSIX shell would read it back: bare when it holds
/// only safe characters, in single quotes otherwise, and as `$'…'` with escapes when it holds
/// control characters, so a newline or an escape sequence in a label is visible, never acted on.
pub fn shell_quote(arg: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c);
    if !arg.is_empty() && arg.chars().all(safe) {
        return arg.to_string();
    }
    if !arg.chars().any(|c| c.is_control() || is_invisible(c)) {
        return format!("'{}'", arg.replace('\'', r"'\''"));
    }
    let mut out = String::from("$'");
    for c in arg.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x100 && (c.is_control()) => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() || is_invisible(c) => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Percent-encodes everything but RFC 3986 unreserved characters, for a value placed in a URL.
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("pg-1:5432"), "pg-1:5432");
        assert_eq!(shell_quote(";touch /tmp/x"), "';touch /tmp/x'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("a\nb\u{1b}"), r"$'a\nb\x1b'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn encoding() {
        assert_eq!(percent_encode("a b/c?d&e"), "a%20b%2Fc%3Fd%26e");
    }
}
