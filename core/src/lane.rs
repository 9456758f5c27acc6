//! Lanes: the unit every hot loop is written over.
//!
//! The per-frame DSP is generic over a [`Lane`]: `f32` computes one frame, [`F32x8`] computes eight frames
//! side by side. Each lane of an `F32x8` performs exactly the IEEE operations the scalar path performs, in the
//! same order, so a frame's bits do not depend on whether it was computed alone (streaming, firmware) or in a
//! batch of eight (offline: one AVX register on x86_64 CPUs with AVX2, compiled for AVX-512VL's registers where
//! the CPU has them, chosen at run time by `dispatch`, else two SSE2 vectors; arrays the compiler may vectorise
//! elsewhere). Nothing here reassociates or fuses.

use core::mem::MaybeUninit;
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
    /// `max(x, floor)` in every lane, with `f32::max`'s answer for a NaN lane: `floor`.
    fn max_with(self, floor: f32) -> Self;
    /// IEEE square root of every lane (correctly rounded everywhere, so any implementation gives the same bits).
    fn sqrt(self) -> Self;
    /// Whether every lane is a positive normal number (what `ln_normal` needs).
    fn all_positive_normal(self) -> bool;
    /// What [`ln_normal_with`](Self::ln_normal_with) takes besides the value: the log's constants, made once
    /// before a loop ([`ln_consts`](Self::ln_consts)) where that saves work at every value (AVX2), else `()`.
    type LnConsts: Copy;
    /// The log's constants.
    fn ln_consts() -> Self::LnConsts;
    /// The core's `ln` of every lane, each a positive normal number (see `log.rs`), with constants made by
    /// [`ln_consts`](Self::ln_consts).
    fn ln_normal_with(self, c: Self::LnConsts) -> Self;
    /// [`ln_normal_with`](Self::ln_normal_with) with constants made on the spot.
    #[inline(always)]
    fn ln_normal(self) -> Self {
        self.ln_normal_with(Self::ln_consts())
    }
    /// Runs `f`, one whole loop over these lanes, as a function of its own; call it through [`kernel!`].
    ///
    /// Offline extraction inlines every step of a batch into one function (so that AVX2 code runs inside the
    /// AVX2 function, see [`BatchJob`]). In a function that large the compiler spills each loop's values around
    /// the other loops and reloads constants inside them; a loop with a function to itself keeps them in
    /// registers. One frame (`f32`) runs `f` in place: the streaming path is not inlined that way.
    #[doc(hidden)]
    #[inline(always)]
    fn kernel<R>(f: impl FnOnce() -> R) -> R {
        f()
    }
    /// `self`, unchanged, and computed before anything after it is loaded: a hint to the compiler's scheduler,
    /// free at run time. Without it, a radix-8 butterfly's sixteen input vectors are all loaded first and then
    /// spilled (AVX2 has sixteen registers).
    #[doc(hidden)]
    #[inline(always)]
    fn pin(self) -> Self {
        self
    }
}

/// `kernel!(T, expr)` evaluates `expr` through [`Lane::kernel`] for lanes `T`. The closure is
/// `#[inline(always)]`, so that its body is compiled inside the kernel's function (for AVX2: with AVX2 enabled);
/// otherwise the compiler may leave every AVX2 intrinsic in it as a call.
macro_rules! kernel {
    ($lane:ty, $body:expr) => {
        <$lane as $crate::lane::Lane>::kernel(
            #[inline(always)]
            || $body,
        )
    };
}
pub(crate) use kernel;

/// [`Lane::kernel`] for lanes that need no target feature: a function of its own, one per kernel.
#[inline(never)]
fn kernel_call<R>(f: impl FnOnce() -> R) -> R {
    f()
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
    fn max_with(self, floor: f32) -> Self {
        self.max(floor)
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        crate::sqrt::sqrt(self)
    }
    #[inline(always)]
    fn all_positive_normal(self) -> bool {
        crate::log::is_positive_normal(self)
    }
    type LnConsts = ();
    #[inline(always)]
    fn ln_consts() {}
    #[inline(always)]
    fn ln_normal_with(self, (): ()) -> Self {
        crate::log::ln_normal_lanes([self])[0]
    }
}

