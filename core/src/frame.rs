//! The per-frame DSP, generic over [`Lane`] so one code path serves streaming (`f32`) and batches (`F32x8`).
//!
//! Stage A ([`prepare`], [`spectrum`], [`compress`]) turns a frame's samples into compressed bands and is all a
//! stream needs before stage B ([`finish`]: affine, DCT, energy C0). Offline extraction with utterance
//! normalisation runs stage A over the whole signal, clamps, then stage B.

use crate::Lane;
use crate::config::{Config, Log, SpectrumKind};
use crate::dither;
use crate::fft::Map;
use crate::lane::kernel;
use crate::log::{ln, ln_clamped};
use crate::plan::{Plan, Tables};

/// Working buffers of one frame per lane, carved from caller-owned storage.
pub struct Work<'a, T> {
    /// The FFT input: the frame's `span` samples are copied to the front, then processed in place.
    pub(crate) fft_in: &'a mut [T],
    /// The power or magnitude spectrum.
    pub(crate) spec: &'a mut [T],
    pub(crate) scratch: &'a mut [T],
}

impl Plan {
    /// Elements of `T` that `Plan::work` needs.
    pub fn work_len(&self) -> usize {
        let n = self.fft().len();
        n + self.fft().bins() + self.fft().scratch_len()
    }

    /// Carves the working buffers out of `storage` (at least `work_len()` long).
    pub(crate) fn work<'a, T>(&self, storage: &'a mut [T]) -> Work<'a, T> {
        let (fft_in, rest) = storage.split_at_mut(self.fft().len());
        let (spec, rest) = rest.split_at_mut(self.fft().bins());
        let scratch = &mut rest[..self.fft().scratch_len()];
        Work { fft_in, spec, scratch }
    }
}

/// Kaldi's floor for energies before a log (FLT_EPSILON).
const ENERGY_FLOOR: f32 = f32::EPSILON;

/// Dither, DC removal, raw log energy, pre-emphasis, window and zero padding, in Kaldi's order, on the frame in
/// `work.fft_in[..span]`. `t0` is the frame number of lane 0 (lane `i` is frame `t0 + i`). Returns the log energy
/// of the frame before pre-emphasis (only meaningful when the config asks for it).
#[cfg_attr(all(target_arch = "x86_64", not(debug_assertions)), inline(always))]
pub(crate) fn prepare<T: Lane>(plan: &Plan, tables: &Tables<'_>, work: &mut Work<'_, T>, t0: u64) -> T {
    let cfg = plan.config();
    let win = tables.window.len();
    let region = &mut work.fft_in[plan.woff..plan.woff + win];
    if cfg.dither > 0.0 {
        dither_lanes(cfg.dither_seed, t0, cfg.dither, region);
    }
    if cfg.remove_dc {
        let mut sum = T::splat(0.0);
        for &x in region.iter() {
            sum = sum + x;
        }
        let mean = sum * T::splat(1.0 / win as f32);
        for x in region.iter_mut() {
            *x = *x - mean;
        }
    }
    let mut energy = T::splat(0.0);
    if cfg.mfcc.is_some_and(|m| m.energy_c0) {
        for &x in region.iter() {
            energy = energy + x * x;
        }
        energy = energy.map(|e| ln(e.max(ENERGY_FLOOR)));
    }
    if cfg.preemphasis != 0.0 {
        let c = T::splat(cfg.preemphasis);
        for i in (1..win).rev() {
            region[i] = region[i] - c * region[i - 1];
        }
        region[0] = region[0] - c * region[0];
    }
    for (x, &w) in region.iter_mut().zip(tables.window) {
        *x = *x * T::splat(w);
    }
    // Zero everything outside the window (the span's unwindowed edges and the FFT padding).
    let zero = T::splat(0.0);
    work.fft_in[..plan.woff].fill(zero);
    work.fft_in[plan.woff + win..].fill(zero);
    energy
}

/// Whether nothing touches a frame's samples before the window (scale 1, no dither, DC removal, energy or
/// pre-emphasis): then [`window_from`] can copy and window in one pass.
pub(crate) fn windows_directly(plan: &Plan) -> bool {
    let cfg = plan.config();
    cfg.input_scale == 1.0
        && cfg.dither == 0.0
        && !cfg.remove_dc
        && cfg.preemphasis == 0.0
        && !cfg.mfcc.is_some_and(|m| m.energy_c0)
}

/// `fft_in` ← window × the frame given as `a` then `b` (the ring wraps), zeros outside the window: the same
/// multiplications [`prepare`] does when [`windows_directly`] holds, without the copy first.
pub(crate) fn window_from(plan: &Plan, tables: &Tables<'_>, a: &[f32], b: &[f32], fft_in: &mut [f32]) {
    let (woff, win) = (plan.woff, tables.window.len());
    let in_a = a.len().saturating_sub(woff).min(win);
    let (w_a, w_b) = tables.window.split_at(in_a);
    let (d_a, d_b) = fft_in[woff..woff + win].split_at_mut(in_a);
    mul_into(d_a, &a[woff.min(a.len())..], w_a);
    mul_into(d_b, &b[woff.saturating_sub(a.len())..], w_b);
    fft_in[..woff].fill(0.0);
    fft_in[woff + win..].fill(0.0);
}

