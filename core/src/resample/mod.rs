//! Sample-rate conversion between any two integer rates in 8–48 kHz, bit-identical on every target.
//!
//! A polyphase FIR: the ratio `to/from` is reduced to `up/down`, and each output sample is one dot product of a
//! Kaiser-windowed sinc phase with the input around its time. Output `n` sits at input time `n·down/up`, that is
//! at `n / to` seconds, as `scipy.signal.resample_poly` and soxr align: the filter's delay is compensated, not
//! left in the output. There are `ceil(len·up/down)` outputs for `len` inputs; the signal is zero outside itself.
//!
//! [`ResamplePlan`] is plain data (the ratio, the filter's length). The caller owns the taps
//! ([`ResamplePlan::fill_taps`]) and the stream's buffer: [`Resampler`] never allocates. [`resample`] (with `alloc`)
//! converts a whole signal, and a [`Resampler`] fed the same signal in any chunks, then flushed, gives the same bits.
//!
//! Filter (the same for every ratio, scaled to the lower of the two rates): passband to 0.9 of the lower rate's
//! Nyquist frequency, stopband from its Nyquist frequency on (so nothing aliases and no image survives), designed
//! for 100 dB of stopband attenuation so that the f32 taps keep well over 80 dB. Each phase is normalised to unit
//! DC gain. Equal rates are the identity: one tap of 1, the input bits come out unchanged.
//!
//! Determinism: the taps are designed in f64 by the same code on every target (IEEE arithmetic and `libm`'s
//! software `sin`, the Bessel function by its power series), then rounded once to f32. Each output is a sum over
//! its taps in index order, starting from the first product (so the identity keeps `-0.0`), without FMA; outputs
//! are computed eight at a time only across independent outputs, each lane doing the scalar operations.

mod error;
mod kernel;
#[cfg(feature = "alloc")]
mod offline;
mod plan;
mod stream;

pub use error::ResampleError;
#[cfg(feature = "alloc")]
pub use offline::{resample, resample_with};
pub use plan::{MAX_RATE, MIN_RATE, ResamplePlan};
pub use stream::Resampler;
