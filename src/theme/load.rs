//! Finding theme files and resolving their parent chains.
//!
//! A theme is looked up by name in each theme directory in turn (`NAME.toml`), then among the
//! themes compiled into the binary. Its `parent` is resolved the same way, so a user theme can
//! build on a shipped one; a file whose parent has its own name (`dark.toml` saying
//! `parent = "dark"`) builds on the next `dark` down the search order, which is how a user
//! patches a shipped theme. A file with no `parent` builds on the default theme (`dark`); the
//! shipped `dark` itself builds on [`Theme::mono`].

use std::borrow::Cow;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use super::builtin::{builtin_text, BUILTIN_THEMES, DEFAULT_THEME};
use super::parse::parse_theme;
use super::problem::{ThemeError, ThemeProblem};
use super::styles::Theme;
use crate::diag::suggest;

/// Finds and loads themes by name. Cheap to build; reads files only in [`ThemeLoader::load`].
#[derive(Clone, Debug, Default)]
pub struct ThemeLoader {
    dirs: Vec<PathBuf>,
}

/// A theme file found for a name: where it sits in the search order and what it says.
struct Found {
    layer: usize,
    file: PathBuf,
    text: Cow<'static, str>,
}

impl ThemeLoader {
    /// A loader that knows only the themes compiled into the binary.
    pub fn builtin_only() -> Self {
        ThemeLoader::default()
    }

    /// A loader searching `dirs` in order (first match wins), then the built-in themes.
    /// Directories that do not exist are skipped silently.
    pub fn new<I, P>(dirs: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: Into<PathBuf>,
    {
        let mut out: Vec<PathBuf> = Vec::new();
        for d in dirs {
            let d = d.into();
            if !out.contains(&d) {
                out.push(d);
            }
        }
        ThemeLoader { dirs: out }
    }

    /// The usual search order: `themes/` beside the config file, then the user's theme
    /// directory (see [`user_theme_dir`]), then the built-ins.
    pub fn standard<F>(config_dir: Option<&Path>, env: F) -> Self
    where
        F: Fn(&str) -> Option<String>,
    {
        let beside_config = config_dir.map(|d| d.join("themes"));
        ThemeLoader::new(beside_config.into_iter().chain(user_theme_dir(env)))
    }

    /// The search order for a config file: the config's own `themes_dir` (relative to the
    /// config file's folder), `themes/` beside the config file, the user's theme directory,
    /// then the built-ins. `config_file` is `None` for the built-in default config.
    pub fn for_config<F>(themes_dir: Option<&Path>, config_file: Option<&Path>, env: F) -> Self
    where
        F: Fn(&str) -> Option<String>,
    {
        // `config.toml` given without a folder lives in the current directory.
        let config_dir = config_file.and_then(Path::parent).map(|d| {
            if d.as_os_str().is_empty() {
                Path::new(".")
            } else {
                d
            }
        });
        let explicit = themes_dir.map(|d| match config_dir {
            Some(base) if d.is_relative() => base.join(d),
            _ => d.to_path_buf(),
        });
        let standard = ThemeLoader::standard(config_dir, env);
        ThemeLoader::new(explicit.into_iter().chain(standard.dirs))
    }

    /// The directories searched before the built-ins, in order.
    pub fn dirs(&self) -> &[PathBuf] {
        &self.dirs
    }

    /// Loads a theme and its parents. The error lists every problem with file, line and fix.
    pub fn load(&self, name: &str) -> Result<Theme, ThemeError> {
        self.resolve(name, 0, &mut Vec::new(), None)
    }

    /// Every theme name available: files in the theme directories and the built-ins, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = BUILTIN_THEMES.iter().map(|(n, _)| n.to_string()).collect();
        for dir in &self.dirs {
            names.extend(toml_stems(dir).into_iter().filter(|n| valid_name(n)));
        }
        names.sort();
        names.dedup();
        names
    }

    fn builtin_layer(&self) -> usize {
        self.dirs.len()
    }

