//! Natural log built only from IEEE arithmetic and bit operations, so it gives the same bits on every target and
//! vectorises lane by lane (`libm::logf` is a call per value and does not).
//!
//! The reduction and polynomial are the classic FreeBSD/musl `logf` scheme: `x = 2^k·(1 + f)` with
//! `√2/2 ≤ 1 + f < √2`, `s = f / (2 + f)`, a degree-4 minimax polynomial in `s²`. Error < 1 ulp.

use crate::Lane;

// Written as bit patterns: these are the exact f32 values of the published constants.
pub(crate) const LN2_HI: f32 = f32::from_bits(0x3f31_7180);
pub(crate) const LN2_LO: f32 = f32::from_bits(0x3717_f7d1);
pub(crate) const LG1: f32 = f32::from_bits(0x3f2a_aaaa); // 0xaaaaaa.0p-24
pub(crate) const LG2: f32 = f32::from_bits(0x3ecc_ce13); // 0xccce13.0p-25
pub(crate) const LG3: f32 = f32::from_bits(0x3e91_e9ee); // 0x91e9ee.0p-25
pub(crate) const LG4: f32 = f32::from_bits(0x3e78_9e26); // 0xf89e26.0p-26

/// `ln(x)` for positive normal finite `x` (the caller guarantees it; see [`ln`] for every input).
#[inline(always)]
fn ln_normal(x: f32) -> f32 {
    ln_normal_lanes([x])[0]
}

/// [`ln_normal`] of `N` values side by side. Written as one loop per step, each lane doing exactly the scalar
/// operations, because compilers vectorise such loops reliably (a per-lane call of the scalar function they
/// do not: its bit manipulations stay scalar).
#[inline(always)]
pub(crate) fn ln_normal_lanes<const N: usize>(x: [f32; N]) -> [f32; N] {
    let (mut f, mut dk) = ([0.0f32; N], [0.0f32; N]);
    for i in 0..N {
        // x = 2^k · (1 + f) with √2/2 ≤ 1 + f < √2.
        let ix = x[i].to_bits().wrapping_add(0x3f80_0000 - 0x3f35_04f3);
        dk[i] = ((ix >> 23) as i32 - 0x7f) as f32;
        f[i] = f32::from_bits((ix & 0x007f_ffff) + 0x3f35_04f3) - 1.0;
    }
    let mut out = [0.0f32; N];
    for i in 0..N {
        let (f, dk) = (f[i], dk[i]);
        let s = f / (2.0 + f);
        let z = s * s;
        let w = z * z;
        let t1 = w * (LG2 + w * LG4);
        let t2 = z * (LG1 + w * LG3);
        let r = t2 + t1;
        let hfsq = 0.5 * f * f;
        out[i] = s * (hfsq + r) + dk * LN2_LO - hfsq + f + dk * LN2_HI;
    }
    out
}

#[inline(always)]
pub(crate) fn is_positive_normal(x: f32) -> bool {
    x.to_bits().wrapping_sub(0x0080_0000) < 0x7f00_0000
}

/// `ln(x)` for every input: `ln(0) = −∞`, `ln(+∞) = +∞`, negative or NaN → NaN, subnormals exact-ish.
pub fn ln(x: f32) -> f32 {
    if is_positive_normal(x) {
        ln_normal(x)
    } else if x == 0.0 {
        f32::NEG_INFINITY
    } else if x.is_nan() || x < 0.0 {
        f32::NAN
    } else if x == f32::INFINITY {
        x
    } else {
        // Subnormal: scale into the normal range first (exact), then remove the scale.
        ln_normal(x * 8_388_608.0) - 23.0 * core::f32::consts::LN_2
    }
}

