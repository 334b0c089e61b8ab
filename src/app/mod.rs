//! The egui front end.

/// Opens the window.
pub fn run() -> Result<(), String> {
    Err("the window is not built yet".into())
}
