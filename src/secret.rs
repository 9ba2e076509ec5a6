//! Keeping secrets off the screen, out of logs, the audit log and error messages: a source's
//! credentials (even when a misbehaving server or proxy echoes them back in an error page or a
//! warning), passwords in URLs (whether or not the URL parses), and the values of headers,
//! environment variables and query parameters whose names say they are secret.
//!
//! The one home of redaction: the Prometheus and Alertmanager clients, the config check and the
//! runbooks' confirm dialog and audit log all use it.

use std::fmt;

/// What replaces a secret in any text shown or logged.
pub const REDACTED: &str = "<redacted>";

/// Parts of names that say a value is secret.
const SECRET_WORDS: &[&str] =
    &["auth", "token", "key", "secret", "password", "passwd", "cookie", "session", "credential"];

/// Whether a header, environment variable or query parameter name looks like it holds a secret
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

/// The secret strings of one source or Alertmanager: bearer token, basic-auth password and its
/// encoded header, sensitive header values, the password of the URL. `Debug` shows only how
/// many there are.
#[derive(Clone, Default)]
pub struct Secrets(Vec<String>);

impl Secrets {
    /// Remembers `value` (and nothing shorter than 4 bytes: too likely to match ordinary text).
    pub fn add(&mut self, value: &str) {
        let value = value.trim();
        if value.len() >= 4 && !self.0.iter().any(|s| s == value) {
            self.0.push(value.to_string());
            // Longest first, so a secret that contains another is replaced whole.
            self.0.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
    }

    /// Remembers the value of a header sent to the server when its name says it is secret: the
    /// value, its credential without the scheme (`Bearer x` → `x`), and for `Basic` the decoded
    /// `user:password` and the password alone.
    pub fn add_header(&mut self, name: &str, value: &str) {
        if !is_secret_name(name) {
            return;
        }
        self.add(value);
        let Some((scheme, credential)) = value.trim().split_once(' ') else {
            return;
        };
        self.add(credential);
        if scheme.eq_ignore_ascii_case("basic") {
            if let Some(decoded) = base64_decode(credential.trim()) {
                self.add(&decoded);
                if let Some((_, password)) = decoded.split_once(':') {
                    self.add(password);
                }
            }
        }
    }

    /// Remembers basic-auth credentials: the password, and the `user:password` pair both as
    /// written and as encoded in the `Authorization: Basic` header.
    pub fn add_basic(&mut self, user: &str, password: &str) {
        self.add(password);
        let pair = format!("{user}:{password}");
        self.add(&base64(pair.as_bytes()));
        if !password.is_empty() {
            self.add(&pair);
        }
    }

    /// Remembers the password of `url`'s user info, if any (percent-decoded and as written).
    pub fn add_url(&mut self, url: &str) {
        if let Some(pw) = url_password(url) {
            self.add(&pw);
            self.add(&percent_encoded_form(url).unwrap_or_default());
        }
    }

    /// `text` with every secret replaced by [`REDACTED`], and the passwords of any URLs in it.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.0 {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), REDACTED);
            }
        }
        redact_userinfo(&out)
    }
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secrets({} redacted)", self.0.len())
    }
}

/// Every `scheme://user:password@` in `text` as `scheme://user:<redacted>@`, found by text
/// alone, so a URL that does not parse loses its password too.
pub fn redact_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (before, after) = rest.split_at(i + 3);
        out.push_str(before);
        let end = after
            .find(|c: char| {
                matches!(c, '/' | '?' | '#' | '"' | '\'' | '<' | '>' | '`' | '\\')
                    || c.is_whitespace()
            })
            .unwrap_or(after.len());
        let authority = &after[..end];
        match authority.rsplit_once('@') {
            Some((userinfo, host)) => {
                let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
                out.push_str(&format!("{user}:{REDACTED}@{host}"));
            }
            None => out.push_str(authority),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// `url` without the password of its user info and without the values of secret-looking query
/// parameters: `https://u:pw@h/p?a=1&token=abc` → `https://u:<redacted>@h/p?a=1&token=<redacted>`.
pub fn redact_url(url: &str) -> String {
    let url = redact_userinfo(url);
    let Some((before, rest)) = url.split_once('?') else {
        return url;
    };
    let (query, fragment) = match rest.split_once('#') {
        Some((q, f)) => (q, Some(f)),
        None => (rest, None),
    };
    let parts: Vec<String> = query
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, _)) if is_secret_name(k) => format!("{k}={REDACTED}"),
            _ => kv.to_string(),
        })
        .collect();
    let mut out = format!("{before}?{}", parts.join("&"));
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

/// The password of a URL's user info, if any, percent-decoded. Found by text when the URL does
/// not parse.
pub fn url_password(url: &str) -> Option<String> {
    match url::Url::parse(url) {
        Ok(parsed) => parsed.password().map(percent_decode),
        Err(_) => {
            let raw = percent_encoded_form(url)?;
            Some(percent_decode(&raw))
        }
    }
}

