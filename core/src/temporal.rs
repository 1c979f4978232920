//! Dates, timestamps, time zones and decimals as text.
//!
//! Two text forms exist in plateau: the ISO-like form of predicate literals
//! (`2020-01-01T12:00:00.5+01:00[Europe/Berlin]`, handled here) and pandas' `str()` form used
//! in partition keys (`2020-01-01 12:00:00.500000+01:00`, see [`crate::partition_value`]). Both
//! build on the conversions of this module.

use std::sync::Arc;

use arrow::datatypes::TimeUnit;
use chrono::{
    DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeZone, Timelike,
};

use crate::error::{Error, Result};

const NANOS_PER_SEC: i128 = 1_000_000_000;

/// The Unix epoch as a date.
fn epoch_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
}

/// `YYYY-MM-DD` for days since the epoch, `None` outside chrono's range.
pub fn date_to_string(days: i32) -> Option<String> {
    let date = epoch_date().checked_add_signed(Duration::try_days(i64::from(days))?)?;
    Some(date.format("%Y-%m-%d").to_string())
}

/// Days since the epoch of a `YYYY-MM-DD` string.
pub fn parse_date(s: &str) -> Result<i32> {
    let date = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|e| Error::invalid_input(format!("invalid date `{s}`: {e}")))?;
    date_to_days(date)
}

/// Days since the epoch of a chrono date.
pub fn date_to_days(date: NaiveDate) -> Result<i32> {
    i32::try_from(date.signed_duration_since(epoch_date()).num_days())
        .map_err(|_| Error::invalid_input(format!("date {date} out of range")))
}

/// A time zone of an Arrow timestamp type: a fixed offset or a named IANA zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tz {
    /// A fixed offset such as `+01:00`.
    Fixed(FixedOffset),
    /// An IANA zone such as `Europe/Berlin` (also `UTC`).
    Named(chrono_tz::Tz),
}

impl Tz {
    /// Parses an Arrow time zone string (`+01:00`, `-0530`, `Z`, `UTC`, `Europe/Berlin`).
    pub fn parse(tz: &str) -> Result<Tz> {
        if let Some(offset) = parse_fixed_offset(tz) {
            return Ok(Tz::Fixed(offset));
        }
        tz.parse::<chrono_tz::Tz>()
            .map(Tz::Named)
            .map_err(|_| Error::invalid_input(format!("unknown time zone `{tz}`")))
    }

    /// The UTC offset in seconds at the instant `utc`.
    pub fn offset_at(&self, utc: &NaiveDateTime) -> i32 {
        match self {
            Tz::Fixed(offset) => offset.local_minus_utc(),
            Tz::Named(tz) => tz.offset_from_utc_datetime(utc).fix().local_minus_utc(),
        }
    }

    /// The UTC instant of a local wall time; for ambiguous times the earlier instant, for
    /// times in a gap `None`.
    pub fn local_to_utc(&self, local: &NaiveDateTime) -> Option<NaiveDateTime> {
        match self {
            Tz::Fixed(offset) => Some(*local - Duration::seconds(offset.local_minus_utc().into())),
            Tz::Named(tz) => tz
                .from_local_datetime(local)
                .earliest()
                .map(|dt| dt.naive_utc()),
        }
    }
}

fn parse_fixed_offset(tz: &str) -> Option<FixedOffset> {
    if tz == "Z" || tz == "z" {
        return FixedOffset::east_opt(0);
    }
    let (sign, rest) = match tz.as_bytes().first()? {
        b'+' => (1, &tz[1..]),
        b'-' => (-1, &tz[1..]),
        _ => return None,
    };
    // `HH:MM`, `HHMM`, and `HH:MM:SS` (historic local mean time offsets have seconds).
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if !matches!(digits.len(), 4 | 6) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i32 = digits[..2].parse().ok()?;
    let minutes: i32 = digits[2..4].parse().ok()?;
    let seconds: i32 = digits
        .get(4..)
        .filter(|s| !s.is_empty())
        .map_or(Some(0), |s| s.parse().ok())?;
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60 + seconds))
}

/// `+HH:MM` for an offset in seconds (seconds beyond minutes are appended as `:SS`).
pub fn format_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let abs = seconds.unsigned_abs();
    let (h, m, s) = (abs / 3600, (abs % 3600) / 60, abs % 60);
    if s == 0 {
        format!("{sign}{h:02}:{m:02}")
    } else {
        format!("{sign}{h:02}:{m:02}:{s:02}")
    }
}

