//! What the node accepts as settings (the core's `validate()` plus what this node can run), its defaults, and
//! which preset a config is.

use core::fmt;

use stapes_core::{ConfigError, Error, Pipeline, preset};
use stapes_protocol::{MAX_MESSAGE_LEN, NodeSettings, Streams, feature_frame_len};

use crate::memory::PIPELINE_CAPACITY;

/// Sample rates the microphone path supports, Hz.
pub const SAMPLE_RATES: core::ops::RangeInclusive<u32> = 8_000..=48_000;
/// Largest accepted gain (a quiet MEMS microphone needs up to about 60 dB).
pub const MAX_GAIN: f32 = 1000.0;

/// The settings a fresh node runs: streaming YAMNet features (16 kHz, 64 log-mel bands, 100 frames/s) and health.
pub fn defaults() -> NodeSettings {
    NodeSettings {
        config: preset("yamnet").unwrap_or_else(|| unreachable!("yamnet is a core preset")),
        gain: 1.0,
        streams: Streams { features: true, scalars: false, audio: false, health: true },
        health_interval_ms: 1000,
    }
}

/// Why settings are refused. Small and typed; formatted only when the response is written.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Refusal {
    /// The core's `validate()` refused the config.
    Config(ConfigError),
    /// Utterance normalisation cannot stream.
    NotStreamable,
    /// Outside [`SAMPLE_RATES`].
    SampleRate(u32),
    /// The pipeline needs more f32 of storage than [`PIPELINE_CAPACITY`].
    Storage(usize),
    /// A frame of this many values does not fit a message.
    MessageSize(usize),
    /// `gain` not in (0, [`MAX_GAIN`]].
    Gain,
    /// `health_interval_ms` not in 100..=60000.
    HealthInterval,
}

/// A dotted path into `NodeSettings` (`config.frames.n_fft`, `gain`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldPath {
    prefix: &'static str,
    path: &'static str,
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.prefix, self.path)
    }
}

impl Refusal {
    /// The field at fault.
    pub fn field(&self) -> FieldPath {
        let (prefix, path) = match self {
            Refusal::Config(e) => ("config.", e.field()),
            Refusal::NotStreamable => ("config.", "normalize"),
            Refusal::SampleRate(_) => ("config.", "sample_rate"),
            Refusal::Storage(_) | Refusal::MessageSize(_) => ("", "config"),
            Refusal::Gain => ("", "gain"),
            Refusal::HealthInterval => ("", "health_interval_ms"),
        };
        FieldPath { prefix, path }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Config(e) => write!(f, "{e}"),
            Refusal::NotStreamable => {
                write!(f, "normalize: utterance normalisation needs the whole signal; set normalize to none to stream")
            }
            Refusal::SampleRate(sr) => write!(
                f,
                "sample_rate: {sr} Hz, but the node's microphone runs at {} to {} Hz",
                SAMPLE_RATES.start(),
                SAMPLE_RATES.end()
            ),
            Refusal::Storage(need) => {
                write!(f, "this config needs {need} f32 of pipeline storage; the node has {PIPELINE_CAPACITY}")
            }
            Refusal::MessageSize(values) => {
                write!(f, "frames of {values} values do not fit a {MAX_MESSAGE_LEN}-byte message")
            }
            Refusal::Gain => write!(f, "gain: must be greater than 0 and at most {MAX_GAIN}"),
            Refusal::HealthInterval => write!(f, "health_interval_ms: must be 100 to 60000"),
        }
    }
}

/// Checks `s` against everything the node needs; `Ok` means it can be persisted and applied.
pub fn check(s: &NodeSettings) -> Result<(), Refusal> {
    let c = &s.config;
    c.validate().map_err(Refusal::Config)?;
    if !c.is_streamable() {
        return Err(Refusal::NotStreamable);
    }
    if !SAMPLE_RATES.contains(&c.sample_rate) {
        return Err(Refusal::SampleRate(c.sample_rate));
    }
    match Pipeline::<&mut [f32]>::storage_len(c) {
        Ok(need) if need <= PIPELINE_CAPACITY => {}
        Ok(need) => return Err(Refusal::Storage(need)),
        // storage_len fails only on what validate() has already refused.
        Err(Error::Config(e)) => return Err(Refusal::Config(e)),
        Err(_) => return Err(Refusal::NotStreamable),
    }
    let values = c.n_features().max(c.scalars.count());
    if feature_frame_len(values) > MAX_MESSAGE_LEN {
        return Err(Refusal::MessageSize(values));
    }
    if !(s.gain.is_finite() && s.gain > 0.0 && s.gain <= MAX_GAIN) {
        return Err(Refusal::Gain);
    }
    if !(100..=60_000).contains(&s.health_interval_ms) {
        return Err(Refusal::HealthInterval);
    }
    Ok(())
}

/// The preset `config` equals, and whether it equals its streamable form (utterance normalisation off).
pub fn preset_of(config: &stapes_core::Config) -> Option<(&'static str, bool)> {
    stapes_core::preset::NAMES.iter().find_map(|&name| {
        let p = preset(name)?;
        if &p == config {
            return Some((name, false));
        }
        (&p.streamable() == config).then_some((name, true))
    })
}
