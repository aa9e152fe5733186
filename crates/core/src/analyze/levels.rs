//! The per-file measurement behind `--analyze`: fed the decoded audio buffer by buffer (the
//! same decode that `--decode` checks), it keeps only running sums, so memory stays flat
//! whatever the file's length.

use ebur128::{EbuR128, Mode};
use symphonia::core::audio::GenericAudioBufferRef;

use super::AudioLevels;

/// The highest sample rate metered for loudness and true peak (see `Meter::start`).
const MAX_METERED_RATE: u32 = 384_000;
/// The most channels metered for loudness and true peak (22.2 sound has 24).
const MAX_METERED_CHANNELS: usize = 24;

/// A sample at or above this magnitude is at full scale: the largest 16-bit value, 32767/32768
/// (decoders map integer PCM to `x / 2^(bits-1)`, so the positive rail is just under 1.0).
pub const FULL_SCALE: f32 = 32767.0 / 32768.0;
/// Consecutive full-scale samples of one channel that make a clipped run.
pub const CLIP_RUN: u32 = 3;
/// The level below which audio counts as silence, in dBFS.
pub const SILENCE_DBFS: f64 = -60.0;
/// Channels whose every sample differs by at most this level (dBFS) carry the same signal.
pub const DUAL_MONO_DBFS: f64 = -90.0;

fn amplitude(dbfs: f64) -> f32 {
    10f64.powf(dbfs / 20.0) as f32
}

fn dbfs(amplitude: f64) -> Option<f64> {
    (amplitude > 0.0).then(|| 20.0 * amplitude.log10())
}

/// Rounds to two decimals (a hundredth of a dB or LU is far below what anyone hears).
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Accumulates [`AudioLevels`] over the decoded buffers of one file.
pub struct Meter {
    rate: u32,
    channels: usize,
    ebur: Option<EbuR128>,
    samples: Vec<f32>,
    frames: u64,
    loud_frames: u64,
    first_loud: Option<u64>,
    last_loud: u64,
    peak: f32,
    sums: Vec<f64>,
    runs: Vec<u32>,
    clipped: u64,
    first_clip: Option<u64>,
    max_difference: f32,
    /// Buffers of another rate or channel count than the first (a chained stream) are left
    /// out of the measurement; counted so the result can say so.
    skipped: u64,
    silence: f32,
}

impl Default for Meter {
    fn default() -> Self {
        Self::new()
    }
}

impl Meter {
    /// A meter that takes its rate and channel count from the first buffer.
    pub fn new() -> Self {
        Meter {
            rate: 0,
            channels: 0,
            ebur: None,
            samples: Vec::new(),
            frames: 0,
            loud_frames: 0,
            first_loud: None,
            last_loud: 0,
            peak: 0.0,
            sums: Vec::new(),
            runs: Vec::new(),
            clipped: 0,
            first_clip: None,
            max_difference: 0.0,
            skipped: 0,
            silence: amplitude(SILENCE_DBFS),
        }
    }

    /// Feeds one decoded buffer, of which the first `counted` frames are audio.
    pub fn push(&mut self, buf: &GenericAudioBufferRef<'_>, counted: usize) {
        let spec = buf.spec();
        let (rate, channels) = (spec.rate(), spec.channels().count());
        if rate == 0 || channels == 0 || counted == 0 {
            return;
        }
        if self.channels == 0 {
            self.start(rate, channels);
        } else if (rate, channels) != (self.rate, self.channels) {
            self.skipped += counted as u64;
            return;
        }
        let mut samples = std::mem::take(&mut self.samples);
        buf.copy_to_vec_interleaved::<f32>(&mut samples);
        samples.truncate(counted * channels);
        self.measure(&samples);
        if let Some(e) = &mut self.ebur {
            if e.add_frames_f32(&samples).is_err() {
                self.ebur = None;
            }
        }
        self.samples = samples;
    }

    fn start(&mut self, rate: u32, channels: usize) {
        self.rate = rate;
        self.channels = channels;
        self.sums = vec![0.0; channels];
        self.runs = vec![0; channels];
        // Integrated loudness and true peak; no histogram: the block list of an hour is
        // 36 000 numbers, and exact gating is what ffmpeg's filter does too.
        // The meter's buffers grow with rate x channels (400 ms of every channel, and the
        // true-peak upsampler's): a header claiming 2.8 MHz and 64 channels would take some
        // 600 MB per file and thread. Past any real stimulus (384 kHz, 24 channels: 22.2 sound)
        // loudness and true peak are left unmeasured (null).
        self.ebur = (rate <= MAX_METERED_RATE && channels <= MAX_METERED_CHANNELS)
            .then(|| EbuR128::new(channels as u32, rate, Mode::I | Mode::TRUE_PEAK).ok())
            .flatten();
    }

