//! [`F32x8Avx2`]: eight frames in one AVX register, for x86_64 CPUs that have AVX2 (checked at run time).
//!
//! Its [`Registers`] parameter says which functions the kernels are compiled into: [`Vex`], AVX2's sixteen ymm
//! registers, or [`Evex`], AVX-512VL's thirty-two (the same instructions, EVEX-encoded where the compiler uses
//! ymm16–31). A radix-8 butterfly holds sixteen vectors of inputs besides its twiddles, so with sixteen registers
//! it spills; with thirty-two it does not, which is faster (`bench/RESULTS.md`). The operations, and so the bits,
//! are the same.
//!
//! `vaddps`/`vsubps`/`vmulps`/`vdivps`/`vmaxps`/`vsqrtps` on a `__m256` are the scalar IEEE operations lane by
//! lane, exactly as the SSE pair of [`F32x8`](super::F32x8) performs them, so a frame's bits do not depend on
//! which of the two computed it. Nothing here uses FMA.
//!
//! Every method is `#[inline(always)]` and calls AVX2 intrinsics, so it must only run inside a function compiled
//! with `#[target_feature(enable = "avx2")]`, which the offline extractor enters after
//! `is_x86_feature_detected!("avx2")`. The type is crate-private so that nothing else can make one.

use core::arch::x86_64::*;
use core::marker::PhantomData;
use core::mem::MaybeUninit;
use core::ops::{Add, Mul, Neg, Sub};

use super::{Batch, Lane};

#[derive(Clone, Copy)]
#[repr(transparent)]
pub(crate) struct F32x8Avx2<R: Registers>(__m256, PhantomData<R>);

/// The register file the kernels are compiled for: the `#[target_feature]` function [`Lane::kernel`] enters.
pub(crate) trait Registers: Copy + Send + 'static {
    /// Runs `f` in a function of its own compiled with these registers.
    ///
    /// # Safety
    /// The CPU has the target features of this register file.
    unsafe fn kernel<T>(f: impl FnOnce() -> T) -> T;
}

/// AVX2: sixteen ymm registers.
#[derive(Clone, Copy)]
pub(crate) struct Vex;

/// AVX-512VL: thirty-two ymm registers.
#[derive(Clone, Copy)]
pub(crate) struct Evex;

impl Registers for Vex {
    unsafe fn kernel<T>(f: impl FnOnce() -> T) -> T {
        // SAFETY: the caller's.
        unsafe { kernel_avx2(f) }
    }
}

impl Registers for Evex {
    unsafe fn kernel<T>(f: impl FnOnce() -> T) -> T {
        // SAFETY: the caller's.
        unsafe { kernel_avx512(f) }
    }
}

impl<R: Registers> F32x8Avx2<R> {
    #[inline(always)]
    fn of(v: __m256) -> Self {
        F32x8Avx2(v, PhantomData)
    }
}

// SAFETY (every `unsafe` block below): the type only exists inside AVX2-enabled code on a CPU that has AVX2 (see
// the module docs); loads and stores stay inside the slices, as each comment says.

impl<R: Registers> Default for F32x8Avx2<R> {
    #[inline(always)]
    fn default() -> Self {
        Self::splat(0.0)
    }
}

macro_rules! binary {
    ($trait:ident, $method:ident, $intrinsic:ident) => {
        impl<R: Registers> $trait for F32x8Avx2<R> {
            type Output = Self;
            #[inline(always)]
            fn $method(self, rhs: Self) -> Self {
                Self::of(unsafe { $intrinsic(self.0, rhs.0) })
            }
        }
    };
}
binary!(Add, add, _mm256_add_ps);
binary!(Sub, sub, _mm256_sub_ps);
binary!(Mul, mul, _mm256_mul_ps);

impl<R: Registers> Neg for F32x8Avx2<R> {
    type Output = Self;
    /// Flips the sign bits, exactly what scalar negation does.
    #[inline(always)]
    fn neg(self) -> Self {
        Self::of(unsafe { _mm256_xor_ps(self.0, _mm256_set1_ps(-0.0)) })
    }
}

