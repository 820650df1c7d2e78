//! The one text form of a time in every language: RFC 3339 in UTC with `Z`, fractional seconds
//! only when there are any, to the microsecond (the finest Python's `datetime` holds).

use chrono::{DateTime, SecondsFormat, Timelike, Utc};

pub fn timestamp(time: &DateTime<Utc>) -> String {
    let micros = time.nanosecond() / 1_000 * 1_000;
    time.with_nanosecond(micros)
        .unwrap_or(*time)
        .to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_seconds_stay_short_and_fractions_stop_at_micros() {
        let at = |text: &str| {
            DateTime::parse_from_rfc3339(text)
                .unwrap()
                .with_timezone(&Utc)
        };
        assert_eq!(
            timestamp(&at("2030-12-13T15:52:00+03:00")),
            "2030-12-13T12:52:00Z"
        );
        assert_eq!(
            timestamp(&at("2030-12-13T15:52:00.250Z")),
            "2030-12-13T15:52:00.250Z"
        );
        assert_eq!(
            timestamp(&at("2030-12-13T15:52:00.123456789Z")),
            "2030-12-13T15:52:00.123456Z"
        );
    }
}