/// Eight frames in lanes, plus the whole-frame data movement offline extraction needs. (`Send + 'static` so that
/// an [`offline::Scratch`](crate::offline::Scratch) can keep buffers of lanes between calls.)
pub trait Batch: Lane + Default + Send + 'static {
    /// The eight lanes.
    fn from_array(a: [f32; 8]) -> Self;
    /// The eight lanes as an array.
    fn to_array(self) -> [f32; 8];
    /// Eight frames into lanes: `dst[j]` ← `rows[l][j]` (times `w[j]` if given) in lane `l`. The products are
    /// the scalar path's; only the data movement is batched (a transpose in registers).
    fn gather_rows(rows: [&[f32]; 8], w: Option<&[f32]>, dst: &mut [Self]);
    /// Lanes back into frames: lane `l` of `src[j]` → `dst[l · stride + j]`, for all eight lanes. `dst` may be
    /// uninitialised (a fresh output array): only whole values are written into it.
    fn scatter_rows(src: &[Self], dst: &mut [MaybeUninit<f32>], stride: usize);
    /// Lane by lane the larger of `self` and `other`, and `other` where either is NaN (x86's `maxps`), so
    /// that a running maximum kept in `other` ignores NaNs as `f32::max` does.
    fn max_lanes(self, other: Self) -> Self;
    /// Lane by lane the smaller of `self` and `other`, and `other` where either is NaN (x86's `minps`).
    fn min_lanes(self, other: Self) -> Self;
}

/// Work over batches of eight frames, generic over the lane type so that [`dispatch`] can pick one.
///
/// AVX2 code only runs fast when it is compiled inside `dispatch`'s `#[target_feature(enable = "avx2")]`
/// function, so `run` and every generic function it calls on lanes carry
/// `#[cfg_attr(all(target_arch = "x86_64", not(debug_assertions)), inline(always))]`. Only on x86_64, because
/// forced inlining costs the Cortex-M33 instructions (the FFT grows); only in optimised builds, because
/// without optimisation the inlined locals all get their own stack slots and the frame outgrows a thread's stack.
/// Unoptimised AVX2 code then calls each intrinsic out of line: slow, but the same bits.
#[cfg(feature = "alloc")]
pub(crate) trait BatchJob {
    type Output;
    /// The work in lanes `B`.
    fn run<B: Batch>(self) -> Self::Output;
}

/// Runs `job` in the lanes chosen for this process ([`choice`]: the fastest measured, or pinned).
#[cfg(feature = "alloc")]
pub(crate) fn dispatch<J: BatchJob>(job: J) -> J::Output {
    #[cfg(feature = "std")]
    let lanes = choice::chosen();
    // Without std there is no clock to measure with, and no lane type but the baseline.
    #[cfg(not(feature = "std"))]
    let lanes = Lanes::Baseline;
    lanes.run(job)
}

#[cfg(feature = "std")]
pub mod choice;

/// The lane types offline extraction can run in; all give the same bits.
#[cfg(feature = "alloc")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lanes {
    /// [`F32x8`]: two SSE2 vectors on x86_64, an array elsewhere.
    Baseline,
    /// One AVX register, compiled for AVX2's sixteen registers.
    #[cfg(all(target_arch = "x86_64", feature = "std"))]
    Avx2,
    /// One AVX register, compiled for AVX-512VL's thirty-two.
    #[cfg(all(target_arch = "x86_64", feature = "std"))]
    Avx512,
    /// Two NEON vectors (in every aarch64 CPU, so not detected).
    #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
    Neon,
}

#[cfg(feature = "alloc")]
impl Lanes {
    /// Every lane type this CPU can run (detected at run time, so the same binary runs everywhere), widest last.
    /// Only the std build chooses between them (`choice`); without it the baseline runs.
    #[cfg(feature = "std")]
    pub(crate) fn available() -> impl Iterator<Item = Lanes> {
        let all = [
            Some(Lanes::Baseline),
            #[cfg(all(target_arch = "x86_64", feature = "std"))]
            std::is_x86_feature_detected!("avx2").then_some(Lanes::Avx2),
            #[cfg(all(target_arch = "x86_64", feature = "std"))]
            (std::is_x86_feature_detected!("avx2")
                && std::is_x86_feature_detected!("avx512f")
                && std::is_x86_feature_detected!("avx512vl"))
            .then_some(Lanes::Avx512),
            #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
            Some(Lanes::Neon),
        ];
        all.into_iter().flatten()
    }

