//! Twiddle factors, computed once per plan in f64 with `libm` and rounded to f32.
//!
//! `libm` is plain Rust, so the table has the same bits on every target; the transform itself only reads it.

use core::f64::consts::FRAC_PI_2;

/// `e^{-2πi·j/n}` as `[re, im]` in f32.
///
/// The angle is reduced to the first octant with integer arithmetic before `sin`/`cos` are called, so the
/// twiddles at multiples of π/2 are exactly 0 and ±1 and the others are exactly symmetric, which keeps the
/// rounding error of the table at the f32 rounding of the true value.
pub(crate) fn twiddle(j: usize, n: usize) -> [f32; 2] {
    let j = j % n;
    // angle = (quadrant + rem / n) · π/2 with 0 <= rem < n.
    let (quadrant, rem) = ((4 * j) / n, (4 * j) % n);
    let (c, s) = if 2 * rem <= n {
        let t = FRAC_PI_2 * rem as f64 / n as f64;
        (libm::cos(t), libm::sin(t))
    } else {
        let t = FRAC_PI_2 * (n - rem) as f64 / n as f64;
        (libm::sin(t), libm::cos(t))
    };
    let (cos, sin) = match quadrant {
        0 => (c, s),
        1 => (-s, c),
        2 => (-c, -s),
        _ => (s, -c),
    };
    [cos as f32, -sin as f32]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quadrant_twiddles_are_exact() {
        assert_eq!(twiddle(0, 12), [1.0, 0.0]);
        assert_eq!(twiddle(3, 12), [0.0, -1.0]);
        assert_eq!(twiddle(6, 12), [-1.0, 0.0]);
        assert_eq!(twiddle(9, 12), [0.0, 1.0]);
        assert_eq!(twiddle(12, 12), [1.0, 0.0]);
        let [c, s] = twiddle(1, 8);
        assert_eq!(c, -s);
    }

    #[test]
    fn matches_f64_trig() {
        for n in [5, 7, 12, 100, 4096] {
            for j in 0..2 * n {
                // The unreduced angle: checks the octant bookkeeping, not libm.
                let t = -2.0 * core::f64::consts::PI * j as f64 / n as f64;
                let [c, s] = twiddle(j, n);
                assert!((f64::from(c) - libm::cos(t)).abs() < 1e-7, "cos {j}/{n}");
                assert!((f64::from(s) - libm::sin(t)).abs() < 1e-7, "sin {j}/{n}");
            }
        }
    }
}
