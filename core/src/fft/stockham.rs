//! The complex FFT: mixed-radix Stockham autosort (decimation in time), ping-ponging between two buffers.
//!
//! Stage `s` with radix `R` and `ns` = product of the earlier radices reads `x[j + r·N/R]`, multiplies by
//! `e^{-2πi·r·(j mod ns)/(ns·R)}`, applies the radix-`R` DFT and writes `y[(j / ns)·ns·R + r·ns + j mod ns]`.
//! Autosort means no bit reversal pass, and every stage reads and writes contiguous runs, which is what lets the
//! `F32x8` lanes vectorise and keeps Cortex-M loads simple.

use super::butterfly::{Cx, Dft, Radix, Unrolled};
use super::twiddle::twiddle;
use crate::lane::Lane;

/// Where the first stage takes its complex input from.
#[derive(Clone, Copy)]
pub(crate) enum Input<'a, T> {
    /// A real signal of even length read as complex pairs `x[2j] + i·x[2j+1]` (the packing of the real FFT).
    Pairs(&'a [[T; 2]]),
    /// A real signal taken as is, imaginary part zero (odd lengths).
    Reals(&'a [T]),
}

/// Number of twiddle values (f32) a stage of radix `radix` after `ns` points needs: `radix - 1` complex per point.
pub(crate) const fn stage_table_len(radix: usize, ns: usize) -> usize {
    2 * (radix - 1) * ns
}

/// Fills the table of a stage: for each `k < ns`, the twiddles of rows `1..radix`, `[re, im]` interleaved, in the
/// order the stage reads them.
pub(crate) fn fill_stage_table(radix: usize, ns: usize, table: &mut [f32]) {
    let twiddles = (0..ns).flat_map(|k| (1..radix).map(move |r| twiddle(r * k, ns * radix)));
    for (slot, w) in table.chunks_exact_mut(2).zip(twiddles) {
        slot.copy_from_slice(&w);
    }
}

/// Runs all stages, `radices[0]` first, and leaves the transform in `a`; `b` is the other ping-pong buffer.
///
/// Buffers hold `[re, im]` pairs: one pointer per row of a butterfly instead of two, which matters on a
/// Cortex-M (few registers, no register-offset float loads). The stage tables lie back to back in `table`.
#[cfg_attr(all(target_arch = "x86_64", not(debug_assertions)), inline(always))]
pub(crate) fn transform<T: Lane>(
    radices: &[u8],
    table: &[f32],
    input: Input<'_, T>,
    a: &mut [[T; 2]],
    b: &mut [[T; 2]],
) {
    let mut ns = 1;
    let mut table = table;
    for (i, &radix) in radices.iter().enumerate() {
        // Stages alternate buffers so that the last one writes `a`.
        let (src, dst) = if (radices.len() - i) % 2 == 1 { (&*b, &mut *a) } else { (&*a, &mut *b) };
        let radix = usize::from(radix);
        if i == 0 {
            first(radix, input, dst);
        } else {
            let (tw, rest) = table.split_at(stage_table_len(radix, ns));
            table = rest;
            later(radix, ns, tw.as_chunks().0, src, dst);
        }
        ns *= radix;
    }
}

/// The first stage, `ns = 1`: all its twiddles are 1, so it multiplies by none.
#[cfg_attr(all(target_arch = "x86_64", not(debug_assertions)), inline(always))]
fn first<T: Lane>(radix: usize, input: Input<'_, T>, dst: &mut [[T; 2]]) {
    match radix {
        2 => first_radix::<T, 2>(input, dst),
        3 => first_radix::<T, 3>(input, dst),
        4 => first_radix::<T, 4>(input, dst),
        5 => first_radix::<T, 5>(input, dst),
        _ => first_radix::<T, 8>(input, dst),
    }
}

/// A stage after the first (radix 2, 3, 4 or 5).
#[cfg_attr(all(target_arch = "x86_64", not(debug_assertions)), inline(always))]
fn later<T: Lane>(radix: usize, ns: usize, tw: &[[f32; 2]], src: &[[T; 2]], dst: &mut [[T; 2]]) {
    match radix {
        2 => stage::<T, 2, 1>(ns, tw, src, dst),
        3 => stage::<T, 3, 2>(ns, tw, src, dst),
        4 => stage::<T, 4, 3>(ns, tw, src, dst),
        5 => stage::<T, 5, 4>(ns, tw, src, dst),
        _ => stage::<T, 8, 7>(ns, tw, src, dst),
    }
}

#[inline(always)]
fn first_radix<T: Lane, const R: usize>(input: Input<'_, T>, dst: &mut [[T; 2]])
where
    [Cx<T>; R]: Dft<T>,
    Radix<R>: Unrolled<R>,
{
    let (out, _) = dst.as_chunks_mut::<R>();
    let q = out.len();
    match input {
        Input::Pairs(x) => {
            // Row r holds x[j + r·q]; slicing every row to exactly q lets the compiler drop the bounds checks.
            let rows = Radix::<R>::array(|r| &x[r * q..][..q]);
            for (j, y) in (0..q).zip(out) {
                let a = <[Cx<T>; R]>::dft_of(|r| Cx::from(rows[r][j]));
                *y = Radix::<R>::array(|r| a[r].into());
            }
        }
        Input::Reals(x) => {
            let rows = Radix::<R>::array(|r| &x[r * q..][..q]);
            let zero = T::splat(0.0);
            for (j, y) in (0..q).zip(out) {
                let a = <[Cx<T>; R]>::dft_of(|r| Cx { re: rows[r][j], im: zero });
                *y = Radix::<R>::array(|r| a[r].into());
            }
        }
    }
}

/// A stage with `ns > 1`: blocks of `ns` consecutive points share nothing but the twiddles, which depend on the
/// position `k` inside the block. `W = R - 1` twiddles per point (a separate parameter because stable Rust cannot
/// write `R - 1` as an array length).
#[inline(always)]
fn stage<T: Lane, const R: usize, const W: usize>(ns: usize, tw: &[[f32; 2]], src: &[[T; 2]], dst: &mut [[T; 2]])
where
    [Cx<T>; R]: Dft<T>,
    Radix<R>: Unrolled<R>,
{
    let q = src.len() / R;
    let tw = &tw.as_chunks::<W>().0[..ns];
    for (b, block) in dst.chunks_exact_mut(R * ns).enumerate() {
        let at = b * ns;
        // Exactly-`ns` rows, as in `first_radix`, so the inner loop indexes without checks.
        let x = Radix::<R>::array(|r| &src[r * q + at..][..ns]);
        let y = rows::<_, R>(block, ns);
        for k in 0..ns {
            let w = &tw[k];
            let a =
                <[Cx<T>; R]>::dft_of(|r| if r == 0 { Cx::from(x[r][k]) } else { Cx::from(x[r][k]).twiddle(&w[r - 1]) });
            for r in 0..R {
                y[r][k] = a[r].into();
            }
        }
    }
}

/// Splits a block into its `R` rows of exactly `ns` values.
#[inline(always)]
fn rows<T, const R: usize>(block: &mut [T], ns: usize) -> [&mut [T]; R]
where
    Radix<R>: Unrolled<R>,
{
    let mut rest = block;
    Radix::<R>::array(|_| {
        let (row, tail) = core::mem::take(&mut rest).split_at_mut(ns);
        rest = tail;
        row
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The complex transform against a naive f64 DFT, for radix orders the planner never picks as well.
    #[test]
    fn any_radix_order_is_a_dft() {
        const MAX: usize = 240;
        for radices in [&[2u8, 3, 4, 5][..], &[8, 4], &[5, 5, 3], &[3, 2, 2], &[8, 5, 3, 2], &[4]] {
            let m: usize = radices.iter().map(|&r| usize::from(r)).product();
            let x: [[f32; 2]; MAX] = core::array::from_fn(|j| [(j * j % 17) as f32 - 8.0, (j % 5) as f32 * 0.25]);
            let x = &x[..m];
            let mut table = [0.0; 2 * MAX];
            let (mut at, mut ns) = (0, usize::from(radices[0]));
            for &r in &radices[1..] {
                let r = usize::from(r);
                fill_stage_table(r, ns, &mut table[at..at + stage_table_len(r, ns)]);
                (at, ns) = (at + stage_table_len(r, ns), ns * r);
            }
            let (mut a, mut b) = ([[0.0; 2]; MAX], [[f32::NAN; 2]; MAX]);
            transform(radices, &table[..at], Input::Pairs(x), &mut a[..m], &mut b[..m]);
            for (k, &[re, im]) in a[..m].iter().enumerate() {
                let (mut want_re, mut want_im) = (0.0f64, 0.0f64);
                for (j, &[xr, xi]) in x.iter().enumerate() {
                    let [c, s] = twiddle(j * k, m).map(f64::from);
                    want_re += f64::from(xr) * c - f64::from(xi) * s;
                    want_im += f64::from(xr) * s + f64::from(xi) * c;
                }
                let err = (f64::from(re) - want_re).abs() + (f64::from(im) - want_im).abs();
                assert!(err < 1e-3, "radices {radices:?} bin {k}: {re} {im} vs {want_re} {want_im}");
            }
        }
    }
}
