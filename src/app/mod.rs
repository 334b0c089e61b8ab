//! The egui front end.

pub mod address;
pub mod draft;
pub mod file_content;
pub mod frame_index;
pub mod frames_view;
pub mod hex_view;
pub mod record_detail;
pub mod row_summary;
pub mod settings;
pub mod style;

/// Opens the window.
pub fn run() -> Result<(), String> {
    Err("the window is not built yet".into())
}
