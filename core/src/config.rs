//! The one description of a whole feature pipeline.
//!
//! A [`Config`] is what presets are, what the dashboard writes to the node, what Python loads from JSON. It is
//! plain data (serde, no_std); [`Config::validate`] is the single place that decides whether a pipeline can be
//! built, and it never panics.

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;
use crate::fft::FftPlan;

/// Largest number of mel bands (and so of output rows) a pipeline may have.
pub const MAX_MELS: usize = 256;
/// Highest sample rate accepted (Hz).
pub const MAX_SAMPLE_RATE: u32 = 384_000;

/// A whole feature pipeline: framing → per-frame spectrum → mel → compression → (MFCC) plus per-frame scalars.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Sample rate the input must have, in Hz.
    pub sample_rate: u32,
    /// Every input sample is multiplied by this first. stapes takes audio in [-1, 1]; Kaldi expects int16-range
    /// values, so its presets use 32768 (a power of two: exact).
    pub input_scale: f32,
    /// How the signal is cut into frames.
    pub frames: Framing,
    /// Standard deviation of Gaussian dither added to each frame (after `input_scale`); 0 turns it off.
    pub dither: f32,
    /// Seed of the dither generator; the noise of frame `t` depends only on (seed, t), never on chunking.
    pub dither_seed: u64,
    /// Subtract each frame's mean (Kaldi `remove_dc_offset`).
    pub remove_dc: bool,
    /// Pre-emphasis coefficient inside each frame, Kaldi style (`x[i] -= c·x[i-1]`, `x[0] -= c·x[0]`); 0 = off.
    pub preemphasis: f32,
    /// Analysis window.
    pub window: Window,
    /// Power (|X|²) or magnitude (|X|) spectrum.
    pub spectrum: SpectrumKind,
    /// Mel filterbank; `None` outputs the linear spectrum (`n_fft/2 + 1` rows).
    pub mel: Option<Mel>,
    /// Compression applied to each band.
    pub log: Log,
    /// Whole-signal normalisation after compression. Anything but `None` is offline only.
    pub normalize: Normalize,
    /// Final affine step `(x + add) · mul` (Whisper's `(x + 4) / 4`). Identity by default.
    pub affine: Affine,
    /// MFCC: DCT-II (orthonormal) of the compressed bands.
    pub mfcc: Option<Mfcc>,
    /// Per-frame scalar features computed alongside.
    pub scalars: Scalars,
}

/// Framing: frame `t` covers `span` samples of the (padded) signal starting at `t · hop_length`, where `span` is
/// `n_fft` for [`Align::Center`] windows and `win_length` for [`Align::Start`] windows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Framing {
    /// FFT length; the window is zero-padded to it.
    pub n_fft: u32,
    /// Window length in samples (≤ `n_fft`).
    pub win_length: u32,
    /// Hop between frame starts, in samples.
    pub hop_length: u32,
    /// Padding of the signal's ends.
    pub padding: Padding,
    /// Drop the final frame (Whisper's `stft[..., :-1]`). Needs centre padding with `n_fft/2 ≥ hop_length`, so that
    /// the final frame is always one that only the end of the signal completes.
    pub drop_last: bool,
}

/// How the signal's ends are padded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Padding {
    /// No padding: only frames lying wholly inside the signal (Kaldi `snip_edges`, `tf.signal.frame`).
    None,
    /// Centre frames: pad `n_fft/2` zeros on each side (librosa ≥ 0.9 default).
    Constant,
    /// Centre frames: pad `n_fft/2` by reflection without repeating the edge (torch/Whisper, numpy `reflect`).
    Reflect,
    /// Centre frames: pad `n_fft/2` copies of the edge sample (librosa's zero-crossing rate).
    Edge,
    /// Kaldi's `snip_edges=false` (lhotse, icefall, sherpa-onnx): frame `t` is centred on `t·hop + hop/2`, so it
    /// starts `win/2 − hop/2` samples before `t·hop`; samples outside the signal mirror it with the edge sample
    /// repeated (`-1 → 0`, `n → n−1`, again and again for a signal shorter than a frame); and a signal of `n`
    /// samples gives `(n + hop/2) / hop` frames, its length in hops rounded to the nearest. Needs start-aligned
    /// windows and `win_length/2 ≥ hop_length/2` (kaldi-native-fbank `FirstSampleOfFrame`, `NumFrames`,
    /// `ExtractWindow`).
    Kaldi,
}

/// Window shape, symmetry and placement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// The shape.
    pub kind: WindowKind,
    /// Symmetric (`N-1` denominator, filter design, Kaldi) or periodic (`N`, spectral analysis, scipy `fftbins`).
    pub symmetric: bool,
    /// Where a window shorter than `n_fft` sits in the FFT buffer.
    pub align: Align,
}

