//! What ruins a listening test after the files are valid: loudness, clipping, silence and DC
//! measured from the decoded audio (`--analyze`), and what browsers cannot play, read from the
//! headers in every check. The measurements become report fields; the verdicts, findings.

use serde::{Deserialize, Serialize};

use crate::probe::Finding;
use crate::report::{Code, Severity};

pub mod avc;
pub mod group;
pub mod levels;
pub mod picture;
pub mod playability;

pub use playability::MediaDetails;

/// Conditions of one source may differ by this much integrated loudness (LU) before it is a
/// `loudness-mismatch`.
pub const DEFAULT_LOUDNESS_TOLERANCE_LU: f64 = 1.0;
/// A true peak above this (dBTP) is `true-peak-over` (EBU R128's ceiling for distribution).
pub const DEFAULT_MAX_TRUE_PEAK_DBTP: f64 = -1.0;
/// Leading silence of one source's conditions may differ by this much (s) before it is a
/// `silence-mismatch`: past it, listeners hear the offset when they switch.
pub const DEFAULT_SILENCE_TOLERANCE_S: f64 = 0.1;
/// A mean sample value beyond this share of full scale is a `dc-offset` (1%: −40 dBFS).
pub const DEFAULT_MAX_DC_OFFSET: f64 = 0.01;
/// With a target loudness, a stimulus further than this from it (LU) is `loudness-off-target`.
pub const TARGET_TOLERANCE_LU: f64 = 2.0;
/// A file with less than this share (percent) of its frames above −60 dBFS is `mostly-silent`.
pub const MOSTLY_SILENT_PERCENT: f64 = 10.0;

/// Thresholds of `--analyze`. `AnalyzeOptions::default()` holds the documented defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalyzeOptions {
    /// See [`DEFAULT_LOUDNESS_TOLERANCE_LU`].
    pub loudness_tolerance_lu: f64,
    /// See [`DEFAULT_MAX_TRUE_PEAK_DBTP`].
    pub max_true_peak_dbtp: f64,
    /// See [`DEFAULT_SILENCE_TOLERANCE_S`].
    pub silence_tolerance_s: f64,
    /// See [`DEFAULT_MAX_DC_OFFSET`].
    pub max_dc_offset: f64,
    /// The loudness every stimulus should have (LUFS), if any: stimuli more than
    /// [`TARGET_TOLERANCE_LU`] from it get a warning, and `loudness-mismatch` gives the gains
    /// to reach it.
    pub target_lufs: Option<f64>,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        AnalyzeOptions {
            loudness_tolerance_lu: DEFAULT_LOUDNESS_TOLERANCE_LU,
            max_true_peak_dbtp: DEFAULT_MAX_TRUE_PEAK_DBTP,
            silence_tolerance_s: DEFAULT_SILENCE_TOLERANCE_S,
            max_dc_offset: DEFAULT_MAX_DC_OFFSET,
            target_lufs: None,
        }
    }
}

/// What `--analyze` measured in a stimulus's decoded audio (every field null otherwise, and
/// for stimuli that are not decoded audio). Flattened into the stimulus record.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AudioLevels {
    /// Integrated loudness, ITU-R BS.1770-4 / EBU R128 (LUFS); null when every block is gated
    /// out (silence, or under 0.4 s of audio).
    pub loudness_lufs: Option<f64>,
    /// Highest true (inter-sample) peak over the channels, dBTP (4x oversampled below 96 kHz).
    pub true_peak_dbtp: Option<f64>,
    /// Highest sample magnitude, dBFS; null for digital silence.
    pub sample_peak_dbfs: Option<f64>,
    /// Samples in runs of 3 or more at full scale, over all channels.
    pub clipped_samples: Option<u64>,
    /// Seconds before the first sample above −60 dBFS.
    pub leading_silence_s: Option<f64>,
    /// Seconds after the last sample above −60 dBFS.
    pub trailing_silence_s: Option<f64>,
    /// Mean sample value of the channel where it is largest, as a share of full scale.
    pub dc_offset: Option<f64>,
    /// For 2+ channels: whether every channel equals the first within −90 dBFS (mono stored
    /// as stereo).
    pub dual_mono: Option<bool>,
}

