//! Offline extraction, sixteen frames at a time. Everything up to the square roots (window, FFT scaling, KissFFT,
//! energies, filterbank, square roots) depends on one frame's samples only; the same integer operations run for
//! sixteen frames side by side, one frame per lane, which compilers map onto vector registers where there are.
//! Noise reduction and PCAN carry state from frame to frame: they run after, frame by frame, as in the stream.
//! Each lane does exactly what the scalar path does, so the bits are the same (the golden tests check both).

use alloc::vec;
use alloc::vec::Vec;

use super::config::{MAX_CHANNELS, msb32};
use super::filterbank::Filterbank;
use super::kissfft::{KissFftr, sround};
use super::window::WINDOW_BITS;

/// Frames per batch.
pub const LANES: usize = 16;
type L16 = [i16; LANES];
type L32 = [i32; LANES];

/// Working memory of one batch (on the heap: it grows with the window, sixteen frames of it in lanes).
pub struct BatchScratch {
    input: Vec<L16>,
    re: Vec<L16>,
    im: Vec<L16>,
    out_re: Vec<L16>,
    out_im: Vec<L16>,
}

impl BatchScratch {
    /// Scratch for an FFT of `fft_size` points.
    pub fn new(fft_size: usize) -> Self {
        let n = fft_size / 2;
        BatchScratch {
            input: vec![[0; LANES]; fft_size],
            re: vec![[0; LANES]; n],
            im: vec![[0; LANES]; n],
            out_re: vec![[0; LANES]; n + 1],
            out_im: vec![[0; LANES]; n + 1],
        }
    }
}

#[inline(always)]
fn fixdiv(x: &L16, s: i16) -> L16 {
    core::array::from_fn(|l| sround(x[l] as i32 * s as i32))
}

/// `C_MUL` of lanes by one twiddle.
#[inline(always)]
fn c_mul(re: &L16, im: &L16, tr: i16, ti: i16) -> (L16, L16) {
    let (tr, ti) = (tr as i32, ti as i32);
    let r = core::array::from_fn(|l| sround((re[l] as i32 * tr).wrapping_sub(im[l] as i32 * ti)));
    let i = core::array::from_fn(|l| sround((re[l] as i32 * ti).wrapping_add(im[l] as i32 * tr)));
    (r, i)
}

#[inline(always)]
fn add(a: &L16, b: &L16) -> L16 {
    core::array::from_fn(|l| a[l].wrapping_add(b[l]))
}

#[inline(always)]
fn sub(a: &L16, b: &L16) -> L16 {
    core::array::from_fn(|l| a[l].wrapping_sub(b[l]))
}

/// The stateless part of `LANES` frames: `frames[l]` is frame `l`'s window of samples; `out[l][c]` receives
/// channel `c`'s scaled square root, as [`Filterbank::apply`] gives it. On x86_64 CPUs with AVX2 (detected at run
/// time) the same code is compiled for its 256-bit registers: integer operations, so the same bits.
pub fn stateless(
    frames: &[&[i16]; LANES],
    coefficients: &[i16],
    fft: &KissFftr,
    filterbank: &Filterbank,
    scratch: &mut BatchScratch,
    out: &mut [[u32; MAX_CHANNELS]; LANES],
) {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked just above).
        unsafe { stateless_avx2(frames, coefficients, fft, filterbank, scratch, out) };
        return;
    }
    stateless_lanes(frames, coefficients, fft, filterbank, scratch, out);
}

#[cfg(all(feature = "std", target_arch = "x86_64"))]
#[target_feature(enable = "avx2")]
fn stateless_avx2(
    frames: &[&[i16]; LANES],
    coefficients: &[i16],
    fft: &KissFftr,
    filterbank: &Filterbank,
    scratch: &mut BatchScratch,
    out: &mut [[u32; MAX_CHANNELS]; LANES],
) {
    stateless_lanes(frames, coefficients, fft, filterbank, scratch, out);
}