/// Window shapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowKind {
    /// `0.5 − 0.5 cos(2πn/D)`.
    Hann,
    /// `0.54 − 0.46 cos(2πn/D)`.
    Hamming,
    /// Kaldi's `(0.5 − 0.5 cos(2πn/D))^0.85`.
    Povey,
    /// `0.42 − 0.5 cos(2πn/D) + 0.08 cos(4πn/D)`.
    Blackman,
    /// All ones.
    Rectangular,
}

/// Placement of a window shorter than the FFT.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Align {
    /// Window at the start, zeros after it (Kaldi, `tf.signal.stft`); a frame spans `win_length` samples.
    Start,
    /// Window centred in the `n_fft` buffer (librosa, torch); a frame spans `n_fft` samples.
    Center,
}

/// Which spectrum feeds the mel bank and the scalars.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpectrumKind {
    /// `re² + im²`.
    Power,
    /// `sqrt(re² + im²)`.
    Magnitude,
}

/// A mel filterbank, pinned on all four axes where the references disagree.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mel {
    /// Number of bands.
    pub n_mels: u32,
    /// Lowest band edge, Hz.
    pub fmin: f32,
    /// Highest band edge, Hz (≤ sample_rate/2).
    pub fmax: f32,
    /// Hz ↔ mel formula.
    pub scale: MelScale,
    /// Filter normalisation.
    pub norm: MelNorm,
    /// Whether the triangles are linear in Hz (librosa, torch) or in mel (Kaldi, TF, VGGish).
    pub domain: TriangleDomain,
    /// Force the DC bin's weights to zero (TF/VGGish `bands_to_zero = 1`).
    pub zero_dc: bool,
    /// Let the Nyquist bin contribute (Kaldi drops it).
    pub include_nyquist: bool,
}

/// Hz ↔ mel formula.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MelScale {
    /// Slaney's auditory toolbox: linear below 1 kHz, logarithmic above (librosa default).
    Slaney,
    /// HTK `1127·ln(1 + f/700)` (Kaldi, TF, torchaudio default).
    Htk,
}

/// Filter normalisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MelNorm {
    /// Peak 1, no area normalisation.
    Peak,
    /// Slaney area normalisation `2 / (f_right − f_left)` (librosa `norm='slaney'`).
    Slaney,
}

/// Where the triangles are linear.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriangleDomain {
    /// Ramps against FFT-bin Hz (librosa, torchaudio).
    Hz,
    /// Ramps against the mel value of each FFT bin (Kaldi, TF, VGGish).
    Mel,
}

/// Compression of each band.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Log {
    /// No compression.
    None,
    /// `ln(max(x + offset, floor))`: YAMNet/VGGish (offset 0.001/0.01, floor 0), Kaldi (offset 0, floor FLT_EPSILON).
    Ln {
        /// Added before the log.
        offset: f32,
        /// Lower clamp applied after the offset.
        floor: f32,
    },
    /// `log10(max(x, floor))`: Whisper (floor 1e-10).
    Log10 {
        /// Lower clamp.
        floor: f32,
    },
    /// `10·log10(max(x, amin)) − 10·log10(max(reference, amin))`: librosa `power_to_db`.
    Db {
        /// Lower clamp.
        amin: f32,
        /// Reference power (0 dB).
        reference: f32,
    },
}

/// Whole-signal normalisation scope; explicit because it decides whether a preset can stream.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Normalize {
    /// Per-frame only: streamable, offline equals streaming.
    None,
    /// `max(x, max_over_utterance − range)`: Whisper (range 8, log10 units) and librosa `top_db` (80 dB).
    Utterance {
        /// Dynamic range kept below the utterance maximum.
        range: f32,
    },
}

/// `(x + add) · mul`, applied last to the compressed bands (before the DCT).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Affine {
    /// Added first.
    pub add: f32,
    /// Then multiplied.
    pub mul: f32,
}

impl Affine {
    /// The identity, which the pipeline skips.
    pub const IDENTITY: Affine = Affine { add: 0.0, mul: 1.0 };
}

/// MFCC on top of the compressed mel bands.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mfcc {
    /// Number of coefficients kept (≤ `n_mels`).
    pub n_mfcc: u32,
    /// Cepstral liftering.
    pub lifter: Lifter,
    /// Replace C0 by the frame's log energy (Kaldi `use_energy`, raw energy before pre-emphasis and window).
    pub energy_c0: bool,
}

/// Cepstral lifter conventions (their index offsets differ).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lifter {
    /// No liftering.
    None,
    /// librosa: `c[n] *= 1 + (L/2)·sin(π(n+1)/L)`.
    Librosa(f32),
    /// Kaldi: `c[n] *= 1 + (Q/2)·sin(πn/Q)`.
    Kaldi(f32),
}

