//! "Did you mean …?" for names users type in config, theme and runbook files.

/// Returns the candidate closest to `input` by edit distance, if it is close enough to be a
/// plausible typo (at most a third of the input's length, and never more than 3 edits).
/// Comparison ignores ASCII case and treats `-` and `_` as the same character.
pub fn did_you_mean<'a, I>(input: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let input = normalize(input);
    let limit = (input.len() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .map(|c| (edit_distance(&input, &normalize(c)), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn normalize(s: &str) -> Vec<char> {
    s.chars()
        .map(|c| {
            if c == '-' {
                '_'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

/// Optimal string alignment distance: insertions, deletions, substitutions and transpositions of
/// adjacent characters each cost 1 (so "critcal" and "crtiical" are both one or two edits away).
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[n][m]
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLES: [&str; 4] = ["critical", "warning", "border_focus", "ok"];

    #[test]
    fn suggests_close_names() {
        assert_eq!(did_you_mean("critcal", ROLES), Some("critical"));
        assert_eq!(did_you_mean("warnign", ROLES), Some("warning"));
        assert_eq!(did_you_mean("border-focus", ROLES), Some("border_focus"));
        assert_eq!(did_you_mean("Critical", ROLES), Some("critical"));
    }

    #[test]
    fn stays_quiet_when_nothing_is_close() {
        assert_eq!(did_you_mean("background", ROLES), None);
        assert_eq!(did_you_mean("x", ROLES), None);
    }
}
