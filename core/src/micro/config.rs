//! The TFLite Micro front end's parameters: one field for every parameter the reference's `FrontendConfig`
//! exposes (`tensorflow/lite/experimental/microfrontend/lib/*_util.h`), with the ranges in which the reference's
//! integer code is defined.

use serde::{Deserialize, Serialize};

use crate::config::MAX_SAMPLE_RATE;
use crate::error::ConfigError;

/// Longest analysis window, in samples: the FFT (the next power of two) is at most this long. 64 ms at 16 kHz;
/// it bounds the front end's state (`bench/RESULTS.md` has its size), which the node keeps statically.
pub const MAX_WINDOW: usize = 1024;
/// Most filterbank channels.
pub const MAX_CHANNELS: usize = 128;

/// The TFLite Micro "microfrontend" (what microWakeWord trains with, through `pymicro-features`): int16 PCM in,
/// `channels` features per step out, integer arithmetic only.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MicroConfig {
    /// Sample rate of the int16 input, Hz.
    pub sample_rate: u32,
    /// Window length, ms (`window.size_ms`); `window_ms · sample_rate / 1000` samples, truncated as the reference.
    pub window_ms: u32,
    /// Step between windows, ms (`window.step_size_ms`).
    pub step_ms: u32,
    /// Filterbank channels, the number of features per frame (`filterbank.num_channels`).
    pub channels: u32,
    /// Lowest band edge, Hz (`filterbank.lower_band_limit`).
    pub lower_band_hz: f32,
    /// Highest band edge, Hz (`filterbank.upper_band_limit`).
    pub upper_band_hz: f32,
    /// Noise reduction: fixed-point bits of the noise estimate (`noise_reduction.smoothing_bits`).
    pub smoothing_bits: u32,
    /// Noise estimate's smoothing coefficient for even channels, 0..=1 (`noise_reduction.even_smoothing`).
    pub even_smoothing: f32,
    /// Same for odd channels (`noise_reduction.odd_smoothing`).
    pub odd_smoothing: f32,
    /// Fraction of the signal kept however large the noise estimate, 0..=1
    /// (`noise_reduction.min_signal_remaining`).
    pub min_signal_remaining: f32,
    /// Per-channel amplitude normalisation (PCAN gain control) on or off (`pcan_gain_control.enable_pcan`).
    pub enable_pcan: bool,
    /// PCAN exponent (`pcan_gain_control.strength`).
    pub pcan_strength: f32,
    /// PCAN offset added to the noise estimate (`pcan_gain_control.offset`).
    pub pcan_offset: f32,
    /// PCAN gain's fixed-point bits (`pcan_gain_control.gain_bits`).
    pub gain_bits: u32,
    /// Natural-log compression on or off (`log_scale.enable_log`).
    pub enable_log: bool,
    /// Left shift applied to the log (`log_scale.scale_shift`).
    pub scale_shift: u32,
    /// What `extract` hands back; the front end itself always computes the reference's `u16`.
    pub output: MicroOutput,
}

/// The three forms the front end's values are used in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MicroOutput {
    /// The reference's `uint16` values.
    U16,
    /// `pymicro-features`' floats: `u16 × 0.0390625` (= u16 / 25.6), exact in f32.
    Float,
    /// ESPHome's int8 model input: `(u16 · 256 + 333) / 666 − 128`, clipped to −128..=127.
    Int8,
}

/// The reference's `MostSignificantBit32`: bits needed to write `n` (0 for 0).
#[inline]
pub(crate) const fn msb32(n: u32) -> i32 {
    32 - n.leading_zeros() as i32
}

impl MicroConfig {
    /// Window length in samples.
    pub fn window_samples(&self) -> usize {
        (self.window_ms as u64 * self.sample_rate as u64 / 1000) as usize
    }

    /// Step in samples.
    pub fn step_samples(&self) -> usize {
        (self.step_ms as u64 * self.sample_rate as u64 / 1000) as usize
    }

    /// FFT length: the smallest power of two holding the window (as `FftPopulateState`).
    pub fn fft_size(&self) -> usize {
        self.window_samples().max(1).next_power_of_two()
    }

    /// Features per frame.
    pub fn n_features(&self) -> usize {
        self.channels as usize
    }

    /// Frames that `n` samples give: complete windows only, as the reference's streaming.
    pub fn n_frames(&self, n: usize) -> usize {
        let (w, s) = (self.window_samples(), self.step_samples());
        if s == 0 || n < w { 0 } else { 1 + (n - w) / s }
    }

