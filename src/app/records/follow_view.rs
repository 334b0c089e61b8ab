//! The Follow stream window: one connection's two directions in order, or
//! a relayed conversation's two legs, as escaped text, hex or decoded
//! frames, each direction in its own colour (as Wireshark shows them), with
//! Copy and Save…. It follows new records while open, reading the snapshot
//! the app takes each frame anyway, and renders only the turns it has not
//! rendered yet.

use std::path::PathBuf;
use std::sync::Arc;

use egui::text::{LayoutJob, TextFormat};
use egui::{Color32, FontId, Galley, RichText, Ui, Visuals};

use crate::clock::{Style, Zone};
use crate::engine::TextEncoding;
use crate::engine::follow::{self, Conversation, FollowMode, Leg, Turn};
use crate::engine::{Direction, JournalSnapshot, RecordKind, Side};

use crate::app::files::background_save::BackgroundSave;
use crate::app::files::file_content::human_bytes;
use crate::app::i18n::{self, Language, tr, tr_with};
use crate::app::records::frame_index::SourceKey;
use crate::app::style;

/// Most bytes of one turn shown (Copy and Save take them all).
const TURN_BYTES: usize = 16 * 1024;
/// Most characters shown at once: the newest turns that fit.
const SHOWN_CHARS: usize = 512 * 1024;
/// Size of the conversation's text.
const FONT_SIZE: f32 = 12.5;
/// Times in headings: the date is in the journal; micros order close turns.
const TIME_STYLE: Style = Style {
    date: false,
    micros: true,
};

/// What the window asks the app to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowAction {
    /// Ask where to save the conversation.
    Save,
}

/// One turn, rendered once.
#[derive(Debug, Clone)]
struct RenderedTurn {
    /// The way it went, for its colour; none for a note (framescope's own
    /// words, in a colour of their own).
    direction: Option<Direction>,
    heading: String,
    body: String,
}

/// The conversation followed, and its turns rendered so far.
#[derive(Debug)]
struct Followed {
    source: SourceKey,
    conversation: Conversation,
    /// How `rendered` was made (and in which language); other choices
    /// render again.
    rendered_as: (FollowMode, Zone, TextEncoding, Language),
    rendered: Vec<RenderedTurn>,
    /// The text on screen, for this many rendered turns and this theme.
    job: Option<(usize, bool, LayoutJob)>,
    /// The text laid out, for this job and wrap width.
    galley: Option<(f32, Arc<Galley>)>,
    /// How many of the oldest turns are left off screen.
    left_off: usize,
}

/// The Follow stream window: closed, or open on one conversation.
#[derive(Debug, Default)]
pub struct FollowWindow {
    open: Option<Followed>,
    /// The conversation being saved, or what its last save did.
    save: BackgroundSave,
}

impl FollowWindow {
    /// Opens the window on `legs` (one connection, or a relayed
    /// conversation's two legs: see [`relayed_legs`]) of the journal
    /// `source`, read from `journal`.
    pub fn open(&mut self, source: SourceKey, journal: &JournalSnapshot, legs: Vec<Leg>) {
        self.open = Some(Followed {
            source,
            conversation: Conversation::of(journal, legs),
            rendered_as: (
                FollowMode::default(),
                Zone::default(),
                TextEncoding::UTF_8,
                i18n::language(),
            ),
            rendered: Vec::new(),
            job: None,
            galley: None,
            left_off: 0,
        });
        self.save.clear();
    }

    /// The connections followed (one, or a relayed conversation's two
    /// legs), while the window is open.
    pub fn legs(&self) -> &[Leg] {
        self.open.as_ref().map_or(&[], |f| f.conversation.legs())
    }

    /// Which journal it reads, while open.
    pub fn source(&self) -> Option<SourceKey> {
        self.open.as_ref().map(|f| f.source)
    }

    /// Shows the window, if open, with the turns `journal` adds; it closes
    /// when its journal is gone (`None`: another log was opened).
    pub fn show(
        &mut self,
        ctx: &egui::Context,
        journal: Option<&JournalSnapshot>,
        mode: &mut FollowMode,
        (zone, raw): (Zone, TextEncoding),
    ) -> Option<FollowAction> {
        self.save.poll();
        let followed = self.open.as_mut()?;
        let Some(journal) = journal else {
            self.open = None;
            return None;
        };
        followed.conversation.update(journal);
        followed.render(*mode, zone, raw);
        let title = title(followed.conversation.legs());
        let mut keep_open = true;
        let mut action = None;
        let saving = self.save.is_saving();
        let saved = self.save.outcome();
        egui::Window::new(tr_with("records-follow-title", &[("title", title.into())]))
            .id(egui::Id::unique("follow_stream"))
            .open(&mut keep_open)
            .default_size([760.0, 560.0])
            .pivot(egui::Align2::CENTER_TOP)
            .default_pos(ctx.content_rect().center_top() + egui::vec2(0.0, 90.0))
            .min_size([420.0, 240.0])
            .resizable(true)
            .collapsible(false)
            .show(ctx, |ui| {
                action = toolbar(ui, followed, (mode, raw), zone, (saving, saved));
                legend(ui, &followed.conversation);
                ui.separator();
                followed.body_ui(ui, *mode);
            });
        if !keep_open {
            self.open = None;
        }
        action
    }