#[inline(always)]
fn stateless_lanes(
    frames: &[&[i16]; LANES],
    coefficients: &[i16],
    fft: &KissFftr,
    filterbank: &Filterbank,
    scratch: &mut BatchScratch,
    out: &mut [[u32; MAX_CHANNELS]; LANES],
) {
    let size = coefficients.len();
    let fft_size = 2 * fft.ncfft;
    // Window (as `window::apply`), one frame (lane) at a time over its contiguous samples, then the largest
    // magnitude per lane over the rows.
    for (l, frame) in frames.iter().enumerate() {
        for (row, (&x, &c)) in scratch.input[..size].iter_mut().zip(frame.iter().zip(coefficients)) {
            row[l] = ((x as i32 * c as i32) >> WINDOW_BITS) as i16;
        }
    }
    let mut max_abs = [0i16; LANES];
    for row in scratch.input[..size].iter() {
        for l in 0..LANES {
            let v = row[l];
            max_abs[l] = max_abs[l].max(v.wrapping_neg().max(v));
        }
    }
    let shift: [u32; LANES] = core::array::from_fn(|l| (15 - msb32(max_abs[l] as u32)) as u32);
    for row in scratch.input[..size].iter_mut() {
        for l in 0..LANES {
            row[l] = (((row[l] as u16 as u32) << shift[l]) & 0xFFFF) as u16 as i16;
        }
    }
    for row in scratch.input[size..fft_size].iter_mut() {
        *row = [0; LANES];
    }
    forward(fft, scratch);
    accumulate(filterbank, scratch, &shift, out);
}

/// `KissFftr::forward` in lanes.
#[inline(always)]
fn forward(fft: &KissFftr, s: &mut BatchScratch) {
    let n = fft.ncfft;
    for (j, &p) in fft.perm[..n].iter().enumerate() {
        let p = p as usize;
        s.re[j] = s.input[2 * p];
        s.im[j] = s.input[2 * p + 1];
    }
    for stage in fft.stages[..fft.n_stages].iter().rev() {
        let (p, m) = (stage.p as usize, stage.m as usize);
        let tw = &fft.stage_twiddles[stage.tw_offset as usize..];
        for (re, im) in s.re[..n].chunks_exact_mut(p * m).zip(s.im[..n].chunks_exact_mut(p * m)) {
            if p == 4 {
                for k in 0..m {
                    let a0r = fixdiv(&re[k], 8191);
                    let a0i = fixdiv(&im[k], 8191);
                    let a1r = fixdiv(&re[k + m], 8191);
                    let a1i = fixdiv(&im[k + m], 8191);
                    let a2r = fixdiv(&re[k + 2 * m], 8191);
                    let a2i = fixdiv(&im[k + 2 * m], 8191);
                    let a3r = fixdiv(&re[k + 3 * m], 8191);
                    let a3i = fixdiv(&im[k + 3 * m], 8191);
                    let (t1, t2, t3) = (tw[k], tw[m + k], tw[2 * m + k]);
                    let (s0r, s0i) = c_mul(&a1r, &a1i, t1.r, t1.i);
                    let (s1r, s1i) = c_mul(&a2r, &a2i, t2.r, t2.i);
                    let (s2r, s2i) = c_mul(&a3r, &a3i, t3.r, t3.i);
                    let (s5r, s5i) = (sub(&a0r, &s1r), sub(&a0i, &s1i));
                    let (a0r, a0i) = (add(&a0r, &s1r), add(&a0i, &s1i));
                    let (s3r, s3i) = (add(&s0r, &s2r), add(&s0i, &s2i));
                    let (s4r, s4i) = (sub(&s0r, &s2r), sub(&s0i, &s2i));
                    re[k + 2 * m] = sub(&a0r, &s3r);
                    im[k + 2 * m] = sub(&a0i, &s3i);
                    re[k] = add(&a0r, &s3r);
                    im[k] = add(&a0i, &s3i);
                    re[k + m] = add(&s5r, &s4i);
                    im[k + m] = sub(&s5i, &s4r);
                    re[k + 3 * m] = sub(&s5r, &s4i);
                    im[k + 3 * m] = add(&s5i, &s4r);
                }
            } else {
                for k in 0..m {
                    let xr = fixdiv(&re[k], 16383);
                    let xi = fixdiv(&im[k], 16383);
                    let yr = fixdiv(&re[k + m], 16383);
                    let yi = fixdiv(&im[k + m], 16383);
                    let (tr, ti) = c_mul(&yr, &yi, tw[k].r, tw[k].i);
                    re[k + m] = sub(&xr, &tr);
                    im[k + m] = sub(&xi, &ti);
                    re[k] = add(&xr, &tr);
                    im[k] = add(&xi, &ti);
                }
            }
        }
    }
    // The real-input split (`kiss_fftr`).
    let dr = fixdiv(&s.re[0], 16383);
    let di = fixdiv(&s.im[0], 16383);
    s.out_re[0] = add(&dr, &di);
    s.out_im[0] = [0; LANES];
    s.out_re[n] = sub(&dr, &di);
    s.out_im[n] = [0; LANES];
    for k in 1..=n / 2 {
        let fpkr = fixdiv(&s.re[k], 16383);
        let fpki = fixdiv(&s.im[k], 16383);
        let neg: L16 = core::array::from_fn(|l| s.im[n - k][l].wrapping_neg());
        let fpnkr = fixdiv(&s.re[n - k], 16383);
        let fpnki = fixdiv(&neg, 16383);
        let (f1r, f1i) = (add(&fpkr, &fpnkr), add(&fpki, &fpnki));
        let (f2r, f2i) = (sub(&fpkr, &fpnkr), sub(&fpki, &fpnki));
        let t = fft.super_twiddles[k - 1];
        let (twr, twi) = c_mul(&f2r, &f2i, t.r, t.i);
        let half = |a: &L16, b: &L16, sign: i32| -> L16 {
            core::array::from_fn(|l| ((a[l] as i32 + sign * b[l] as i32) >> 1) as i16)
        };
        s.out_re[k] = half(&f1r, &twr, 1);
        s.out_im[k] = half(&f1i, &twi, 1);
        s.out_re[n - k] = half(&f1r, &twr, -1);
        s.out_im[n - k] = half(&twi, &f1i, -1);
    }
}