    /// The name users pin it by ([`choice::pin`], `STAPES_LANES`).
    #[cfg(feature = "std")]
    pub(crate) fn name(self) -> &'static str {
        match self {
            Lanes::Baseline => "baseline",
            #[cfg(all(target_arch = "x86_64", feature = "std"))]
            Lanes::Avx2 => "avx2",
            #[cfg(all(target_arch = "x86_64", feature = "std"))]
            Lanes::Avx512 => "avx512",
            #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
            Lanes::Neon => "neon",
        }
    }

    /// Runs `job` in these lanes; `self` must be [`available`](Self::available).
    pub(crate) fn run<J: BatchJob>(self, job: J) -> J::Output {
        match self {
            Lanes::Baseline => job.run::<F32x8>(),
            // SAFETY: `available` found the CPU's features.
            #[cfg(all(target_arch = "x86_64", feature = "std"))]
            Lanes::Avx2 => unsafe { run_avx2(job) },
            // SAFETY: as above.
            #[cfg(all(target_arch = "x86_64", feature = "std"))]
            Lanes::Avx512 => unsafe { run_avx512(job) },
            #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
            Lanes::Neon => job.run::<neon::F32x8Neon>(),
        }
    }
}

#[cfg(all(target_arch = "x86_64", feature = "std"))]
#[target_feature(enable = "avx2")]
fn run_avx2<J: BatchJob>(job: J) -> J::Output {
    job.run::<avx2::F32x8Avx2<avx2::Vex>>()
}

#[cfg(all(target_arch = "x86_64", feature = "std"))]
#[target_feature(enable = "avx2,avx512f,avx512vl")]
fn run_avx512<J: BatchJob>(job: J) -> J::Output {
    job.run::<avx2::F32x8Avx2<avx2::Evex>>()
}

#[cfg(all(target_arch = "x86_64", feature = "std"))]
mod avx2;
#[cfg(all(target_arch = "aarch64", target_feature = "neon", feature = "alloc"))]
mod neon;

/// Eight frames processed together; see the module docs for why this is bit-identical to `f32`.
///
/// On x86_64 it is two SSE vectors, so that the compiler sees vector operations directly instead of eight scalar
/// ones it may regroup badly (its loop vectoriser otherwise transposes runs of `F32x8` across iterations, several
/// times slower). SSE's `addps`/`subps`/`mulps`/`maxps`/`sqrtps` are `addss`/`subss`/`mulss`/`maxss`/`sqrtss` lane
/// by lane: the IEEE operations of the scalar path. Elsewhere it is an array.
#[derive(Clone, Copy)]
#[repr(transparent)]
pub struct F32x8(simd::Inner);