    /// The reference's `correction_bits`/`input_correction_bits`: `MSB(fft_size) − 1 − kFilterbankBits/2`.
    pub(crate) fn correction_bits(&self) -> i32 {
        msb32(self.fft_size() as u32) - 1 - 6
    }

    /// Checks every field; the error names the first one out of range. It also lays out the filterbank, which
    /// refuses band edges whose last channel would reach past the spectrum, as `FilterbankPopulateState` does.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.sample_rate == 0 || self.sample_rate > MAX_SAMPLE_RATE {
            return Err(ConfigError::SampleRate(self.sample_rate));
        }
        let w = self.window_samples();
        if !(8..=MAX_WINDOW).contains(&w) {
            return Err(ConfigError::Range("window_ms"));
        }
        let s = self.step_samples();
        if s == 0 || s > w {
            return Err(ConfigError::Range("step_ms"));
        }
        if self.channels == 0 || self.channels as usize > MAX_CHANNELS {
            return Err(ConfigError::Range("channels"));
        }
        if !(self.lower_band_hz.is_finite() && self.lower_band_hz >= 0.0) {
            return Err(ConfigError::Range("lower_band_hz"));
        }
        if !(self.upper_band_hz.is_finite() && self.upper_band_hz > self.lower_band_hz) {
            return Err(ConfigError::Range("upper_band_hz"));
        }
        if self.smoothing_bits > 31 {
            return Err(ConfigError::Range("smoothing_bits"));
        }
        for (name, v) in [
            ("even_smoothing", self.even_smoothing),
            ("odd_smoothing", self.odd_smoothing),
            ("min_signal_remaining", self.min_signal_remaining),
        ] {
            if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
                return Err(ConfigError::Range(name));
            }
        }
        if self.enable_pcan {
            if !(self.pcan_strength.is_finite() && self.pcan_strength >= 0.0) {
                return Err(ConfigError::Range("pcan_strength"));
            }
            if !(self.pcan_offset.is_finite() && self.pcan_offset >= 0.0) {
                return Err(ConfigError::Range("pcan_offset"));
            }
            // The reference shifts by `gain_bits − correction − kPcanSnrBits` and by
            // `smoothing_bits − correction`: both must be shifts C defines.
            let correction = self.correction_bits();
            let snr_shift = self.gain_bits as i32 - correction - 12;
            if self.gain_bits > 31 || !(0..64).contains(&snr_shift) {
                return Err(ConfigError::Range("gain_bits"));
            }
            if !(0..32).contains(&(self.smoothing_bits as i32 - correction)) {
                return Err(ConfigError::Range("smoothing_bits"));
            }
        }
        if self.scale_shift > 31 {
            return Err(ConfigError::Range("scale_shift"));
        }
        super::filterbank::Filterbank::layout_only(self).map(|_| ())
    }

    /// The JSON form (pretty-printed).
    #[cfg(feature = "std")]
    pub fn to_json(&self) -> alloc::string::String {
        serde_json::to_string_pretty(self).expect("a MicroConfig always serialises")
    }

    /// Parses and validates the JSON form.
    #[cfg(feature = "std")]
    pub fn from_json(bytes: &[u8]) -> Result<MicroConfig, crate::config::DecodeError> {
        let config: MicroConfig = serde_json::from_slice(bytes).map_err(crate::config::DecodeError::Json)?;
        config.validate().map_err(crate::config::DecodeError::Invalid)?;
        Ok(config)
    }
}

/// Converts one reference value to the form `output` asks for, as f32 (int8 and u16 values are exact in f32).
#[inline]
pub fn convert(value: u16, output: MicroOutput) -> f32 {
    match output {
        MicroOutput::U16 => value as f32,
        MicroOutput::Float => to_float(value),
        MicroOutput::Int8 => to_int8(value) as f32,
    }
}

/// pymicro-features' float: `u16 × 0.0390625` (its `FLOAT32_SCALE`), exact in f32.
#[inline]
pub fn to_float(value: u16) -> f32 {
    value as f32 * 0.039_062_5
}

/// ESPHome's quantisation of a front-end value for an int8 model (`micro_wake_word`'s and TFLite Micro
/// micro_speech's `value_scale = 256`, `value_div = 666` ≈ 25.6 · 26, rounded): `(v·256 + 333) / 666 − 128`, clipped.
#[inline]
pub fn to_int8(value: u16) -> i8 {
    let v = (value as i32 * 256 + 333) / 666 - 128;
    v.clamp(-128, 127) as i8
}
