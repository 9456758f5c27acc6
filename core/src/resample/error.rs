//! Why a resampling cannot be planned or run.

use core::fmt;

/// Errors of planning and running a resampler. Nothing in the resampler panics on bad input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResampleError {
    /// A rate is outside [`MIN_RATE`](super::MIN_RATE)`..=`[`MAX_RATE`](super::MAX_RATE) Hz (zero included).
    Rate {
        /// The input rate given, in Hz.
        from: u32,
        /// The output rate given, in Hz.
        to: u32,
    },
    /// An input sample is NaN or infinite (index into the chunk or signal). A refused chunk leaves a stream as it
    /// was.
    NonFinite {
        /// Position of the first bad sample.
        index: usize,
    },
    /// Caller-provided storage (taps, or taps and buffer) is too small.
    Storage {
        /// f32 elements needed.
        expected: usize,
        /// f32 elements given.
        got: usize,
    },
    /// An output buffer is shorter than the samples this call produces.
    OutputLen {
        /// Elements needed.
        expected: usize,
        /// Elements given.
        got: usize,
    },
}

impl fmt::Display for ResampleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ResampleError::Rate { from, to } => write!(
                f,
                "cannot resample {from} Hz to {to} Hz: both rates must be between {} and {} Hz",
                super::MIN_RATE,
                super::MAX_RATE
            ),
            ResampleError::NonFinite { index } => write!(f, "input sample {index} is NaN or infinite"),
            ResampleError::Storage { expected, got } => {
                write!(f, "storage of {got} f32 is too small: need {expected}")
            }
            ResampleError::OutputLen { expected, got } => {
                write!(f, "output buffer has {got} elements, need {expected}")
            }
        }
    }
}

impl core::error::Error for ResampleError {}
