//! The Save and Save as… buttons of a text file's editor (a scenario, a
//! profile), and the file's name beside them, marked when edited since it
//! was opened or saved.

use std::path::{Path, PathBuf};

use egui::Ui;

use crate::app::files::file_content::file_name;
use crate::app::i18n::tr;

/// What a click in the save bar asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveClick {
    /// Save to the file it came from.
    Save(PathBuf),
    /// Ask where to save it.
    SaveAs,
}

/// Save (`save_label`: the editor's own word for it), Save as… and the
/// file's name; `path` is the file, `None` before it is first saved.
pub fn show(
    ui: &mut Ui,
    busy: bool,
    path: Option<&Path>,
    edited: bool,
    save_label: String,
) -> Option<SaveClick> {
    let mut click = None;
    let save = ui
        .add_enabled(!busy && path.is_some(), egui::Button::new(save_label))
        .on_hover_text(tr("scenario-save-hover"))
        .on_disabled_hover_text(tr("scenario-not-saved-hover"));
    if save.clicked()
        && let Some(path) = path
    {
        click = Some(SaveClick::Save(path.to_owned()));
    }
    if ui
        .add_enabled(!busy, egui::Button::new(tr("scenario-save-as")))
        .on_hover_text(tr("scenario-save-as-hover"))
        .clicked()
    {
        click = Some(SaveClick::SaveAs);
    }
    let name = path.map_or_else(|| tr("scenario-not-saved"), file_name);
    let edited = if edited {
        format!(" {}", tr("scenario-edited"))
    } else {
        String::new()
    };
    ui.weak(format!("{name}{edited}"))
        .on_hover_text(path.map_or_else(|| tr("scenario-no-file"), |p| p.display().to_string()));
    click
}
