//! Analysis windows, computed in f64 from `libm` (the same software code on every target) and rounded once.

use core::f64::consts::PI;

use crate::config::{Window, WindowKind};

/// Fills `out` (its length is the window length) with the window's values.
pub fn fill(window: &Window, out: &mut [f32]) {
    let n = out.len();
    let denom = if window.symmetric { n.saturating_sub(1).max(1) } else { n.max(1) } as f64;
    for (i, w) in out.iter_mut().enumerate() {
        let a = 2.0 * PI * i as f64 / denom;
        let hann = 0.5 - 0.5 * libm::cos(a);
        *w = match window.kind {
            WindowKind::Hann => hann,
            WindowKind::Hamming => 0.54 - 0.46 * libm::cos(a),
            WindowKind::Povey => libm::pow(hann, 0.85),
            WindowKind::Blackman => 0.42 - 0.5 * libm::cos(a) + 0.08 * libm::cos(2.0 * a),
            WindowKind::Rectangular => 1.0,
        } as f32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Align;

    fn win(kind: WindowKind, symmetric: bool, n: usize) -> [f32; 8] {
        let mut out = [0.0; 8];
        fill(&Window { kind, symmetric, align: Align::Start }, &mut out[..n]);
        out
    }

    #[test]
    fn periodic_hann_matches_numpy_hanning_minus_last() {
        // np.hanning(9)[:-1]
        let expect = [0.0, 0.146_446_6, 0.5, 0.853_553_4, 1.0, 0.853_553_4, 0.5, 0.146_446_6];
        let got = win(WindowKind::Hann, false, 8);
        for (g, e) in got.iter().zip(expect) {
            assert!((g - e).abs() < 1e-7, "{got:?}");
        }
    }

    #[test]
    fn symmetric_windows_are_symmetric_and_peak_in_the_middle() {
        for kind in [WindowKind::Hann, WindowKind::Hamming, WindowKind::Povey, WindowKind::Blackman] {
            let w = win(kind, true, 7);
            for i in 0..7 {
                assert_eq!(w[i].to_bits(), w[6 - i].to_bits(), "{kind:?} {w:?}");
            }
            assert!((w[3] - 1.0).abs() < 1e-6, "{kind:?} {w:?}");
        }
        // Kaldi's povey is hann^0.85; hamming's ends are 0.08.
        assert!((win(WindowKind::Hamming, true, 7)[0] - 0.08).abs() < 1e-7);
        let (h, p) = (win(WindowKind::Hann, true, 7), win(WindowKind::Povey, true, 7));
        assert!((p[1] as f64 - (h[1] as f64).powf(0.85)).abs() < 1e-6);
    }

    #[test]
    fn rectangular_and_degenerate_lengths() {
        assert_eq!(win(WindowKind::Rectangular, false, 5)[..5], [1.0; 5]);
        assert_eq!(win(WindowKind::Hann, true, 1)[0], 0.0);
    }
}