/// `x ← then(ln(max(x + offset, floor)))` over a slice of lanes, one pass: a lane vector of positive normal
/// numbers (the common case) takes the branch-free `ln_normal`, any other goes value by value. `then` (a scale for
/// log10 or dB, say) runs in the same pass, so the row is read and written once.
#[cfg_attr(all(target_arch = "x86_64", not(debug_assertions)), inline(always))]
pub fn ln_clamped<T: Lane>(xs: &mut [T], offset: f32, floor: f32, then: impl Fn(T) -> T) {
    // Values here are sums of non-negative products plus a non-negative offset, never −0. So adding a zero offset
    // changes none and is left out (one instruction in 42 on x86_64), and `max`, which may pick either zero for
    // (−0, +0) depending on the target, is exact everywhere.
    if offset == 0.0 {
        ln_each(xs, |v| v.max_with(floor), then);
    } else {
        ln_each(xs, |v| (v + T::splat(offset)).max_with(floor), then);
    }
}

/// `x ← then(ln(clamp(x)))`, the pass of [`ln_clamped`].
#[cfg_attr(all(target_arch = "x86_64", not(debug_assertions)), inline(always))]
fn ln_each<T: Lane>(xs: &mut [T], clamp: impl Fn(T) -> T, then: impl Fn(T) -> T) {
    let c = T::ln_consts();
    for v in xs.iter_mut() {
        let x = clamp(*v);
        *v = then(if x.all_positive_normal() { x.ln_normal_with(c) } else { x.map(ln) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps(a: f32, b: f32) -> u32 {
        (a.to_bits() as i32).wrapping_sub(b.to_bits() as i32).unsigned_abs()
    }

    #[test]
    fn within_one_ulp_of_correctly_rounded_over_the_whole_range() {
        // Every 4099th bit pattern of the positive finite floats, plus neighbours of 1.
        let mut worst = 0;
        let mut bits = 1u32;
        while bits < 0x7f80_0000 {
            let x = f32::from_bits(bits);
            let exact = (x as f64).ln() as f32;
            worst = worst.max(ulps(ln(x), exact));
            bits += 4099;
        }
        for d in 0..2000u32 {
            for x in [f32::from_bits(0x3f80_0000 + d), f32::from_bits(0x3f80_0000 - d)] {
                worst = worst.max(ulps(ln(x), (x as f64).ln() as f32));
            }
        }
        assert!(worst <= 1, "worst error {worst} ulp");
    }

    #[test]
    fn special_values() {
        assert_eq!(ln(0.0), f32::NEG_INFINITY);
        assert_eq!(ln(-0.0), f32::NEG_INFINITY);
        assert!(ln(-1.0).is_nan());
        assert!(ln(f32::NAN).is_nan());
        assert_eq!(ln(f32::INFINITY), f32::INFINITY);
        assert_eq!(ln(1.0), 0.0);
    }

    #[test]
    fn slice_paths_agree_with_scalar() {
        let mut v = [1e-10f32, 0.5, 3.0, 1e30, 7e-3, 1.0, 2.0, 0.0];
        let expect = v.map(ln);
        ln_clamped(&mut v[..7], 0.0, 0.0, |x| x);
        ln_clamped(&mut v[7..], 0.0, 0.0, |x| x);
        for (a, b) in v.iter().zip(expect) {
            assert_eq!(a.to_bits(), b.to_bits());
        }
    }

    /// A lane vector with one lane off the fast path (zero, then a subnormal) takes the value-by-value path for
    /// that vector only; `then` runs on both paths.
    #[test]
    fn lane_vectors_with_a_non_normal_lane_agree_with_scalar() {
        use crate::lane::{Batch, F32x8};
        let rows = [[0.5f32, 3.0, 1e30, 7e-3, 1.0, 2.0, 1e-10, 4.0], [0.5, 0.0, 3.0, 1e-40, 1.0, 2.0, 9.0, 0.25]];
        let mut v = rows.map(F32x8::from_array);
        ln_clamped(&mut v, 0.0, 0.0, |x| x * F32x8::splat(2.0));
        for (got, row) in v.iter().zip(rows) {
            for (g, x) in got.to_array().into_iter().zip(row) {
                assert_eq!(g.to_bits(), (ln(x) * 2.0).to_bits(), "ln({x:e})");
            }
        }
    }
}