impl Batch for F32x8 {
    #[inline(always)]
    fn from_array(a: [f32; 8]) -> Self {
        F32x8(simd::from_array(a))
    }
    #[inline(always)]
    fn to_array(self) -> [f32; 8] {
        simd::to_array(self.0)
    }
    #[inline(always)]
    fn gather_rows(rows: [&[f32]; 8], w: Option<&[f32]>, dst: &mut [F32x8]) {
        let n = dst.len();
        let rows = rows.map(|r| &r[..n]);
        // SAFETY: `F32x8` is a transparent wrapper of `simd::Inner`.
        let inner = unsafe { &mut *(core::ptr::from_mut(dst) as *mut [simd::Inner]) };
        match w {
            Some(w) => simd::gather_rows(rows, &w[..n], inner),
            None => simd::gather_rows(rows, &[], inner),
        }
    }
    #[inline(always)]
    fn scatter_rows(src: &[F32x8], dst: &mut [MaybeUninit<f32>], stride: usize) {
        let n = src.len();
        assert!(n <= stride && dst.len() >= 7 * stride + n, "scatter_rows: destination too short");
        // SAFETY: as in `gather_rows`.
        let inner = unsafe { &*(core::ptr::from_ref(src) as *const [simd::Inner]) };
        simd::scatter_rows(inner, dst, stride);
    }
    #[inline(always)]
    fn max_lanes(self, other: Self) -> Self {
        F32x8(simd::max(self.0, other.0))
    }
    #[inline(always)]
    fn min_lanes(self, other: Self) -> Self {
        F32x8(simd::min(self.0, other.0))
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
    fn kernel<R>(f: impl FnOnce() -> R) -> R {
        kernel_call(f)
    }
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
    fn max_with(self, floor: f32) -> Self {
        F32x8(simd::max_with(self.0, floor))
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        F32x8(simd::sqrt(self.0))
    }
    #[inline(always)]
    fn all_positive_normal(self) -> bool {
        simd::all_positive_normal(self.0)
    }
    type LnConsts = ();
    #[inline(always)]
    fn ln_consts() {}
    #[inline(always)]
    fn ln_normal_with(self, (): ()) -> Self {
        F32x8(simd::ln_normal(self.0))
    }
}

/// SSE2 backend (in every x86_64 CPU, so always available).
#[cfg(target_arch = "x86_64")]
mod simd {
    use core::arch::x86_64::{__m128, _mm_add_ps, _mm_loadu_ps, _mm_mul_ps, _mm_set1_ps, _mm_sub_ps, _mm_xor_ps};
    use core::mem::MaybeUninit;

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
    /// Columns of four rows: `[r0[k], r1[k], r2[k], r3[k]]` for k = 0..4.
    #[inline(always)]
    fn transpose4(r: [__m128; 4]) -> [__m128; 4] {
        use core::arch::x86_64::{_mm_movehl_ps, _mm_movelh_ps, _mm_unpackhi_ps, _mm_unpacklo_ps};
        unsafe {
            let (t0, t1) = (_mm_unpacklo_ps(r[0], r[1]), _mm_unpacklo_ps(r[2], r[3]));
            let (t2, t3) = (_mm_unpackhi_ps(r[0], r[1]), _mm_unpackhi_ps(r[2], r[3]));
            [_mm_movelh_ps(t0, t1), _mm_movehl_ps(t1, t0), _mm_movelh_ps(t2, t3), _mm_movehl_ps(t3, t2)]
        }
    }
    /// Rows all `dst.len()` long; `w` that long too, or empty for no weights.
    #[inline(always)]
    pub fn gather_rows(rows: [&[f32]; 8], w: &[f32], dst: &mut [Inner]) {
        if w.is_empty() {
            gather_weighed(rows, dst, |x, _| x);
        } else {
            // SAFETY: `w` holds `dst.len()` values and `j + 4 ≤ dst.len()` (see `gather_weighed`).
            gather_weighed(rows, dst, |x, j| unsafe { _mm_mul_ps(x, _mm_loadu_ps(w.as_ptr().add(j))) });
        }
        let quads = dst.len() / 4 * 4;
        for (j, d) in dst.iter_mut().enumerate().skip(quads) {
            let x = rows.map(|r| r[j]);
            *d = from_array(if w.is_empty() { x } else { x.map(|v| v * w[j]) });
        }
    }
    /// The whole quads of `gather_rows`; `weigh(x, j)` gets the four values of a row from index `j`.
    #[inline(always)]
    fn gather_weighed(rows: [&[f32]; 8], dst: &mut [Inner], weigh: impl Fn(__m128, usize) -> __m128) {
        for (q, d) in dst.chunks_exact_mut(4).enumerate() {
            let j = 4 * q;
            // SAFETY: j + 4 ≤ dst.len() and every row holds dst.len() values.
            let load = |l: usize| weigh(unsafe { _mm_loadu_ps(rows[l].as_ptr().add(j)) }, j);
            let lo = transpose4([load(0), load(1), load(2), load(3)]);
            let hi = transpose4([load(4), load(5), load(6), load(7)]);
            for k in 0..4 {
                d[k] = [lo[k], hi[k]];
            }
        }
    }
    #[inline(always)]
    pub fn scatter_rows(src: &[Inner], dst: &mut [MaybeUninit<f32>], stride: usize) {
        use core::arch::x86_64::_mm_storeu_ps;
        let n = src.len();
        let quads = n / 4 * 4;
        for j in (0..quads).step_by(4) {
            let quad = &src[j..j + 4];
            let lo = transpose4([quad[0][0], quad[1][0], quad[2][0], quad[3][0]]);
            let hi = transpose4([quad[0][1], quad[1][1], quad[2][1], quad[3][1]]);
            for (k, (lo, hi)) in lo.into_iter().zip(hi).enumerate() {
                // SAFETY: the caller checked `dst.len() ≥ 7·stride + n`, so `(k + 4)·stride + j + 4 ≤ dst.len()`.
                unsafe {
                    _mm_storeu_ps(dst.as_mut_ptr().add(k * stride + j).cast(), lo);
                    _mm_storeu_ps(dst.as_mut_ptr().add((k + 4) * stride + j).cast(), hi);
                }
            }
        }
        for (j, v) in src.iter().enumerate().skip(quads) {
            for (l, x) in to_array(*v).into_iter().enumerate() {
                dst[l * stride + j].write(x);
            }
        }
    }
    /// `maxps(x, floor)` returns its second operand when `x` is NaN, as `f32::max(x, floor)` does.
    #[inline(always)]
    pub fn max_with(a: Inner, floor: f32) -> Inner {
        max(a, splat(floor))
    }
    #[inline(always)]
    pub fn max(a: Inner, b: Inner) -> Inner {
        use core::arch::x86_64::_mm_max_ps;
        unsafe { [_mm_max_ps(a[0], b[0]), _mm_max_ps(a[1], b[1])] }
    }
    #[inline(always)]
    pub fn min(a: Inner, b: Inner) -> Inner {
        use core::arch::x86_64::_mm_min_ps;
        unsafe { [_mm_min_ps(a[0], b[0]), _mm_min_ps(a[1], b[1])] }
    }
    #[inline(always)]
    pub fn sqrt(a: Inner) -> Inner {
        use core::arch::x86_64::_mm_sqrt_ps;
        unsafe { [_mm_sqrt_ps(a[0]), _mm_sqrt_ps(a[1])] }
    }
    /// `MIN_POSITIVE ≤ x < ∞` in all eight lanes (false for NaN, as `log::is_positive_normal`).
    #[inline(always)]
    pub fn all_positive_normal(a: Inner) -> bool {
        use core::arch::x86_64::{_mm_and_ps, _mm_cmpge_ps, _mm_cmplt_ps, _mm_movemask_ps};
        unsafe {
            let (lo, hi) = (_mm_set1_ps(f32::MIN_POSITIVE), _mm_set1_ps(f32::INFINITY));
            let ok = |x| _mm_and_ps(_mm_cmpge_ps(x, lo), _mm_cmplt_ps(x, hi));
            _mm_movemask_ps(_mm_and_ps(ok(a[0]), ok(a[1]))) == 0xf
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
    use core::mem::MaybeUninit;

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
    /// Rows all `dst.len()` long; `w` that long too, or empty for no weights.
    #[inline(always)]
    pub fn gather_rows(rows: [&[f32]; 8], w: &[f32], dst: &mut [Inner]) {
        for (j, d) in dst.iter_mut().enumerate() {
            let x = rows.map(|r| r[j]);
            *d = if w.is_empty() { x } else { x.map(|v| v * w[j]) };
        }
    }
    #[inline(always)]
    pub fn scatter_rows(src: &[Inner], dst: &mut [MaybeUninit<f32>], stride: usize) {
        for (j, v) in src.iter().enumerate() {
            for (l, &x) in v.iter().enumerate() {
                dst[l * stride + j].write(x);
            }
        }
    }
    #[inline(always)]
    pub fn max_with(a: Inner, floor: f32) -> Inner {
        a.map(|x| x.max(floor))
    }
    /// `maxps`'s rule: `b` unless `a` is larger (so `b` where either is NaN).
    #[inline(always)]
    pub fn max(a: Inner, b: Inner) -> Inner {
        core::array::from_fn(|i| if a[i] > b[i] { a[i] } else { b[i] })
    }
    #[inline(always)]
    pub fn min(a: Inner, b: Inner) -> Inner {
        core::array::from_fn(|i| if a[i] < b[i] { a[i] } else { b[i] })
    }
    #[inline(always)]
    pub fn sqrt(a: Inner) -> Inner {
        a.map(crate::sqrt::sqrt)
    }
    /// `&`, not `&&`: no early exit, so the eight tests stay branch-free.
    #[inline(always)]
    pub fn all_positive_normal(a: Inner) -> bool {
        a.iter().fold(true, |ok, &x| ok & crate::log::is_positive_normal(x))
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
        same_as_scalar::<F32x8>();
        for lanes in Lanes::available() {
            match lanes {
                Lanes::Baseline => {}
                #[cfg(all(target_arch = "x86_64", feature = "std"))]
                Lanes::Avx2 => same_as_scalar::<avx2::F32x8Avx2<avx2::Vex>>(),
                #[cfg(all(target_arch = "x86_64", feature = "std"))]
                Lanes::Avx512 => same_as_scalar::<avx2::F32x8Avx2<avx2::Evex>>(),
                #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
                Lanes::Neon => same_as_scalar::<neon::F32x8Neon>(),
            }
        }
    }

    fn same_as_scalar<B: Batch>() {
        let a = B::from_array([1.5, -2.0, 3.25, 0.1, 1e-30, -0.0, 7.0, 1e30]);
        let b = B::from_array([0.3, 0.7, -1.1, 0.2, 3e-9, 0.0, -7.0, 1e9]);
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
            let got = B::from_array(x).ln_normal().to_array();
            for i in 0..8 {
                assert_eq!(got[i].to_bits(), crate::log::ln(x[i]).to_bits(), "ln({:e})", x[i]);
            }
            bits += 1_000_003;
        }
        let specials = B::from_array([f32::NAN, -1.0, 0.0, f32::MIN_POSITIVE, 1e-39, f32::INFINITY, 4.0, 2.0]);
        for i in 0..8 {
            let x = specials.lane(i);
            assert_eq!(specials.max_with(0.5).lane(i).to_bits(), x.max(0.5).to_bits());
            // A running maximum in `other` ignores a NaN in `self`, and the larger number wins either way round.
            let (bigger, nan) = (specials.max_lanes(B::splat(1.0)).lane(i), B::splat(f32::NAN).max_lanes(specials));
            assert_eq!(bigger.to_bits(), if x > 1.0 { x } else { 1.0 }.to_bits(), "{x:e}");
            assert_eq!(nan.lane(i).to_bits(), x.to_bits());
            let (smaller, nan) = (specials.min_lanes(B::splat(1.0)).lane(i), B::splat(f32::NAN).min_lanes(specials));
            assert_eq!(smaller.to_bits(), if x < 1.0 { x } else { 1.0 }.to_bits(), "{x:e}");
            assert_eq!(nan.lane(i).to_bits(), x.to_bits());
            assert_eq!(specials.sqrt().lane(i).to_bits(), crate::sqrt::sqrt(x).to_bits());
            assert_eq!(a.sqrt().lane(i).to_bits(), crate::sqrt::sqrt(a.lane(i)).to_bits());
            let one = B::splat(3.0);
            let mut probe = one;
            probe.set_lane(i, x);
            assert_eq!(probe.all_positive_normal(), crate::log::is_positive_normal(x), "{x:e}");
        }
        // The normal range's edges, either side, both signs, and NaNs of both signs.
        let edges = [0x0080_0000, 0x007f_ffff, 0x7f7f_ffff, 0x7f80_0000, 0x7fc0_0000, 0x0000_0001, 0x3f80_0000];
        for x in edges.into_iter().flat_map(|bits: u32| [bits, bits | 0x8000_0000]).map(f32::from_bits) {
            let mut probe = B::splat(3.0);
            probe.set_lane(5, x);
            assert_eq!(probe.all_positive_normal(), crate::log::is_positive_normal(x), "{x:e} ({:#x})", x.to_bits());
        }
        // Gather and scatter: every length's quads and tail, with and without weights.
        let rows: Vec<Vec<f32>> = (0..8).map(|l| (0..19).map(|j| (l * 100 + j) as f32 * 0.37).collect()).collect();
        let w: Vec<f32> = (0..19).map(|j| 1.0 / (j as f32 + 3.0)).collect();
        for n in 0..=19 {
            let refs: [&[f32]; 8] = core::array::from_fn(|l| &rows[l][..]);
            let mut plain = vec![B::default(); n];
            let mut weighted = vec![B::default(); n];
            B::gather_rows(refs, None, &mut plain);
            B::gather_rows(refs, Some(&w), &mut weighted);
            let mut back = vec![MaybeUninit::new(0.0f32); 8 * 19];
            B::scatter_rows(&plain, &mut back, 19);
            // SAFETY: `back` was initialised and scatter_rows writes only whole values.
            let back: Vec<f32> = back.into_iter().map(|v| unsafe { v.assume_init() }).collect();
            for j in 0..n {
                for l in 0..8 {
                    assert_eq!(plain[j].lane(l), rows[l][j]);
                    assert_eq!(weighted[j].lane(l).to_bits(), (rows[l][j] * w[j]).to_bits());
                    assert_eq!(back[l * 19 + j], rows[l][j]);
                }
            }
        }
        let mut c = a;
        c.set_lane(3, 9.0);
        assert_eq!(c.to_array(), [1.5, -2.0, 3.25, 9.0, 1e-30, -0.0, 7.0, 1e30]);
    }
}
