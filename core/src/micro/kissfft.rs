//! KissFFT's int16 fixed-point real FFT exactly as the TFLite Micro front end runs it (`kiss_fft.c` and
//! `tools/kiss_fftr.c` with `FIXED_POINT=16`): every butterfly divides its inputs by the radix
//! (`C_FIXDIV`), products round with `(x + 2^14) >> 15` (`sround`), and sums wrap in int16 as C's conversions
//! do. The FFT length is a power of two (the front end rounds the window up to one), so the complex transform of
//! half that length factors into radix 4 stages and at most one radix 2, in KissFFT's order.

use super::config::MAX_WINDOW;

/// A complex int16 value (`kiss_fft_cpx`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cpx {
    /// Real part.
    pub r: i16,
    /// Imaginary part.
    pub i: i16,
}

pub(super) const MAX_COMPLEX: usize = MAX_WINDOW / 2;
const MAX_FACTORS: usize = 16;

#[inline]
pub(super) fn sround(x: i32) -> i16 {
    (x.wrapping_add(1 << 14) >> 15) as i16
}

#[inline]
fn smul(a: i16, b: i16) -> i32 {
    a as i32 * b as i32
}

#[inline]
fn c_mul(a: Cpx, b: Cpx) -> Cpx {
    Cpx {
        r: sround(smul(a.r, b.r).wrapping_sub(smul(a.i, b.i))),
        i: sround(smul(a.r, b.i).wrapping_add(smul(a.i, b.r))),
    }
}

/// `C_FIXDIV(c, k)`: multiply by `SAMP_MAX / k` and round.
#[inline]
fn fixdiv(c: Cpx, k: i16) -> Cpx {
    let s = 32767 / k;
    Cpx { r: sround(smul(c.r, s)), i: sround(smul(c.i, s)) }
}

#[inline]
fn add(a: Cpx, b: Cpx) -> Cpx {
    Cpx { r: a.r.wrapping_add(b.r), i: a.i.wrapping_add(b.i) }
}

#[inline]
fn sub(a: Cpx, b: Cpx) -> Cpx {
    Cpx { r: a.r.wrapping_sub(b.r), i: a.i.wrapping_sub(b.i) }
}

/// `kf_cexp` in fixed point: `floor(0.5 + 32767·cos(phase))`, in double as KissFFT computes it.
fn cexp(phase: f64) -> Cpx {
    Cpx {
        r: libm::floor(0.5 + 32767.0 * libm::cos(phase)) as i16,
        i: libm::floor(0.5 + 32767.0 * libm::sin(phase)) as i16,
    }
}

/// One butterfly stage: radix `p`, `m` outputs per leg, its twiddles from `tw_offset` in the stage table.
#[derive(Clone, Copy, Default)]
pub(super) struct Stage {
    pub(super) p: u16,
    pub(super) m: u16,
    pub(super) tw_offset: u16,
}

/// A forward real FFT of a power-of-two length with its twiddles (`kiss_fftr_cfg`) and working buffer.
///
/// KissFFT recurses (`kf_work`): each sub-transform's leaves copy strided inputs, then its butterflies run. The
/// butterflies of one stage touch disjoint blocks, so running the stages bottom-up over all blocks gives the very
/// same operations on the same values; here the recursion is unrolled that way once, at construction: a table of
/// where each leaf reads its input, and per stage its twiddles laid out in the order the butterflies use them.
pub struct KissFftr {
    /// Length of the complex transform (half the real length).
    pub(super) ncfft: usize,
    pub(super) stages: [Stage; MAX_FACTORS],
    pub(super) n_stages: usize,
    /// `perm[j]`: the complex input (pair of real samples) the `j`-th leaf output copies.
    pub(super) perm: [u16; MAX_COMPLEX],
    /// Each stage's twiddles `tw[q·k·fstride]` for legs q = 1..p, k = 0..m, leg-major.
    pub(super) stage_twiddles: [Cpx; 2 * MAX_COMPLEX],
    pub(super) super_twiddles: [Cpx; MAX_COMPLEX / 2],
    tmp: [Cpx; MAX_COMPLEX],
}

