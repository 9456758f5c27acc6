//! The small DFTs (radix 2, 3, 4, 5, and 8 for first stages) that the Stockham stages apply, written once for
//! any [`Lane`].
//!
//! Each output is a fixed expression of the inputs, so every lane and every target rounds identically.

use core::ops::{Add, Sub};

use crate::lane::Lane;

/// One complex value of lanes, in registers (memory holds `[re, im]` pairs). Every operation is lane-wise, so
/// `F32x8` vectorises without any shuffles.
#[derive(Clone, Copy)]
pub(crate) struct Cx<T> {
    pub(crate) re: T,
    pub(crate) im: T,
}

impl<T> From<[T; 2]> for Cx<T> {
    #[inline(always)]
    fn from([re, im]: [T; 2]) -> Self {
        Cx { re, im }
    }
}

impl<T> From<Cx<T>> for [T; 2] {
    #[inline(always)]
    fn from(c: Cx<T>) -> Self {
        [c.re, c.im]
    }
}

impl<T: Lane> Add for Cx<T> {
    type Output = Self;
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        Cx { re: self.re + o.re, im: self.im + o.im }
    }
}

impl<T: Lane> Sub for Cx<T> {
    type Output = Self;
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        Cx { re: self.re - o.re, im: self.im - o.im }
    }
}

impl<T: Lane> Cx<T> {
    /// Multiplies by the table twiddle `[re, im]` (the same scalar in every lane). Taken by reference: a `[f32; 2]`
    /// by value travels as one 64-bit integer, which x86 then splits in four instructions before broadcasting
    /// each half, where two broadcasts straight from the table suffice.
    #[inline(always)]
    pub(crate) fn twiddle(self, w: &[f32; 2]) -> Self {
        let (wr, wi) = (T::splat(w[0]), T::splat(w[1]));
        Cx { re: self.re * wr - self.im * wi, im: self.re * wi + self.im * wr }
    }

    /// Multiplies by `-i`: a swap and a sign flip, exact.
    #[inline(always)]
    fn mul_neg_i(self) -> Self {
        Cx { re: self.im, im: -self.re }
    }

    /// Multiplies both parts by the real constant `c`.
    #[inline(always)]
    fn scale(self, c: f32) -> Self {
        let c = T::splat(c);
        Cx { re: self.re * c, im: self.im * c }
    }
}

/// The radix `R` as a type, to build `[X; R]` arrays element by element.
pub(crate) struct Radix<const R: usize>;

/// Array construction that the optimiser always unrolls.
pub(crate) trait Unrolled<const R: usize> {
    /// `[f(0), f(1), …, f(R - 1)]`, written as an array literal. `core::array::from_fn` goes through a type-erased
    /// loop and a copy, which keeps large lanes (`F32x8`) in memory instead of registers.
    fn array<X>(f: impl FnMut(usize) -> X) -> [X; R];
}

macro_rules! unrolled {
    ($($r:literal: [$($i:literal),*];)*) => {$(
        impl Unrolled<$r> for Radix<$r> {
            #[inline(always)]
            fn array<X>(mut f: impl FnMut(usize) -> X) -> [X; $r] {
                [$(f($i)),*]
            }
        }
    )*};
}

unrolled! {
    2: [0, 1];
    3: [0, 1, 2];
    4: [0, 1, 2, 3];
    5: [0, 1, 2, 3, 4];
    8: [0, 1, 2, 3, 4, 5, 6, 7];
}

/// A forward DFT of a fixed small size, `y[k] = Σ a[j]·e^{-2πi·jk/R}`.
pub(crate) trait Dft<T>: Sized {
    /// Transforms the `R` values.
    fn dft(self) -> Self;
    /// Transforms the values `load(0), …, load(R - 1)`, each loaded when the butterfly needs it: the same
    /// operations as [`dft`](Self::dft), so the same bits, in an order that needs fewer registers (radix 8).
    fn dft_of(load: impl FnMut(usize) -> Cx<T>) -> Self;
}

impl<T: Lane> Dft<T> for [Cx<T>; 2] {
    #[inline(always)]
    fn dft_of(mut load: impl FnMut(usize) -> Cx<T>) -> Self {
        [load(0), load(1)].dft()
    }
    #[inline(always)]
    fn dft(self) -> Self {
        let [a0, a1] = self;
        [a0 + a1, a0 - a1]
    }
}

/// `sin(π/3)`.
const SIN_60: f32 = 0.866_025_4;

impl<T: Lane> Dft<T> for [Cx<T>; 3] {
    #[inline(always)]
    fn dft_of(mut load: impl FnMut(usize) -> Cx<T>) -> Self {
        [load(0), load(1), load(2)].dft()
    }
    #[inline(always)]
    fn dft(self) -> Self {
        let [a0, a1, a2] = self;
        let (s, d) = (a1 + a2, a1 - a2);
        let t = a0 + s.scale(-0.5);
        let u = d.scale(SIN_60).mul_neg_i();
        [a0 + s, t + u, t - u]
    }
}

