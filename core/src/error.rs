//! Typed errors. Nothing in the core panics on bad input: it returns one of these.

use core::fmt;

use crate::fft::FftError;

/// Why a [`Config`](crate::Config) cannot be built. [`ConfigError::field`] names the offending field.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ConfigError {
    /// Zero or above [`MAX_SAMPLE_RATE`](crate::config::MAX_SAMPLE_RATE).
    SampleRate(u32),
    /// `n_fft` is not 2^a·3^b·5^c within 16..=4096.
    FftSize(u32),
    /// `win_length` is zero or longer than `n_fft` (or, start-aligned with centring, shorter than the padding).
    WindowLength {
        /// The window length given.
        win_length: u32,
        /// The FFT length given.
        n_fft: u32,
    },
    /// `hop_length` is zero or absurdly long.
    HopLength(u32),
    /// `drop_last` without centre padding of at least one hop.
    DropLast,
    /// A field that must be finite and > 0 is not.
    NotPositive(&'static str),
    /// A field that must be finite is not.
    NotFinite(&'static str),
    /// A field outside its range or an incompatible combination; the text names it.
    Range(&'static str),
    /// `fmin`/`fmax` not finite, negative, or `fmin ≥ fmax`.
    MelRange {
        /// Given lower edge.
        fmin: f32,
        /// Given upper edge.
        fmax: f32,
    },
    /// `fmax` above half the sample rate.
    FmaxAboveNyquist {
        /// Given upper edge.
        fmax: f32,
        /// Half the sample rate.
        nyquist: f32,
    },
    /// More mel bands than FFT bins (or than [`MAX_MELS`](crate::config::MAX_MELS)), or none.
    TooManyMels {
        /// Bands asked for.
        n_mels: u32,
        /// The most that fit.
        bins: u32,
    },
    /// [`Padding::Kaldi`](crate::config::Padding::Kaldi) with a centred window, or with a hop longer than the
    /// window (Kaldi's frames would then start after `t·hop`).
    KaldiPadding,
    /// MFCC needs a mel filterbank.
    MfccWithoutMel,
    /// `n_mfcc` zero or above `n_mels`.
    MfccCount {
        /// Coefficients asked for.
        n_mfcc: u32,
        /// Mel bands available.
        n_mels: u32,
    },
}

impl ConfigError {
    /// The config field at fault, as a dotted path into the JSON form.
    pub fn field(&self) -> &'static str {
        match self {
            ConfigError::SampleRate(_) => "sample_rate",
            ConfigError::FftSize(_) => "frames.n_fft",
            ConfigError::WindowLength { .. } => "frames.win_length",
            ConfigError::HopLength(_) => "frames.hop_length",
            ConfigError::DropLast => "frames.drop_last",
            ConfigError::KaldiPadding => "frames.padding",
            ConfigError::NotPositive(f) | ConfigError::NotFinite(f) | ConfigError::Range(f) => f,
            ConfigError::MelRange { .. } => "mel.fmin",
            ConfigError::FmaxAboveNyquist { .. } => "mel.fmax",
            ConfigError::TooManyMels { .. } => "mel.n_mels",
            ConfigError::MfccWithoutMel => "mfcc",
            ConfigError::MfccCount { .. } => "mfcc.n_mfcc",
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let field = self.field();
        match *self {
            ConfigError::SampleRate(sr) => write!(f, "{field}: {sr} Hz is not in 1..=384000"),
            ConfigError::FftSize(n) => {
                write!(f, "{field}: {n} is not a supported FFT size (2^a·3^b·5^c between 16 and 4096)")
            }
            ConfigError::WindowLength { win_length, n_fft } => {
                write!(f, "{field}: window of {win_length} samples does not fit the FFT of {n_fft}")
            }
            ConfigError::HopLength(h) => write!(f, "{field}: hop of {h} samples must be between 1 and 4·n_fft"),
            ConfigError::DropLast => {
                write!(f, "{field}: dropping the last frame needs centre padding of at least one hop")
            }
            ConfigError::KaldiPadding => write!(
                f,
                "{field}: kaldi (snip_edges=false) frames need window.align \"start\" and win_length/2 ≥ hop_length/2"
            ),
            ConfigError::NotPositive(_) => write!(f, "{field}: must be finite and greater than 0"),
            ConfigError::NotFinite(_) => write!(f, "{field}: must be finite (and non-negative where it is an amount)"),
            ConfigError::Range(what) => write!(f, "{what}: out of range or incompatible with the rest"),
            ConfigError::MelRange { fmin, fmax } => {
                write!(f, "{field}: need 0 ≤ fmin < fmax, got fmin {fmin} Hz, fmax {fmax} Hz")
            }
            ConfigError::FmaxAboveNyquist { fmax, nyquist } => {
                write!(f, "{field}: {fmax} Hz is above half the sample rate ({nyquist} Hz)")
            }
            ConfigError::TooManyMels { n_mels, bins } => {
                write!(f, "{field}: {n_mels} bands, but between 1 and {bins} fit this FFT")
            }
            ConfigError::MfccWithoutMel => write!(f, "{field}: MFCC needs a mel filterbank (mel is null)"),
            ConfigError::MfccCount { n_mfcc, n_mels } => {
                write!(f, "{field}: {n_mfcc} coefficients, but between 1 and {n_mels} (n_mels) are possible")
            }
        }
    }
}

impl core::error::Error for ConfigError {}

/// Errors of building and running a pipeline.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Error {
    /// The config is invalid.
    Config(ConfigError),
    /// The config normalises over the whole utterance, which a stream cannot do; use offline extraction or set
    /// `normalize` to `none`.
    NotStreamable,
    /// Caller-provided storage is too small.
    Storage {
        /// f32 elements needed.
        expected: usize,
        /// f32 elements given.
        got: usize,
    },
    /// An output buffer has the wrong length.
    OutputLen {
        /// Elements needed.
        expected: usize,
        /// Elements given.
        got: usize,
    },
    /// An input sample is NaN or infinite (index into the chunk or signal).
    NonFinite {
        /// Position of the first bad sample.
        index: usize,
    },
    /// Internal FFT error (a bug if it ever surfaces: the plan is validated with the config).
    Fft(FftError),
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Error::Config(e)
    }
}

impl From<FftError> for Error {
    fn from(e: FftError) -> Self {
        Error::Fft(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config(e) => write!(f, "invalid config: {e}"),
            Error::NotStreamable => write!(
                f,
                "this config normalises over the whole utterance (normalize: utterance), which only offline \
                 extraction can do; set normalize to none to stream"
            ),
            Error::Storage { expected, got } => write!(f, "storage of {got} f32 is too small: need {expected}"),
            Error::OutputLen { expected, got } => write!(f, "output buffer has {got} elements, need {expected}"),
            Error::NonFinite { index } => write!(f, "input sample {index} is NaN or infinite"),
            Error::Fft(e) => write!(f, "fft: {e:?}"),
        }
    }
}

impl core::error::Error for Error {}
