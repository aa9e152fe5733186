//! The `--analyze` flags: on/off, the target loudness and the thresholds, resolved into the
//! library's [`AnalyzeOptions`] (whose defaults they show).

use clap::Args;
use stimpack_core::{
    AnalyzeOptions, DEFAULT_LOUDNESS_TOLERANCE_LU, DEFAULT_MAX_DC_OFFSET, DEFAULT_MAX_TRUE_PEAK_DBTP,
    DEFAULT_SILENCE_TOLERANCE_S,
};

/// Flags of the audio analysis.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Also measure every audio file's decoded signal: loudness (BS.1770-4), true and sample
    /// peak, clipping, leading and trailing silence, DC offset, dual mono (implies --decode).
    #[arg(long)]
    pub analyze: bool,
    /// With --analyze: warn when a stimulus is more than 2 LU from this loudness (LUFS), and
    /// give the gains to reach it.
    #[arg(
        long,
        value_name = "LUFS",
        allow_negative_numbers = true,
        requires = "analyze",
        value_parser = finite
    )]
    pub target_lufs: Option<f64>,
    /// With --analyze: the loudness difference (LU) within a source that is a loudness-mismatch.
    #[arg(long, value_name = "LU", default_value_t = DEFAULT_LOUDNESS_TOLERANCE_LU, value_parser = non_negative, requires = "analyze")]
    pub loudness_tolerance: f64,
    /// With --analyze: the true-peak ceiling (dBTP) above which a file is true-peak-over.
    #[arg(long, value_name = "DBTP", default_value_t = DEFAULT_MAX_TRUE_PEAK_DBTP, allow_negative_numbers = true, value_parser = finite, requires = "analyze")]
    pub max_true_peak: f64,
    /// With --analyze: the difference in leading silence (seconds) within a source that is a
    /// silence-mismatch.
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_SILENCE_TOLERANCE_S, value_parser = non_negative, requires = "analyze")]
    pub silence_tolerance: f64,
    /// With --analyze: the mean sample value (share of full scale) beyond which a file has a
    /// dc-offset.
    #[arg(long, value_name = "SHARE", default_value_t = DEFAULT_MAX_DC_OFFSET, value_parser = non_negative, requires = "analyze")]
    pub max_dc_offset: f64,
}

fn finite(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(format!("'{s}' is not a number")),
    }
}

fn non_negative(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
        _ => Err(format!("'{s}' is not a number of 0 or more")),
    }
}

impl AnalyzeArgs {
    /// The analysis options, or `None` without `--analyze`.
    pub fn to_options(&self) -> Option<AnalyzeOptions> {
        self.analyze.then_some(AnalyzeOptions {
            loudness_tolerance_lu: self.loudness_tolerance,
            max_true_peak_dbtp: self.max_true_peak,
            silence_tolerance_s: self.silence_tolerance,
            max_dc_offset: self.max_dc_offset,
            target_lufs: self.target_lufs,
        })
    }
}
