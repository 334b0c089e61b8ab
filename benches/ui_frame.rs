//! How long one frame of the window takes with a million records in the
//! journal, and with a 16 MiB frame open in the byte view.
//!
//! Run with `cargo bench --bench ui_frame`. It drives the real app struct
//! through egui_kittest (layout and tessellation, no GPU) and prints the
//! mean and worst frame time; the target is under 16 ms.

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use framescope::app::{FramescopeApp, Settings};
use framescope::engine::Engine;
use framescope::engine::reference::fill_journal;
use framescope::engine::tutorial_app::search_request;

/// Frames timed per measurement.
const FRAMES: u32 = 60;

/// Steps until `done` holds (at most `limit` steps).
fn settle(
    h: &mut Harness<'static, FramescopeApp>,
    limit: u32,
    mut done: impl FnMut(&FramescopeApp) -> bool,
) {
    for _ in 0..limit {
        if done(h.state()) {
            return;
        }
        h.step();
    }
    panic!("the window did not settle");
}

/// Mean and worst time of `FRAMES` frames.
fn time_frames(h: &mut Harness<'static, FramescopeApp>) -> (Duration, Duration) {
    let mut worst = Duration::ZERO;
    let started = Instant::now();
    for _ in 0..FRAMES {
        let frame = Instant::now();
        h.step();
        worst = worst.max(frame.elapsed());
    }
    (started.elapsed() / FRAMES, worst)
}

fn main() {
    let engine = Engine::new().expect("engine");
    let empty_frame = {
        let mut h = Harness::builder()
            .with_size([1600.0, 1000.0])
            .build_eframe(|_cc| {
                FramescopeApp::with_engine(Engine::new().expect("engine"), Settings::default())
            });
        h.step();
        time_frames(&mut h)
    };
    fill_journal(
        &engine,
        1_000_000,
        &search_request("morpheus").build().expect("frame"),
    );
    let mut h = Harness::builder()
        .with_size([1600.0, 1000.0])
        .build_eframe(move |_cc| FramescopeApp::with_engine(engine, Settings::default()));
    settle(&mut h, 10_000, |app| app.frames_shown() == 1_000_000);
    let million = time_frames(&mut h);

    let huge = search_request("morpheus")
        .content(vec![b'x'; 16 << 20])
        .build()
        .expect("frame");
    fill_journal(h.state().engine(), 1, &huge);
    settle(&mut h, 10_000, |app| app.frames_shown() == 1_000_001);
    h.key_press(egui::Key::ArrowUp);
    settle(&mut h, 100, |app| app.selected_record() == Some(1_000_000));
    let huge_open = time_frames(&mut h);

    println!("| window state | mean frame | worst frame |");
    println!("|---|---:|---:|");
    for (what, (mean, worst)) in [
        ("empty journal", empty_frame),
        ("1,000,000 records", million),
        ("+ a 16 MiB frame selected", huge_open),
    ] {
        println!(
            "| {what} | {:.2} ms | {:.2} ms |",
            mean.as_secs_f64() * 1e3,
            worst.as_secs_f64() * 1e3
        );
    }
}
