//! The one error type of the FFT: every failure is a length that does not fit the plan.

use core::fmt;

/// Why a plan could not be made or a transform could not run. Length errors carry what the plan expected and what
/// the caller passed, so a mismatch is diagnosable without a debugger on the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FftError {
    /// The length is outside `FftPlan::MIN_LEN..=FftPlan::MAX_LEN` or is not of the form 2^a·3^b·5^c.
    UnsupportedLength(usize),
    /// The twiddle table does not have `FftPlan::table_len` values.
    TableLen {
        /// Required length.
        expected: usize,
        /// Length passed.
        got: usize,
    },
    /// The input does not have `FftPlan::len` samples.
    InputLen {
        /// Required length.
        expected: usize,
        /// Length passed.
        got: usize,
    },
    /// An output slice does not have `FftPlan::bins` values.
    OutputLen {
        /// Required length.
        expected: usize,
        /// Length passed.
        got: usize,
    },
    /// The scratch slice is shorter than `FftPlan::scratch_len`.
    ScratchLen {
        /// Minimum length.
        expected: usize,
        /// Length passed.
        got: usize,
    },
}

impl fmt::Display for FftError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::UnsupportedLength(n) => write!(f, "unsupported FFT length {n} (need 2^a*3^b*5^c in 16..=4096)"),
            Self::TableLen { expected, got } => write!(f, "FFT table length {got}, expected {expected}"),
            Self::InputLen { expected, got } => write!(f, "FFT input length {got}, expected {expected}"),
            Self::OutputLen { expected, got } => write!(f, "FFT output length {got}, expected {expected}"),
            Self::ScratchLen { expected, got } => write!(f, "FFT scratch length {got}, expected at least {expected}"),
        }
    }
}

impl core::error::Error for FftError {}
