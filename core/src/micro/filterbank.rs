//! The reference's mel filterbank (`filterbank.c`, `filterbank_util.c`): HTK mel `1127·log1p(f/700)` in f32,
//! `channels + 1` centres, triangles linear in mel, each bin's energy split between two neighbouring channels by
//! a 12-bit weight and its 12-bit "unweight", accumulated in 64 bits, then an integer square root.
//!
//! The reference pads every channel's weights to blocks of four aligned bins (zeros); those zero weights add
//! nothing to the 64-bit sums, so the tables here hold each bin's weight once, indexed by bin.

use super::config::{MAX_CHANNELS, MAX_WINDOW, MicroConfig};
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
        for (o, w) in out.chunks_mut(GROUP).zip(self.work[1..=self.channels].chunks(GROUP)) {
            sqrt_group(w, o, scale_down_shift);
        }
    }

    /// `FilterbankReset`.
    pub fn reset(&mut self) {
        self.work = [0; MAX_CHANNELS + 1];
    }
}

/// Square roots taken side by side: independent chains an out-of-order processor overlaps. On 32-bit Arm (the
/// Cortex-M33: in order, thirteen general registers) four 64-bit chains spill and cost more instructions than
/// they save, so it takes one at a time there. The results are the same either way (see [`sqrt_group`]).
#[cfg(target_arch = "arm")]
const GROUP: usize = 1;
#[cfg(not(target_arch = "arm"))]
const GROUP: usize = 4;

/// `sqrt64(w[i]) >> shift` for up to [`GROUP`] values at once. The bit-by-bit root may start at any power of four
/// at or above the largest power of four ≤ the value: the extra leading steps leave the remainder and the root
/// untouched (the root is still zero). So one start, the group's largest, serves every member, and each gets
/// exactly the reference's remainder and root; the rounding then saturates as the reference function for that
/// member's own size would (`Sqrt32` at 0xFFFF, `Sqrt64` at 0xFFFF_FFFF).
fn sqrt_group(w: &[u64], out: &mut [u32], shift: u32) {
    let mut num = [0u64; GROUP];
    num[..w.len()].copy_from_slice(w);
    let largest = num.iter().fold(0, |a, &b| a.max(b));
    let mut res = [0u64; GROUP];
    if largest != 0 {
        // The largest power of four ≤ `largest`.
        let mut bit = 1u64 << ((63 - largest.leading_zeros()) & !1);
        if largest >> 32 == 0 {
            // All below 2^32: 32-bit arithmetic, as `Sqrt32`.
            let mut n32: [u32; GROUP] = core::array::from_fn(|i| num[i] as u32);
            let mut r32 = [0u32; GROUP];
            let mut b32 = bit as u32;
            while b32 != 0 {
                for i in 0..GROUP {
                    let t = r32[i] + b32;
                    let ge = n32[i] >= t;
                    n32[i] -= if ge { t } else { 0 };
                    r32[i] = (r32[i] >> 1) + if ge { b32 } else { 0 };
                }
                b32 >>= 2;
            }
            num = core::array::from_fn(|i| n32[i] as u64);
            res = core::array::from_fn(|i| r32[i] as u64);
        } else {
            while bit != 0 {
                for i in 0..GROUP {
                    let t = res[i] + bit;
                    let ge = num[i] >= t;
                    num[i] -= if ge { t } else { 0 };
                    res[i] = (res[i] >> 1) + if ge { bit } else { 0 };
                }
                bit >>= 2;
            }
        }
    }
    for (i, o) in out.iter_mut().enumerate() {
        let max = if w[i] >> 32 == 0 { 0xFFFF } else { 0xFFFF_FFFF };
        let r = if num[i] > res[i] && res[i] != max { res[i] + 1 } else { res[i] };
        *o = (r as u32) >> shift;
    }
}

/// The reference's `Sqrt32`, line for line: bit-by-bit integer square root, rounded to nearest (saturating at
/// 0xFFFF). The tests' oracle for [`sqrt_group`] and the batch path's root.
#[cfg(test)]
pub(super) fn sqrt32(mut num: u32) -> u16 {
    if num == 0 {
        return 0;
    }
    let mut res = 0u32;
    let max_bit_number = (32 - super::config::msb32(num)) | 1;
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

/// The reference's `Sqrt64`, line for line (the tests' oracle).
#[cfg(test)]
pub(super) fn sqrt64(mut num: u64) -> u32 {
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
    fn grouped_roots_equal_the_reference_one_by_one() {
        let mut s = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        for _ in 0..20_000 {
            let n = (next() % 4 + 1) as usize;
            // Mixed magnitudes in one group, zeros and the saturation edges included.
            let w: [u64; GROUP] = core::array::from_fn(|i| match next() % 6 {
                0 => 0,
                1 => 0xFFFF_FFFF - (i as u64),
                2 => next() >> (next() % 64),
                3 => (next() >> 32) as u32 as u64,
                _ => next() >> 20,
            });
            let shift = (next() % 16) as u32;
            let mut got = [0u32; GROUP];
            sqrt_group(&w[..n], &mut got[..n], shift);
            for i in 0..n {
                assert_eq!(got[i], sqrt64(w[i]) >> shift, "{:?} {i}", &w[..n]);
            }
        }
    }

    #[test]
    fn integer_sqrt_rounds_to_nearest() {
        for n in (0u64..5000).chain([u32::MAX as u64, 1 << 40, (1 << 40) + 12345, u64::MAX / 3]) {
            let exact = libm::sqrt(n as f64);
            let got = sqrt64(n) as f64;
            assert!((got - exact).abs() <= 0.5 + 1e-9 || got == 65535.0, "{n}: {got} vs {exact}");
        }
    }
}
