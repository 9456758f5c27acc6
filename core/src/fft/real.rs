//! The real FFT of even length `n` from the complex FFT `Z` of the `m = n/2` packed pairs `x[2j] + i·x[2j+1]`.
//!
//! With `E = (Z[k] + conj Z[m-k]) / 2` (the spectrum of the even samples) and
//! `O = (Z[k] - conj Z[m-k]) / 2i` (of the odd samples), `X[k] = E + W^k·O` and `X[m-k] = conj(E - W^k·O)` where
//! `W = e^{-2πi/n}`: one pass over the pairs `(k, m-k)`.

use super::bins::Bins;
use super::twiddle::twiddle;
use crate::lane::Lane;

/// Number of pairs `(k, m-k)` with `0 < k < m-k`, one table twiddle each.
const fn pairs(m: usize) -> usize {
    (m - 1) / 2
}

/// f32 values of the split table for `m` complex points.
pub(crate) const fn table_len(m: usize) -> usize {
    2 * pairs(m)
}

/// Fills the split table: `W^k / 2` for `k = 1..=pairs`, `[re, im]` interleaved. The halving (exact) saves the
/// two products that would otherwise halve `O`.
pub(crate) fn fill_table(m: usize, table: &mut [f32]) {
    for (k, w) in (1..).zip(table.chunks_exact_mut(2)) {
        let [c, s] = twiddle(k, 2 * m);
        w.copy_from_slice(&[0.5 * c, 0.5 * s]);
    }
}

/// Turns `Z` (`m` values) into the `m + 1` bins of the real FFT, into `bins` (every bin exactly once, not in
/// order): stored, or reduced on the spot (a power spectrum needs no second pass).
///
/// A separate pass over `Z` on purpose: handing the split the last Stockham stage's outputs directly (butterflies
/// `k` and `ns-k` of the last stage produce every partner pair) saves a store and a load per value, but measured
/// more instructions in AVX2 lanes (`bench/RESULTS.md`): two butterflies' values spill out of 16 registers, and the
/// bins' indices lose the bounds-check proofs the slices below give.
///
/// # Safety
/// [`bins.holds`](Bins::holds)`(m + 1)` returned `Ok`.
#[cfg_attr(all(target_arch = "x86_64", not(debug_assertions)), inline(always))]
pub(crate) unsafe fn split<T: Lane>(table: &[[f32; 2]], z: &[[T; 2]], bins: &mut impl Bins<T>) {
    let m = z.len();
    let h = pairs(m);
    let Some((&[zr, zi], z)) = z.split_first() else {
        return;
    };
    // k = 0 pairs with itself: X[0] and X[m] are the sum and the difference of the even and the odd samples' sums.
    let zero = T::splat(0.0);
    bins.put(0, zr + zi, zero);
    bins.put(m, zr - zi, zero);
    // Below: [k = 1..=h], [k = m/2 if m is even], [k = m-h..m].
    let (z_lo, z) = z.split_at(h);
    let (z_mid, z_hi) = z.split_at(z.len() - h);
    // k = m/2 pairs with itself too, and W^{m/2} = -i makes X[m/2] = conj Z[m/2].
    if let Some(&[zr, zi]) = z_mid.first() {
        bins.put(m / 2, zr, -zi);
    }
    let half = T::splat(0.5);
    // Every slice of the loop cut to exactly h, so that neither k nor its partner index needs a bounds check.
    let (table, z_lo, z_hi) = (&table[..h], &z_lo[..h], &z_hi[..h]);
    for k in 0..h {
        // The partner m-k, counted backwards through the upper half.
        let j = h - 1 - k;
        let [wr, wi] = table[k];
        let ([zr, zi], [cr, ci]) = (z_lo[k], z_hi[j]);
        let (wr, wi) = (T::splat(wr), T::splat(wi));
        let (er, ei) = (half * (zr + cr), half * (zi - ci));
        // D = Z[k] - conj Z[m-k]; (W/2)·(D / i) with D / i = (Im D, -Re D).
        let (dr, di) = (zr - cr, zi + ci);
        let (pr, pi) = (di * wr + dr * wi, di * wi - dr * wr);
        bins.put(k + 1, er + pr, ei + pi);
        // SAFETY: `bins` holds m + 1 (the caller's promise) and m-1-k < m, since k < h < m. The compiler
        // cannot see that m-1-k does not wrap, and checked it at every pair.
        unsafe { bins.put_unchecked(m - 1 - k, er - pr, pi - ei) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Σ v[j]·e^{-2πi·jk/len}` in f64, for complex `[re, im]` samples.
    fn dft(v: &[[f64; 2]], k: usize) -> [f64; 2] {
        let len = v.len() as f64;
        v.iter().enumerate().fold([0.0, 0.0], |[sr, si], (j, &[re, im])| {
            let t = -2.0 * core::f64::consts::PI * (j * k) as f64 / len;
            let (c, s) = (libm::cos(t), libm::sin(t));
            [sr + re * c - im * s, si + re * s + im * c]
        })
    }

    /// The split of an exact `Z` against the real DFT, for an even and an odd number of pairs.
    #[test]
    fn split_gives_the_real_spectrum() {
        for m in [8, 9] {
            let x: [f64; 18] = core::array::from_fn(|j| ((j * 7) % 11) as f64 - 5.0);
            let x = &x[..2 * m];
            let pairs: [[f64; 2]; 9] = core::array::from_fn(|j| [x[(2 * j) % x.len()], x[(2 * j + 1) % x.len()]]);
            let z: [[f32; 2]; 9] = core::array::from_fn(|k| dft(&pairs[..m], k).map(|v| v as f32));
            let mut table = [0.0; 8];
            fill_table(m, &mut table[..table_len(m)]);
            let (mut re, mut im) = ([f32::NAN; 10], [f32::NAN; 10]);
            // SAFETY: both slices hold m + 1.
            unsafe { split(table[..table_len(m)].as_chunks().0, &z[..m], &mut (&mut re[..=m], &mut im[..=m])) };
            let reals: [[f64; 2]; 18] = core::array::from_fn(|j| [x[j % x.len()], 0.0]);
            for k in 0..=m {
                let [want_re, want_im] = dft(&reals[..2 * m], k);
                let err = (f64::from(re[k]) - want_re).abs() + (f64::from(im[k]) - want_im).abs();
                assert!(err < 1e-4, "m={m} bin {k}: {} {} vs {want_re} {want_im}", re[k], im[k]);
            }
        }
    }
}
