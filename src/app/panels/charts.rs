//! Charts: frames per second over the last minute, and the round-trip
//! latency histogram with its percentiles.

use egui::Ui;
use egui_plot::{Bar, BarChart, Line, Plot, PlotPoints, VLine};

use crate::app::i18n::{tr, tr_with};
use crate::engine::{LatencySummary, RATE_WINDOW};

/// Frames per second, one sample a second, newest at 0; `height` in points.
pub fn rate_chart(ui: &mut Ui, rates: &[f64], height: f32) {
    let newest = rates.last().copied().unwrap_or(0.0);
    ui.horizontal(|ui| {
        ui.strong(tr("app-chart-rate"));
        ui.weak(tr_with(
            "app-chart-rate-now",
            &[
                ("rate", format!("{newest:.0}").into()),
                ("window", RATE_WINDOW.into()),
            ],
        ));
    });
    let last = rates.len() as f64 - 1.0;
    let points: PlotPoints = rates
        .iter()
        .enumerate()
        .map(|(i, rate)| [i as f64 - last, *rate])
        .collect();
    let color = ui.visuals().selection.bg_fill;
    Plot::new("rate_chart")
        .height(height)
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .include_x(-(RATE_WINDOW as f64 - 1.0))
        .include_x(0.0)
        .include_y(0.0)
        .include_y(1.0)
        .x_axis_label(tr("app-chart-seconds-ago"))
        .show(ui, |plot| {
            // The id stays the English name's, whatever the language.
            let line = Line::new(tr("app-chart-rate-series"), points).id("frames/s");
            plot.line(line.color(color).fill(0.0));
        });
}

/// The latency histogram: `buckets` are (upper bound in µs, count).
pub fn latency_chart(ui: &mut Ui, summary: &LatencySummary, buckets: &[(u64, u64)], height: f32) {
    ui.horizontal(|ui| {
        ui.strong(tr("app-chart-latency"));
        ui.weak(tr_with(
            "app-chart-round-trips",
            &[("count", summary.count.into())],
        ))
        .on_hover_text(tr("app-chart-latency-hover"));
    });
    if summary.count > 0 {
        ui.label(percentiles_text(summary));
    }
    let color = ui.visuals().selection.bg_fill;
    let width = buckets
        .first()
        .map_or(1.0, |(upper, _)| (*upper as f64 / 1000.0).max(0.001));
    let bars: Vec<Bar> = buckets
        .iter()
        .map(|(upper, count)| {
            Bar::new(*upper as f64 / 1000.0 - width / 2.0, *count as f64)
                .width(width * 0.9)
                .fill(color)
        })
        .collect();
    let marks = ui.visuals().warn_fg_color;
    Plot::new("latency_chart")
        .height(height)
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .include_x(0.0)
        .include_x(if summary.count == 0 { 1.0 } else { 0.0 })
        .include_y(0.0)
        .include_y(1.0)
        .x_axis_label("ms")
        .show(ui, |plot| {
            // The id stays the English name's, whatever the language.
            let chart = BarChart::new(tr("app-chart-latency-series"), bars).id("round trips");
            plot.bar_chart(chart.color(color));
            if summary.count > 0 {
                for (name, micros) in [("p50", summary.p50_us), ("p99", summary.p99_us)] {
                    plot.vline(VLine::new(name, micros as f64 / 1000.0).color(marks));
                }
            }
        });
}

/// "p50 0.21 ms · p90 0.40 ms · p99 1.2 ms · max 3.0 ms".
pub fn percentiles_text(summary: &LatencySummary) -> String {
    tr_with(
        "app-percentiles",
        &[
            ("p50", millis(summary.p50_us).into()),
            ("p90", millis(summary.p90_us).into()),
            ("p99", millis(summary.p99_us).into()),
            ("max", millis(summary.max_us).into()),
        ],
    )
}

/// Microseconds as milliseconds with sensible precision.
pub fn millis(micros: u64) -> String {
    let ms = micros as f64 / 1000.0;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else if ms < 100.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_keep_a_sensible_precision() {
        assert_eq!(millis(210), "0.21 ms");
        assert_eq!(millis(12_345), "12.3 ms");
        assert_eq!(millis(1_234_000), "1234 ms");
    }
}