/// `dst[i] = x[i] · w[i]`, four at a time: the same multiplications, with the loop overhead of a quarter of
/// them (Cortex-M cores do not unroll on their own).
fn mul_into(dst: &mut [f32], x: &[f32], w: &[f32]) {
    let n = dst.len().min(x.len()).min(w.len());
    let (mut d4, mut x4, mut w4) = (dst[..n].chunks_exact_mut(4), x[..n].chunks_exact(4), w[..n].chunks_exact(4));
    for ((d, x), w) in (&mut d4).zip(&mut x4).zip(&mut w4) {
        d[0] = x[0] * w[0];
        d[1] = x[1] * w[1];
        d[2] = x[2] * w[2];
        d[3] = x[3] * w[3];
    }
    for ((d, &x), &w) in d4.into_remainder().iter_mut().zip(x4.remainder()).zip(w4.remainder()) {
        *d = x * w;
    }
}

fn dither_lanes<T: Lane>(seed: u64, t0: u64, amount: f32, region: &mut [T]) {
    for l in 0..T::WIDTH {
        let key = dither::key(seed, t0 + l as u64);
        for (i, x) in region.iter_mut().enumerate() {
            x.set_lane(l, x.lane(l) + amount * dither::gaussian(key, i));
        }
    }
}

/// FFT of `work.fft_in` straight into `work.spec` as a power or magnitude spectrum.
#[cfg_attr(all(target_arch = "x86_64", not(debug_assertions)), inline(always))]
pub(crate) fn spectrum<T: Lane>(plan: &Plan, tables: &Tables<'_>, work: &mut Work<'_, T>) {
    let spec = &mut *work.spec;
    // Lengths come from the plan that carved the buffers, so the FFT cannot refuse them.
    // A kernel of its own (see `Lane::kernel`), as are the mel bank and the log.
    let ok = kernel!(
        T,
        match plan.config().spectrum {
            SpectrumKind::Power => {
                plan.fft().forward_with(tables.fft, work.fft_in, work.scratch, Map(spec, |r: T, i: T| r * r + i * i))
            }
            SpectrumKind::Magnitude => {
                plan.fft().forward_with(
                    tables.fft,
                    work.fft_in,
                    work.scratch,
                    Map(spec, |r: T, i: T| (r * r + i * i).sqrt()),
                )
            }
        }
    );
    debug_assert!(ok.is_ok());
}

/// Mel bank (or the linear spectrum) then the log, into `row` (`n_bands` long).
#[cfg_attr(all(target_arch = "x86_64", not(debug_assertions)), inline(always))]
pub(crate) fn compress<T: Lane>(plan: &Plan, tables: &Tables<'_>, spec: &[T], row: &mut [T]) {
    if let Some(bank) = plan.bank() {
        kernel!(T, bank.apply(tables.mel_weights, spec, row));
    } else {
        row.copy_from_slice(spec);
    }
    if let Some(c) = plan.compression {
        kernel!(T, c.apply(row));
    }
}

/// 1/ln(10) and 10/ln(10) rounded to f32: log10 and dB are `ln` times these.
const LOG10_E: f32 = core::f32::consts::LOG10_E;
const DB_PER_NEPER: f32 = 10.0 * core::f32::consts::LOG10_E;

/// A compression as the log pass takes it: `ln(max(x + offset, floor))`, then for log10 and dB `x · scale −
/// shift`. Made once per plan, since the dB shift is a log itself.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Compression {
    offset: f32,
    floor: f32,
    post: Option<(f32, f32)>,
}

impl Compression {
    /// The compression of `log` (none for [`Log::None`]).
    pub(crate) fn of(log: Log) -> Option<Self> {
        let (offset, floor, post) = match log {
            Log::None => return None,
            Log::Ln { offset, floor } => (offset, floor, None),
            Log::Log10 { floor } => (0.0, floor, Some((LOG10_E, 0.0))),
            Log::Db { amin, reference } => (0.0, amin, Some((DB_PER_NEPER, ln(reference.max(amin)) * DB_PER_NEPER))),
        };
        Some(Compression { offset, floor, post })
    }

    /// Compresses every value of `row`.
    #[cfg_attr(all(target_arch = "x86_64", not(debug_assertions)), inline(always))]
    pub(crate) fn apply<T: Lane>(self, row: &mut [T]) {
        match self.post {
            None => ln_clamped(row, self.offset, self.floor, |x| x),
            Some((scale, shift)) => ln_clamped(row, self.offset, self.floor, |x| x * T::splat(scale) - T::splat(shift)),
        }
    }
}

/// Stage B: affine, then DCT (with lifter) and energy C0, from compressed bands `row` into `out`
/// (`n_features` long). `row` is modified.
#[cfg_attr(all(target_arch = "x86_64", not(debug_assertions)), inline(always))]
pub(crate) fn finish<T: Lane>(plan: &Plan, tables: &Tables<'_>, row: &mut [T], energy: T, out: &mut [T]) {
    let cfg = plan.config();
    affine(cfg, row);
    match &cfg.mfcc {
        Some(m) => {
            crate::dct::apply(tables.dct, row, out);
            if m.energy_c0 {
                out[0] = energy;
            }
        }
        None => out.copy_from_slice(row),
    }
}

/// The config's affine map `(x + add) · mul` on every value (nothing for the identity).
#[cfg_attr(all(target_arch = "x86_64", not(debug_assertions)), inline(always))]
pub(crate) fn affine<T: Lane>(cfg: &Config, values: &mut [T]) {
    if cfg.affine != crate::config::Affine::IDENTITY {
        let (add, mul) = (T::splat(cfg.affine.add), T::splat(cfg.affine.mul));
        for x in values.iter_mut() {
            *x = (*x + add) * mul;
        }
    }
}
