//! Places in a text a person wrote: what profile, rules and scenario
//! files point at when they say what is wrong.

use std::fmt;

/// A line and column in a file, both from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Location {
    /// The line, from 1.
    pub line: usize,
    /// The column in characters, from 1.
    pub column: usize,
}

impl Location {
    /// The line and column of byte `offset` in `source`.
    pub fn of_offset(source: &str, offset: usize) -> Self {
        let before = &source[..source.floor_char_boundary(offset.min(source.len()))];
        let line_start = before.rfind('\n').map_or(0, |at| at + 1);
        Self {
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}