impl<R: Registers> Lane for F32x8Avx2<R> {
    const WIDTH: usize = 8;
    #[inline(always)]
    fn kernel<T>(f: impl FnOnce() -> T) -> T {
        kernel_call::<R, T>(f)
    }
    #[inline(always)]
    fn pin(self) -> Self {
        Self::of(unsafe { pin_avx(self.0) })
    }
    #[inline(always)]
    fn splat(v: f32) -> Self {
        Self::of(unsafe { _mm256_set1_ps(v) })
    }
    #[inline(always)]
    fn map(self, f: impl Fn(f32) -> f32) -> Self {
        Self::from_array(self.to_array().map(f))
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
    /// `vmaxps(x, floor)` returns its second operand when `x` is NaN, as `f32::max(x, floor)` does.
    #[inline(always)]
    fn max_with(self, floor: f32) -> Self {
        Self::of(unsafe { _mm256_max_ps(self.0, _mm256_set1_ps(floor)) })
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        Self::of(unsafe { _mm256_sqrt_ps(self.0) })
    }
    /// `MIN_POSITIVE ≤ x < ∞` in all eight lanes, as one integer compare: the positive normal bit patterns
    /// `0x0080_0000..0x7f80_0000`, shifted by `0x7f80_0000`, are exactly the signed integers below `0xff00_0000`
    /// (two float compares and their `and` cost more instructions).
    #[inline(always)]
    fn all_positive_normal(self) -> bool {
        unsafe {
            let shifted = _mm256_add_epi32(_mm256_castps_si256(self.0), _mm256_set1_epi32(0x7f80_0000));
            let normal = _mm256_cmpgt_epi32(_mm256_set1_epi32(0xff00_0000_u32 as i32), shifted);
            _mm256_movemask_ps(_mm256_castsi256_ps(normal)) == 0xff
        }
    }
    type LnConsts = LnConsts;
    /// Each constant through [`Lane::pin`], so that the compiler cannot rebuild it at every use: it keeps it in a
    /// register or in a stack slot that the arithmetic reads as its memory operand. Built with plain broadcasts,
    /// it broadcasts each one again at every value (a third of the log's instructions).
    #[inline(always)]
    fn ln_consts() -> LnConsts {
        let c = LnConsts::new();
        LnConsts { f: c.f.map(|v| Self::of(v).pin().0), i: c.i.map(|v| Self::of(v).pin().0) }
    }
    /// `log::ln_normal_lanes` step for step: the integer steps are exact, the float ones the same IEEE
    /// operations in the same order.
    #[inline(always)]
    fn ln_normal_with(self, c: LnConsts) -> Self {
        let LnConsts {
            f: [one, two, lg1, lg2, lg3, lg4, half, ln2_lo, ln2_hi],
            i: [bias, exp_bias, mantissa, sqrt_half],
        } = c;
        unsafe {
            let ix = _mm256_add_epi32(_mm256_castps_si256(self.0), _mm256_castps_si256(bias));
            let k = _mm256_sub_epi32(_mm256_srli_epi32::<23>(ix), _mm256_castps_si256(exp_bias));
            let dk = _mm256_cvtepi32_ps(k);
            let m =
                _mm256_add_epi32(_mm256_and_si256(ix, _mm256_castps_si256(mantissa)), _mm256_castps_si256(sqrt_half));
            let f = _mm256_sub_ps(_mm256_castsi256_ps(m), one);
            let s = _mm256_div_ps(f, _mm256_add_ps(two, f));
            let z = _mm256_mul_ps(s, s);
            let w = _mm256_mul_ps(z, z);
            let t1 = _mm256_mul_ps(w, _mm256_add_ps(lg2, _mm256_mul_ps(w, lg4)));
            let t2 = _mm256_mul_ps(z, _mm256_add_ps(lg1, _mm256_mul_ps(w, lg3)));
            let r = _mm256_add_ps(t2, t1);
            let hfsq = _mm256_mul_ps(_mm256_mul_ps(half, f), f);
            // s·(hfsq + r) + dk·LN2_LO − hfsq + f + dk·LN2_HI, left to right.
            let a = _mm256_add_ps(_mm256_mul_ps(s, _mm256_add_ps(hfsq, r)), _mm256_mul_ps(dk, ln2_lo));
            let a = _mm256_add_ps(_mm256_sub_ps(a, hfsq), f);
            Self::of(_mm256_add_ps(a, _mm256_mul_ps(dk, ln2_hi)))
        }
    }
}

/// [`Lane::kernel`]: a function of its own that the AVX2 function cannot inline (rustc drops `#[inline(never)]`
/// from a `#[target_feature]` function, so this one has no target feature, and the one it calls cannot be inlined
/// into it because it has).
#[inline(never)]
fn kernel_call<R: Registers, T>(f: impl FnOnce() -> T) -> T {
    // SAFETY: only code compiled for `R` makes an `F32x8Avx2<R>`, so the CPU has its features.
    unsafe { R::kernel(f) }
}

#[target_feature(enable = "avx2")]
fn kernel_avx2<T>(f: impl FnOnce() -> T) -> T {
    f()
}

#[target_feature(enable = "avx2,avx512f,avx512vl")]
fn kernel_avx512<T>(f: impl FnOnce() -> T) -> T {
    f()
}

/// [`Lane::pin`]: an empty `asm!` that takes `v` in a register. Not `pure` and not `nomem`, so the compiler must
/// compute `v` before it and may not move loads across it.
#[target_feature(enable = "avx")]
#[inline]
fn pin_avx(mut v: __m256) -> __m256 {
    // SAFETY: the template is empty; it only names the register.
    unsafe { core::arch::asm!("/* {0} */", inout(ymm_reg) v, options(nostack, preserves_flags)) };
    v
}

/// The constants of the AVX2 log, broadcast: floats `f`, and the integer ones `i` (as float bit patterns).
#[derive(Clone, Copy)]
pub(crate) struct LnConsts {
    f: [__m256; 9],
    i: [__m256; 4],
}

impl LnConsts {
    #[inline(always)]
    fn new() -> Self {
        use crate::log::{LG1, LG2, LG3, LG4, LN2_HI, LN2_LO};
        let f = [1.0, 2.0, LG1, LG2, LG3, LG4, 0.5, LN2_LO, LN2_HI];
        let i: [u32; 4] = [0x3f80_0000 - 0x3f35_04f3, 0x7f, 0x007f_ffff, 0x3f35_04f3];
        // SAFETY: only AVX2 code makes AVX2 lanes (module docs).
        unsafe { LnConsts { f: f.map(|v| _mm256_set1_ps(v)), i: i.map(|v| _mm256_set1_ps(f32::from_bits(v))) } }
    }
}

impl<R: Registers> Batch for F32x8Avx2<R> {
    #[inline(always)]
    fn from_array(a: [f32; 8]) -> Self {
        // SAFETY: `[f32; 8]` and `__m256` are the same 32 plain bytes.
        Self::of(unsafe { core::mem::transmute::<[f32; 8], __m256>(a) })
    }
    #[inline(always)]
    fn to_array(self) -> [f32; 8] {
        // SAFETY: as in `from_array`.
        unsafe { core::mem::transmute::<__m256, [f32; 8]>(self.0) }
    }
    #[inline(always)]
    fn gather_rows(rows: [&[f32]; 8], w: Option<&[f32]>, dst: &mut [Self]) {
        let n = dst.len();
        let rows = rows.map(|r| &r[..n]);
        let w = w.map(|w| &w[..n]);
        for (o, d) in dst.chunks_exact_mut(8).enumerate() {
            let j = 8 * o;
            // SAFETY: j + 8 ≤ n, and every row (and `w`) holds n values.
            let load = |l: usize| unsafe {
                let x = _mm256_loadu_ps(rows[l].as_ptr().add(j));
                match w {
                    Some(w) => _mm256_mul_ps(x, _mm256_loadu_ps(w.as_ptr().add(j))),
                    None => x,
                }
            };
            let columns = transpose8(core::array::from_fn(load));
            for (d, c) in d.iter_mut().zip(columns) {
                *d = Self::of(c);
            }
        }
        let whole = n / 8 * 8;
        for (j, d) in dst.iter_mut().enumerate().skip(whole) {
            let x = rows.map(|r| r[j]);
            *d = Self::from_array(match w {
                Some(w) => x.map(|v| v * w[j]),
                None => x,
            });
        }
    }
    #[inline(always)]
    fn max_lanes(self, other: Self) -> Self {
        Self::of(unsafe { _mm256_max_ps(self.0, other.0) })
    }
    #[inline(always)]
    fn min_lanes(self, other: Self) -> Self {
        Self::of(unsafe { _mm256_min_ps(self.0, other.0) })
    }
    #[inline(always)]
    fn scatter_rows(src: &[Self], dst: &mut [MaybeUninit<f32>], stride: usize) {
        let n = src.len();
        assert!(n <= stride && dst.len() >= 7 * stride + n, "scatter_rows: destination too short");
        let whole = n / 8 * 8;
        for j in (0..whole).step_by(8) {
            let rows = transpose8(core::array::from_fn(|k| src[j + k].0));
            for (l, row) in rows.into_iter().enumerate() {
                // SAFETY: l·stride + j + 8 ≤ 7·stride + n ≤ dst.len().
                unsafe { _mm256_storeu_ps(dst.as_mut_ptr().add(l * stride + j).cast(), row) };
            }
        }
        for (j, v) in src.iter().enumerate().skip(whole) {
            for (l, x) in v.to_array().into_iter().enumerate() {
                dst[l * stride + j].write(x);
            }
        }
    }
}

/// The 8×8 transpose: `out[k][l] = r[l][k]`.
#[inline(always)]
fn transpose8(r: [__m256; 8]) -> [__m256; 8] {
    unsafe {
        let t: [__m256; 8] = core::array::from_fn(|i| {
            let (a, b) = (r[i / 2 * 2], r[i / 2 * 2 + 1]);
            if i % 2 == 0 { _mm256_unpacklo_ps(a, b) } else { _mm256_unpackhi_ps(a, b) }
        });
        // t[2p] = [a0 b0 a1 b1 | a4 b4 a5 b5], t[2p+1] = [a2 b2 a3 b3 | a6 b6 a7 b7] for rows a, b = 2p, 2p+1.
        let s = |x: __m256, y: __m256, hi: bool| {
            if hi { _mm256_shuffle_ps::<0xee>(x, y) } else { _mm256_shuffle_ps::<0x44>(x, y) }
        };
        // Columns k and k + 4 of rows 0–3 (q = 0) or 4–7 (q = 1), for k = 0..4.
        let quarter = |q: usize, k: usize| s(t[4 * q + k / 2], t[4 * q + 2 + k / 2], k % 2 == 1);
        let lo: [__m256; 4] = core::array::from_fn(|k| quarter(0, k));
        let hi: [__m256; 4] = core::array::from_fn(|k| quarter(1, k));
        core::array::from_fn(|k| {
            if k < 4 {
                _mm256_permute2f128_ps::<0x20>(lo[k], hi[k])
            } else {
                _mm256_permute2f128_ps::<0x31>(lo[k - 4], hi[k - 4])
            }
        })
    }
}
