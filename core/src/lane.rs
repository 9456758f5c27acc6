//! Lanes: the unit every hot loop is written over.
//!
//! The per-frame DSP is generic over a [`Lane`]: `f32` computes one frame, [`F32x8`] computes eight frames
//! side by side. Each lane of an `F32x8` performs exactly the IEEE operations the scalar path performs, in the
//! same order, so a frame's bits do not depend on whether it was computed alone (streaming, firmware) or in a
//! batch of eight (offline, where the compiler turns the lane loops into SIMD). Nothing here reassociates.

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
    fn ln_normal(self) -> Self {
        crate::log::ln_normal_lanes([self])[0]
    }
}

/// Eight frames processed together; see the module docs for why this is bit-identical to `f32`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[repr(C, align(32))]
pub struct F32x8(pub [f32; 8]);

macro_rules! lanewise {
    ($trait:ident, $method:ident, $op:tt) => {
        impl $trait for F32x8 {
            type Output = Self;
            #[inline(always)]
            fn $method(self, rhs: Self) -> Self {
                let (a, b) = (self.0, rhs.0);
                F32x8([
                    a[0] $op b[0], a[1] $op b[1], a[2] $op b[2], a[3] $op b[3],
                    a[4] $op b[4], a[5] $op b[5], a[6] $op b[6], a[7] $op b[7],
                ])
            }
        }
    };
}
lanewise!(Add, add, +);
lanewise!(Sub, sub, -);
lanewise!(Mul, mul, *);

impl Neg for F32x8 {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        self.map(|v| -v)
    }
}

impl Lane for F32x8 {
    const WIDTH: usize = 8;
    #[inline(always)]
    fn splat(v: f32) -> Self {
        F32x8([v; 8])
    }
    #[inline(always)]
    fn map(self, f: impl Fn(f32) -> f32) -> Self {
        let a = self.0;
        F32x8([f(a[0]), f(a[1]), f(a[2]), f(a[3]), f(a[4]), f(a[5]), f(a[6]), f(a[7])])
    }
    #[inline(always)]
    fn lane(self, i: usize) -> f32 {
        self.0[i]
    }
    #[inline(always)]
    fn set_lane(&mut self, i: usize, v: f32) {
        self.0[i] = v;
    }
    #[inline(always)]
    fn ln_normal(self) -> Self {
        F32x8(crate::log::ln_normal_lanes(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_do_the_scalar_operations() {
        let a = F32x8([1.5, -2.0, 3.25, 0.1, 1e-30, -0.0, 7.0, 1e30]);
        let b = F32x8([0.3, 0.7, -1.1, 0.2, 3e-9, 0.0, -7.0, 1e9]);
        for i in 0..8 {
            let (x, y) = (a.0[i], b.0[i]);
            assert_eq!((a + b).0[i].to_bits(), (x + y).to_bits());
            assert_eq!((a - b).0[i].to_bits(), (x - y).to_bits());
            assert_eq!((a * b).0[i].to_bits(), (x * y).to_bits());
            assert_eq!((-a).0[i].to_bits(), (-x).to_bits());
        }
    }
}
