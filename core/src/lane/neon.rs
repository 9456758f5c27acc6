//! [`F32x8Neon`]: eight frames in two NEON registers (`float32x4_t`), for aarch64 (Apple Silicon, Graviton, the
//! Raspberry Pi 5).
//!
//! NEON is part of the base architecture of `aarch64-*` targets, so nothing is detected at run time and no
//! `#[target_feature]` function is needed: the kernels are plain functions, like those of the array lanes.
//!
//! `fadd`/`fsub`/`fmul`/`fdiv`/`fsqrt` on `.4s` vectors are the scalar IEEE operations lane by lane (the scalar path
//! compiles to the same instructions on `s` registers), and every function here performs them in the order
//! [`F32x8`](super::F32x8) does, so a frame's bits do not depend on which lanes computed it. Nothing here uses a
//! fused multiply-add: `vfmaq_f32`/`vmlaq_f32` round once where `a + b · c` rounds twice, which would change the bits.
//! The intrinsics used are ordinary LLVM `fmul`/`fadd`, which LLVM does not contract without fast-math flags;
//! `cargo xtask conformance` checks the built code for `fmla`/`fmadd` all the same.

use core::arch::aarch64::*;
use core::mem::MaybeUninit;
use core::ops::{Add, Mul, Neg, Sub};

use super::{Batch, Lane};

// SAFETY (every `unsafe` block below): NEON is enabled on every aarch64 target this module is compiled for (its
// `cfg` asks for `target_feature = "neon"`), so its intrinsics can always run; loads and stores stay inside the
// slices, as each comment says.

/// Eight frames: lanes 0–3 in the first vector, 4–7 in the second (the layout of `[f32; 8]`).
#[derive(Clone, Copy)]
#[repr(transparent)]
pub(crate) struct F32x8Neon([float32x4_t; 2]);

impl F32x8Neon {
    /// `f` on each half.
    #[inline(always)]
    fn each(self, f: impl Fn(float32x4_t) -> float32x4_t) -> Self {
        F32x8Neon([f(self.0[0]), f(self.0[1])])
    }
    /// `f` on each pair of halves.
    #[inline(always)]
    fn zip(self, other: Self, f: impl Fn(float32x4_t, float32x4_t) -> float32x4_t) -> Self {
        F32x8Neon([f(self.0[0], other.0[0]), f(self.0[1], other.0[1])])
    }
}

impl Default for F32x8Neon {
    #[inline(always)]
    fn default() -> Self {
        Self::splat(0.0)
    }
}

macro_rules! binary {
    ($trait:ident, $method:ident, $intrinsic:ident) => {
        impl $trait for F32x8Neon {
            type Output = Self;
            #[inline(always)]
            fn $method(self, rhs: Self) -> Self {
                self.zip(rhs, |a, b| unsafe { $intrinsic(a, b) })
            }
        }
    };
}
binary!(Add, add, vaddq_f32);
binary!(Sub, sub, vsubq_f32);
binary!(Mul, mul, vmulq_f32);

impl Neg for F32x8Neon {
    type Output = Self;
    /// `fneg` flips the sign bit (of a NaN too, without quieting it): what scalar negation does.
    #[inline(always)]
    fn neg(self) -> Self {
        self.each(|a| unsafe { vnegq_f32(a) })
    }
}

