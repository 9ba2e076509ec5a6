//! Every shipped theme loads and stays readable at every colour depth; every broken file in
//! `tests/invalid_themes/` produces the messages written at its end (`# expect: …`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

use std::fs;
use std::path::{Path, PathBuf};

use ratatui::style::{Color, Modifier, Style};
use warroom::theme::{
    check_themes, is_ansi16, ColorDepth, Role, Theme, ThemeLoader, BUILTIN_THEMES,
};

const DEPTHS: [ColorDepth; 4] =
    [ColorDepth::TrueColor, ColorDepth::Ansi256, ColorDepth::Ansi16, ColorDepth::None];

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .expect("theme directory is readable")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

fn stem(p: &Path) -> String {
    p.file_stem().expect("file has a name").to_string_lossy().into_owned()
}

fn all_styles(t: &Theme) -> Vec<Style> {
    let mut v: Vec<Style> = Role::ALL.iter().map(|r| t.style(*r)).collect();
    v.extend((0..t.series_len()).map(|i| t.series(i)));
    v
}

#[test]
fn every_shipped_theme_file_checks_clean() {
    let problems = check_themes(&repo("themes"));
    assert!(
        problems.is_empty(),
        "{}",
        problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn every_shipped_file_is_compiled_in_and_identical() {
    let files = toml_files(&repo("themes"));
    assert_eq!(files.len(), BUILTIN_THEMES.len());
    for file in files {
        let name = stem(&file);
        let text = fs::read_to_string(&file).unwrap();
        assert_eq!(warroom::theme::builtin_text(&name), Some(text.as_str()), "{name}");
        let from_disk = ThemeLoader::new([repo("themes")]).load(&name).unwrap();
        let built_in = ThemeLoader::builtin_only().load(&name).unwrap();
        assert_eq!(from_disk, built_in, "{name}");
        assert_eq!(built_in.name(), name);
    }
}

#[test]
fn default_is_the_built_in_dark_theme() {
    let dark = ThemeLoader::builtin_only().load("dark").unwrap();
    assert_eq!(Theme::default(), dark);
    assert_eq!(
        dark.style(Role::Critical),
        Style::new().fg(Color::Rgb(0xff, 0x55, 0x55)).add_modifier(Modifier::BOLD)
    );
    assert_eq!(dark.series_len(), 8);
    assert_eq!(dark.series(8), dark.series(0));
}

#[test]
fn sixteen_colour_theme_uses_only_ansi_colours() {
    let t = ThemeLoader::builtin_only().load("16color").unwrap();
    for s in all_styles(&t) {
        for c in [s.fg, s.bg].into_iter().flatten() {
            assert!(is_ansi16(c), "{c:?} in {s:?}");
        }
    }
    assert_eq!(t.downgrade(ColorDepth::Ansi16), t);
}

#[test]
fn severity_reads_in_every_theme_at_every_depth() {
    for (name, _) in BUILTIN_THEMES {
        let theme = ThemeLoader::builtin_only().load(name).unwrap();
        for depth in DEPTHS {
            let t = theme.downgrade(depth);
            let s = |r| t.style(r);
            let ctx = format!("{name} at {depth}");
            for (a, b) in [
                (Role::Critical, Role::Ok),
                (Role::Critical, Role::Warning),
                (Role::Stale, Role::Text),
                (Role::Warning, Role::Ok),
                (Role::Critical, Role::Text),
                (Role::NoData, Role::Ok),
                (Role::QueryError, Role::Ok),
                (Role::Selection, Role::Text),
                (Role::EnvProd, Role::Text),
                (Role::BorderFocus, Role::Border),
            ] {
                assert_ne!(s(a), s(b), "{ctx}: {a:?} looks like {b:?}");
            }
        }
    }
}

#[test]
fn downgrading_leaves_only_colours_the_depth_can_show() {
    for (name, _) in BUILTIN_THEMES {
        let theme = ThemeLoader::builtin_only().load(name).unwrap();
        for s in all_styles(&theme.downgrade(ColorDepth::Ansi256)) {
            assert!(!matches!(s.fg, Some(Color::Rgb(..))), "{name}: {s:?}");
            assert!(!matches!(s.bg, Some(Color::Rgb(..))), "{name}: {s:?}");
        }
        for s in all_styles(&theme.downgrade(ColorDepth::Ansi16)) {
            assert!(s.fg.is_none_or(is_ansi16) && s.bg.is_none_or(is_ansi16), "{name}: {s:?}");
        }
        let mono = theme.downgrade(ColorDepth::None);
        for s in all_styles(&mono) {
            assert_eq!((s.fg, s.bg), (None, None), "{name}: {s:?}");
        }
        assert!(mono.style(Role::Critical).add_modifier.contains(Modifier::BOLD));
        assert!(mono.style(Role::Selection).add_modifier.contains(Modifier::REVERSED));
    }
}

#[test]
fn a_user_file_named_after_a_shipped_theme_patches_it() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("dark.toml"), "parent = \"dark\"\n[roles]\ncritical = \"#ff0000\"\n")
        .unwrap();
    let loader = ThemeLoader::new([dir.path()]);
    let patched = loader.load("dark").unwrap();
    let shipped = ThemeLoader::builtin_only().load("dark").unwrap();
    assert_eq!(patched.style(Role::Critical), Style::new().fg(Color::Rgb(255, 0, 0)));
    assert_eq!(patched.style(Role::Ok), shipped.style(Role::Ok));
    // Other shipped themes without a parent build on the patched default... only when they
    // have none: light sets every role itself, so it is unchanged.
    assert_eq!(loader.load("light").unwrap(), ThemeLoader::builtin_only().load("light").unwrap());
    assert!(check_themes(dir.path()).is_empty());
}