/// Splits a timestamp into UTC seconds and the nanosecond fraction, exactly.
pub fn split_nanos(value: i64, unit: TimeUnit) -> (i64, u32) {
    let nanos = crate::Scalar::timestamp_nanos(value, unit);
    let secs = nanos.div_euclid(NANOS_PER_SEC);
    let frac = nanos.rem_euclid(NANOS_PER_SEC);
    (
        i64::try_from(secs).unwrap_or(if secs < 0 { i64::MIN } else { i64::MAX }),
        u32::try_from(frac).unwrap_or(0),
    )
}

/// The naive UTC date-time of a timestamp value, `None` outside chrono's range.
pub fn to_naive_utc(value: i64, unit: TimeUnit) -> Option<NaiveDateTime> {
    let (secs, nanos) = split_nanos(value, unit);
    DateTime::from_timestamp(secs, nanos).map(|dt| dt.naive_utc())
}

/// A timestamp value in `unit` of a naive UTC date-time, `None` on overflow.
pub fn from_naive_utc(dt: &NaiveDateTime, unit: TimeUnit) -> Option<i64> {
    let utc = dt.and_utc();
    match unit {
        TimeUnit::Second => Some(utc.timestamp()),
        TimeUnit::Millisecond => Some(utc.timestamp_millis()),
        TimeUnit::Microsecond => Some(utc.timestamp_micros()),
        TimeUnit::Nanosecond => utc.timestamp_nanos_opt(),
    }
}

/// Fractional seconds with trailing zeros removed (`.5`, `.000001`), empty for whole seconds.
fn trimmed_fraction(nanos: u32) -> String {
    if nanos == 0 {
        return String::new();
    }
    let digits = format!("{nanos:09}");
    format!(".{}", digits.trim_end_matches('0'))
}

/// The ISO text of a timestamp as the predicate syntax writes it:
/// `2020-01-01T12:00:00.5` (naive), `2020-01-01T13:00:00+01:00` (fixed offset) or
/// `2020-01-01T13:00:00+01:00[Europe/Berlin]` (named zone). `None` outside chrono's range or
/// for an unknown zone.
pub fn timestamp_to_iso(value: i64, unit: TimeUnit, tz: Option<&str>) -> Option<String> {
    let utc = to_naive_utc(value, unit)?;
    let Some(tz_name) = tz else {
        return Some(format!(
            "{}{}",
            utc.format("%Y-%m-%dT%H:%M:%S"),
            trimmed_fraction(utc.nanosecond())
        ));
    };
    let zone = Tz::parse(tz_name).ok()?;
    let offset = zone.offset_at(&utc);
    let local = utc + Duration::seconds(offset.into());
    let mut text = format!(
        "{}{}{}",
        local.format("%Y-%m-%dT%H:%M:%S"),
        trimmed_fraction(local.nanosecond()),
        format_offset(offset)
    );
    if matches!(zone, Tz::Named(_)) {
        text.push('[');
        text.push_str(tz_name);
        text.push(']');
    }
    Some(text)
}

/// A parsed timestamp: nanoseconds since the epoch (UTC) and its zone, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedTimestamp {
    /// Nanoseconds since 1970-01-01T00:00:00 UTC.
    pub nanos: i64,
    /// The zone: the `[Name]` suffix, else the written offset, else `None` (naive).
    pub tz: Option<Arc<str>>,
}

