//! A profile named in a rules or scenario file: a built-in's name, or a
//! profile file beside the file that names it.

use std::path::Path;
use std::sync::Arc;

use crate::engine::protocol::profile::{BUILTIN_NAMES, Profile};

/// The profile `name` stands for: a built-in's name, or a profile file
/// (relative to `folder`, where the file naming it lives); why not, in
/// words, when it cannot be used.
pub fn load_profile(name: &str, folder: &Path) -> Result<Arc<Profile>, String> {
    if let Some(profile) = Profile::builtin(name) {
        return Ok(profile);
    }
    let path = folder.join(name);
    let text = std::fs::read_to_string(&path).map_err(|error| {
        format!(
            "\"{name}\" is not a built-in ({}) and {} cannot be read: {error}",
            BUILTIN_NAMES.join(", "),
            path.display()
        )
    })?;
    Profile::compile(&text, &path.display().to_string())
        .map(Arc::new)
        .map_err(|error| error.to_string())
}