#[test]
fn a_user_file_without_parent_builds_on_the_default() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("mine.toml"), "[roles]\nok = \"lightgreen\"\n").unwrap();
    fs::write(dir.path().join("kid.toml"), "parent = \"mine\"\n[roles]\ninfo = 33\n").unwrap();
    let loader = ThemeLoader::new([dir.path()]);
    let kid = loader.load("kid").unwrap();
    let dark = Theme::default();
    assert_eq!(kid.name(), "kid");
    assert_eq!(kid.style(Role::Ok), Style::new().fg(Color::LightGreen));
    assert_eq!(kid.style(Role::Info), Style::new().fg(Color::Indexed(33)));
    assert_eq!(kid.style(Role::Critical), dark.style(Role::Critical));
    assert_eq!(loader.names(), ["16color", "dark", "high-contrast", "kid", "light", "mine"]);
}

#[test]
fn an_unknown_or_odd_theme_name_is_explained() {
    let loader = ThemeLoader::builtin_only();
    let err = loader.load("ligth").unwrap_err().to_string();
    assert_eq!(err, "theme \"ligth\" not found — did you mean \"light\"?");
    let err = loader.load("solarized").unwrap_err().to_string();
    assert_eq!(
        err,
        "theme \"solarized\" not found — available themes: 16color, dark, high-contrast, light"
    );
    let err = loader.load("../themes/light.toml").unwrap_err().to_string();
    assert_eq!(
        err,
        "theme name \"../themes/light.toml\" is not a plain name — give the name only, \
         without directory or .toml: \"light\""
    );
}

#[test]
fn user_theme_dir_follows_xdg() {
    let env = |vars: &'static [(&'static str, &'static str)]| {
        move |k: &str| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    };
    assert_eq!(
        warroom::theme::user_theme_dir(env(&[("XDG_CONFIG_HOME", "/x"), ("HOME", "/h")])),
        Some(PathBuf::from("/x/warroom/themes"))
    );
    assert_eq!(
        warroom::theme::user_theme_dir(env(&[("XDG_CONFIG_HOME", ""), ("HOME", "/h")])),
        Some(PathBuf::from("/h/.config/warroom/themes"))
    );
    assert_eq!(warroom::theme::user_theme_dir(env(&[])), None);
}

#[test]
fn config_search_order() {
    let env = |k: &str| (k == "HOME").then(|| "/home/oncall".to_string());
    let loader = ThemeLoader::for_config(
        Some(Path::new("my-themes")),
        Some(Path::new("/etc/warroom/config.toml")),
        env,
    );
    assert_eq!(
        loader.dirs(),
        [
            PathBuf::from("/etc/warroom/my-themes"),
            PathBuf::from("/etc/warroom/themes"),
            PathBuf::from("/home/oncall/.config/warroom/themes"),
        ]
    );
    let builtin_config = ThemeLoader::for_config(None, None, |_| None);
    assert!(builtin_config.dirs().is_empty());
}

