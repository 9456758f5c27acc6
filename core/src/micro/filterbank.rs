//! The reference's mel filterbank (`filterbank.c`, `filterbank_util.c`): HTK mel `1127·log1p(f/700)` in f32,
//! `channels + 1` centres, triangles linear in mel, each bin's energy split between two neighbouring channels by
//! a 12-bit weight and its 12-bit "unweight", accumulated in 64 bits, then an integer square root.
//!
//! The reference pads every channel's weights to blocks of four aligned bins (zeros); those zero weights add
//! nothing to the 64-bit sums, so the tables here hold each bin's weight once, indexed by bin.

use super::config::{MAX_CHANNELS, MAX_WINDOW, MicroConfig, msb32};
use super::kissfft::Cpx;
use crate::error::ConfigError;

/// `kFilterbankBits`.
pub const FILTERBANK_BITS: u32 = 12;
const MAX_BINS: usize = MAX_WINDOW / 2 + 1;

/// The reference's `FreqToMel`, in its own precision.
fn freq_to_mel(freq: f32) -> f32 {
    1127.0f32 * libm::log1pf(freq / 700.0f32)
}

/// Tables (built once, in f32 as the reference builds them) and the 64-bit work row.
pub struct Filterbank {
    pub(super) channels: usize,
    /// First bin of each of the `channels + 1` accumulation ranges; the last range ends at `end_index`.
    pub(super) channel_starts: [u16; MAX_CHANNELS + 2],
    pub(super) weights: [i16; MAX_BINS],
    pub(super) unweights: [i16; MAX_BINS],
    work: [u64; MAX_CHANNELS + 1],
}

impl Filterbank {
    /// Lays out and quantises the filterbank as `FilterbankPopulateState` does; refuses (naming
    /// `upper_band_hz`) a layout whose last bin reaches the end of the spectrum, as the reference does.
    pub fn new(config: &MicroConfig) -> Result<Filterbank, ConfigError> {
        let channels = config.channels as usize;
        let spectrum_size = config.fft_size() / 2 + 1;
        let mut fb = Filterbank {
            channels,
            channel_starts: [0; MAX_CHANNELS + 2],
            weights: [0; MAX_BINS],
            unweights: [0; MAX_BINS],
            work: [0; MAX_CHANNELS + 1],
        };
        let lower = config.lower_band_hz;
        let mel_low = freq_to_mel(lower);
        let mel_hi = freq_to_mel(config.upper_band_hz);
        let mel_spacing = (mel_hi - mel_low) / (channels + 1) as f32;
        let center = |i: usize| mel_low + mel_spacing * (i + 1) as f32;
        let hz_per_sbin = 0.5f32 * config.sample_rate as f32 / (spectrum_size as f32 - 1.0);
        let start_index = (1.5f32 + lower / hz_per_sbin) as usize;
        if start_index >= spectrum_size {
            return Err(ConfigError::Range("lower_band_hz"));
        }
        let mut chan_start = start_index;
        for chan in 0..=channels {
            let c = center(chan);
            let mut freq = chan_start;
            while freq_to_mel(freq as f32 * hz_per_sbin) <= c {
                freq += 1;
                // The reference's end_index (this channel's end) must stay below the spectrum size.
                if freq >= spectrum_size {
                    return Err(ConfigError::Range("upper_band_hz"));
                }
            }
            fb.channel_starts[chan] = chan_start as u16;
            let denom = if chan == 0 { mel_low } else { center(chan - 1) };
            for bin in chan_start..freq {
                let weight = (c - freq_to_mel(bin as f32 * hz_per_sbin)) / (c - denom);
                let one = (1u32 << FILTERBANK_BITS) as f32;
                fb.weights[bin] = libm::floorf(weight * one + 0.5) as i16;
                fb.unweights[bin] = libm::floorf((1.0 - weight) * one + 0.5) as i16;
            }
            chan_start = freq;
        }
        fb.channel_starts[channels + 1] = chan_start as u16;
        Ok(fb)
    }