    /// Writes the conversation to `path` as plain text in `mode`, on a
    /// thread of its own; the outcome shows in the window.
    pub fn save(
        &mut self,
        path: PathBuf,
        (mode, raw): (FollowMode, TextEncoding),
        zone: Zone,
        ctx: &egui::Context,
    ) {
        let Some(followed) = &self.open else { return };
        let conversation = followed.conversation.clone();
        self.save
            .start(path, tr("records-follow-saved-to"), ctx, move |path| {
                let text =
                    follow::export(&conversation, (mode, raw), &|us| zone.text(us, TIME_STYLE));
                write_whole(path, text.as_bytes())
            });
    }
}

impl Followed {
    /// Renders the turns not rendered yet (all of them after a new choice).
    fn render(&mut self, mode: FollowMode, zone: Zone, raw: TextEncoding) {
        let language = i18n::language();
        if self.rendered_as != (mode, zone, raw, language) {
            self.rendered_as = (mode, zone, raw, language);
            self.rendered.clear();
            self.job = None;
        }
        let time = |us| zone.text(us, TIME_STYLE);
        let conversation = &self.conversation;
        let new = &conversation.turns()[self.rendered.len()..];
        self.rendered.extend(new.iter().map(|turn| RenderedTurn {
            direction:
                (turn.kind != RecordKind::Note).then(|| colour_direction(conversation, turn)),
            heading: follow::turn_heading(conversation, turn, &time),
            body: shortened_body(turn, mode, raw),
        }));
    }

    /// The conversation's text, laid out again only when it grew or the theme changed.
    fn body_ui(&mut self, ui: &mut Ui, mode: FollowMode) {
        if self.rendered.is_empty() {
            ui.weak(tr("records-follow-empty"));
            return;
        }
        let dark = ui.visuals().dark_mode;
        let stale = self
            .job
            .as_ref()
            .is_none_or(|(turns, was_dark, _)| *turns != self.rendered.len() || *was_dark != dark);
        if stale {
            let (left_off, job) = layout(&self.rendered, ui.visuals());
            self.left_off = left_off;
            self.job = Some((self.rendered.len(), dark, job));
            self.galley = None;
        }
        if self.left_off > 0 {
            ui.weak(tr_with(
                "records-follow-left-off",
                &[("count", self.left_off.to_string().into())],
            ));
        }
        let Some((_, _, job)) = &self.job else { return };
        let galley_cache = &mut self.galley;
        let scroll = if mode == FollowMode::Hex {
            egui::ScrollArea::both()
        } else {
            egui::ScrollArea::vertical()
        };
        scroll
            .id_salt("follow_stream_text")
            .auto_shrink(false)
            .stick_to_bottom(true)
            .show(ui, |ui| {
                // Hex rows keep their shape and scroll sideways; text wraps.
                let width = if mode == FollowMode::Hex {
                    f32::INFINITY
                } else {
                    ui.available_width()
                };
                let galley = match galley_cache {
                    Some((laid_for, galley)) if *laid_for == width => galley.clone(),
                    _ => {
                        let mut job = job.clone();
                        job.wrap.max_width = width;
                        let galley = ui.fonts_mut(|fonts| fonts.layout_job(job));
                        *galley_cache = Some((width, galley.clone()));
                        galley
                    }
                };
                ui.add(egui::Label::new(galley));
            });
    }
}