impl KissFftr {
    /// Twiddles for a real FFT of `nfft` points (a power of two, 4..=`MAX_WINDOW`), computed as `kiss_fftr_alloc`.
    pub fn new(nfft: usize) -> Self {
        debug_assert!(nfft.is_power_of_two() && (4..=MAX_WINDOW).contains(&nfft));
        let ncfft = nfft / 2;
        let mut s = KissFftr {
            ncfft,
            stages: [Stage::default(); MAX_FACTORS],
            n_stages: 0,
            perm: [0; MAX_COMPLEX],
            stage_twiddles: [Cpx::default(); 2 * MAX_COMPLEX],
            super_twiddles: [Cpx::default(); MAX_COMPLEX / 2],
            tmp: [Cpx::default(); MAX_COMPLEX],
        };
        let pi = core::f64::consts::PI;
        let mut twiddles = [Cpx::default(); MAX_COMPLEX];
        for (i, t) in twiddles[..ncfft].iter_mut().enumerate() {
            // `-2*pi*i / nfft`, evaluated left to right in double.
            *t = cexp(-2.0 * pi * i as f64 / ncfft as f64);
        }
        for (i, t) in s.super_twiddles[..ncfft / 2].iter_mut().enumerate() {
            *t = cexp(-pi * ((i + 1) as f64 / ncfft as f64 + 0.5));
        }
        // `kf_factor` for a power of two: fours while they divide, then a two (outermost stage first).
        let (mut n, mut fstride, mut offset) = (ncfft, 1usize, 0usize);
        while n > 1 {
            let p = if n % 4 == 0 { 4 } else { 2 };
            n /= p;
            let stage = Stage { p: p as u16, m: n as u16, tw_offset: offset as u16 };
            for q in 1..p {
                for k in 0..n {
                    s.stage_twiddles[offset] = twiddles[q * k * fstride];
                    offset += 1;
                }
            }
            s.stages[s.n_stages] = stage;
            s.n_stages += 1;
            fstride *= p;
        }
        leaf_order(&mut s.perm[..ncfft], 0, 1, &s.stages[..s.n_stages]);
        s
    }

    /// `kiss_fftr`: `input` has the real length (`2·ncfft` samples), `out` gets `ncfft + 1` bins.
    pub fn forward(&mut self, input: &[i16], out: &mut [Cpx]) {
        let n = self.ncfft;
        let tmp = &mut self.tmp[..n];
        for (t, &j) in tmp.iter_mut().zip(&self.perm[..n]) {
            let j = j as usize;
            *t = Cpx { r: input[2 * j], i: input[2 * j + 1] };
        }
        for stage in self.stages[..self.n_stages].iter().rev() {
            let (p, m) = (stage.p as usize, stage.m as usize);
            let tw = &self.stage_twiddles[stage.tw_offset as usize..];
            for block in tmp.chunks_exact_mut(p * m) {
                if p == 4 {
                    bfly4(block, &tw[..3 * m], m);
                } else {
                    bfly2(block, &tw[..m], m);
                }
            }
        }
        let tdc = fixdiv(tmp[0], 2);
        out[0] = Cpx { r: tdc.r.wrapping_add(tdc.i), i: 0 };
        out[n] = Cpx { r: tdc.r.wrapping_sub(tdc.i), i: 0 };
        for k in 1..=n / 2 {
            let fpk = fixdiv(tmp[k], 2);
            let fpnk = fixdiv(Cpx { r: tmp[n - k].r, i: tmp[n - k].i.wrapping_neg() }, 2);
            let f1k = add(fpk, fpnk);
            let f2k = sub(fpk, fpnk);
            let tw = c_mul(f2k, self.super_twiddles[k - 1]);
            // HALF_OF on C ints: the sums do not wrap before the shift, only the store does.
            out[k] =
                Cpx { r: ((f1k.r as i32 + tw.r as i32) >> 1) as i16, i: ((f1k.i as i32 + tw.i as i32) >> 1) as i16 };
            out[n - k] =
                Cpx { r: ((f1k.r as i32 - tw.r as i32) >> 1) as i16, i: ((tw.i as i32 - f1k.i as i32) >> 1) as i16 };
        }
    }
}

