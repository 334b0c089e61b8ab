//! The profiles framescope ships, each in a file a user can copy and
//! change (`framescope profile show NAME`). Each is compiled the first
//! time it is asked for, then shared.

use std::sync::{Arc, OnceLock};

use super::Profile;

/// The built-in profiles' names, in the order `framescope profiles` lists them.
pub const BUILTIN_NAMES: [&str; 8] = [
    "json-header",
    "raw",
    "lines",
    "resp",
    "modbus-tcp",
    "mqtt",
    "dns-tcp",
    "dns",
];

/// Each built-in's TOML.
const TEXTS: [&str; 8] = [
    include_str!("../../../../assets/profiles/json-header.toml"),
    include_str!("../../../../assets/profiles/raw.toml"),
    include_str!("../../../../assets/profiles/lines.toml"),
    include_str!("../../../../assets/profiles/resp.toml"),
    include_str!("../../../../assets/profiles/modbus-tcp.toml"),
    include_str!("../../../../assets/profiles/mqtt.toml"),
    include_str!("../../../../assets/profiles/dns-tcp.toml"),
    include_str!("../../../../assets/profiles/dns.toml"),
];

/// The built-in called `name`, compiled.
pub(super) fn get(name: &str) -> Option<Arc<Profile>> {
    static COMPILED: [OnceLock<Arc<Profile>>; 8] = [const { OnceLock::new() }; 8];
    let index = BUILTIN_NAMES.iter().position(|n| *n == name)?;
    let profile = COMPILED[index].get_or_init(|| {
        let origin = format!("built-in {name}");
        let profile = Profile::compile(TEXTS[index], &origin)
            .unwrap_or_else(|error| panic!("a built-in profile does not compile: {error}"));
        Arc::new(profile)
    });
    Some(profile.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_compiles_under_its_own_name() {
        for name in BUILTIN_NAMES {
            let profile = get(name).unwrap();
            assert_eq!(profile.name(), name);
            assert!(!profile.description().is_empty(), "{name} says what it is");
        }
        assert!(get("nope").is_none());
    }
}
