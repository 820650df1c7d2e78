//! The PHP behaviours the ecommpay reference SDK relies on, reimplemented from their
//! descriptions in docs/ecommpay.md §1 (not from php-src).

use std::cmp::Ordering;

use chrono::{DateTime, FixedOffset, Utc};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// PHP `DateTime::format('c')`: `2030-01-02T03:04:05+00:00` (how `best_before` is written).
pub fn date_c(at: &DateTime<FixedOffset>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// [`date_c`] of a UTC instant given in milliseconds since the epoch (what JavaScript's
/// `Date` holds); `None` outside chrono's range.
pub fn date_c_from_unix_millis(millis: i64) -> Option<String> {
    DateTime::<Utc>::from_timestamp_millis(millis).map(|at| date_c(&at.fixed_offset()))
}

/// PHP `strnatcmp` (case-sensitive natural order) over bytes.
pub fn natcmp(a: &[u8], b: &[u8]) -> Ordering {
    if a.is_empty() || b.is_empty() {
        return a.len().cmp(&b.len());
    }
    // Reading past the end gives 0, like the NUL after a PHP string's bytes.
    let at = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
    let (mut i, mut j) = (0, 0);
    // Only at the very start: zeros followed by another digit do not count.
    while a[i] == b'0' && a.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    while b[j] == b'0' && b.get(j + 1).is_some_and(u8::is_ascii_digit) {
        j += 1;
    }
    loop {
        // Fast path: equal bytes that are neither digits nor whitespace just advance.
        while a[i] == b[j] && !a[i].is_ascii_digit() && !is_space(a[i]) {
            i += 1;
            j += 1;
            match (i >= a.len(), j >= b.len()) {
                (true, true) => return Ordering::Equal,
                (true, false) => return Ordering::Less,
                (false, true) => return Ordering::Greater,
                _ => {}
            }
        }
        let (mut ca, mut cb) = (at(a, i), at(b, j));
        while is_space(ca) {
            i += 1;
            ca = at(a, i);
        }
        while is_space(cb) {
            j += 1;
            cb = at(b, j);
        }
        if ca.is_ascii_digit() && cb.is_ascii_digit() {
            // A run starting with '0' reads as a fraction (left-aligned), otherwise as an integer.
            let runs = if ca == b'0' || cb == b'0' {
                compare_fraction_runs(a, &mut i, b, &mut j)
            } else {
                compare_integer_runs(a, &mut i, b, &mut j)
            };
            if runs != Ordering::Equal {
                return runs;
            }
            match (i >= a.len(), j >= b.len()) {
                (true, true) => return Ordering::Equal,
                (true, false) => return Ordering::Less,
                (false, true) => return Ordering::Greater,
                _ => {}
            }
            // Right after a digit run the next bytes are compared without skipping whitespace.
            ca = a[i];
            cb = b[j];
        }
        if ca != cb {
            return ca.cmp(&cb);
        }
        i += 1;
        j += 1;
        match (i >= a.len(), j >= b.len()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            _ => {}
        }
    }
}

pub(crate) fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn digit_at(s: &[u8], i: usize) -> Option<u8> {
    s.get(i).copied().filter(u8::is_ascii_digit)
}

/// Integers: the longer run is bigger; at equal length the first differing digit decides.
fn compare_integer_runs(a: &[u8], i: &mut usize, b: &[u8], j: &mut usize) -> Ordering {
    let mut first_difference = Ordering::Equal;
    loop {
        match (digit_at(a, *i), digit_at(b, *j)) {
            (None, None) => return first_difference,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                if first_difference == Ordering::Equal {
                    first_difference = x.cmp(&y);
                }
            }
        }
        *i += 1;
        *j += 1;
    }
}

/// Fractions: the first differing digit decides; a run that ends first is smaller.
fn compare_fraction_runs(a: &[u8], i: &mut usize, b: &[u8], j: &mut usize) -> Ordering {
    loop {
        match (digit_at(a, *i), digit_at(b, *j)) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x != y => return x.cmp(&y),
            _ => {}
        }
        *i += 1;
        *j += 1;
    }
}

