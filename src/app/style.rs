//! Colours and spacing shared by the panels, for both themes.

use egui::{Color32, Context, Visuals};

use super::settings::ThemeChoice;

/// The colour of good news (listening, open).
pub fn ok_color(visuals: &Visuals) -> Color32 {
    if visuals.dark_mode {
        Color32::from_rgb(110, 210, 120)
    } else {
        Color32::from_rgb(20, 130, 40)
    }
}

/// How an outcome line shows success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Success {
    /// Quietly, in weak text: routine news.
    Quiet,
    /// In the colour of good news: what the user waited for.
    Good,
}

/// The line under an action saying what it did: success as `success`
/// says, a failure in the error colour, nothing before the first outcome.
pub fn outcome_line(ui: &mut egui::Ui, outcome: Option<&Result<String, String>>, success: Success) {
    match (outcome, success) {
        (Some(Ok(done)), Success::Quiet) => {
            ui.weak(done);
        }
        (Some(Ok(done)), Success::Good) => {
            ui.colored_label(ok_color(ui.visuals()), done);
        }
        (Some(Err(why)), _) => {
            ui.colored_label(ui.visuals().error_fg_color, why);
        }
        (None, _) => {}
    }
}

/// Applies the theme and the spacing the window uses.
pub fn apply(ctx: &Context, theme: ThemeChoice) {
    ctx.set_theme(theme.egui());
    ctx.all_styles_mut(|style| {
        style.spacing.item_spacing = egui::vec2(8.0, 5.0);
        style.spacing.button_padding = egui::vec2(8.0, 3.0);
        style.spacing.interact_size.y = 22.0;
    });
}

/// Lays out `add` in a scope whose id does not depend on what came before,
/// so that a spinner or a message appearing above does not change the ids
/// (and so the state, focus and clicks in progress) of the widgets inside.
pub fn section<R>(ui: &mut egui::Ui, name: &str, add: impl FnOnce(&mut egui::Ui) -> R) -> R {
    let id = ui.scope_id().with(name);
    ui.scope_builder(egui::UiBuilder::new().scope_id(id), add)
        .inner
}
