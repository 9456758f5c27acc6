//! Real FFT for `n = 2^a·3^b·5^c` in 16..=4096, bit-identical on every target and for every [`Lane`](crate::lane::Lane).
//!
//! [`FftPlan`] is plain data; the caller owns the twiddle table ([`FftPlan::fill_table`]) and the scratch, so the
//! transform never allocates and never panics (wrong lengths are an [`FftError`]). With `alloc`, [`RealFft`] owns
//! the table.
//!
//! Determinism: the table is computed with `libm` (plain Rust), and the transform is a fixed sequence of f32 adds,
//! subtracts and multiplies (no fused multiply-add, no target-dependent paths), the same in every lane.

mod bins;
mod butterfly;
mod error;
#[cfg(feature = "alloc")]
mod owned;
mod plan;
mod real;
mod stockham;
mod twiddle;

pub use bins::{Bins, Map};
pub use error::FftError;
#[cfg(feature = "alloc")]
pub use owned::RealFft;
pub use plan::FftPlan;
