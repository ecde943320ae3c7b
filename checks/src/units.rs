//! Numbers with units, in integer arithmetic: meshcert's own (`60d`, `30s`, `4GiB`: a whole
//! number and one unit) and Go's `time.ParseDuration` (cert-manager's `2160h0m0s`), computed as
//! Go computes it.

/// A whole number followed by one of `units` (name, factor), optionally with blanks between;
/// `None` when `text` is not one, or the product overflows.
pub fn whole_with_unit(text: &str, units: &[(&str, u64)]) -> Option<u64> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    if digits.is_empty() {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    let factor = units.iter().find(|(u, _)| *u == unit.trim())?.1;
    n.checked_mul(factor)
}

/// Why a Go duration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("empty")]
    Empty,
    #[error("a negative duration")]
    Negative,
    #[error("expected a number")]
    NoNumber,
    #[error("missing unit (ns, us, ms, s, m or h)")]
    MissingUnit,
    #[error("unknown unit {0:?}")]
    UnknownUnit(String),
    #[error("too large")]
    TooLarge,
}

const OVERFLOW: u64 = 1 << 63;

/// Go's `leadingInt`: the leading digits, or `None` past 2^63.
fn leading_int(s: &str) -> Option<(u64, &str)> {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let mut x: u64 = 0;
    for b in s[..end].bytes() {
        if x > OVERFLOW / 10 {
            return None;
        }
        x = x * 10 + u64::from(b - b'0');
        if x > OVERFLOW {
            return None;
        }
    }
    Some((x, &s[end..]))
}

/// Go's `leadingFraction`: the digits after a point, and their scale; precision stops growing
/// at 2^63 but the digits are consumed.
fn leading_fraction(s: &str) -> (u64, f64, &str) {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (mut x, mut scale, mut overflow) = (0u64, 1f64, false);
    for b in s[..end].bytes() {
        if overflow {
            continue;
        }
        if x > (OVERFLOW - 1) / 10 {
            overflow = true;
            continue;
        }
        let y = x * 10 + u64::from(b - b'0');
        if y > OVERFLOW {
            overflow = true;
            continue;
        }
        x = y;
        scale *= 10.0;
    }
    (x, scale, &s[end..])
}

fn unit_nanos(unit: &str) -> Option<u64> {
    Some(match unit {
        "ns" => 1,
        "us" | "µs" | "μs" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => return None,
    })
}

/// Go's `time.ParseDuration` in nanoseconds: integers exact, a fraction through `f64` as Go
/// does it (truncated), the same overflow rules. A negative duration is refused here.
pub fn go_duration_nanos(text: &str) -> Result<u64, DurationError> {
    let mut s = match text.as_bytes().first() {
        Some(b'-') => return Err(DurationError::Negative),
        Some(b'+') => &text[1..],
        _ => text,
    };
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(DurationError::Empty);
    }
    let mut total: u64 = 0;
    while !s.is_empty() {
        if !(s.starts_with('.') || s.as_bytes()[0].is_ascii_digit()) {
            return Err(DurationError::NoNumber);
        }
        let before = s.len();
        let (mut v, rest) = leading_int(s).ok_or(DurationError::TooLarge)?;
        s = rest;
        let pre = before != s.len();
        let (mut f, mut scale, mut post) = (0u64, 1f64, false);
        if let Some(rest) = s.strip_prefix('.') {
            let before = rest.len();
            (f, scale, s) = leading_fraction(rest);
            post = before != s.len();
        }
        if !pre && !post {
            return Err(DurationError::NoNumber);
        }
        let end = s
            .find(|c: char| c == '.' || c.is_ascii_digit())
            .unwrap_or(s.len());
        if end == 0 {
            // A second point where the unit should be (`1..5h`) is a malformed number.
            return Err(if s.starts_with('.') {
                DurationError::NoNumber
            } else {
                DurationError::MissingUnit
            });
        }
        let unit = unit_nanos(&s[..end])
            .ok_or_else(|| DurationError::UnknownUnit(s[..end].to_string()))?;
        s = &s[end..];
        if v > OVERFLOW / unit {
            return Err(DurationError::TooLarge);
        }
        v *= unit;
        if f > 0 {
            v += (f as f64 * (unit as f64 / scale)) as u64;
            if v > OVERFLOW {
                return Err(DurationError::TooLarge);
            }
        }
        total += v;
        if total > OVERFLOW {
            return Err(DurationError::TooLarge);
        }
    }
    if total > OVERFLOW - 1 {
        return Err(DurationError::TooLarge);
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_with_a_unit() {
        let sizes = [("", 1), ("KiB", 1 << 10), ("GiB", 1 << 30)];
        assert_eq!(whole_with_unit("4GiB", &sizes), Some(4 << 30));
        assert_eq!(whole_with_unit(" 4 GiB ", &sizes), Some(4 << 30));
        assert_eq!(whole_with_unit("512", &sizes), Some(512));
        assert_eq!(whole_with_unit("4TiB", &sizes), None);
        assert_eq!(whole_with_unit("GiB", &sizes), None);
        assert_eq!(whole_with_unit("-4GiB", &sizes), None);
        assert_eq!(whole_with_unit("99999999999999999999GiB", &sizes), None);
    }

    #[test]
    fn go_durations_in_go_arithmetic() {
        assert_eq!(go_duration_nanos("2160h0m0s"), Ok(2160 * 3_600_000_000_000));
        assert_eq!(go_duration_nanos("1.5h"), Ok(5_400_000_000_000));
        // Go truncates a fraction's nanoseconds: 1/3 s is 333333333 ns.
        assert_eq!(go_duration_nanos("0.3333333333s"), Ok(333_333_333));
        // Exact at the top of the range, where f64 sums would round.
        assert_eq!(
            go_duration_nanos("9223372036854775807ns"),
            Ok(9_223_372_036_854_775_807)
        );
        assert_eq!(
            go_duration_nanos("9223372036854775808ns"),
            Err(DurationError::TooLarge)
        );
        assert_eq!(go_duration_nanos(".5m"), Ok(30_000_000_000));
        assert_eq!(go_duration_nanos(".s"), Err(DurationError::NoNumber));
        assert_eq!(go_duration_nanos("1.s"), Ok(1_000_000_000));
    }
}
