//! OSC 52: the escape sequence that asks the terminal — the engineer's own, at the far end of
//! the SSH session — to put text on its clipboard. Works through tmux with `set-clipboard on`.

/// The longest text copied; more is cut (terminals cap OSC 52 payloads too).
pub const COPY_MAX: usize = 8 * 1024;

/// `ESC ] 52 ; c ; <base64> BEL` for `text`, cut at [`COPY_MAX`] bytes on a character boundary.
pub fn osc52(text: &str) -> Vec<u8> {
    let mut cut = text.len().min(COPY_MAX);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let payload = crate::secret::base64(&text.as_bytes()[..cut]);
    format!("\x1b]52;c;{payload}\x07").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_goes_base64_into_one_sequence() {
        assert_eq!(osc52("sum(up)"), b"\x1b]52;c;c3VtKHVwKQ==\x07");
        let long = "é".repeat(COPY_MAX);
        let seq = osc52(&long);
        assert!(seq.len() < COPY_MAX * 4 / 3 + 16, "{}", seq.len());
    }
}