/// Where `kf_work`'s leaves read: output `j` of the sub-transform at `offset` with stride `fstride`.
fn leaf_order(out: &mut [u16], offset: usize, fstride: usize, stages: &[Stage]) {
    let (p, m) = (stages[0].p as usize, stages[0].m as usize);
    if m == 1 {
        for (j, o) in out[..p].iter_mut().enumerate() {
            *o = (offset + j * fstride) as u16;
        }
    } else {
        for j in 0..p {
            leaf_order(&mut out[j * m..(j + 1) * m], offset + j * fstride, fstride * p, &stages[1..]);
        }
    }
}

/// `kf_bfly2`; `tw[k]` is the stage's `twiddles[k·fstride]`.
fn bfly2(f: &mut [Cpx], tw: &[Cpx], m: usize) {
    let (f0, f1) = f.split_at_mut(m);
    for ((a, b), &t) in f0.iter_mut().zip(f1.iter_mut()).zip(tw) {
        let x = fixdiv(*a, 2);
        let y = fixdiv(*b, 2);
        let t = c_mul(y, t);
        *b = sub(x, t);
        *a = add(x, t);
    }
}

/// `kf_bfly4`, forward; `tw` holds the three legs' twiddles, `m` each.
fn bfly4(f: &mut [Cpx], tw: &[Cpx], m: usize) {
    let (f0, rest) = f.split_at_mut(m);
    let (f1, rest) = rest.split_at_mut(m);
    let (f2, f3) = rest.split_at_mut(m);
    let (tw1, rest) = tw.split_at(m);
    let (tw2, tw3) = rest.split_at(m);
    for k in 0..m {
        let a0 = fixdiv(f0[k], 4);
        let a1 = fixdiv(f1[k], 4);
        let a2 = fixdiv(f2[k], 4);
        let a3 = fixdiv(f3[k], 4);
        let s0 = c_mul(a1, tw1[k]);
        let s1 = c_mul(a2, tw2[k]);
        let s2 = c_mul(a3, tw3[k]);
        let s5 = sub(a0, s1);
        let a0 = add(a0, s1);
        let s3 = add(s0, s2);
        let s4 = sub(s0, s2);
        f2[k] = sub(a0, s3);
        f0[k] = add(a0, s3);
        // Forward transform: multiply s4 by −i.
        f1[k] = Cpx { r: s5.r.wrapping_add(s4.i), i: s5.i.wrapping_sub(s4.r) };
        f3[k] = Cpx { r: s5.r.wrapping_sub(s4.i), i: s5.i.wrapping_add(s4.r) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against a float DFT: the fixed-point result is the DFT scaled by 1/N, within a few LSB of rounding.
    #[test]
    fn tracks_the_scaled_dft() {
        for nfft in [8usize, 16, 64, 128, 512, 1024] {
            let input: alloc_free_vec::V = alloc_free_vec::signal(nfft);
            let mut f = KissFftr::new(nfft);
            let mut out = [Cpx::default(); MAX_COMPLEX + 1];
            f.forward(&input.0[..nfft], &mut out[..nfft / 2 + 1]);
            for (k, o) in out[..=nfft / 2].iter().enumerate() {
                let (mut re, mut im) = (0.0f64, 0.0f64);
                for (n, &x) in input.0[..nfft].iter().enumerate() {
                    let a = -2.0 * core::f64::consts::PI * (k * n) as f64 / nfft as f64;
                    re += x as f64 * libm::cos(a);
                    im += x as f64 * libm::sin(a);
                }
                let (re, im) = (re / nfft as f64, im / nfft as f64);
                let tol = 2.0 + (nfft as f64).log2();
                assert!(
                    (o.r as f64 - re).abs() <= tol && (o.i as f64 - im).abs() <= tol,
                    "{nfft} {k}: {o:?} {re} {im}"
                );
            }
        }
    }

    mod alloc_free_vec {
        pub struct V(pub [i16; 1024]);
        pub fn signal(n: usize) -> V {
            let mut v = [0i16; 1024];
            let mut s = 12345u32;
            for x in v[..n].iter_mut() {
                s = s.wrapping_mul(1_103_515_245).wrapping_add(12345);
                *x = ((s >> 16) as i16) >> 1;
            }
            V(v)
        }
    }
}