/// The mode switch, Copy and Save…; returns Save when it was clicked.
fn toolbar(
    ui: &mut Ui,
    followed: &Followed,
    (mode, raw): (&mut FollowMode, TextEncoding),
    zone: Zone,
    (saving, saved): (bool, Option<&Result<String, String>>),
) -> Option<FollowAction> {
    let mut action = None;
    ui.horizontal(|ui| {
        ui.label(tr("records-follow-show-as"));
        for choice in FollowMode::ALL {
            ui.selectable_value(mode, choice, choice.name())
                .on_hover_text(choice.help());
        }
        ui.separator();
        let empty = followed.conversation.turns().is_empty();
        if ui
            .add_enabled(!empty, egui::Button::new(tr("records-follow-copy")))
            .on_hover_text(tr("records-follow-copy-hover"))
            .on_disabled_hover_text(tr("records-follow-copy-disabled"))
            .clicked()
        {
            let text = follow::export(&followed.conversation, (*mode, raw), &|us| {
                zone.text(us, TIME_STYLE)
            });
            ui.ctx().copy_text(text);
        }
        if ui
            .add_enabled(
                !empty && !saving,
                egui::Button::new(tr("records-follow-save")),
            )
            .on_hover_text(tr("records-follow-save-hover"))
            .on_disabled_hover_text(tr("records-follow-save-disabled"))
            .clicked()
        {
            action = Some(FollowAction::Save);
        }
        if saving {
            ui.spinner();
        }
        style::outcome_line(ui, saved, style::Success::Quiet);
    });
    action
}

/// The legs of a relayed conversation, to follow: the client's connection
/// to framescope (a server-side one) and framescope's to the target.
pub fn relayed_legs(client_conn: u32, upstream_conn: u32) -> Vec<Leg> {
    vec![
        Leg {
            side: Side::Server,
            conn: client_conn,
        },
        Leg {
            side: Side::Client,
            conn: upstream_conn,
        },
    ]
}

/// What "follow" means for a record of connection `conn` on `side`: its
/// relayed conversation's two legs when it is linked to another leg, else
/// the connection alone.
pub fn legs_to_follow(side: Side, conn: u32, link: Option<u32>) -> Vec<Leg> {
    match (side, link) {
        (Side::Server, Some(upstream)) => relayed_legs(conn, upstream),
        (Side::Client, Some(client)) => relayed_legs(client, conn),
        (side, None) => vec![Leg { side, conn }],
    }
}

/// Whether `legs` are a relayed conversation's (as [`relayed_legs`] makes them).
fn is_relayed(legs: &[Leg]) -> bool {
    matches!(legs, [client, upstream] if client.side == Side::Server && upstream.side == Side::Client)
}

/// The window's title: the connection, or the relayed conversation.
fn title(legs: &[Leg]) -> String {
    if is_relayed(legs) {
        let names: Vec<String> = legs.iter().map(Leg::name).collect();
        tr_with(
            "records-follow-relayed-title",
            &[
                ("conn", legs[0].conn.to_string().into()),
                ("legs", names.join(" + ").into()),
            ],
        )
    } else {
        legs.first().map_or_else(String::new, Leg::name)
    }
}

/// The colour a turn is shown in. On one connection, sent and received.
/// In a relayed conversation, by which way the frame goes: toward the
/// server (received from the client, sent to the target) in the colour of
/// sent, toward the client in the colour of received; so each frame shows
/// twice in one colour, once per leg.
fn colour_direction(conversation: &Conversation, turn: &Turn) -> Direction {
    if is_relayed(conversation.legs()) && turn.leg == 0 {
        match turn.direction {
            Direction::Sent => Direction::Received,
            Direction::Received => Direction::Sent,
        }
    } else {
        turn.direction
    }
}