impl<T: Lane> Dft<T> for [Cx<T>; 4] {
    #[inline(always)]
    fn dft_of(mut load: impl FnMut(usize) -> Cx<T>) -> Self {
        [load(0), load(1), load(2), load(3)].dft()
    }
    #[inline(always)]
    fn dft(self) -> Self {
        let [a0, a1, a2, a3] = self;
        let (t0, t1) = (a0 + a2, a0 - a2);
        let (t2, t3) = (a1 + a3, (a1 - a3).mul_neg_i());
        [t0 + t2, t1 + t3, t0 - t2, t1 - t3]
    }
}

/// `cos(2π/5)`, `cos(4π/5)`, `sin(2π/5)`, `sin(4π/5)`.
const COS_72: f32 = 0.309_017;
const COS_144: f32 = -0.809_017;
const SIN_72: f32 = 0.951_056_54;
const SIN_144: f32 = 0.587_785_24;

impl<T: Lane> Dft<T> for [Cx<T>; 5] {
    #[inline(always)]
    fn dft_of(mut load: impl FnMut(usize) -> Cx<T>) -> Self {
        [load(0), load(1), load(2), load(3), load(4)].dft()
    }
    #[inline(always)]
    fn dft(self) -> Self {
        let [a0, a1, a2, a3, a4] = self;
        let (s14, d14) = (a1 + a4, a1 - a4);
        let (s23, d23) = (a2 + a3, a2 - a3);
        let t1 = a0 + s14.scale(COS_72) + s23.scale(COS_144);
        let t2 = a0 + s14.scale(COS_144) + s23.scale(COS_72);
        let u1 = (d14.scale(SIN_72) + d23.scale(SIN_144)).mul_neg_i();
        let u2 = (d14.scale(SIN_144) - d23.scale(SIN_72)).mul_neg_i();
        [a0 + s14 + s23, t1 + u1, t2 + u2, t2 - u2, t1 - u1]
    }
}

impl<T: Lane> Dft<T> for [Cx<T>; 8] {
    #[inline(always)]
    fn dft(self) -> Self {
        Self::dft_of(|j| self[j])
    }
    /// Two radix-4 DFTs of the even and odd inputs, then one radix-2 step with the twiddles `e^{-2πi·k/8}`. The
    /// odd inputs are loaded after the even ones are transformed ([`Lane::pin`]), so that at most twelve vectors
    /// are live before the odd DFT's first additions instead of sixteen.
    #[inline(always)]
    fn dft_of(mut load: impl FnMut(usize) -> Cx<T>) -> Self {
        let [e0, e1, e2, e3] = [load(0), load(2), load(4), load(6)].dft();
        // Not `array::map`: its closure calls are not reliably inlined.
        let pin = |c: Cx<T>| Cx { re: c.re.pin(), im: c.im.pin() };
        let (e0, e1, e2, e3) = (pin(e0), pin(e1), pin(e2), pin(e3));
        let [o0, o1, o2, o3] = [load(1), load(3), load(5), load(7)].dft();
        let s = T::splat(core::f32::consts::FRAC_1_SQRT_2);
        // o1·(1 - i)/√2, o2·(-i), o3·(-1 - i)/√2.
        let o1 = Cx { re: (o1.re + o1.im) * s, im: (o1.im - o1.re) * s };
        let o2 = o2.mul_neg_i();
        let o3 = Cx { re: (o3.im - o3.re) * s, im: -((o3.re + o3.im) * s) };
        [e0 + o0, e1 + o1, e2 + o2, e3 + o3, e0 - o0, e1 - o1, e2 - o2, e3 - o3]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fft::twiddle::twiddle;

    /// The butterfly against the definition, in f64.
    fn check<const R: usize>()
    where
        [Cx<f32>; R]: Dft<f32>,
    {
        let a: [Cx<f32>; R] = core::array::from_fn(|j| Cx { re: 0.25 + j as f32, im: 1.5 - 0.75 * (j * j) as f32 });
        let y = a.dft();
        for (k, y) in y.iter().enumerate() {
            let (mut re, mut im) = (0.0f64, 0.0f64);
            for (j, a) in a.iter().enumerate() {
                let [c, s] = twiddle(j * k, R).map(f64::from);
                re += f64::from(a.re) * c - f64::from(a.im) * s;
                im += f64::from(a.re) * s + f64::from(a.im) * c;
            }
            assert!((f64::from(y.re) - re).abs() < 1e-5, "radix {R} bin {k} re");
            assert!((f64::from(y.im) - im).abs() < 1e-5, "radix {R} bin {k} im");
        }
    }

    #[test]
    fn butterflies_are_dfts() {
        check::<2>();
        check::<3>();
        check::<4>();
        check::<5>();
        check::<8>();
    }
}
