//! Files, always off the UI thread: reading a text or content file,
//! saving in the background, opening and saving logs, the native dialogs
//! and the path prompt that stands in for them.

pub(super) mod background_save;
pub(super) mod dialogs;
pub(super) mod edited_file;
pub(super) mod file_content;
pub(super) mod log_files;
pub(super) mod path_prompt;
pub(super) mod text_file;
