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
