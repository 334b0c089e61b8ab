//! A load run's result as a file: settings, totals, rates, latency
//! percentiles and the whole latency histogram (HdrHistogram's V2 form,
//! base64), so that the results of many agents can be merged into one with
//! their histograms added, not their percentiles averaged.

use base64::Engine as _;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Deserializer, Serializer, V2Serializer};
use serde::{Deserialize, Serialize};

use super::LoadSettings;
use super::tally::{DatagramCounts, Totals};
use crate::engine::record::stats::latency_histogram;

/// Why a result file cannot be read or merged.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The file is not a load result.
    #[error("not a framescope load result: {0}")]
    Json(#[from] serde_json::Error),
    /// Its histogram cannot be decoded.
    #[error("its latency histogram cannot be read: {0}")]
    Histogram(String),
    /// Nothing to merge.
    #[error("no results to merge")]
    Nothing,
}

/// Latency percentiles in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    /// Round trips measured.
    pub count: u64,
    /// The mean.
    pub mean: f64,
    /// The median.
    pub p50: u64,
    /// The 90th percentile.
    pub p90: u64,
    /// The 99th percentile.
    pub p99: u64,
    /// The 99.9th percentile.
    pub p99_9: u64,
    /// The slowest.
    pub max: u64,
}

impl Percentiles {
    /// The percentiles of `histogram`.
    pub fn of(histogram: &Histogram<u64>) -> Self {
        if histogram.is_empty() {
            return Self::default();
        }
        Self {
            count: histogram.len(),
            mean: histogram.mean(),
            p50: histogram.value_at_quantile(0.5),
            p90: histogram.value_at_quantile(0.9),
            p99: histogram.value_at_quantile(0.99),
            p99_9: histogram.value_at_quantile(0.999),
            max: histogram.max(),
        }
    }
}

/// Connections asked for, opened and failed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionCounts {
    /// Asked for.
    pub asked: u64,
    /// Opened at some point.
    pub opened: u64,
    /// Failed to open, or broke before the end.
    pub failed: u64,
}

/// What a load run (or several merged) measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadReport {
    /// Replies per second in the measured window (the sum over agents).
    pub frames_per_s: f64,
    /// Errors over the whole run: failed connections, broken ones, replies
    /// that differ or cannot be read.
    pub errors: u64,
    /// Megabytes (10^6) received per second in the measured window.
    pub megabytes_per_s: f64,
    /// Frames sent per second in the measured window.
    pub sent_per_s: f64,
    /// The measured window's length in seconds (the longest of the agents).
    pub seconds: f64,
    /// Agents whose results are in this one.
    pub agents: u64,
    /// Whether the run was stopped before its time.
    pub stopped_early: bool,
    /// How the run was set up (the first agent's, when merged).
    pub settings: LoadSettings,
    /// Counts in the measured window.
    pub window: Totals,
    /// Counts over the whole run, warm-up included.
    pub run: Totals,
    /// Connections.
    pub connections: ConnectionCounts,
    /// Round-trip latency in the measured window, in microseconds.
    pub latency_us: Percentiles,
    /// The whole latency histogram, HdrHistogram V2, base64.
    pub latency_histogram: String,
    /// The first errors, in words.
    pub first_errors: Vec<String>,
    /// The share of their cores the load's workers used in the window,
    /// where measured (Linux); `None` when merged.
    #[serde(default)]
    pub load_busy: Option<f64>,
    /// Over UDP: datagrams sent, received, lost, duplicated and reordered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datagrams: Option<DatagramCounts>,
}

impl LoadReport {
    /// The latency histogram, decoded.
    pub fn histogram(&self) -> Result<Histogram<u64>, ReportError> {
        decode_histogram(&self.latency_histogram)
    }

    /// Reads a result written with [`LoadReport::to_json`].
    pub fn from_json(text: &str) -> Result<Self, ReportError> {
        let report: Self = serde_json::from_str(text)?;
        report.histogram()?;
        Ok(report)
    }

    /// Writes the result to `path` as JSON, all or nothing: a temporary
    /// file beside it is renamed into place once complete.
    pub fn write_file(&self, path: &std::path::Path) -> std::io::Result<()> {
        use std::io::Write as _;
        crate::write_whole::write_whole(path, |file| {
            file.write_all(self.to_json().as_bytes())?;
            file.write_all(b"\n")
        })
    }

    /// The result as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a load report serialises")
    }

    /// One result of agents that ran side by side: counts and rates added,
    /// histograms merged and percentiles taken from the merged histogram.
    pub fn merge(reports: &[LoadReport]) -> Result<LoadReport, ReportError> {
        let first = reports.first().ok_or(ReportError::Nothing)?;
        let mut histogram = latency_histogram();
        let mut merged = first.clone();
        merged.first_errors.clear();
        merged.load_busy = None;
        for (i, report) in reports.iter().enumerate() {
            histogram
                .add(report.histogram()?)
                .map_err(|e| ReportError::Histogram(format!("{e:?}")))?;
            merged
                .first_errors
                .extend(report.first_errors.iter().cloned());
            if i == 0 {
                continue;
            }
            merged.frames_per_s += report.frames_per_s;
            merged.errors += report.errors;
            merged.megabytes_per_s += report.megabytes_per_s;
            merged.sent_per_s += report.sent_per_s;
            merged.seconds = merged.seconds.max(report.seconds);
            merged.agents += report.agents;
            merged.stopped_early |= report.stopped_early;
            merged.window = merged.window.plus(&report.window);
            merged.run = merged.run.plus(&report.run);
            merged.connections.asked += report.connections.asked;
            merged.connections.opened += report.connections.opened;
            merged.connections.failed += report.connections.failed;
            merged.datagrams = match (merged.datagrams, report.datagrams) {
                (Some(a), Some(b)) => Some(a.plus(&b)),
                (a, b) => a.or(b),
            };
        }
        merged.latency_us = Percentiles::of(&histogram);
        merged.latency_histogram = encode_histogram(&histogram);
        Ok(merged)
    }
}

/// A histogram in HdrHistogram's V2 form, base64.
pub fn encode_histogram(histogram: &Histogram<u64>) -> String {
    let mut bytes = Vec::new();
    V2Serializer::new()
        .serialize(histogram, &mut bytes)
        .expect("a histogram serialises into memory");
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Reads a histogram written by [`encode_histogram`].
pub fn decode_histogram(text: &str) -> Result<Histogram<u64>, ReportError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| ReportError::Histogram(e.to_string()))?;
    Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(|e| ReportError::Histogram(format!("{e:?}")))
}
