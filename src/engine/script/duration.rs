//! A time as rules and scenarios write it: `250ms`, `2s`, `1.5s`, or a
//! number of milliseconds.

use std::time::Duration;

use serde::Deserialize;

/// A time written as `250ms`, `2s`, `1.5s` or a number of milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurationSpec(pub Duration);

impl<'de> Deserialize<'de> for DurationSpec {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            Millis(u64),
            Text(String),
        }
        let bad = |text: &str| {
            serde::de::Error::custom(format!("\"{text}\" is not a time: write 250ms, 2s or 1.5s"))
        };
        match Written::deserialize(deserializer)? {
            Written::Millis(ms) => Ok(Self(Duration::from_millis(ms))),
            Written::Text(text) => {
                let trimmed = text.trim();
                let (number, scale) = if let Some(ms) = trimmed.strip_suffix("ms") {
                    (ms, 0.001)
                } else if let Some(s) = trimmed.strip_suffix('s') {
                    (s, 1.0)
                } else {
                    return Err(bad(&text));
                };
                let value: f64 = number.trim().parse().map_err(|_| bad(&text))?;
                Duration::try_from_secs_f64(value * scale)
                    .map(Self)
                    .map_err(|_| bad(&text))
            }
        }
    }
}