/// The password of `url`'s user info as written, found by text.
fn percent_encoded_form(url: &str) -> Option<String> {
    let (_, rest) = url.split_once("://")?;
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let (userinfo, _) = authority.rsplit_once('@')?;
    let (_, password) = userinfo.split_once(':')?;
    (!password.is_empty()).then(|| password.to_string())
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (RFC 4648), as `Authorization: Basic` carries credentials.
pub fn base64(input: &[u8]) -> String {
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(BASE64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The text that standard base64 `input` encodes, if it is base64 of UTF-8.
fn base64_decode(input: &str) -> Option<String> {
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in input.trim_end_matches('=').bytes() {
        let v = BASE64.iter().position(|&b| b == c)? as u32;
        bits = (bits << 6) | v;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubs_every_secret_longest_first() {
        let mut s = Secrets::default();
        s.add("abc"); // too short to be told from ordinary text
        s.add("s3cr3t");
        s.add("s3cr3t-token");
        let text = "echo: Authorization: Bearer s3cr3t-token; also s3cr3t; abc";
        assert_eq!(
            s.scrub(text),
            format!("echo: Authorization: Bearer {REDACTED}; also {REDACTED}; abc")
        );
        assert!(!format!("{s:?}").contains("s3cr3t"));
    }

    #[test]
    fn header_values_in_every_form() {
        let mut s = Secrets::default();
        s.add_header("X-Scope-OrgID", "tenant-a");
        s.add_header("X-Api-Key", "key-123456");
        s.add_header("Authorization", "Basic b3BzOmh1bnRlcjI=");
        s.add_header("Proxy-Authorization", "Bearer tok-abcdef");
        let text = "tenant-a key-123456 b3BzOmh1bnRlcjI= ops:hunter2 hunter2 tok-abcdef";
        assert_eq!(
            s.scrub(text),
            format!("tenant-a {REDACTED} {REDACTED} {REDACTED} {REDACTED} {REDACTED}")
        );

        let mut basic = Secrets::default();
        basic.add_basic("ops", "hunter2");
        assert_eq!(
            basic.scrub("b3BzOmh1bnRlcjI= ops:hunter2 hunter2"),
            format!("{REDACTED} {REDACTED} {REDACTED}")
        );
    }

    #[test]
    fn urls_lose_their_passwords() {
        assert_eq!(
            redact_url("http://ops:pw@prom:9090/x"),
            format!("http://ops:{REDACTED}@prom:9090/x")
        );
        assert_eq!(redact_url("http://prom:9090/a@b"), "http://prom:9090/a@b");
        assert_eq!(url_password("http://ops:p%40ss@prom:9090").as_deref(), Some("p@ss"));
        assert_eq!(url_password("http://prom:9090"), None);
    }

    #[test]
    fn urls_that_do_not_parse_lose_their_passwords_too() {
        let bad = "http://ops:pa%zzss@prom:99999/";
        assert!(url::Url::parse(bad).is_err());
        assert_eq!(redact_url(bad), format!("http://ops:{REDACTED}@prom:99999/"));
        assert_eq!(url_password(bad).as_deref(), Some("pa%zzss"));
        let text = format!("url {bad:?} is not a URL; nor is 'ftp://u:p@x y'");
        assert_eq!(
            redact_userinfo(&text),
            format!("url \"http://ops:{REDACTED}@prom:99999/\" is not a URL; nor is 'ftp://u:{REDACTED}@x y'")
        );
        let mut s = Secrets::default();
        s.add_url(bad);
        assert!(!s.scrub("echo pa%zzss").contains("zz"));
    }

    #[test]
    fn urls_lose_their_secret_query_parameters() {
        assert_eq!(
            redact_url("https://u:pw@h:1/p?a=1&token=abc"),
            "https://u:<redacted>@h:1/p?a=1&token=<redacted>"
        );
        assert_eq!(redact_url("http://h/x?api_key=1#top"), "http://h/x?api_key=<redacted>#top");
        assert_eq!(redact_url("http://h/x"), "http://h/x");
    }

    #[test]
    fn secret_names() {
        for n in ["Authorization", "PGPASSWORD", "X-Api-Key", "GITHUB_TOKEN", "db_secret", "Cookie"]
        {
            assert!(is_secret_name(n), "{n}");
        }
        for n in ["PGHOST", "Content-Type", "PGUSER", "X-Scope-OrgID"] {
            assert!(!is_secret_name(n), "{n}");
        }
        assert_eq!(shown_value("PGPASSWORD", "pw"), REDACTED);
        assert_eq!(shown_value("PGHOST", "db-1"), "db-1");
    }

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"user:pass"), "dXNlcjpwYXNz");
        for text in ["", "f", "fo", "foo", "user:pass"] {
            assert_eq!(base64_decode(&base64(text.as_bytes())).as_deref(), Some(text));
        }
    }
}