/// Which per-frame scalar features to compute. Spectral ones use the magnitude spectrum (librosa's convention),
/// time-domain ones the scaled frame before any other processing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Scalars {
    /// `sqrt(mean(x²))` of the frame.
    pub rms: bool,
    /// Fraction of sign changes in the frame (librosa threshold 1e-10, zero counts as positive).
    pub zcr: bool,
    /// Magnitude-weighted mean frequency, Hz.
    pub centroid: bool,
    /// Magnitude-weighted standard deviation around the centroid, Hz (librosa p = 2).
    pub bandwidth: bool,
    /// Frequency below which 85 % of the magnitude lies, Hz.
    pub rolloff: bool,
    /// Geometric over arithmetic mean of the power spectrum (amin 1e-10).
    pub flatness: bool,
    /// Positive spectral flux: `Σ max(0, |X_t| − |X_{t−1}|)`, the first frame against zeros.
    pub flux: bool,
}

impl Scalars {
    /// Every scalar on.
    pub const ALL: Scalars =
        Scalars { rms: true, zcr: true, centroid: true, bandwidth: true, rolloff: true, flatness: true, flux: true };

    /// Names of the scalars in output order.
    pub const NAMES: [&'static str; 7] = ["rms", "zcr", "centroid", "bandwidth", "rolloff", "flatness", "flux"];

    /// Names of the selected scalars, in output order: the columns of a frame's scalars.
    pub fn selected(&self) -> impl Iterator<Item = &'static str> {
        Scalars::NAMES.into_iter().zip(self.flags()).filter_map(|(name, on)| on.then_some(name))
    }

    /// Where scalar `name` sits among the selected ones (`None`: not selected, or no such scalar).
    pub fn position(&self, name: &str) -> Option<usize> {
        self.selected().position(|n| n == name)
    }

    /// Flags in [`Scalars::NAMES`] order.
    pub fn flags(&self) -> [bool; 7] {
        [self.rms, self.zcr, self.centroid, self.bandwidth, self.rolloff, self.flatness, self.flux]
    }

    /// How many scalars are on.
    pub fn count(&self) -> usize {
        self.flags().iter().filter(|&&f| f).count()
    }
}

impl Framing {
    /// Samples a frame reads from the padded signal.
    pub fn span(&self, align: Align) -> usize {
        match align {
            Align::Start => self.win_length as usize,
            Align::Center => self.n_fft as usize,
        }
    }

    /// Samples of padding before the signal (and, but for [`Padding::Kaldi`], after it).
    pub fn pad(&self) -> usize {
        match self.padding {
            Padding::None => 0,
            Padding::Kaldi => (self.win_length as usize / 2).saturating_sub(self.hop_length as usize / 2),
            _ => self.n_fft as usize / 2,
        }
    }
}

impl Config {
    /// This config as a stream computes it: utterance normalisation off (a stream cannot see the utterance's
    /// maximum), everything else as is. The node, the dashboard and the conformance runs use this one rule.
    pub fn streamable(&self) -> Config {
        Config { normalize: Normalize::None, ..self.clone() }
    }

    /// Rows of the feature output: MFCC count, else mel bands, else linear bins.
    pub fn n_features(&self) -> usize {
        match (&self.mfcc, &self.mel) {
            (Some(m), _) => m.n_mfcc as usize,
            (None, Some(m)) => m.n_mels as usize,
            (None, None) => self.frames.n_fft as usize / 2 + 1,
        }
    }

    /// Whether the pipeline is per-frame only (streaming gives the same frames as offline extraction).
    pub fn is_streamable(&self) -> bool {
        self.normalize == Normalize::None
    }

    /// Samples a frame reads from the padded signal.
    pub fn span(&self) -> usize {
        self.frames.span(self.window.align)
    }

    /// Frames that offline extraction produces for `n` input samples.
    pub fn n_frames(&self, n: usize) -> usize {
        let f = &self.frames;
        crate::framing::frame_count(n as u64, f.pad(), self.span(), f.hop_length as usize, f.padding, f.drop_last)
            as usize
    }