/// Energies, the filterbank's 64-bit sums and the square roots, in lanes (as `Filterbank::apply`).
#[inline(always)]
fn accumulate(fb: &Filterbank, s: &BatchScratch, shift: &[u32; LANES], out: &mut [[u32; MAX_CHANNELS]; LANES]) {
    let mut weight_acc = [0u64; LANES];
    let mut unweight_acc = [0u64; LANES];
    for chan in 0..=fb.channels {
        let (a, b) = (fb.channel_starts[chan] as usize, fb.channel_starts[chan + 1] as usize);
        for bin in a..b {
            let (w, u) = (fb.weights[bin] as i64, fb.unweights[bin] as i64);
            let (re, im) = (&s.out_re[bin], &s.out_im[bin]);
            let energy: L32 =
                core::array::from_fn(|l| (re[l] as i32 * re[l] as i32).wrapping_add(im[l] as i32 * im[l] as i32));
            for l in 0..LANES {
                let e = energy[l] as i64;
                weight_acc[l] = weight_acc[l].wrapping_add((w * e) as u64);
                unweight_acc[l] = unweight_acc[l].wrapping_add((u * e) as u64);
            }
        }
        if chan > 0 {
            for l in 0..LANES {
                out[l][chan - 1] = sqrt64_lane(weight_acc[l]) >> shift[l];
            }
        }
        weight_acc = unweight_acc;
        unweight_acc = [0; LANES];
    }
}

/// The reference's `Sqrt64` (and `Sqrt32` below 2^32) with a fixed number of steps: starting the bit-by-bit root
/// at 2^62 instead of the largest power of four below the value only adds leading steps that leave everything
/// zero, so the result is the same, and the same work for every lane.
#[inline(always)]
fn sqrt64_lane(n: u64) -> u32 {
    let mut num = n;
    let mut res = 0u64;
    let mut bit = 1u64 << 62;
    while bit != 0 {
        let t = res + bit;
        let ge = num >= t;
        num -= if ge { t } else { 0 };
        res = (res >> 1) + if ge { bit } else { 0 };
        bit >>= 2;
    }
    // Rounding, saturating as each reference function does: `Sqrt32` at 0xFFFF, `Sqrt64` at 0xFFFF_FFFF.
    let max = if n >> 32 == 0 { 0xFFFF } else { 0xFFFF_FFFF };
    if num > res && res != max {
        res += 1;
    }
    res as u32
}

#[cfg(test)]
mod tests {
    use super::super::filterbank::sqrt64;
    use super::*;

    #[test]
    fn fixed_step_root_equals_the_references() {
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        for shift in 0..64 {
            for _ in 0..200 {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                let n = s >> shift;
                assert_eq!(sqrt64_lane(n), sqrt64(n), "{n}");
            }
        }
        for n in [0u64, 1, 2, 3, 4, 0xFFFF_FFFF, 0xFFFE_0001, 0xFFFF_0000, 1 << 32, u64::MAX] {
            assert_eq!(sqrt64_lane(n), sqrt64(n), "{n}");
        }
    }
}
