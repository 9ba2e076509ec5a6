//! The environment an action starts with: an allow-list of warroom's own variables (where the
//! programs are, who and where the engineer is, the locale, the SSH agent, PostgreSQL's
//! connection defaults) and never a variable that the config names as holding a credential
//! (`bearer_token_env`, `password_env`). The action's own `env` and `WARROOM_*` variables are
//! added on top by the executor.

use std::ffi::{OsStr, OsString};

/// Variables passed by exact name.
pub const PASSED: &[&str] =
    &["PATH", "HOME", "USER", "LOGNAME", "LANG", "TERM", "TZ", "SSH_AUTH_SOCK"];

/// Variables passed by prefix: the locale (`LC_ALL`, `LC_TIME`…) and libpq's connection
/// defaults (`PGHOST`, `PGPORT`, `PGUSER`, `PGDATABASE`, `PGPASSFILE`, `PGSERVICE`…).
pub const PASSED_PREFIXES: &[&str] = &["LC_", "PG"];

/// The variables of warroom's environment that actions inherit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BaseEnv {
    vars: Vec<(OsString, OsString)>,
}

impl BaseEnv {
    /// The allow-listed part of this process's environment, less the variables named in
    /// `withheld` (the config's `*_env` keys: see `Config::credential_env_names`).
    pub fn from_process(withheld: &[String]) -> Self {
        Self::from_vars(std::env::vars_os(), withheld)
    }

    /// The allow-listed part of `vars`, less the variables named in `withheld`.
    pub fn from_vars<I, K, V>(vars: I, withheld: &[String]) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<OsString>,
        V: Into<OsString>,
    {
        let mut vars: Vec<(OsString, OsString)> = vars
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .filter(|(k, _)| passes(k) && !withheld.iter().any(|w| OsStr::new(w) == k))
            .collect();
        vars.sort();
        vars.dedup_by(|a, b| a.0 == b.0);
        BaseEnv { vars }
    }

    /// Names and values, to hand to the child after `env_clear`.
    pub fn vars(&self) -> impl Iterator<Item = (&OsStr, &OsStr)> {
        self.vars.iter().map(|(k, v)| (k.as_os_str(), v.as_os_str()))
    }

    /// The names only, for the audit log (values are never recorded).
    pub fn names(&self) -> Vec<String> {
        self.vars.iter().map(|(k, _)| k.to_string_lossy().into_owned()).collect()
    }
}

/// Whether a variable of that name may reach an action.
pub fn passes(name: &OsStr) -> bool {
    let Some(name) = name.to_str() else { return false };
    PASSED.contains(&name)
        || PASSED_PREFIXES.iter().any(|p| name.len() > p.len() && name.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_allow_list_passes_and_withheld_names_never() {
        let vars = [
            ("PATH", "/usr/bin"),
            ("HOME", "/home/alice"),
            ("LC_TIME", "C"),
            ("PGHOST", "db-1"),
            ("PGSERVICE", "main"),
            ("PROM_TOKEN", "s3cret"),
            ("PGTOKEN", "also secret"),
            ("AWS_SECRET_ACCESS_KEY", "x"),
            ("LC_", "no name after the prefix"),
            ("PG", "nor here"),
            ("LD_PRELOAD", "/tmp/evil.so"),
        ];
        let env = BaseEnv::from_vars(vars, &["PGTOKEN".to_string(), "PROM_TOKEN".to_string()]);
        assert_eq!(env.names(), ["HOME", "LC_TIME", "PATH", "PGHOST", "PGSERVICE"]);
    }
}