/// Parses `YYYY-MM-DD`, `YYYY-MM-DD[T| ]HH:MM[:SS[.fffffffff]]`, optionally followed by `Z` or
/// `±HH:MM` and optionally by `[Zone/Name]`. A naive text is read as UTC.
pub fn parse_timestamp(text: &str) -> Result<ParsedTimestamp> {
    let bad = |why: &str| Error::invalid_input(format!("invalid timestamp `{text}`: {why}"));
    let mut s = text.trim();
    let mut zone_name: Option<&str> = None;
    if let Some(stripped) = s.strip_suffix(']') {
        let open = stripped.rfind('[').ok_or_else(|| bad("unbalanced `]`"))?;
        zone_name = Some(&stripped[open + 1..]);
        s = &stripped[..open];
    }
    // Split off a trailing offset: `Z`, or `+`/`-` after the time part.
    let mut offset: Option<FixedOffset> = None;
    if let Some(rest) = s.strip_suffix(['Z', 'z']) {
        offset = FixedOffset::east_opt(0);
        s = rest;
    } else if s.len() > 10 {
        // The date is ASCII; anything else there is not a timestamp (and slicing inside a
        // multi-byte character would panic).
        let time_on = s
            .get(10..)
            .ok_or_else(|| bad("expected `YYYY-MM-DD` first"))?;
        if let Some(pos) = time_on.rfind(['+', '-']).map(|p| p + 10) {
            offset = Some(parse_fixed_offset(&s[pos..]).ok_or_else(|| bad("invalid offset"))?);
            s = &s[..pos];
        }
    }
    let (date_part, time_part) = if s.len() > 10 {
        let sep = s.as_bytes()[10];
        if sep != b'T' && sep != b' ' {
            return Err(bad("expected `T` or a space between date and time"));
        }
        // Byte 10 is ASCII, so both sides are character boundaries.
        (&s[..10], Some(&s[11..]))
    } else {
        (s, None)
    };
    let date = NaiveDate::parse_from_str(date_part, "%Y-%m-%d").map_err(|e| bad(&e.to_string()))?;
    let time = match time_part {
        None => NaiveTime::MIN,
        Some(t) => parse_time(t).ok_or_else(|| bad("invalid time of day"))?,
    };
    let local = date.and_time(time);
    let (utc, tz): (NaiveDateTime, Option<Arc<str>>) = match (zone_name, offset) {
        (Some(name), Some(off)) => {
            let zone = Tz::parse(name)?;
            (
                local - Duration::seconds(off.local_minus_utc().into()),
                Some(canonical_zone_name(name, &zone)),
            )
        }
        (Some(name), None) => {
            let zone = Tz::parse(name)?;
            let utc = zone
                .local_to_utc(&local)
                .ok_or_else(|| bad("local time does not exist in that zone"))?;
            (utc, Some(canonical_zone_name(name, &zone)))
        }
        (None, Some(off)) => (
            local - Duration::seconds(off.local_minus_utc().into()),
            Some(if text.trim().ends_with(['Z', 'z']) {
                "UTC".into()
            } else {
                format_offset(off.local_minus_utc()).into()
            }),
        ),
        (None, None) => (local, None),
    };
    let nanos = utc
        .and_utc()
        .timestamp_nanos_opt()
        .ok_or_else(|| bad("out of the nanosecond range (1677-09-21 to 2262-04-11)"))?;
    Ok(ParsedTimestamp { nanos, tz })
}

/// The zone name a parsed timestamp keeps: fixed offsets in one spelling (`Z`, `+0100` and
/// `+01:00:00` become `+00:00`, `+01:00`, `+01:00`), so that printing and parsing again gives
/// the same value; IANA names as given.
fn canonical_zone_name(name: &str, zone: &Tz) -> Arc<str> {
    match zone {
        Tz::Fixed(offset) => format_offset(offset.local_minus_utc()).into(),
        Tz::Named(_) => name.into(),
    }
}

fn parse_time(t: &str) -> Option<NaiveTime> {
    let (hms, frac) = match t.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (t, None),
    };
    let mut parts = hms.split(':');
    let h: u32 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let sec: u32 = match parts.next() {
        Some(x) => x.parse().ok()?,
        None => 0,
    };
    if parts.next().is_some() {
        return None;
    }
    let nanos = match frac {
        None => 0,
        Some(f) if !f.is_empty() && f.len() <= 9 && f.bytes().all(|b| b.is_ascii_digit()) => {
            let padded = format!("{f:0<9}");
            padded.parse().ok()?
        }
        Some(_) => return None,
    };
    NaiveTime::from_hms_nano_opt(h, m, sec, nanos)
}

/// The decimal text of an unscaled value (`12345`, scale 2 → `123.45`).
pub fn decimal_to_string(value: i128, scale: i8) -> String {
    if scale <= 0 {
        let zeros = "0".repeat(scale.unsigned_abs().into());
        return if value == 0 {
            "0".to_owned()
        } else {
            format!("{value}{zeros}")
        };
    }
    let negative = value < 0;
    let digits = value.unsigned_abs().to_string();
    let scale = usize::from(scale.unsigned_abs());
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (int, frac) = padded.split_at(padded.len() - scale);
    format!("{}{int}.{frac}", if negative { "-" } else { "" })
}