    fn measure(&mut self, samples: &[f32]) {
        let ch = self.channels;
        for frame in samples.chunks_exact(ch) {
            let mut frame_peak = 0f32;
            for (c, &x) in frame.iter().enumerate() {
                let a = x.abs();
                frame_peak = frame_peak.max(a);
                self.sums[c] += f64::from(x);
                if a >= FULL_SCALE {
                    self.runs[c] += 1;
                    let run = self.runs[c];
                    if run == CLIP_RUN {
                        self.clipped += u64::from(CLIP_RUN);
                        self.first_clip
                            .get_or_insert(self.frames + 1 - u64::from(CLIP_RUN));
                    } else if run > CLIP_RUN {
                        self.clipped += 1;
                    }
                } else {
                    self.runs[c] = 0;
                }
                if c > 0 {
                    self.max_difference = self.max_difference.max((x - frame[0]).abs());
                }
            }
            self.peak = self.peak.max(frame_peak);
            if frame_peak > self.silence {
                self.loud_frames += 1;
                self.first_loud.get_or_insert(self.frames);
                self.last_loud = self.frames;
            }
            self.frames += 1;
        }
    }

    /// The measurements, or `None` when no audio was decoded.
    pub fn finish(self) -> Option<Measured> {
        if self.frames == 0 {
            return None;
        }
        let rate = f64::from(self.rate);
        let seconds = |frames: u64| crate::report::round_seconds(frames as f64 / rate);
        let loudness = self
            .ebur
            .as_ref()
            .and_then(|e| e.loudness_global().ok())
            .filter(|l| l.is_finite());
        let true_peak = self.ebur.as_ref().and_then(|e| {
            (0..self.channels as u32)
                .filter_map(|c| e.true_peak(c).ok())
                .reduce(f64::max)
        });
        let dc = self
            .sums
            .iter()
            .map(|s| s / self.frames as f64)
            .reduce(|a, b| if b.abs() > a.abs() { b } else { a })
            .unwrap_or(0.0);
        let (leading, trailing) = match self.first_loud {
            Some(first) => (first, self.frames - 1 - self.last_loud),
            None => (self.frames, self.frames),
        };
        let levels = AudioLevels {
            loudness_lufs: loudness.map(round2),
            true_peak_dbtp: true_peak.and_then(dbfs).map(round2),
            sample_peak_dbfs: dbfs(f64::from(self.peak)).map(round2),
            clipped_samples: Some(self.clipped),
            leading_silence_s: Some(seconds(leading)),
            trailing_silence_s: Some(seconds(trailing)),
            dc_offset: Some((dc * 1e6).round() / 1e6),
            dual_mono: (self.channels > 1)
                .then(|| self.loud_frames > 0 && self.max_difference <= amplitude(DUAL_MONO_DBFS)),
        };
        Some(Measured {
            levels,
            frames: self.frames,
            loud_frames: self.loud_frames,
            first_clip_s: self.first_clip.map(seconds),
            channels: self.channels,
            skipped_frames: self.skipped,
        })
    }
}

/// What a [`Meter`] measured: the report's fields and what the findings need besides.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    /// The report's fields.
    pub levels: AudioLevels,
    /// Frames measured.
    pub frames: u64,
    /// Frames with a sample above [`SILENCE_DBFS`].
    pub loud_frames: u64,
    /// Where the first clipped run starts.
    pub first_clip_s: Option<f64>,
    /// Channel count.
    pub channels: usize,
    /// Frames left out (a chained stream with another rate or layout).
    pub skipped_frames: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measured(rate: u32, channels: usize, samples: &[f32]) -> Measured {
        let mut m = Meter::new();
        m.start(rate, channels);
        m.measure(samples);
        if let Some(e) = &mut m.ebur {
            e.add_frames_f32(samples).unwrap();
        }
        m.finish().unwrap()
    }

    /// Two samples at full scale are a peak, three are a clipped run (all three count).
    #[test]
    fn clipped_runs_start_at_three_samples() {
        let mut x = vec![0.5f32; 100];
        x[10..12].fill(1.0);
        assert_eq!(measured(8000, 1, &x).levels.clipped_samples, Some(0));
        x[50..54].fill(-1.0);
        let m = measured(8000, 1, &x);
        assert_eq!(m.levels.clipped_samples, Some(4));
        assert_eq!(m.first_clip_s, Some(50.0 / 8000.0));
        assert_eq!(m.levels.sample_peak_dbfs, Some(0.0));
    }

    #[test]
    fn silence_dc_and_dual_mono() {
        // stereo: 100 silent frames, 300 frames of +0.25 in both channels, 100 silent frames
        let mut x = vec![0f32; 1000];
        x[200..800].fill(0.25);
        let m = measured(1000, 2, &x);
        assert_eq!(m.levels.leading_silence_s, Some(0.1));
        assert_eq!(m.levels.trailing_silence_s, Some(0.1));
        assert_eq!(m.levels.dc_offset, Some(0.15));
        assert_eq!(m.levels.dual_mono, Some(true));
        assert_eq!((m.frames, m.loud_frames), (500, 300));
        // one channel differing by more than -90 dBFS is not dual mono
        x[401] += 0.001;
        assert_eq!(measured(1000, 2, &x).levels.dual_mono, Some(false));
        // digital silence: no peak, no loudness, not "dual mono"
        let m = measured(1000, 2, &[0.0; 1000]);
        assert_eq!(
            (
                m.levels.sample_peak_dbfs,
                m.levels.loudness_lufs,
                m.levels.dual_mono
            ),
            (None, None, Some(false))
        );
        assert_eq!(m.levels.leading_silence_s, Some(0.5));
    }
}