    fn resolve(
        &self,
        name: &str,
        from: usize,
        chain: &mut Vec<(String, usize)>,
        at: Option<&ThemeProblem>,
    ) -> Result<Theme, ThemeError> {
        let located = |message: String, fix: String| {
            let mut p = at.cloned().unwrap_or_else(|| ThemeProblem::new(""));
            p.message = message;
            p.fix = Some(fix);
            p
        };
        if !valid_name(name) {
            let plain =
                Path::new(name).file_stem().map_or(Cow::Borrowed(name), |s| s.to_string_lossy());
            return Err(located(
                format!("theme name {name:?} is not a plain name"),
                format!("give the name only, without directory or .toml: \"{plain}\""),
            )
            .into());
        }
        let Some(found) = self.find(name, from)? else {
            let fix = if from > 0 && chain.iter().any(|(n, _)| n == name) {
                "a theme whose parent has its own name builds on the next theme of that name \
                 (shipped, or in a later theme directory), and there is none"
                    .to_string()
            } else {
                let names = self.names();
                match suggest(name, names.iter().map(String::as_str)) {
                    Some(s) => format!("did you mean \"{s}\"?"),
                    None => format!("available themes: {}", names.join(", ")),
                }
            };
            return Err(located(format!("theme \"{name}\" not found"), fix).into());
        };
        if chain.iter().any(|(n, l)| n == name && *l == found.layer) {
            let mut path: Vec<&str> = chain.iter().map(|(n, _)| n.as_str()).collect();
            path.push(name);
            return Err(located(
                format!("themes form a cycle: {}", path.join(" → ")),
                format!(
                    "break the cycle by changing a `parent` line (a theme without one builds \
                     on \"{DEFAULT_THEME}\")"
                ),
            )
            .into());
        }
        chain.push((name.to_string(), found.layer));
        let spec = parse_theme(&found.text, Some(&found.file))
            .map_err(|problems| ThemeError { problems })?;
        let base = match &spec.parent {
            Some((parent, span)) => {
                let from = if parent == name { found.layer + 1 } else { 0 };
                let here =
                    ThemeProblem::new("").in_file(Some(&found.file)).at(&found.text, span.clone());
                self.resolve(parent, from, chain, Some(&here))?
            }
            None if name == DEFAULT_THEME && found.layer == self.builtin_layer() => Theme::mono(),
            None => {
                let from = if name == DEFAULT_THEME { found.layer + 1 } else { 0 };
                self.resolve(DEFAULT_THEME, from, chain, None)?
            }
        };
        Ok(base.apply(name, &spec))
    }

    /// The first `NAME.toml` at or after search position `from`.
    fn find(&self, name: &str, from: usize) -> Result<Option<Found>, ThemeProblem> {
        for (layer, dir) in self.dirs.iter().enumerate().skip(from) {
            let file = dir.join(format!("{name}.toml"));
            match fs::read_to_string(&file) {
                Ok(text) => return Ok(Some(Found { layer, file, text: Cow::Owned(text) })),
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(ThemeProblem::new(format!("cannot read theme file: {e}"))
                        .in_file(Some(&file))
                        .with_fix("check the file's permissions and that it is UTF-8 text"))
                }
            }
        }
        let layer = self.builtin_layer();
        if from > layer {
            return Ok(None);
        }
        Ok(builtin_text(name).map(|text| Found {
            layer,
            file: Path::new("<built-in>").join(format!("{name}.toml")),
            text: Cow::Borrowed(text),
        }))
    }
}

/// The user's theme directory: `$XDG_CONFIG_HOME/warroom/themes`, else
/// `$HOME/.config/warroom/themes`. `env` looks up environment variables.
pub fn user_theme_dir<F>(env: F) -> Option<PathBuf>
where
    F: Fn(&str) -> Option<String>,
{
    let nonempty = |k: &str| env(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    let base = nonempty("XDG_CONFIG_HOME")
        .filter(|p| p.is_absolute())
        .or_else(|| nonempty("HOME").map(|h| h.join(".config")))?;
    Some(base.join("warroom").join("themes"))
}

/// Checks every `*.toml` in `dir` as `warroom check` does: each file must parse and its parent
/// chain must resolve (against `dir`, then the built-ins). Returns every problem, each once,
/// in file order. A directory that does not exist has no problems.
pub fn check_themes(dir: &Path) -> Vec<ThemeProblem> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == ErrorKind::NotFound => return Vec::new(),
        Err(e) => {
            return vec![ThemeProblem::new(format!("cannot read theme directory: {e}"))
                .in_file(Some(dir))
                .with_fix("check that it is a readable directory")]
        }
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let loader = ThemeLoader::new([dir]);
    let mut problems: Vec<ThemeProblem> = Vec::new();
    for file in files {
        let name = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let found = if valid_name(&name) {
            loader.load(&name).err().map(|e| e.problems).unwrap_or_default()
        } else {
            vec![ThemeProblem::new(format!("{name:?} cannot be used as a theme name"))
                .in_file(Some(&file))
                .with_fix("rename the file using letters, digits, '-' and '_' only")]
        };
        for p in found {
            if !problems.contains(&p) {
                problems.push(p);
            }
        }
    }
    problems
}

/// Theme names are file stems: letters, digits, `-`, `_` and `.`, not starting with `.`.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && !name.ends_with(".toml")
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn toml_stems(dir: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect()
}
