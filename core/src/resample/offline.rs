//! Whole-signal resampling (needs `alloc`).

use alloc::vec::Vec;

use super::kernel::{self, Cursor, Step};
use super::{ResampleError, ResamplePlan};

/// Resamples a whole signal `x` sampled at `from` Hz to `to` Hz: `ceil(x.len() · to / from)` samples (after
/// reducing the ratio), output `n` at time `n / to` seconds, the signal taken as zero outside itself. Equal rates
/// return `x` unchanged. A [`Resampler`](super::Resampler) fed `x` in any chunks and flushed gives the same bits.
///
/// ```
/// let y = stapes_core::resample::resample(&[0.0; 44_100], 44_100, 16_000).unwrap();
/// assert_eq!(y.len(), 16_000);
/// ```
pub fn resample(x: &[f32], from: u32, to: u32) -> Result<Vec<f32>, ResampleError> {
    let plan = ResamplePlan::new(from, to)?;
    let mut table = alloc::vec![0.0; plan.taps_len()];
    plan.fill_taps(&mut table)?;
    resample_with(&plan, &table, x)
}

/// [`resample`] with the plan's taps computed beforehand ([`ResamplePlan::fill_taps`]), for a caller that converts
/// many signals at one ratio (designing the taps costs as much as converting seconds of audio). `taps` must hold
/// at least [`ResamplePlan::taps_len`] elements, as `fill_taps` left them.
pub fn resample_with(plan: &ResamplePlan, taps: &[f32], x: &[f32]) -> Result<Vec<f32>, ResampleError> {
    let Some(table) = taps.get(..plan.taps_len()) else {
        return Err(ResampleError::Storage { expected: plan.taps_len(), got: taps.len() });
    };
    if let Some(index) = x.iter().position(|v| !v.is_finite()) {
        return Err(ResampleError::NonFinite { index });
    }
    let n_out = plan.output_len(x.len() as u64) as usize;
    if plan.is_identity() {
        return Ok(x.to_vec());
    }
    // The signal with the zeros before it that the first windows read and the zeros after it the last ones read:
    // the same windows the stream sees.
    let (lead, n) = (plan.lead(), plan.taps_per_phase());
    let mut padded = Vec::with_capacity(lead + x.len() + n);
    padded.resize(lead, 0.0);
    padded.extend_from_slice(x);
    padded.resize(lead + x.len() + n, 0.0);
    let mut out = alloc::vec![0.0; n_out];
    let mut at = Cursor { q: 0, r: 0 };
    let done = kernel::run(&Step::new(plan), table, &padded, &mut at, &mut out);
    debug_assert_eq!(done, n_out);
    Ok(out)
}
