//! The reference's spectral-subtraction noise reduction (`noise_reduction.c`): a per-channel noise estimate,
//! smoothed with one coefficient on even channels and another on odd ones (Q14, `kNoiseReductionBits`), is
//! subtracted from the signal, which keeps at least `min_signal_remaining` of itself.

use super::config::{MAX_CHANNELS, MicroConfig};

/// `kNoiseReductionBits`.
pub const NOISE_REDUCTION_BITS: u32 = 14;

/// Coefficients (Q14, converted from f32 as the reference truncates them) and the running estimate.
pub struct NoiseReduction {
    smoothing_bits: u32,
    even_smoothing: u16,
    odd_smoothing: u16,
    min_signal_remaining: u16,
    /// The noise estimate per channel, `smoothing_bits` fixed-point bits; PCAN reads it.
    pub estimate: [u32; MAX_CHANNELS],
}

impl NoiseReduction {
    /// `NoiseReductionPopulateState`: `float × 16384`, truncated into a uint16.
    pub fn new(config: &MicroConfig) -> Self {
        let q = |x: f32| (x * (1u32 << NOISE_REDUCTION_BITS) as f32) as u16;
        NoiseReduction {
            smoothing_bits: config.smoothing_bits,
            even_smoothing: q(config.even_smoothing),
            odd_smoothing: q(config.odd_smoothing),
            min_signal_remaining: q(config.min_signal_remaining),
            estimate: [0; MAX_CHANNELS],
        }
    }

    /// `NoiseReductionApply`, in place.
    pub fn apply(&mut self, signal: &mut [u32]) {
        for (i, (s, est)) in signal.iter_mut().zip(self.estimate.iter_mut()).enumerate() {
            let smoothing = if i & 1 == 0 { self.even_smoothing } else { self.odd_smoothing } as u32;
            let one_minus = (1u32 << NOISE_REDUCTION_BITS).wrapping_sub(smoothing);
            // uint32 shift: bits above 31 are lost, as in C.
            let scaled_up = *s << self.smoothing_bits;
            let mut estimate =
                ((scaled_up as u64 * smoothing as u64 + *est as u64 * one_minus as u64) >> NOISE_REDUCTION_BITS) as u32;
            *est = estimate;
            if estimate > scaled_up {
                estimate = scaled_up;
            }
            let floor = ((*s as u64 * self.min_signal_remaining as u64) >> NOISE_REDUCTION_BITS) as u32;
            let subtracted = (scaled_up - estimate) >> self.smoothing_bits;
            *s = subtracted.max(floor);
        }
    }

    /// `NoiseReductionReset`.
    pub fn reset(&mut self) {
        self.estimate = [0; MAX_CHANNELS];
    }
}
