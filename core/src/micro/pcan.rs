//! The reference's PCAN gain control (`pcan_gain_control.c`, `pcan_gain_control_util.c`): each channel is
//! multiplied by a gain `2^gain_bits · (noise + offset)^−strength`, read from a 125-entry piecewise-quadratic
//! LUT indexed by the noise estimate's octave (the "wide dynamic function"), then compressed (`PcanShrink`).

use super::config::{MicroConfig, msb32};

/// `kPcanSnrBits`.
const SNR_BITS: u32 = 12;
/// `kPcanOutputBits`.
const OUTPUT_BITS: u32 = 6;
/// `kWideDynamicFunctionBits`.
const WIDE_DYNAMIC_FUNCTION_BITS: u32 = 32;
/// `kWideDynamicFunctionLUTSize`.
pub const LUT_SIZE: usize = 4 * WIDE_DYNAMIC_FUNCTION_BITS as usize - 3;

/// The gain LUT and the SNR shift.
pub struct Pcan {
    lut: [i16; LUT_SIZE],
    snr_shift: u32,
}

/// `PcanGainLookupFunction`, in f32 as the reference computes it.
fn gain_lookup(config: &MicroConfig, input_bits: u32, x: u32) -> i16 {
    let x_as_float = x as f32 / (1u32 << input_bits) as f32;
    let gain = (1u32 << config.gain_bits) as f32 * powf(x_as_float + config.pcan_offset, -config.pcan_strength);
    if gain > 32767.0 {
        return 32767;
    }
    (gain + 0.5) as i16
}

/// `powf`, correctly rounded for the arguments the LUT meets: computed in f64 and rounded once.
fn powf(x: f32, y: f32) -> f32 {
    libm::pow(x as f64, y as f64) as f32
}

impl Pcan {
    /// `PcanGainControlPopulateState` (the config is validated: the shifts are in range).
    pub fn new(config: &MicroConfig) -> Self {
        let correction = config.correction_bits();
        let snr_shift = (config.gain_bits as i32 - correction - SNR_BITS as i32) as u32;
        let input_bits = (config.smoothing_bits as i32 - correction) as u32;
        let mut lut = [0i16; LUT_SIZE];
        lut[0] = gain_lookup(config, input_bits, 0);
        lut[1] = gain_lookup(config, input_bits, 1);
        for interval in 2..=WIDE_DYNAMIC_FUNCTION_BITS {
            let x0 = 1u32 << (interval - 1);
            let x1 = x0 + (x0 >> 1);
            let x2 = if interval == WIDE_DYNAMIC_FUNCTION_BITS { x0 + (x0 - 1) } else { 2 * x0 };
            let y0 = gain_lookup(config, input_bits, x0);
            let y1 = gain_lookup(config, input_bits, x1);
            let y2 = gain_lookup(config, input_bits, x2);
            let diff1 = y1 as i32 - y0 as i32;
            let diff2 = y2 as i32 - y0 as i32;
            let a1 = 4 * diff1 - diff2;
            let a2 = diff2 - a1;
            let base = 4 * interval as usize - 6;
            lut[base] = y0;
            lut[base + 1] = a1 as i16;
            lut[base + 2] = a2 as i16;
        }
        Pcan { lut, snr_shift }
    }

    /// `WideDynamicFunction`: the gain for noise estimate `x`.
    fn wide_dynamic_function(&self, x: u32) -> i16 {
        if x <= 2 {
            return self.lut[x as usize];
        }
        let interval = msb32(x);
        let lut = &self.lut[(4 * interval - 6) as usize..];
        let frac = (if interval < 11 { x << (11 - interval) } else { x >> (interval - 11) } & 0x3FF) as i32;
        let mut result = (lut[2] as i32 * frac) >> 5;
        result = result.wrapping_add(((lut[1] as i32 as u32) << 5) as i32);
        result = result.wrapping_mul(frac);
        result = (result.wrapping_add(1 << 14)) >> 15;
        result = result.wrapping_add(lut[0] as i32);
        result as i16
    }

    /// `PcanGainControlApply`, in place, with the noise reduction's estimate.
    pub fn apply(&self, signal: &mut [u32], noise_estimate: &[u32]) {
        for (s, &noise) in signal.iter_mut().zip(noise_estimate) {
            // int16 → uint32 sign-extends, as C converts it.
            let gain = self.wide_dynamic_function(noise) as i32 as u32;
            let snr = ((*s as u64 * gain as u64) >> self.snr_shift) as u32;
            *s = shrink(snr);
        }
    }
}

/// `PcanShrink`.
fn shrink(x: u32) -> u32 {
    if x < (2 << SNR_BITS) {
        (x * x) >> (2 + 2 * SNR_BITS - OUTPUT_BITS)
    } else {
        (x >> (SNR_BITS - OUTPUT_BITS)) - (1 << OUTPUT_BITS)
    }
}