#[test]
fn invalid_themes_give_the_expected_messages() {
    let dir = repo("tests/invalid_themes");
    let prefix = format!("{}/", dir.display());
    let loader = ThemeLoader::new([&dir]);
    let files = toml_files(&dir);
    assert!(files.len() >= 15);
    for file in files {
        let expected: Vec<String> = fs::read_to_string(&file)
            .unwrap()
            .lines()
            .filter_map(|l| l.strip_prefix("# expect: "))
            .map(str::to_string)
            .collect();
        assert!(!expected.is_empty(), "{} has no `# expect:` lines", file.display());
        let got: Vec<String> = match loader.load(&stem(&file)) {
            Ok(_) => Vec::new(),
            Err(e) => e.problems.iter().map(|p| p.to_string().replace(&prefix, "")).collect(),
        };
        assert_eq!(got, expected, "{}", file.display());
    }
}

#[test]
fn check_reports_each_problem_once() {
    let problems = check_themes(&repo("tests/invalid_themes"));
    let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
    let mut unique = shown.clone();
    unique.dedup();
    assert_eq!(shown, unique);
    // Both files of the cycle are reported, each at its own parent line.
    assert_eq!(shown.iter().filter(|s| s.contains("form a cycle")).count(), 2);
    assert!(problems.iter().all(|p| p.file.is_some() && p.line.is_some()));
    assert!(check_themes(&repo("tests/no-such-dir")).is_empty());
}

/// The background each shipped theme is made for (themes name roles, not the terminal's own
/// colours): light for `light`, a dark terminal for the rest.
fn background(theme: &str) -> (u8, u8, u8) {
    match theme {
        "light" => (255, 255, 255),
        "dark" => (0x1e, 0x1e, 0x1e),
        _ => (0, 0, 0),
    }
}

/// Roles drawn as text on the terminal's background (borders and chart lines are not text).
const TEXT_ROLES: [Role; 15] = [
    Role::Text,
    Role::Muted,
    Role::Accent,
    Role::Title,
    Role::Critical,
    Role::Warning,
    Role::Ok,
    Role::Info,
    Role::NoData,
    Role::Stale,
    Role::QueryError,
    Role::Acked,
    Role::ChartGrid,
    Role::Threshold,
    Role::Marker,
];

/// Roles the header draws as text on its bar.
const HEADER_ROLES: [Role; 5] =
    [Role::HeaderBg, Role::Warning, Role::Critical, Role::Ok, Role::Muted];

#[test]
fn every_theme_meets_wcag_contrast_for_every_pair_a_widget_draws() {
    use warroom::theme::contrast::{ratio, rgb, MIN_TEXT_CONTRAST};
    let mut failures = Vec::new();
    for (name, _) in BUILTIN_THEMES {
        let theme = ThemeLoader::builtin_only().load(name).unwrap();
        let bg = background(name);
        let mut check = |what: String, style: Style, under: (u8, u8, u8)| {
            // A role without a foreground is drawn in the terminal's own text colour.
            let Some(fg) = style.fg.and_then(rgb) else { return };
            let under = style.bg.and_then(rgb).unwrap_or(under);
            let r = ratio(fg, under);
            if r < MIN_TEXT_CONTRAST {
                failures.push(format!("{name}: {what}: {r:.2}:1"));
            }
        };
        for role in TEXT_ROLES {
            check(format!("{role:?} on the background"), theme.style(role), bg);
        }
        // The selection bar: its own colours over every span of the selected row.
        check("Selection".into(), theme.style(Role::Selection), bg);
        let bar = theme.style(Role::HeaderBg).bg.and_then(rgb).unwrap_or(bg);
        for role in HEADER_ROLES {
            check(format!("{role:?} on the header bar"), theme.style(role), bar);
        }
        for role in [Role::EnvProd, Role::EnvStaging, Role::EnvOther] {
            check(format!("{role:?} badge"), theme.style(role), bg);
        }
    }
    assert!(failures.is_empty(), "below {} :1:\n{}", 4.5, failures.join("\n"));
}
