//! The shape of a profile file, as serde reads it. Every value a problem
//! can point at keeps its place in the text (`Spanned`); the keys that take
//! more than one shape (`const`, `length_of`, `delimiter`) are read as TOML
//! values and told apart when the profile is compiled.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// A whole profile file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileSpec {
    pub(super) profile: Spanned<HeadSpec>,
    #[serde(default)]
    pub(super) enums: BTreeMap<String, Spanned<BTreeMap<String, Spanned<String>>>>,
    #[serde(default)]
    pub(super) field: Vec<Spanned<FieldSpec>>,
    #[serde(default)]
    pub(super) framing: Option<Spanned<FramingSpec>>,
}

/// `[profile]`: what the protocol is called and its defaults.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HeadSpec {
    pub(super) name: Spanned<String>,
    #[serde(default)]
    pub(super) endian: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) max_frame: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) description: Option<String>,
    #[serde(default)]
    pub(super) port: Option<Spanned<i64>>,
}

/// One `[[field]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FieldSpec {
    pub(super) name: Spanned<String>,
    #[serde(rename = "type")]
    pub(super) kind: Spanned<String>,
    #[serde(default)]
    pub(super) endian: Option<Spanned<String>>,
    #[serde(default, rename = "const")]
    pub(super) constant: Option<Spanned<toml::Value>>,
    #[serde(default)]
    pub(super) length_of: Option<Spanned<toml::Value>>,
    #[serde(default)]
    pub(super) size: Option<Spanned<i64>>,
    #[serde(default, rename = "enum")]
    pub(super) enum_name: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) checksum: Option<Spanned<ChecksumSpec>>,
    #[serde(default)]
    pub(super) bits: Option<Vec<Spanned<BitsSpec>>>,
    #[serde(default)]
    pub(super) encoding: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) max_bytes: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) when: Option<Spanned<WhenSpec>>,
}

/// `checksum = { algorithm, over }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ChecksumSpec {
    pub(super) algorithm: Spanned<String>,
    pub(super) over: Vec<Spanned<String>>,
}

/// One entry of `bits = [...]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BitsSpec {
    pub(super) name: Spanned<String>,
    pub(super) width: Spanned<i64>,
    #[serde(default, rename = "enum")]
    pub(super) enum_name: Option<Spanned<String>>,
}

/// `when = { field, in, role }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WhenSpec {
    pub(super) field: Spanned<String>,
    #[serde(rename = "in")]
    pub(super) values: Spanned<Vec<i64>>,
    #[serde(default)]
    pub(super) role: Option<Spanned<String>>,
}

/// `[framing]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FramingSpec {
    #[serde(default)]
    pub(super) delimiter: Option<Spanned<toml::Value>>,
    #[serde(default)]
    pub(super) size: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) kind: Option<Spanned<String>>,
}