    /// Validation's use: only whether the layout fits.
    pub fn layout_only(config: &MicroConfig) -> Result<(), ConfigError> {
        Filterbank::new(config).map(|_| ())
    }

    /// `FilterbankConvertFftComplexToEnergy` then `FilterbankAccumulateChannels` then `FilterbankSqrt`: one
    /// frame's channel amplitudes, shifted down by the FFT's input scaling, into `out` (`channels` values).
    pub fn apply(&mut self, spectrum: &[Cpx], scale_down_shift: u32, out: &mut [u32]) {
        let mut weight_acc = 0u64;
        let mut unweight_acc = 0u64;
        for chan in 0..=self.channels {
            let (a, b) = (self.channel_starts[chan] as usize, self.channel_starts[chan + 1] as usize);
            let bins = spectrum[a..b].iter().zip(&self.weights[a..b]).zip(&self.unweights[a..b]);
            for ((x, &w), &u) in bins {
                let (r, i) = (x.r as i32, x.i as i32);
                // int32 in the reference (it wraps only for −32768 in both parts), then widened to uint64 by sign
                // extension and multiplied modulo 2^64: the same bits as a signed 32 × 32 → 64 product, which
                // cannot overflow (|weight| ≤ 2^15, |energy| ≤ 2^31) and is one instruction on a Cortex-M.
                let energy = (r * r).wrapping_add(i * i) as i64;
                weight_acc = weight_acc.wrapping_add((w as i64 * energy) as u64);
                unweight_acc = unweight_acc.wrapping_add((u as i64 * energy) as u64);
            }
            self.work[chan] = weight_acc;
            weight_acc = unweight_acc;
            unweight_acc = 0;
        }
        for (o, w) in out.iter_mut().zip(&self.work[1..=self.channels]) {
            *o = sqrt64(*w) >> scale_down_shift;
        }
    }

    /// `FilterbankReset`.
    pub fn reset(&mut self) {
        self.work = [0; MAX_CHANNELS + 1];
    }
}

/// The reference's `Sqrt32`: bit-by-bit integer square root, rounded to nearest (saturating at 0xFFFF).
pub fn sqrt32(mut num: u32) -> u16 {
    if num == 0 {
        return 0;
    }
    let mut res = 0u32;
    let max_bit_number = (32 - msb32(num)) | 1;
    let mut bit = 1u32 << (31 - max_bit_number);
    let mut iterations = (31 - max_bit_number) / 2 + 1;
    while iterations > 0 {
        iterations -= 1;
        // The reference's branch, as selects: the same values without data-dependent jumps.
        let t = res + bit;
        let ge = num >= t;
        num -= if ge { t } else { 0 };
        res = (res >> 1) + if ge { bit } else { 0 };
        bit >>= 2;
    }
    if num > res && res != 0xFFFF {
        res += 1;
    }
    res as u16
}

/// The reference's `Sqrt64`.
pub fn sqrt64(mut num: u64) -> u32 {
    if num >> 32 == 0 {
        return sqrt32(num as u32) as u32;
    }
    let mut res = 0u64;
    let max_bit_number = num.leading_zeros() as i32 | 1;
    let mut bit = 1u64 << (63 - max_bit_number);
    let mut iterations = (63 - max_bit_number) / 2 + 1;
    while iterations > 0 {
        iterations -= 1;
        // The reference's branch, as selects: the same values without data-dependent jumps.
        let t = res + bit;
        let ge = num >= t;
        num -= if ge { t } else { 0 };
        res = (res >> 1) + if ge { bit } else { 0 };
        bit >>= 2;
    }
    if num > res && res != 0xFFFF_FFFF {
        res += 1;
    }
    res as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_sqrt_rounds_to_nearest() {
        for n in (0u64..5000).chain([u32::MAX as u64, 1 << 40, (1 << 40) + 12345, u64::MAX / 3]) {
            let exact = libm::sqrt(n as f64);
            let got = sqrt64(n) as f64;
            assert!((got - exact).abs() <= 0.5 + 1e-9 || got == 65535.0, "{n}: {got} vs {exact}");
        }
    }
}