/// The findings about one file's measurements.
pub fn file_findings(m: &levels::Measured, opts: &AnalyzeOptions) -> Vec<Finding> {
    let mut out = Vec::new();
    let l = &m.levels;
    let warn = |code, message: String| Finding {
        severity: Severity::Warning,
        code,
        message,
    };
    let audible = m.loud_frames as f64 * 100.0 / m.frames.max(1) as f64;
    if audible < MOSTLY_SILENT_PERCENT {
        out.push(Finding::error(
            Code::MostlySilent,
            format!(
                "only {audible:.1}% of the audio is above {} dBFS (at least {MOSTLY_SILENT_PERCENT}% expected): \
                 the file is silent or nearly so. Export it again from its source",
                levels::SILENCE_DBFS
            ),
        ));
    }
    if let Some(n) = l.clipped_samples.filter(|&n| n > 0) {
        out.push(warn(
            Code::Clipping,
            format!(
                "{n} samples are clipped (runs of {} or more at full scale, the first at {:.3} s): \
                 listeners hear distortion that is not the condition's. Export it again at a lower level",
                levels::CLIP_RUN,
                m.first_clip_s.unwrap_or(0.0)
            ),
        ));
    }
    if let Some(tp) = l.true_peak_dbtp.filter(|&tp| tp > opts.max_true_peak_dbtp) {
        out.push(warn(
            Code::TruePeakOver,
            format!(
                "the true peak is {tp:.1} dBTP, above {:.1} dBTP: playback or re-encoding may clip it. \
                 Lower the level by {:.1} dB (or use a true-peak limiter)",
                opts.max_true_peak_dbtp,
                tp - opts.max_true_peak_dbtp
            ),
        ));
    }
    if let Some(dc) = l.dc_offset.filter(|dc| dc.abs() > opts.max_dc_offset) {
        out.push(warn(
            Code::DcOffset,
            format!(
                "the signal's mean is {dc:+.4} of full scale (more than {}): a DC offset that clicks at cuts \
                 and wastes headroom. Remove it with a high-pass filter",
                opts.max_dc_offset
            ),
        ));
    }
    if l.dual_mono == Some(true) {
        out.push(warn(
            Code::DualMono,
            format!(
                "its {} channels carry the same signal: it is mono stored as stereo. If the condition \
                 should be stereo, check the export; otherwise store it as mono",
                m.channels
            ),
        ));
    }
    if let (Some(target), Some(lufs)) = (opts.target_lufs, l.loudness_lufs) {
        if (lufs - target).abs() > TARGET_TOLERANCE_LU {
            out.push(warn(
                Code::LoudnessOffTarget,
                format!(
                    "the loudness is {lufs:.1} LUFS, {:.1} LU from the target {target:.1} LUFS. \
                     Apply a gain of {:+.1} dB",
                    (lufs - target).abs(),
                    target - lufs
                ),
            ));
        }
    }
    out
}

/// Decodes a file once: the `--decode` findings, plus the measurements and their findings.
pub fn decode_and_measure<R: std::io::Read + std::io::Seek + Send + Sync>(
    source: R,
    len: u64,
    extension: &str,
    expected_s: Option<f64>,
    opts: &AnalyzeOptions,
) -> (Vec<Finding>, AudioLevels) {
    let mut meter = levels::Meter::new();
    let mut found = crate::probe::decode::findings_with(source, len, extension, expected_s, &mut |buf, n| {
        meter.push(buf, n)
    });
    match meter.finish() {
        Some(m) => {
            found.extend(file_findings(&m, opts));
            (found, m.levels)
        }
        None => (found, AudioLevels::default()),
    }
}
