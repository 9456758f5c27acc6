//! Lanes: the unit every hot loop is written over.
//!
//! The per-frame DSP is generic over a [`Lane`]: `f32` computes one frame, [`F32x8`] computes eight frames
//! side by side. Each lane of an `F32x8` performs exactly the IEEE operations the scalar path performs, in the
//! same order, so a frame's bits do not depend on whether it was computed alone (streaming, firmware) or in a
//! batch of eight (offline: SSE2 vectors on x86_64, arrays the compiler may vectorise elsewhere). Nothing here
//! reassociates.

use core::ops::{Add, Mul, Neg, Sub};

/// A value that holds one sample (or bin) of `WIDTH` independent frames.
pub trait Lane: Copy + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Neg<Output = Self> {
    /// How many frames one value carries.
    const WIDTH: usize;
    /// The same `v` in every lane.
    fn splat(v: f32) -> Self;
    /// Applies `f` to every lane (kept inline so that a branch-free `f` vectorises).
    fn map(self, f: impl Fn(f32) -> f32) -> Self;
    /// Lane `i` as a scalar.
    fn lane(self, i: usize) -> f32;
    /// Sets lane `i`.
    fn set_lane(&mut self, i: usize, v: f32);
    /// Whether `f` holds for every lane.
    fn all(self, f: impl Fn(f32) -> bool) -> bool;
    /// The core's `ln` of every lane, each a positive normal number (see `log.rs`).
    fn ln_normal(self) -> Self;
}

impl Lane for f32 {
    const WIDTH: usize = 1;
    #[inline(always)]
    fn splat(v: f32) -> Self {
        v
    }
    #[inline(always)]
    fn map(self, f: impl Fn(f32) -> f32) -> Self {
        f(self)
    }
    #[inline(always)]
    fn lane(self, _i: usize) -> f32 {
        self
    }
    #[inline(always)]
    fn set_lane(&mut self, _i: usize, v: f32) {
        *self = v;
    }
    #[inline(always)]
    fn all(self, f: impl Fn(f32) -> bool) -> bool {
        f(self)
    }
    #[inline(always)]
    fn ln_normal(self) -> Self {
        crate::log::ln_normal_lanes([self])[0]
    }
}

/// Eight frames processed together; see the module docs for why this is bit-identical to `f32`.
///
/// On x86_64 it is two SSE vectors, so that the compiler sees vector operations directly instead of eight scalar
/// ones it may regroup badly (its loop vectoriser otherwise transposes runs of `F32x8` across iterations, several
/// times slower). SSE's `addps`/`subps`/`mulps`/`maxps`/`sqrtps` are `addss`/`subss`/`mulss`/`maxss`/`sqrtss` lane
/// by lane: the IEEE operations of the scalar path. Elsewhere it is an array.
#[derive(Clone, Copy)]
pub struct F32x8(simd::Inner);

impl F32x8 {
    /// The eight lanes.
    #[inline(always)]
    pub fn from_array(a: [f32; 8]) -> Self {
        F32x8(simd::from_array(a))
    }

    /// The eight lanes as an array.
    #[inline(always)]
    pub fn to_array(self) -> [f32; 8] {
        simd::to_array(self.0)
    }
}

impl Default for F32x8 {
    fn default() -> Self {
        Self::splat(0.0)
    }
}

impl core::fmt::Debug for F32x8 {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.to_array().fmt(f)
    }
}

impl PartialEq for F32x8 {
    fn eq(&self, other: &Self) -> bool {
        self.to_array() == other.to_array()
    }
}

macro_rules! binary {
    ($trait:ident, $method:ident) => {
        impl $trait for F32x8 {
            type Output = Self;
            #[inline(always)]
            fn $method(self, rhs: Self) -> Self {
                F32x8(simd::$method(self.0, rhs.0))
            }
        }
    };
}
binary!(Add, add);
binary!(Sub, sub);
binary!(Mul, mul);

impl Neg for F32x8 {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        F32x8(simd::neg(self.0))
    }
}

