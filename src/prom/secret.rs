//! Keeping a source's credentials off the screen, out of logs and out of error messages, even
//! when a misbehaving server or proxy echoes them back in an error page or a warning.

use std::fmt;

/// What replaces a secret in any text shown or logged.
pub const REDACTED: &str = "‹redacted›";

/// The secret strings of one source: bearer token, basic-auth password, sensitive header values.
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

    /// `text` with every secret replaced by [`REDACTED`].
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.0 {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), REDACTED);
            }
        }
        out
    }
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secrets({} redacted)", self.0.len())
    }
}

/// Whether a header of this name carries credentials (`Authorization`, `X-API-Key`, …).
pub fn sensitive_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["auth", "token", "key", "secret", "password", "cookie", "session"]
        .iter()
        .any(|w| n.contains(w))
}

/// `url` without the password of its user info (`http://ops:pw@host` → `http://ops:‹redacted›@host`).
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            format!("{scheme}://{user}:{REDACTED}@{host}{path}")
        }
        None => url.to_string(),
    }
}

/// The password of a URL's user info, if any.
pub fn url_password(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    parsed.password().map(percent_decode)
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
    fn sensitive_header_names() {
        assert!(sensitive_header("Authorization"));
        assert!(sensitive_header("X-API-Key"));
        assert!(!sensitive_header("X-Scope-OrgID"));
    }
}
