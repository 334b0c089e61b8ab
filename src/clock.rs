//! Times as a person reads them, in local time or UTC, for the window and
//! the command line. The formatting is pure (a time and an offset from UTC
//! in, text out); only [`Zone::offset_at`] asks the system, for the local
//! offset in force at a given time (daylight saving included).

use std::fmt::Write;

use chrono::{DateTime, Datelike, Local, Offset, TimeZone};
use serde::{Deserialize, Serialize};

const MICROS_PER_SECOND: i64 = 1_000_000;
const SECONDS_PER_DAY: i64 = 86_400;

/// Which clock times are shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Zone {
    /// The machine's local time.
    #[default]
    Local,
    /// Coordinated Universal Time.
    Utc,
}

impl Zone {
    /// Seconds east of UTC in force at `time_us` (microseconds since the
    /// Unix epoch).
    pub fn offset_at(self, time_us: u64) -> i32 {
        match self {
            Zone::Utc => 0,
            Zone::Local => local_offset(time_us),
        }
    }

    /// `time_us` as text in this zone.
    pub fn text(self, time_us: u64, style: Style) -> String {
        time_text(time_us, self.offset_at(time_us), style)
    }

    /// The day `time_us` falls on in this zone (days since the epoch).
    pub fn day_of(self, time_us: u64) -> i64 {
        day_number(time_us, self.offset_at(time_us))
    }

    /// What to write after a time in this zone: `UTC`, or the local
    /// offset at `time_us` (`UTC+02:00`).
    pub fn suffix_at(self, time_us: u64) -> String {
        match self {
            Zone::Utc => "UTC".to_owned(),
            Zone::Local => offset_text(self.offset_at(time_us)),
        }
    }

    /// A word for the zone: `local` or `UTC`.
    pub fn name(self) -> &'static str {
        match self {
            Zone::Local => "local",
            Zone::Utc => "UTC",
        }
    }
}

/// How much of a time to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Style {
    /// The date before the time: `2026-04-14 13:04:59.123`.
    pub date: bool,
    /// Microseconds rather than milliseconds: `13:04:59.123456`.
    pub micros: bool,
}

/// `HH:MM:SS.mmm` of `time_us` (microseconds since the Unix epoch) seen
/// `offset_secs` east of UTC, with `YYYY-MM-DD ` before it and six digits
/// of fraction if `style` says so.
pub fn time_text(time_us: u64, offset_secs: i32, style: Style) -> String {
    let shifted = shifted_micros(time_us, offset_secs);
    let seconds = shifted.div_euclid(MICROS_PER_SECOND);
    let fraction = shifted.rem_euclid(MICROS_PER_SECOND);
    let of_day = seconds.rem_euclid(SECONDS_PER_DAY);
    let mut text = String::with_capacity(26);
    if style.date {
        // Dates chrono cannot represent (hundreds of millennia away) come
        // only from a damaged log; the time of day still reads.
        match DateTime::from_timestamp(seconds, 0) {
            Some(date) => {
                let _ = write!(
                    text,
                    "{:04}-{:02}-{:02} ",
                    date.year(),
                    date.month(),
                    date.day()
                );
            }
            None => text.push_str("????-??-?? "),
        }
    }
    let _ = write!(
        text,
        "{:02}:{:02}:{:02}",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60
    );
    let _ = if style.micros {
        write!(text, ".{fraction:06}")
    } else {
        write!(text, ".{:03}", fraction / 1000)
    };
    text
}

/// The day (since the epoch) `time_us` falls on, `offset_secs` east of UTC.
pub fn day_number(time_us: u64, offset_secs: i32) -> i64 {
    shifted_micros(time_us, offset_secs)
        .div_euclid(MICROS_PER_SECOND)
        .div_euclid(SECONDS_PER_DAY)
}

