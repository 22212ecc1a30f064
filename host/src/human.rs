//! Numbers as people read them, one way everywhere: sizes in the binary units the settings and
//! limits are given in (`4.0 KiB`, `1.5 MiB`), so that a page, an error message and the
//! operator guide never show one size two ways (the pages once counted in thousands while the
//! limits counted in 1024s). And text as people type it, checked one way by the API, the pages
//! and the command line alike.

/// A size: `812 bytes`, `4.0 KiB`, `1.5 MiB`.
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// [`size`] of a stored byte count (the database keeps sizes as signed integers); a negative
/// count, which no row should hold, reads as 0.
pub fn stored_size(bytes: i64) -> String {
    size(u64::try_from(bytes).unwrap_or(0))
}

/// How far `at` is from `now` (both in milliseconds), as people say it: "in 3 days",
/// "2 hours ago", "in less than a minute". The unit is the largest that fits, rounded down, so
/// that "in 1 day" is never said of something 23 hours away.
pub fn relative_time(at: i64, now: i64) -> String {
    let (ahead, millis) = if at >= now {
        (true, at - now)
    } else {
        (false, now - at)
    };
    let seconds = millis / 1000;
    let (count, unit) = [
        (365 * 24 * 3600, "year"),
        (30 * 24 * 3600, "month"),
        (7 * 24 * 3600, "week"),
        (24 * 3600, "day"),
        (3600, "hour"),
        (60, "minute"),
    ]
    .into_iter()
    .find(|(length, _)| seconds >= *length)
    .map(|(length, unit)| (seconds / length, unit))
    .unwrap_or((0, "minute"));
    if count == 0 {
        return if ahead {
            "in less than a minute".to_owned()
        } else {
            "less than a minute ago".to_owned()
        };
    }
    let plural = if count == 1 { "" } else { "s" };
    if ahead {
        format!("in {count} {unit}{plural}")
    } else {
        format!("{count} {unit}{plural} ago")
    }
}

/// A wait in words: "30 seconds", "2 minutes", "1 minute and 5 seconds", "2 hours and 1
/// minute"; the sign-in page, the link password page and every "try again in" say it so.
pub fn wait_in_words(seconds: u64) -> String {
    fn unit(n: u64, one: &str) -> String {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {one}s")
        }
    }
    let seconds = seconds.max(1);
    let (hours, minutes, rest) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    match (hours, minutes, rest) {
        (0, 0, s) => unit(s, "second"),
        (0, m, 0) => unit(m, "minute"),
        (0, m, s) => format!("{} and {}", unit(m, "minute"), unit(s, "second")),
        (h, 0, _) => unit(h, "hour"),
        (h, m, _) => format!("{} and {}", unit(h, "hour"), unit(m, "minute")),
    }
}

/// A required free-text field (a name, a title): trimmed, not empty, at most `max` characters.
/// The error is a sentence naming the field.
pub fn required_text(field: &str, value: &str, max: usize) -> Result<String, String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(format!("{field} must not be empty"));
    }
    if value.chars().count() > max {
        return Err(format!("{field} must be at most {max} characters"));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn waits_read_as_people_say_them() {
        use super::wait_in_words;
        assert_eq!(wait_in_words(1), "1 second");
        assert_eq!(wait_in_words(30), "30 seconds");
        assert_eq!(wait_in_words(60), "1 minute");
        assert_eq!(wait_in_words(65), "1 minute and 5 seconds");
        assert_eq!(wait_in_words(900), "15 minutes");
        assert_eq!(wait_in_words(7260), "2 hours and 1 minute");
        assert_eq!(wait_in_words(0), "1 second");
    }

    #[test]
    fn relative_times_read_as_people_say_them() {
        use super::relative_time;
        let now = 1_772_443_200_000;
        let hour = 3_600_000;
        assert_eq!(relative_time(now + 3 * 24 * hour + 5, now), "in 3 days");
        assert_eq!(relative_time(now + 23 * hour, now), "in 23 hours");
        assert_eq!(relative_time(now + 24 * hour, now), "in 1 day");
        assert_eq!(relative_time(now - 2 * hour, now), "2 hours ago");
        assert_eq!(relative_time(now + 30_000, now), "in less than a minute");
        assert_eq!(relative_time(now - 400 * 24 * hour, now), "1 year ago");
    }

    use super::*;

    #[test]
    fn sizes_are_in_binary_units() {
        assert_eq!(size(0), "0 bytes");
        assert_eq!(size(1023), "1023 bytes");
        assert_eq!(size(1024), "1.0 KiB");
        assert_eq!(size(4096), "4.0 KiB");
        assert_eq!(size(1_572_864), "1.5 MiB");
        assert_eq!(size(5 << 40), "5.0 TiB");
        assert_eq!(stored_size(-3), "0 bytes");
        assert_eq!(stored_size(2048), "2.0 KiB");
    }
}
