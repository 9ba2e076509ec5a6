//! Keeping secrets out of the confirm dialog and the audit log, and showing arguments in a form
//! that can be read unambiguously.

/// What a secret value is replaced with.
pub const REDACTED: &str = "<redacted>";

const SECRET_WORDS: &[&str] =
    &["authorization", "token", "password", "passwd", "secret", "key", "cookie", "credential"];

/// Whether a header or environment variable name looks like it holds a secret
/// (`Authorization`, `X-Api-Key`, `PGPASSWORD`, `GITHUB_TOKEN`, `Cookie`…).
pub fn is_secret_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|w| lower.contains(w))
}

/// The value to show for `name`: [`REDACTED`] when the name looks secret.
pub fn shown_value<'a>(name: &str, value: &'a str) -> &'a str {
    if is_secret_name(name) {
        REDACTED
    } else {
        value
    }
}

/// Hides the password of `user:password@` and the values of secret-looking query parameters.
pub fn redact_url(url: &str) -> String {
    let (before_query, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let mut out = match before_query.split_once("://") {
        Some((scheme, rest)) => {
            let authority_end = rest.find('/').unwrap_or(rest.len());
            let (authority, path) = rest.split_at(authority_end);
            match authority.rsplit_once('@') {
                Some((userinfo, host)) => {
                    let user = userinfo.split(':').next().unwrap_or("");
                    format!("{scheme}://{user}:{REDACTED}@{host}{path}")
                }
                None => before_query.to_string(),
            }
        }
        None => before_query.to_string(),
    };
    if let Some(q) = query {
        out.push('?');
        let parts: Vec<String> = q
            .split('&')
            .map(|kv| match kv.split_once('=') {
                Some((k, _)) if is_secret_name(k) => format!("{k}={REDACTED}"),
                _ => kv.to_string(),
            })
            .collect();
        out.push_str(&parts.join("&"));
    }
    out
}

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
    fn secret_names() {
        for n in ["Authorization", "PGPASSWORD", "X-Api-Key", "GITHUB_TOKEN", "db_secret"] {
            assert!(is_secret_name(n), "{n}");
        }
        for n in ["PGHOST", "Content-Type", "PGUSER"] {
            assert!(!is_secret_name(n), "{n}");
        }
    }

    #[test]
    fn urls_lose_their_secrets() {
        assert_eq!(
            redact_url("https://u:pw@h:1/p?a=1&token=abc"),
            "https://u:<redacted>@h:1/p?a=1&token=<redacted>"
        );
        assert_eq!(redact_url("http://h/x"), "http://h/x");
    }

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