/// An offset from UTC as written after a time: `UTC+02:00`, `UTC-05:30`.
pub fn offset_text(offset_secs: i32) -> String {
    let sign = if offset_secs < 0 { '-' } else { '+' };
    let minutes = offset_secs.unsigned_abs() / 60;
    format!("UTC{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

/// `time_us` moved by the offset, as signed microseconds.
fn shifted_micros(time_us: u64, offset_secs: i32) -> i64 {
    i64::try_from(time_us)
        .unwrap_or(i64::MAX)
        .saturating_add(i64::from(offset_secs) * MICROS_PER_SECOND)
}

/// The local offset from UTC in force at `time_us`, in seconds east; 0 for
/// a time the system cannot place.
fn local_offset(time_us: u64) -> i32 {
    i64::try_from(time_us)
        .ok()
        .and_then(DateTime::from_timestamp_micros)
        .map_or(0, |utc| {
            Local
                .offset_from_utc_datetime(&utc.naive_utc())
                .fix()
                .local_minus_utc()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-04-14 13:04:59.123456 UTC.
    const AFTERNOON: u64 = 1_776_171_899_123_456;
    /// 2026-04-14 00:10:00 UTC.
    const JUST_AFTER_MIDNIGHT: u64 = 1_776_125_400_000_000;

    #[test]
    fn times_read_in_utc_with_millis_or_micros() {
        assert_eq!(time_text(AFTERNOON, 0, Style::default()), "13:04:59.123");
        let micros = Style {
            micros: true,
            ..Style::default()
        };
        assert_eq!(time_text(AFTERNOON, 0, micros), "13:04:59.123456");
        assert_eq!(time_text(0, 0, micros), "00:00:00.000000");
    }

    #[test]
    fn an_offset_moves_the_time_and_the_date() {
        let dated = Style {
            date: true,
            micros: false,
        };
        assert_eq!(time_text(AFTERNOON, 0, dated), "2026-04-14 13:04:59.123");
        assert_eq!(
            time_text(AFTERNOON, 2 * 3600, dated),
            "2026-04-14 15:04:59.123"
        );
        assert_eq!(
            time_text(AFTERNOON, 12 * 3600, dated),
            "2026-04-15 01:04:59.123"
        );
        // West of UTC, just after midnight UTC is still the day before.
        assert_eq!(
            time_text(JUST_AFTER_MIDNIGHT, -(5 * 3600 + 30 * 60), dated),
            "2026-04-13 18:40:00.000"
        );
        assert_eq!(
            time_text(1_709_251_199_999_999, 0, dated),
            "2024-02-29 23:59:59.999"
        );
        // Before the epoch once shifted: still a proper time, not a negative one.
        assert_eq!(time_text(0, -3600, dated), "1969-12-31 23:00:00.000");
        // Far beyond any real clock: the time of day still reads.
        assert!(time_text(u64::MAX, 0, dated).starts_with("????-??-?? "));
    }

    #[test]
    fn days_follow_the_offset() {
        assert_eq!(day_number(AFTERNOON, 0), day_number(JUST_AFTER_MIDNIGHT, 0));
        assert_eq!(
            day_number(JUST_AFTER_MIDNIGHT, -3600),
            day_number(JUST_AFTER_MIDNIGHT, 0) - 1
        );
        assert_eq!(Zone::Utc.day_of(AFTERNOON), day_number(AFTERNOON, 0));
    }

    #[test]
    fn offsets_and_zones_are_named() {
        assert_eq!(offset_text(0), "UTC+00:00");
        assert_eq!(offset_text(2 * 3600), "UTC+02:00");
        assert_eq!(offset_text(-(5 * 3600 + 30 * 60)), "UTC-05:30");
        assert_eq!(offset_text(5 * 3600 + 45 * 60), "UTC+05:45");
        assert_eq!(Zone::Utc.suffix_at(AFTERNOON), "UTC");
        assert_eq!(Zone::Utc.text(AFTERNOON, Style::default()), "13:04:59.123");
        assert!(Zone::Local.suffix_at(AFTERNOON).starts_with("UTC"));
        assert_eq!(Zone::default(), Zone::Local);
    }
}