impl Lane for F32x8 {
    const WIDTH: usize = 8;
    #[inline(always)]
    fn splat(v: f32) -> Self {
        F32x8(simd::splat(v))
    }
    #[inline(always)]
    fn map(self, f: impl Fn(f32) -> f32) -> Self {
        let a = self.to_array();
        Self::from_array([f(a[0]), f(a[1]), f(a[2]), f(a[3]), f(a[4]), f(a[5]), f(a[6]), f(a[7])])
    }
    #[inline(always)]
    fn lane(self, i: usize) -> f32 {
        self.to_array()[i]
    }
    #[inline(always)]
    fn set_lane(&mut self, i: usize, v: f32) {
        let mut a = self.to_array();
        a[i] = v;
        *self = Self::from_array(a);
    }
    #[inline(always)]
    fn all(self, f: impl Fn(f32) -> bool) -> bool {
        // `&`, not `&&`: no early exit, so the eight tests stay branch-free.
        self.to_array().iter().fold(true, |ok, &x| ok & f(x))
    }
    #[inline(always)]
    fn ln_normal(self) -> Self {
        F32x8(simd::ln_normal(self.0))
    }
}

/// SSE2 backend (in every x86_64 CPU, so always available).
#[cfg(target_arch = "x86_64")]
mod simd {
    use core::arch::x86_64::{__m128, _mm_add_ps, _mm_mul_ps, _mm_set1_ps, _mm_sub_ps, _mm_xor_ps};

    pub type Inner = [__m128; 2];

    // SAFETY (every `unsafe` below): SSE and SSE2 are in the x86_64 baseline, so these intrinsics are always
    // available; `[f32; 8]` and `[__m128; 2]` are the same 32 plain bytes.
    #[inline(always)]
    pub fn from_array(a: [f32; 8]) -> Inner {
        unsafe { core::mem::transmute(a) }
    }
    #[inline(always)]
    pub fn to_array(v: Inner) -> [f32; 8] {
        unsafe { core::mem::transmute(v) }
    }
    #[inline(always)]
    pub fn splat(v: f32) -> Inner {
        let x = unsafe { _mm_set1_ps(v) };
        [x, x]
    }
    #[inline(always)]
    pub fn add(a: Inner, b: Inner) -> Inner {
        unsafe { [_mm_add_ps(a[0], b[0]), _mm_add_ps(a[1], b[1])] }
    }
    #[inline(always)]
    pub fn sub(a: Inner, b: Inner) -> Inner {
        unsafe { [_mm_sub_ps(a[0], b[0]), _mm_sub_ps(a[1], b[1])] }
    }
    #[inline(always)]
    pub fn mul(a: Inner, b: Inner) -> Inner {
        unsafe { [_mm_mul_ps(a[0], b[0]), _mm_mul_ps(a[1], b[1])] }
    }
    /// Flips the sign bits, exactly what scalar negation does.
    #[inline(always)]
    pub fn neg(a: Inner) -> Inner {
        unsafe {
            let sign = _mm_set1_ps(-0.0);
            [_mm_xor_ps(a[0], sign), _mm_xor_ps(a[1], sign)]
        }
    }
    /// `log::ln_normal_lanes` step for step: the integer steps are exact, the float ones the same IEEE
    /// operations in the same order.
    #[inline(always)]
    pub fn ln_normal(a: Inner) -> Inner {
        [ln4(a[0]), ln4(a[1])]
    }
    #[inline(always)]
    fn ln4(x: __m128) -> __m128 {
        use crate::log::{LG1, LG2, LG3, LG4, LN2_HI, LN2_LO};
        use core::arch::x86_64::{
            _mm_add_epi32, _mm_and_si128, _mm_castps_si128, _mm_castsi128_ps, _mm_cvtepi32_ps, _mm_div_ps,
            _mm_set1_epi32, _mm_srli_epi32, _mm_sub_epi32,
        };
        unsafe {
            let f32s = _mm_set1_ps;
            let ix = _mm_add_epi32(_mm_castps_si128(x), _mm_set1_epi32(0x3f80_0000 - 0x3f35_04f3));
            let k = _mm_sub_epi32(_mm_srli_epi32::<23>(ix), _mm_set1_epi32(0x7f));
            let dk = _mm_cvtepi32_ps(k);
            let m = _mm_add_epi32(_mm_and_si128(ix, _mm_set1_epi32(0x007f_ffff)), _mm_set1_epi32(0x3f35_04f3));
            let f = _mm_sub_ps(_mm_castsi128_ps(m), f32s(1.0));
            let s = _mm_div_ps(f, _mm_add_ps(f32s(2.0), f));
            let z = _mm_mul_ps(s, s);
            let w = _mm_mul_ps(z, z);
            let t1 = _mm_mul_ps(w, _mm_add_ps(f32s(LG2), _mm_mul_ps(w, f32s(LG4))));
            let t2 = _mm_mul_ps(z, _mm_add_ps(f32s(LG1), _mm_mul_ps(w, f32s(LG3))));
            let r = _mm_add_ps(t2, t1);
            let hfsq = _mm_mul_ps(_mm_mul_ps(f32s(0.5), f), f);
            // s·(hfsq + r) + dk·LN2_LO − hfsq + f + dk·LN2_HI, left to right.
            let a = _mm_add_ps(_mm_mul_ps(s, _mm_add_ps(hfsq, r)), _mm_mul_ps(dk, f32s(LN2_LO)));
            let a = _mm_add_ps(_mm_sub_ps(a, hfsq), f);
            _mm_add_ps(a, _mm_mul_ps(dk, f32s(LN2_HI)))
        }
    }
}