/// Which colour is which way, and what each way carried (notes aside): a
/// line each way.
fn legend(ui: &mut Ui, conversation: &Conversation) {
    let relayed = is_relayed(conversation.legs());
    for direction in [Direction::Sent, Direction::Received] {
        let (turns, bytes) = conversation
            .turns()
            .iter()
            .filter(|turn| turn.kind != RecordKind::Note)
            .filter(|turn| colour_direction(conversation, turn) == direction)
            .fold((0, 0), |(n, bytes), turn| {
                (n + 1, bytes + u64::from(turn.wire_len))
            });
        let color = direction_color(ui.visuals(), direction);
        let (word, arrow) = if relayed {
            relayed_arrow(conversation, direction)
        } else {
            let word = match direction {
                Direction::Sent => tr("records-dir-sent"),
                Direction::Received => tr("records-dir-received"),
            };
            (word, conversation.ends(0).arrow(direction))
        };
        ui.horizontal(|ui| {
            let (swatch, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
            ui.painter().rect_filled(swatch, 2.0, color);
            ui.add_sized(
                [64.0, ui.spacing().interact_size.y],
                egui::Label::new(RichText::new(word).color(color).strong()),
            );
            ui.label(RichText::new(arrow).monospace().color(color));
            ui.weak(tr_with(
                "records-follow-turns",
                &[
                    ("count", turns.to_string().into()),
                    ("bytes", human_bytes(bytes).into()),
                ],
            ));
        });
    }
}

/// A relayed conversation's way, in the colour of `direction` (see
/// [`colour_direction`]): its name, and the addresses a frame goes through
/// (the client, the relay's two ends, the target).
fn relayed_arrow(conversation: &Conversation, direction: Direction) -> (String, String) {
    let (client_leg, upstream_leg) = (conversation.ends(0), conversation.ends(1));
    let name = |addr: Option<std::net::SocketAddr>, unknown: &str| {
        addr.map_or_else(|| unknown.to_owned(), |a| a.to_string())
    };
    let client = name(client_leg.peer, &tr("records-follow-client"));
    let relay_name = tr("records-follow-relay");
    let relay = format!(
        "{} · {}",
        name(client_leg.local, &relay_name),
        name(upstream_leg.local, &relay_name)
    );
    let target = name(upstream_leg.peer, &tr("records-follow-target"));
    match direction {
        Direction::Sent => (
            tr("records-follow-to-server"),
            format!("{client} → {relay} → {target}"),
        ),
        Direction::Received => (
            tr("records-follow-to-client"),
            format!("{target} → {relay} → {client}"),
        ),
    }
}

/// The colour of one direction's text, for the theme (Wireshark's reds and blues).
pub fn direction_color(visuals: &Visuals, direction: Direction) -> Color32 {
    match (direction, visuals.dark_mode) {
        (Direction::Sent, true) => Color32::from_rgb(255, 135, 135),
        (Direction::Sent, false) => Color32::from_rgb(175, 30, 30),
        (Direction::Received, true) => Color32::from_rgb(130, 175, 255),
        (Direction::Received, false) => Color32::from_rgb(25, 65, 175),
    }
}

/// One turn's body in `mode`, of its first [`TURN_BYTES`] bytes at most.
fn shortened_body(turn: &Turn, mode: FollowMode, raw: TextEncoding) -> String {
    if turn.bytes.len() <= TURN_BYTES {
        return follow::render_turn(turn, mode, raw);
    }
    let head = Turn {
        bytes: turn.bytes.slice(..TURN_BYTES),
        wire_len: TURN_BYTES as u32,
        ..turn.clone()
    };
    let mut body = follow::render_turn(&head, mode, raw);
    body.push_str(&tr_with(
        "records-follow-more-bytes",
        &[("count", (turn.bytes.len() - TURN_BYTES).to_string().into())],
    ));
    body.push('\n');
    body
}

/// The newest turns that fit [`SHOWN_CHARS`], each under its heading, in
/// its direction's colour; and how many older turns were left off.
fn layout(turns: &[RenderedTurn], visuals: &Visuals) -> (usize, LayoutJob) {
    let mut total = 0;
    let first = turns
        .iter()
        .rposition(|turn| {
            total += turn.heading.len() + turn.body.len();
            total > SHOWN_CHARS
        })
        .map_or(0, |over| (over + 1).min(turns.len() - 1));
    let font = FontId::monospace(FONT_SIZE);
    let mut job = LayoutJob::default();
    for turn in &turns[first..] {
        let color = turn.direction.map_or_else(
            || visuals.weak_text_color(),
            |direction| direction_color(visuals, direction),
        );
        job.append(
            &format!("{}\n", turn.heading),
            0.0,
            TextFormat {
                font_id: FontId::monospace(FONT_SIZE - 1.5),
                color: color.gamma_multiply(0.7),
                ..Default::default()
            },
        );
        job.append(
            &turn.body,
            0.0,
            TextFormat {
                font_id: font.clone(),
                color,
                ..Default::default()
            },
        );
        job.append("\n", 0.0, TextFormat::simple(font.clone(), color));
    }
    (first, job)
}

/// Writes `bytes` to `path` whole, so a failed save leaves nothing
/// half-written.
fn write_whole(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    crate::write_whole::write_whole(path, |file| file.write_all(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn(body_len: usize) -> RenderedTurn {
        RenderedTurn {
            direction: Some(Direction::Sent),
            heading: "h".to_owned(),
            body: "x".repeat(body_len),
        }
    }

    #[test]
    fn only_the_newest_turns_that_fit_are_laid_out() {
        let visuals = Visuals::dark();
        let (left_off, _) = layout(&[turn(10), turn(10)], &visuals);
        assert_eq!(left_off, 0);
        let turns = [turn(SHOWN_CHARS), turn(10), turn(10)];
        let (left_off, job) = layout(&turns, &visuals);
        assert_eq!(left_off, 1);
        assert_eq!(job.text, "h\nxxxxxxxxxx\nh\nxxxxxxxxxx\n");
        // The newest turn shows even when it alone is too long.
        let (left_off, _) = layout(&[turn(10), turn(SHOWN_CHARS + 1)], &visuals);
        assert_eq!(left_off, 1);
    }
}
