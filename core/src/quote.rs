//! Percent-quoting of key components, identical to Python's
//! `urllib.parse.quote(s, safe="/")` and plateau's `unquote` (reference §2.4).
//!
//! [`quote`] keeps `A-Z a-z 0-9 - . _ ~ /` and writes every other UTF-8 byte as `%XX` with
//! uppercase hex. [`quote_component`] is the same but also escapes `/`: plateau writes a `/`
//! inside a partition value unescaped, which adds a directory level and corrupts the value on
//! read; `%2F` is read back correctly by Python plateau, so we write that instead.
//! [`unquote`] decodes `%XX` with hex digits of either case, leaves malformed escapes
//! (`%zz`, `%4`) as they are, does not turn `+` into a space, and fails on invalid UTF-8.

use std::borrow::Cow;

use crate::error::{Error, Result};

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn quote_with(bytes: &[u8], keep_slash: bool) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if is_unreserved(b) || (keep_slash && b == b'/') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}

/// `urllib.parse.quote(s, safe="/")`: `/` stays as it is.
pub fn quote(s: &str) -> String {
    quote_with(s.as_bytes(), true)
}

/// [`quote`] for raw bytes (binary partition values).
pub fn quote_bytes(bytes: &[u8]) -> String {
    quote_with(bytes, true)
}

/// Quoting of one `column=value` component of a partition label: like [`quote`], but `/` is
/// escaped as `%2F` so a value can never add a directory level.
pub fn quote_component(s: &str) -> String {
    quote_with(s.as_bytes(), false)
}

/// [`quote_component`] for raw bytes.
pub fn quote_component_bytes(bytes: &[u8]) -> String {
    quote_with(bytes, false)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes `%XX` escapes to bytes; malformed escapes are kept literally. A text without
/// `%` is borrowed: most labels hold no escape, and a metadata load decodes every one.
pub fn unquote_bytes(s: &str) -> Cow<'_, [u8]> {
    let bytes = s.as_bytes();
    if !bytes.contains(&b'%') {
        return Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(hi), Some(lo)) = (hex_value(bytes[i + 1]), hex_value(bytes[i + 2])) {
                out.push(hi << 4 | lo);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    Cow::Owned(out)
}

/// Decodes `%XX` escapes and requires the result to be UTF-8.
pub fn unquote(s: &str) -> Result<String> {
    unquote_str(s).map(Cow::into_owned)
}

/// [`unquote`], borrowing `s` when it holds no escape.
pub fn unquote_str(s: &str) -> Result<Cow<'_, str>> {
    match unquote_bytes(s) {
        Cow::Borrowed(_) => Ok(Cow::Borrowed(s)),
        Cow::Owned(bytes) => String::from_utf8(bytes).map(Cow::Owned).map_err(|e| {
            Error::invalid_input(format!(
                "`{s}` does not decode to UTF-8: invalid byte at {}",
                e.utf8_error().valid_up_to()
            ))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_examples() {
        assert_eq!(quote("ö"), "%C3%B6");
        assert_eq!(quote("a=b"), "a%3Db");
        assert_eq!(quote("%41"), "%2541");
        assert_eq!(quote("a+b"), "a%2Bb");
        assert_eq!(quote("1e+20"), "1e%2B20");
        assert_eq!(quote("a/b"), "a/b");
        assert_eq!(quote_component("a/b"), "a%2Fb");
        assert_eq!(unquote("%C3%B6").unwrap(), "ö");
        assert_eq!(unquote("a+b").unwrap(), "a+b");
        assert_eq!(unquote("%zz%4").unwrap(), "%zz%4");
        assert!(unquote("%e4%B6").unwrap_err().to_string().contains("UTF-8"));
        assert_eq!(unquote("%").unwrap(), "%");
        assert_eq!(unquote("%4").unwrap(), "%4");
        assert_eq!(unquote("%41").unwrap(), "A");
    }
}
