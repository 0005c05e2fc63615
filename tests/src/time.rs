//! Timestamps as GitHub writes them (`2024-01-02T03:04:05Z`).

/// `seconds` since the Unix epoch, in RFC 3339 form in UTC, to the second.
pub fn rfc3339(seconds: i64) -> String {
    match jiff::Timestamp::from_second(seconds) {
        Ok(t) => t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Err(_) => "1970-01-01T00:00:00Z".to_owned(),
    }
}

/// Now, in RFC 3339 form in UTC.
pub fn now_rfc3339() -> String {
    rfc3339(now())
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// Parses an RFC 3339 / ISO 8601 timestamp with offset; seconds and the offset in minutes.
pub fn parse_rfc3339(text: &str) -> Option<(i64, i32)> {
    let zoned: jiff::fmt::temporal::DateTimeParser = jiff::fmt::temporal::DateTimeParser::new();
    let parsed = zoned.parse_timestamp(text).ok()?;
    let offset_minutes = offset_minutes(text).unwrap_or(0);
    Some((parsed.as_second(), offset_minutes))
}

/// The `±HH:MM` offset at the end of `text` in minutes (`Z` is 0).
fn offset_minutes(text: &str) -> Option<i32> {
    if text.ends_with('Z') || text.ends_with('z') {
        return Some(0);
    }
    let tail = text.get(text.len().checked_sub(6)?..)?;
    let sign = match tail.as_bytes()[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let hours: i32 = tail.get(1..3)?.parse().ok()?;
    let minutes: i32 = tail.get(4..6)?.parse().ok()?;
    Some(sign * (hours * 60 + minutes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            parse_rfc3339("2024-01-02T03:04:05Z"),
            Some((1_704_164_645, 0))
        );
        assert_eq!(
            parse_rfc3339("2024-01-02T05:04:05+02:00"),
            Some((1_704_164_645, 120))
        );
        assert_eq!(parse_rfc3339("yesterday"), None);
    }
}