    /// Checks every field and every combination; the typed error names the first problem found.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let sr = self.sample_rate;
        if sr == 0 || sr > MAX_SAMPLE_RATE {
            return Err(ConfigError::SampleRate(sr));
        }
        finite_positive("input_scale", self.input_scale)?;
        let f = &self.frames;
        FftPlan::try_new(f.n_fft as usize).map_err(|_| ConfigError::FftSize(f.n_fft))?;
        if f.win_length == 0 || f.win_length > f.n_fft {
            return Err(ConfigError::WindowLength { win_length: f.win_length, n_fft: f.n_fft });
        }
        if f.hop_length == 0 || f.hop_length > f.n_fft * 4 {
            return Err(ConfigError::HopLength(f.hop_length));
        }
        if f.drop_last && (matches!(f.padding, Padding::None | Padding::Kaldi) || f.pad() < f.hop_length as usize) {
            return Err(ConfigError::DropLast);
        }
        if f.padding == Padding::Kaldi && (self.window.align != Align::Start || f.win_length / 2 < f.hop_length / 2) {
            return Err(ConfigError::KaldiPadding);
        }
        if self.window.align == Align::Start && f.pad() > 0 && (f.win_length as usize) < f.pad() + 1 {
            return Err(ConfigError::WindowLength { win_length: f.win_length, n_fft: f.n_fft });
        }
        if !(self.dither.is_finite() && self.dither >= 0.0) {
            return Err(ConfigError::NotFinite("dither"));
        }
        if !(self.preemphasis.is_finite() && (0.0..=1.0).contains(&self.preemphasis)) {
            return Err(ConfigError::Range("preemphasis"));
        }
        let bins = f.n_fft as usize / 2 + 1;
        if let Some(mel) = &self.mel {
            self.validate_mel(mel, bins)?;
        }
        self.validate_log()?;
        if let Normalize::Utterance { range } = self.normalize {
            finite_positive("normalize.range", range)?;
            if self.log == Log::None {
                return Err(ConfigError::Range("normalize needs a log compression"));
            }
        }
        if !(self.affine.add.is_finite() && self.affine.mul.is_finite()) || self.affine.mul == 0.0 {
            return Err(ConfigError::NotFinite("affine"));
        }
        if let Some(mfcc) = &self.mfcc {
            let n_mels = self.mel.map(|m| m.n_mels).ok_or(ConfigError::MfccWithoutMel)?;
            if mfcc.n_mfcc == 0 || mfcc.n_mfcc > n_mels {
                return Err(ConfigError::MfccCount { n_mfcc: mfcc.n_mfcc, n_mels });
            }
            match mfcc.lifter {
                Lifter::None => {}
                Lifter::Librosa(l) | Lifter::Kaldi(l) => finite_positive("mfcc.lifter", l)?,
            }
            if self.log == Log::None {
                return Err(ConfigError::Range("mfcc needs a log compression"));
            }
        }
        Ok(())
    }

    fn validate_mel(&self, mel: &Mel, bins: usize) -> Result<(), ConfigError> {
        let nyquist = self.sample_rate as f32 / 2.0;
        if !(mel.fmin.is_finite() && mel.fmax.is_finite()) || mel.fmin < 0.0 || mel.fmin >= mel.fmax {
            return Err(ConfigError::MelRange { fmin: mel.fmin, fmax: mel.fmax });
        }
        if mel.fmax > nyquist {
            return Err(ConfigError::FmaxAboveNyquist { fmax: mel.fmax, nyquist });
        }
        if mel.n_mels == 0 || mel.n_mels as usize > MAX_MELS || mel.n_mels as usize > bins {
            return Err(ConfigError::TooManyMels { n_mels: mel.n_mels, bins: bins.min(MAX_MELS) as u32 });
        }
        Ok(())
    }

    fn validate_log(&self) -> Result<(), ConfigError> {
        match self.log {
            Log::None => Ok(()),
            Log::Ln { offset, floor } => {
                if !(offset.is_finite() && offset >= 0.0 && floor.is_finite() && floor >= 0.0) {
                    return Err(ConfigError::Range("log.offset/floor"));
                }
                Ok(())
            }
            Log::Log10 { floor } => finite_positive("log.floor", floor),
            Log::Db { amin, reference } => {
                finite_positive("log.amin", amin)?;
                finite_positive("log.reference", reference)
            }
        }
    }
}

fn finite_positive(field: &'static str, v: f32) -> Result<(), ConfigError> {
    if v.is_finite() && v > 0.0 { Ok(()) } else { Err(ConfigError::NotPositive(field)) }
}

/// Why bytes could not become a [`Config`].
#[cfg(feature = "std")]
#[derive(Debug)]
pub enum DecodeError {
    /// Not JSON of the config's shape (serde's message names the field and position).
    Json(serde_json::Error),
    /// Well-formed, but the pipeline it describes is invalid.
    Invalid(ConfigError),
}

#[cfg(feature = "std")]
impl core::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            DecodeError::Json(e) => write!(f, "config JSON: {e}"),
            DecodeError::Invalid(e) => write!(f, "invalid config: {e}"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for DecodeError {}

#[cfg(feature = "std")]
impl Config {
    /// Decodes and validates a config from JSON: any bytes give a valid config or an error, never a panic.
    pub fn from_json(bytes: &[u8]) -> Result<Config, DecodeError> {
        let config: Config = serde_json::from_slice(bytes).map_err(DecodeError::Json)?;
        config.validate().map_err(DecodeError::Invalid)?;
        Ok(config)
    }

    /// The JSON form (pretty-printed; floats in their shortest round-tripping form).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a Config always serialises")
    }
}