/// PHP `(string)$float` with the default `precision = 14`: correctly rounded to 14 significant
/// digits, trailing zeros dropped, scientific form (`1.0E+21`, `1.5E-7`) when the decimal
/// exponent is below -4 or at least 14.
pub fn float_to_string(value: f64) -> String {
    if value.is_nan() {
        return "NAN".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "INF" } else { "-INF" }.to_owned();
    }
    if value == 0.0 {
        return if value.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    // Rust's exact formatting gives the 14 correctly rounded significant digits (ties to even).
    let scientific = format!("{:.13e}", value.abs());
    let (mantissa, exponent) = scientific.split_once('e').expect("scientific form");
    let exponent: i32 = exponent.parse().expect("exponent");
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = if keeps_trailing_zeros(value.abs()) {
        digits.as_str()
    } else {
        digits.trim_end_matches('0')
    };
    let sign = if value < 0.0 { "-" } else { "" };
    // Position of the decimal point relative to the first digit (1.5 → 1, 0.05 → -1).
    let point = exponent + 1;
    if !(-3..=14).contains(&point) {
        let (first, rest) = digits.split_at(1);
        let rest = if rest.is_empty() { "0" } else { rest };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        return format!("{sign}{first}.{rest}E{exp_sign}{}", exponent.abs());
    }
    if point <= 0 {
        return format!(
            "{sign}0.{}{digits}",
            "0".repeat(point.unsigned_abs() as usize)
        );
    }
    let point = point as usize;
    if digits.len() <= point {
        format!("{sign}{digits}{}", "0".repeat(point - digits.len()))
    } else {
        format!("{sign}{}.{}", &digits[..point], &digits[point..])
    }
}

/// PHP's dtoa has a path for integral doubles below 1e15 that, when the 15th digit is an exact
/// tie rounded down (to even), returns the 14 digits without trimming their trailing zeros:
/// `100000000000005.0` prints as `1.0000000000000E+14`.
fn keeps_trailing_zeros(abs: f64) -> bool {
    if !(1e14..1e15).contains(&abs) || abs.fract() != 0.0 {
        return false;
    }
    let integer = abs as u64;
    integer % 10 == 5 && (integer / 10) % 2 == 0
}

/// PHP `urlencode` (RFC 1738 as `http_build_query` uses it): `[A-Za-z0-9_.-]` kept, space as
/// `+`, every other byte `%XX`.
pub fn urlencode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3 / 2);
    push_urlencoded(&mut out, text);
    out
}

/// [`urlencode`] appending to `out`.
pub fn push_urlencoded(out: &mut String, text: &str) {
    const PHP_URLENCODE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_');
    // Chunks are runs of kept bytes or single "%XX" escapes; a space is the "%20" escape.
    for chunk in utf8_percent_encode(text, PHP_URLENCODE) {
        if chunk == "%20" {
            out.push('+');
        } else {
            out.push_str(chunk);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        natcmp(a.as_bytes(), b.as_bytes())
    }

    #[test]
    fn natural_order_cases_from_the_docs() {
        use Ordering::*;
        assert_eq!(cmp("arr:2", "arr:10"), Less);
        assert_eq!(cmp("item1", "item2"), Less);
        assert_eq!(cmp("item2", "item10"), Less);
        assert_eq!(cmp("item02", "item1"), Less);
        assert_eq!(cmp("a b", "ab"), Equal);
        assert_eq!(cmp("a-c", "a0"), Less);
        assert_eq!(cmp("a0", "a:b"), Less);
        assert_eq!(cmp("a:b", "a_d"), Less);
        assert_eq!(cmp("a_d", "aa"), Less);
        assert_eq!(cmp("", "a"), Less);
        assert_eq!(cmp("", ""), Equal);
        assert_eq!(cmp("007", "7"), Equal);
    }

    #[test]
    fn php_float_strings() {
        for (value, text) in [
            (10.0, "10"),
            (1.5, "1.5"),
            (0.1 + 0.2, "0.3"),
            (1e21, "1.0E+21"),
            (1.5e-7, "1.5E-7"),
            (-0.0, "-0"),
            (0.0001, "0.0001"),
            (0.00001, "1.0E-5"),
            (1e14, "1.0E+14"),
            (99999999999999.0, "99999999999999"),
            (123456789012345.0, "1.2345678901234E+14"),
            (-1.5, "-1.5"),
            (100.55, "100.55"),
            (1.0825, "1.0825"),
            (100000000000005.0, "1.0000000000000E+14"),
            (100000000000015.0, "1.0000000000002E+14"),
            (100000000000004.0, "1.0E+14"),
            (123456789012305.0, "1.2345678901230E+14"),
        ] {
            assert_eq!(float_to_string(value), text, "{value:e}");
        }
    }

    #[test]
    fn urlencode_like_php() {
        assert_eq!(urlencode("a b~*'()!-_."), "a+b%7E%2A%27%28%29%21-_.");
        assert_eq!(urlencode("ü%20"), "%C3%BC%2520");
    }
}