/// Portable backend: eight scalars.
#[cfg(not(target_arch = "x86_64"))]
mod simd {
    pub type Inner = [f32; 8];

    #[inline(always)]
    pub fn from_array(a: [f32; 8]) -> Inner {
        a
    }
    #[inline(always)]
    pub fn to_array(v: Inner) -> [f32; 8] {
        v
    }
    #[inline(always)]
    pub fn splat(v: f32) -> Inner {
        [v; 8]
    }
    #[inline(always)]
    pub fn add(a: Inner, b: Inner) -> Inner {
        core::array::from_fn(|i| a[i] + b[i])
    }
    #[inline(always)]
    pub fn sub(a: Inner, b: Inner) -> Inner {
        core::array::from_fn(|i| a[i] - b[i])
    }
    #[inline(always)]
    pub fn mul(a: Inner, b: Inner) -> Inner {
        core::array::from_fn(|i| a[i] * b[i])
    }
    #[inline(always)]
    pub fn neg(a: Inner) -> Inner {
        a.map(|x| -x)
    }
    #[inline(always)]
    pub fn ln_normal(a: Inner) -> Inner {
        crate::log::ln_normal_lanes(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_do_the_scalar_operations() {
        let a = F32x8::from_array([1.5, -2.0, 3.25, 0.1, 1e-30, -0.0, 7.0, 1e30]);
        let b = F32x8::from_array([0.3, 0.7, -1.1, 0.2, 3e-9, 0.0, -7.0, 1e9]);
        for i in 0..8 {
            let (x, y) = (a.lane(i), b.lane(i));
            assert_eq!((a + b).lane(i).to_bits(), (x + y).to_bits());
            assert_eq!((a - b).lane(i).to_bits(), (x - y).to_bits());
            assert_eq!((a * b).lane(i).to_bits(), (x * y).to_bits());
            assert_eq!((-a).lane(i).to_bits(), (-x).to_bits());
        }
        // The log, over a sweep of positive normal numbers.
        let mut bits = 0x0080_0000u32;
        while bits < 0x7f80_0000 {
            let x: [f32; 8] = core::array::from_fn(|i| f32::from_bits(bits + i as u32 * 977));
            let got = F32x8::from_array(x).ln_normal().to_array();
            for i in 0..8 {
                assert_eq!(got[i].to_bits(), crate::log::ln(x[i]).to_bits(), "ln({:e})", x[i]);
            }
            bits += 1_000_003;
        }
        let mut c = a;
        c.set_lane(3, 9.0);
        assert_eq!(c.to_array(), [1.5, -2.0, 3.25, 9.0, 1e-30, -0.0, 7.0, 1e30]);
    }
}
