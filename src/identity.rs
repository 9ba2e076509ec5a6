//! Who is at the keyboard and where from: for acknowledgements, silences and the audit log.

/// The engineer's user name: `$SUDO_USER` (the person behind sudo), else `$USER`, else `unknown`.
pub fn user() -> String {
    user_from(|k| std::env::var(k).ok())
}

/// [`user`] with an injectable environment, for tests.
pub fn user_from(env: impl Fn(&str) -> Option<String>) -> String {
    ["SUDO_USER", "USER", "LOGNAME"]
        .iter()
        .find_map(|k| env(k).filter(|v| !v.trim().is_empty()))
        .map(|v| crate::sanitize::clean_owned(v.trim()))
        .unwrap_or_else(|| "unknown".into())
}

/// The SSH client address from `$SSH_CONNECTION` (`client_ip client_port server_ip server_port`).
pub fn ssh_client() -> Option<String> {
    ssh_client_from(std::env::var("SSH_CONNECTION").ok().as_deref())
}

/// [`ssh_client`] from a given `$SSH_CONNECTION` value.
pub fn ssh_client_from(conn: Option<&str>) -> Option<String> {
    conn?.split_whitespace().next().map(crate::sanitize::clean_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sudo_user_wins() {
        let env = |k: &str| match k {
            "SUDO_USER" => Some("alice".to_string()),
            "USER" => Some("root".to_string()),
            _ => None,
        };
        assert_eq!(user_from(env), "alice");
        assert_eq!(user_from(|_| None), "unknown");
        assert_eq!(ssh_client_from(Some("10.1.2.3 52311 10.0.0.5 22")), Some("10.1.2.3".into()));
    }
}