impl Lane for F32x8Neon {
    const WIDTH: usize = 8;
    #[inline(always)]
    fn kernel<R>(f: impl FnOnce() -> R) -> R {
        super::kernel_call(f)
    }
    /// An empty `asm!` that takes both halves in registers (as the AVX2 lanes' `pin`): not `pure` and not `nomem`,
    /// so the compiler must compute them before it and may not move loads across it.
    #[inline(always)]
    fn pin(self) -> Self {
        let [mut a, mut b] = self.0;
        // SAFETY: the template is empty; it only names the registers.
        unsafe {
            core::arch::asm!("/* {0:v} {1:v} */", inout(vreg) a, inout(vreg) b, options(nostack, preserves_flags))
        };
        F32x8Neon([a, b])
    }
    #[inline(always)]
    fn splat(v: f32) -> Self {
        let x = unsafe { vdupq_n_f32(v) };
        F32x8Neon([x, x])
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
    /// `fmaxnm`, the instruction `f32::max` compiles to on aarch64 (so the array lanes' and the streaming path's
    /// answer): the number where the other operand is a quiet NaN, hence `floor` for a NaN lane.
    #[inline(always)]
    fn max_with(self, floor: f32) -> Self {
        unsafe {
            let floor = vdupq_n_f32(floor);
            self.each(|a| vmaxnmq_f32(a, floor))
        }
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        self.each(|a| unsafe { vsqrtq_f32(a) })
    }
    /// `MIN_POSITIVE ≤ x < ∞` in all eight lanes, `log::is_positive_normal`'s integer test: the bit patterns
    /// `0x0080_0000..0x7f80_0000`, less `0x0080_0000`, are exactly the unsigned integers below `0x7f00_0000`.
    #[inline(always)]
    fn all_positive_normal(self) -> bool {
        unsafe {
            let normal = |a: float32x4_t| {
                let shifted = vsubq_u32(vreinterpretq_u32_f32(a), vdupq_n_u32(0x0080_0000));
                vcltq_u32(shifted, vdupq_n_u32(0x7f00_0000))
            };
            vminvq_u32(vandq_u32(normal(self.0[0]), normal(self.0[1]))) == u32::MAX
        }
    }
    type LnConsts = ();
    #[inline(always)]
    fn ln_consts() {}
    /// `log::ln_normal_lanes` step for step: the integer steps are exact, the float ones the same IEEE
    /// operations in the same order.
    #[inline(always)]
    fn ln_normal_with(self, (): ()) -> Self {
        self.each(ln4)
    }
}

/// The log of four positive normal numbers (see [`Lane::ln_normal_with`]).
#[inline(always)]
fn ln4(x: float32x4_t) -> float32x4_t {
    use crate::log::{LG1, LG2, LG3, LG4, LN2_HI, LN2_LO};
    unsafe {
        let f32s = vdupq_n_f32;
        let ix = vaddq_u32(vreinterpretq_u32_f32(x), vdupq_n_u32(0x3f80_0000 - 0x3f35_04f3));
        let k = vsubq_s32(vreinterpretq_s32_u32(vshrq_n_u32::<23>(ix)), vdupq_n_s32(0x7f));
        let dk = vcvtq_f32_s32(k);
        let m = vaddq_u32(vandq_u32(ix, vdupq_n_u32(0x007f_ffff)), vdupq_n_u32(0x3f35_04f3));
        let f = vsubq_f32(vreinterpretq_f32_u32(m), f32s(1.0));
        let s = vdivq_f32(f, vaddq_f32(f32s(2.0), f));
        let z = vmulq_f32(s, s);
        let w = vmulq_f32(z, z);
        let t1 = vmulq_f32(w, vaddq_f32(f32s(LG2), vmulq_f32(w, f32s(LG4))));
        let t2 = vmulq_f32(z, vaddq_f32(f32s(LG1), vmulq_f32(w, f32s(LG3))));
        let r = vaddq_f32(t2, t1);
        let hfsq = vmulq_f32(vmulq_f32(f32s(0.5), f), f);
        // s·(hfsq + r) + dk·LN2_LO − hfsq + f + dk·LN2_HI, left to right.
        let a = vaddq_f32(vmulq_f32(s, vaddq_f32(hfsq, r)), vmulq_f32(dk, f32s(LN2_LO)));
        let a = vaddq_f32(vsubq_f32(a, hfsq), f);
        vaddq_f32(a, vmulq_f32(dk, f32s(LN2_HI)))
    }
}

/// Columns of four rows: `[r0[k], r1[k], r2[k], r3[k]]` for k = 0..4 (its own inverse).
#[inline(always)]
fn transpose4(r: [float32x4_t; 4]) -> [float32x4_t; 4] {
    unsafe {
        // Pairs first: t0 = [r0[0] r1[0] r0[2] r1[2]], t1 = [r0[1] r1[1] r0[3] r1[3]], and t2, t3 of rows 2 and 3;
        // then the 64-bit halves of t0/t2 and t1/t3.
        let (t0, t1) = (vtrn1q_f32(r[0], r[1]), vtrn2q_f32(r[0], r[1]));
        let (t2, t3) = (vtrn1q_f32(r[2], r[3]), vtrn2q_f32(r[2], r[3]));
        let d = vreinterpretq_f64_f32;
        let f = vreinterpretq_f32_f64;
        [
            f(vtrn1q_f64(d(t0), d(t2))),
            f(vtrn1q_f64(d(t1), d(t3))),
            f(vtrn2q_f64(d(t0), d(t2))),
            f(vtrn2q_f64(d(t1), d(t3))),
        ]
    }
}

impl Batch for F32x8Neon {
    #[inline(always)]
    fn from_array(a: [f32; 8]) -> Self {
        // SAFETY: `[f32; 8]` and `[float32x4_t; 2]` are the same 32 plain bytes.
        F32x8Neon(unsafe { core::mem::transmute::<[f32; 8], [float32x4_t; 2]>(a) })
    }
    #[inline(always)]
    fn to_array(self) -> [f32; 8] {
        // SAFETY: as in `from_array`.
        unsafe { core::mem::transmute::<[float32x4_t; 2], [f32; 8]>(self.0) }
    }
    /// Quads of four values from each row, transposed in registers (the weights multiplied in first, the same
    /// product per value as the array lanes'); the last `n % 4` values one by one.
    #[inline(always)]
    fn gather_rows(rows: [&[f32]; 8], w: Option<&[f32]>, dst: &mut [Self]) {
        let n = dst.len();
        let rows = rows.map(|r| &r[..n]);
        let w = w.map(|w| &w[..n]);
        for (q, d) in dst.chunks_exact_mut(4).enumerate() {
            let j = 4 * q;
            // SAFETY: j + 4 ≤ n, and every row (and `w`) holds n values.
            let load = |l: usize| unsafe {
                let x = vld1q_f32(rows[l].as_ptr().add(j));
                match w {
                    Some(w) => vmulq_f32(x, vld1q_f32(w.as_ptr().add(j))),
                    None => x,
                }
            };
            let lo = transpose4([load(0), load(1), load(2), load(3)]);
            let hi = transpose4([load(4), load(5), load(6), load(7)]);
            for (k, d) in d.iter_mut().enumerate() {
                *d = F32x8Neon([lo[k], hi[k]]);
            }
        }
        let quads = n / 4 * 4;
        for (j, d) in dst.iter_mut().enumerate().skip(quads) {
            let x = rows.map(|r| r[j]);
            *d = Self::from_array(match w {
                Some(w) => x.map(|v| v * w[j]),
                None => x,
            });
        }
    }
    #[inline(always)]
    fn scatter_rows(src: &[Self], dst: &mut [MaybeUninit<f32>], stride: usize) {
        let n = src.len();
        assert!(n <= stride && dst.len() >= 7 * stride + n, "scatter_rows: destination too short");
        let quads = n / 4 * 4;
        for j in (0..quads).step_by(4) {
            let quad = &src[j..j + 4];
            let lo = transpose4(core::array::from_fn(|k| quad[k].0[0]));
            let hi = transpose4(core::array::from_fn(|k| quad[k].0[1]));
            for (l, (lo, hi)) in lo.into_iter().zip(hi).enumerate() {
                // SAFETY: the assertion above gives `(l + 4)·stride + j + 4 ≤ 7·stride + n ≤ dst.len()`.
                unsafe {
                    vst1q_f32(dst.as_mut_ptr().add(l * stride + j).cast(), lo);
                    vst1q_f32(dst.as_mut_ptr().add((l + 4) * stride + j).cast(), hi);
                }
            }
        }
        for (j, v) in src.iter().enumerate().skip(quads) {
            for (l, x) in v.to_array().into_iter().enumerate() {
                dst[l * stride + j].write(x);
            }
        }
    }
    /// `fcmgt` and a bit select: `self` where it is larger, else `other` (so `other` where either is NaN), as the
    /// array lanes and x86's `maxps` answer. Not `fmax`, which returns NaN there.
    #[inline(always)]
    fn max_lanes(self, other: Self) -> Self {
        self.zip(other, |a, b| unsafe { vbslq_f32(vcgtq_f32(a, b), a, b) })
    }
    /// As [`max_lanes`](Self::max_lanes) with `fcmgt` the other way round (x86's `minps`).
    #[inline(always)]
    fn min_lanes(self, other: Self) -> Self {
        self.zip(other, |a, b| unsafe { vbslq_f32(vcltq_f32(a, b), a, b) })
    }
}