/// Parses decimal text into (unscaled value, precision, scale).
pub fn parse_decimal(text: &str) -> Result<(i128, u8, i8)> {
    let bad = || Error::invalid_input(format!("invalid decimal `{text}`"));
    let s = text.trim();
    let (negative, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty() && frac.is_empty() {
        return Err(bad());
    }
    if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let all = format!("{int}{frac}");
    let trimmed = all.trim_start_matches('0');
    let precision = trimmed.len().max(frac.len()).max(1);
    if precision > 38 {
        return Err(bad());
    }
    let unscaled: i128 = if all.is_empty() {
        0
    } else {
        all.parse().map_err(|_| bad())?
    };
    let scale = i8::try_from(frac.len()).map_err(|_| bad())?;
    let precision = u8::try_from(precision).map_err(|_| bad())?;
    Ok((
        if negative { -unscaled } else { unscaled },
        precision,
        scale,
    ))
}

/// The year, month and day of days since the epoch (for formatters that need the parts).
pub fn date_parts(days: i32) -> Option<(i32, u32, u32)> {
    let date = epoch_date().checked_add_signed(Duration::try_days(i64::from(days))?)?;
    Some((date.year(), date.month(), date.day()))
}

/// Hours, minutes, seconds and nanoseconds of a naive date-time (for formatters).
pub fn time_parts(dt: &NaiveDateTime) -> (u32, u32, u32, u32) {
    (dt.hour(), dt.minute(), dt.second(), dt.nanosecond())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the `predicate_text` fuzz target: a multi-byte character across byte 10.
    #[test]
    fn non_ascii_text_is_an_error_not_a_panic() {
        for text in [
            "123456789\u{e9}",
            "123456789\u{e9}Z",
            "2020-01-0\u{e9}T00:00",
            "\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}",
        ] {
            assert!(parse_timestamp(text).is_err(), "{text}");
        }
    }

    #[test]
    fn iso_round_trip_of_zones() {
        let cases = [
            ("2020-01-01T00:00:00", None),
            ("2020-01-01T12:34:56.5", None),
            (
                "2020-06-01T12:00:00+02:00[Europe/Berlin]",
                Some("Europe/Berlin"),
            ),
            ("2020-01-01T12:00:00+01:00", Some("+01:00")),
            ("1900-01-01T00:00:00.000000001", None),
        ];
        for (text, tz) in cases {
            let parsed = parse_timestamp(text).expect(text);
            assert_eq!(parsed.tz.as_deref(), tz, "{text}");
            let back = timestamp_to_iso(parsed.nanos, TimeUnit::Nanosecond, tz).expect(text);
            assert_eq!(back, text);
        }
    }

    #[test]
    fn zone_offsets_shift_the_instant() {
        let berlin = parse_timestamp("2020-01-01T01:00:00[Europe/Berlin]").unwrap();
        for (text, zone) in [
            ("2020-01-01T00:00[Z]", "+00:00"),
            ("2020-01-01T00:00[+0100]", "+01:00"),
            ("2020-01-01T00:00+01:00[+01:00:00]", "+01:00"),
            ("2020-01-01T00:00[Europe/Berlin]", "Europe/Berlin"),
        ] {
            let parsed = parse_timestamp(text).unwrap();
            assert_eq!(parsed.tz.as_deref(), Some(zone), "{text}");
        }
        let utc = parse_timestamp("2020-01-01T00:00:00Z").unwrap();
        assert_eq!(berlin.nanos, utc.nanos);
        assert_eq!(utc.tz.as_deref(), Some("UTC"));
        let space = parse_timestamp("2020-01-01 00:00:00").unwrap();
        assert_eq!(space.nanos, utc.nanos);
        assert!(parse_timestamp("2020-01-01X00:00").is_err());
        assert!(parse_timestamp("2020-13-01").is_err());
        assert!(parse_timestamp("3000-01-01").is_err());
    }

    #[test]
    fn decimals() {
        assert_eq!(decimal_to_string(12345, 2), "123.45");
        assert_eq!(decimal_to_string(-5, 3), "-0.005");
        assert_eq!(decimal_to_string(7, 0), "7");
        assert_eq!(parse_decimal("123.45").unwrap(), (12345, 5, 2));
        assert_eq!(parse_decimal("-0.005").unwrap(), (-5, 3, 3));
        assert!(parse_decimal("1.2.3").is_err());
        assert!(parse_decimal("").is_err());
    }

    #[test]
    fn dates() {
        assert_eq!(date_to_string(0).as_deref(), Some("1970-01-01"));
        assert_eq!(parse_date("2020-01-01").unwrap(), 18262);
        assert_eq!(date_to_string(-1).as_deref(), Some("1969-12-31"));
        assert!(parse_date("2020-02-30").is_err());
    }
}
