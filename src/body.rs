//! Reading an HTTP response body with a limit: the one place where warroom reads a body, so no
//! server can make it hold more than it asked for.
//!
//! The body is read as a stream with a running count of the bytes as decoded (after gzip), and
//! reading stops at the limit: a 10 GiB gzip bomb costs the limit, never 10 GiB.

/// What was read of a body.
#[derive(Debug)]
pub struct Body {
    /// At most `limit` bytes, decoded.
    pub bytes: Vec<u8>,
    /// The body goes on past the limit (the rest was not read).
    pub longer: bool,
    /// The connection broke before the end; `bytes` holds what came before.
    pub error: Option<reqwest::Error>,
}

/// Reads at most `limit` bytes of `response`'s body. The response is consumed: when the body is
/// longer, the connection is dropped rather than drained.
pub async fn read(mut response: reqwest::Response, limit: usize) -> Body {
    let mut body = Body { bytes: Vec::new(), longer: false, error: None };
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = limit - body.bytes.len();
                let take = chunk.len().min(room);
                grow(&mut body.bytes, take, limit);
                body.bytes.extend_from_slice(&chunk[..take]);
                if take < chunk.len() {
                    body.longer = true;
                    return body;
                }
            }
            Ok(None) => return body,
            Err(e) => {
                body.error = Some(e);
                return body;
            }
        }
    }
}

/// Makes room for `more` bytes, doubling as a `Vec` does but never past `limit`, so a body at
/// the limit costs the limit and not twice as much.
fn grow(bytes: &mut Vec<u8>, more: usize, limit: usize) {
    let needed = bytes.len() + more;
    if needed > bytes.capacity() {
        let target = (bytes.capacity() * 2).max(needed).min(limit).max(needed);
        bytes.reserve_exact(target - bytes.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_stops_at_the_limit() {
        let mut v = Vec::new();
        let limit = 100_000;
        for _ in 0..20 {
            let take = 8_192.min(limit - v.len());
            grow(&mut v, take, limit);
            v.extend(std::iter::repeat_n(0u8, take));
        }
        assert_eq!(v.len(), limit);
        assert!(v.capacity() <= limit, "{}", v.capacity());
    }
}
