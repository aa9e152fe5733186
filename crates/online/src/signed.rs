//! When a signed URL stops working: AWS SigV4 (`X-Amz-Date` + `X-Amz-Expires`), Google Cloud
//! Storage V4 (`X-Goog-Date` + `X-Goog-Expires`), Azure SAS (`se`), CloudFront and S3 SigV2
//! (`Expires`, seconds since 1970). Read from the query string alone; nothing is fetched.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What a URL's query string says about its expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expiry {
    /// Not a signed URL (no signature parameter).
    Unsigned,
    /// A signed URL that stops working at this time (seconds since 1970), by this scheme.
    At(u64, &'static str),
    /// A signed URL whose expiry cannot be told (a CloudFront custom policy, a malformed date).
    Unknown(&'static str),
}

/// Reads the expiry of `url` from its query string.
pub fn expiry(url: &url::Url) -> Expiry {
    let params: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    if get("X-Amz-Signature").is_some() || get("X-Amz-Algorithm").is_some() {
        return dated(get("X-Amz-Date"), get("X-Amz-Expires"), "AWS SigV4");
    }
    if get("X-Goog-Signature").is_some() || get("X-Goog-Algorithm").is_some() {
        return dated(get("X-Goog-Date"), get("X-Goog-Expires"), "Google Cloud Storage");
    }
    if get("sig").is_some() && (get("sv").is_some() || get("se").is_some()) {
        return match get("se").and_then(iso8601) {
            Some(at) => Expiry::At(at, "Azure SAS"),
            None => Expiry::Unknown("Azure SAS"),
        };
    }
    if get("Signature").is_some() {
        let scheme = if get("Key-Pair-Id").is_some() {
            "CloudFront"
        } else {
            "S3 SigV2"
        };
        return match get("Expires").and_then(|e| e.trim().parse::<u64>().ok()) {
            Some(at) => Expiry::At(at, scheme),
            // A custom policy holds its expiry in the signed policy document.
            None => Expiry::Unknown(scheme),
        };
    }
    Expiry::Unsigned
}

fn dated(date: Option<&str>, expires: Option<&str>, scheme: &'static str) -> Expiry {
    let start = date.and_then(basic_timestamp);
    let secs = expires.and_then(|e| e.trim().parse::<u64>().ok());
    match (start, secs) {
        (Some(start), Some(secs)) => Expiry::At(start.saturating_add(secs), scheme),
        _ => Expiry::Unknown(scheme),
    }
}

/// `YYYYMMDDTHHMMSSZ`, as AWS and GCS write it.
fn basic_timestamp(s: &str) -> Option<u64> {
    let s = s.trim();
    if s.len() != 16 || !s.is_char_boundary(8) || &s[8..9] != "T" || !s.ends_with('Z') {
        return None;
    }
    let num = |a: usize, b: usize| s.get(a..b)?.parse::<u32>().ok();
    civil_seconds(
        num(0, 4)?,
        num(4, 6)?,
        num(6, 8)?,
        num(9, 11)?,
        num(11, 13)?,
        num(13, 15)?,
    )
}

/// `YYYY-MM-DD`, `YYYY-MM-DDTHH:MMZ` or `YYYY-MM-DDTHH:MM:SSZ` (Azure's `se`), in UTC.
fn iso8601(s: &str) -> Option<u64> {
    let s = s.trim();
    let num = |a: usize, b: usize| s.get(a..b)?.parse::<u32>().ok();
    let (y, m, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    if s.get(4..5)? != "-" || s.get(7..8)? != "-" {
        return None;
    }
    if s.len() == 10 {
        return civil_seconds(y, m, d, 0, 0, 0);
    }
    if s.get(10..11)? != "T" || !s.ends_with('Z') || s.get(13..14)? != ":" {
        return None;
    }
    let sec = match s.len() {
        17 => 0,
        20 if s.get(16..17)? == ":" => num(17, 19)?,
        _ => return None,
    };
    civil_seconds(y, m, d, num(11, 13)?, num(14, 16)?, sec)
}

/// Seconds since 1970 of a UTC date and time (Howard Hinnant's days-from-civil).
fn civil_seconds(y: u32, m: u32, d: u32, h: u32, min: u32, s: u32) -> Option<u64> {
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    if h > 23 || min > 59 || s > 60 {
        return None;
    }
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + i64::from(h) * 3600 + i64::from(min) * 60 + i64::from(s)).ok()
}

/// A UTC time as `YYYY-MM-DD HH:MM UTC`.
pub fn show_time(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// A duration in words: `3 days`, `5 hours`, `12 minutes`.
pub fn show_duration(d: Duration) -> String {
    let s = d.as_secs();
    let (n, unit) = if s >= 2 * 86_400 {
        (s / 86_400, "days")
    } else if s >= 2 * 3600 {
        (s / 3600, "hours")
    } else if s >= 120 {
        (s / 60, "minutes")
    } else {
        (s, "seconds")
    };
    format!("{n} {unit}")
}

/// Seconds since 1970, now.
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Writes `secs` as `YYYYMMDDTHHMMSSZ` (AWS and GCS dates), for tests and test servers.
pub fn basic_timestamp_of(secs: u64) -> String {
    let shown = show_time(secs);
    let s = secs % 60;
    format!(
        "{}{}{}T{}{}{s:02}Z",
        &shown[0..4],
        &shown[5..7],
        &shown[8..10],
        &shown[11..13],
        &shown[14..16]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(u: &str) -> Expiry {
        expiry(&url::Url::parse(u).unwrap())
    }

    #[test]
    fn each_scheme_gives_its_expiry() {
        // 2024-01-02T03:04:05Z is 1704164645.
        assert_eq!(
            of(
                "https://b.s3.amazonaws.com/s/a.wav?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20240102T030405Z&X-Amz-Expires=3600&X-Amz-Signature=ab"
            ),
            Expiry::At(1_704_164_645 + 3600, "AWS SigV4")
        );
        assert_eq!(
            of(
                "https://storage.googleapis.com/b/s/a.wav?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Date=20240102T030405Z&X-Goog-Expires=60&X-Goog-Signature=ab"
            ),
            Expiry::At(1_704_164_645 + 60, "Google Cloud Storage")
        );
        assert_eq!(
            of(
                "https://a.blob.core.windows.net/c/s/a.wav?sv=2022-11-02&se=2024-01-02T03:04:05Z&sr=b&sp=r&sig=abc%3D"
            ),
            Expiry::At(1_704_164_645, "Azure SAS")
        );
        assert_eq!(
            of("https://a.blob.core.windows.net/c/s/a.wav?sv=2022-11-02&se=2024-01-02&sig=abc"),
            Expiry::At(1_704_164_645 - 3 * 3600 - 4 * 60 - 5, "Azure SAS")
        );
        assert_eq!(
            of("https://d111.cloudfront.net/s/a.wav?Expires=1704164645&Signature=x&Key-Pair-Id=K"),
            Expiry::At(1_704_164_645, "CloudFront")
        );
        assert_eq!(of("https://h.example.com/s/a.wav?v=2"), Expiry::Unsigned);
    }

    #[test]
    fn a_signature_without_a_readable_expiry_is_unknown() {
        assert_eq!(
            of("https://d.cloudfront.net/s/a.wav?Policy=eyJ&Signature=x&Key-Pair-Id=K"),
            Expiry::Unknown("CloudFront")
        );
        assert_eq!(
            of("https://b.s3.amazonaws.com/s/a.wav?X-Amz-Signature=ab&X-Amz-Date=2024"),
            Expiry::Unknown("AWS SigV4")
        );
    }

    #[test]
    fn timestamps_round_trip() {
        assert_eq!(basic_timestamp_of(1_704_164_645), "20240102T030405Z");
        assert_eq!(basic_timestamp("20240102T030405Z"), Some(1_704_164_645));
        assert_eq!(show_time(1_704_164_645), "2024-01-02 03:04 UTC");
        assert_eq!(basic_timestamp("2024010xT030405Z"), None);
        assert!(iso8601("2024-02-30T00:00Z").is_some(), "lenient on day counts");
        assert_eq!(iso8601("garbage"), None);
    }
}
