//! MFCC: orthonormal DCT-II of the compressed mel bands, with the lifter folded into the table.

use core::f64::consts::PI;

use crate::Lane;
use crate::config::{Lifter, Mfcc};

/// Fills `table` (`n_mfcc × n_mels`, row-major) with `lifter[k] · scale[k] · cos(πk(2n+1)/(2N))`, where the
/// orthonormal scale is `√(1/N)` for k = 0 and `√(2/N)` otherwise (librosa `norm='ortho'`, Kaldi's DCT matrix).
pub fn fill(mfcc: &Mfcc, n_mels: usize, table: &mut [f32]) {
    let n = n_mels as f64;
    for (k, row) in table.chunks_exact_mut(n_mels).take(mfcc.n_mfcc as usize).enumerate() {
        let scale = if k == 0 { libm::sqrt(1.0 / n) } else { libm::sqrt(2.0 / n) };
        let lift = match mfcc.lifter {
            Lifter::None => 1.0,
            Lifter::Librosa(l) => 1.0 + (l as f64 / 2.0) * libm::sin(PI * (k + 1) as f64 / l as f64),
            Lifter::Kaldi(q) => 1.0 + 0.5 * q as f64 * libm::sin(PI * k as f64 / q as f64),
        };
        for (i, c) in row.iter_mut().enumerate() {
            *c = (lift * scale * libm::cos(PI * k as f64 * (2 * i + 1) as f64 / (2.0 * n))) as f32;
        }
    }
}

/// `out[k] = Σ_n table[k][n] · bands[n]`, summed in band order.
#[cfg_attr(all(target_arch = "x86_64", not(debug_assertions)), inline(always))]
pub fn apply<T: Lane>(table: &[f32], bands: &[T], out: &mut [T]) {
    for (row, o) in table.chunks_exact(bands.len()).zip(out.iter_mut()) {
        let mut acc = T::splat(0.0);
        for (&c, &b) in row.iter().zip(bands) {
            acc = acc + T::splat(c) * b;
        }
        *o = acc;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orthonormal_rows() {
        let n = 16;
        let mut t = [0.0f32; 16 * 16];
        fill(&Mfcc { n_mfcc: 16, lifter: Lifter::None, energy_c0: false }, n, &mut t);
        for a in 0..n {
            for b in 0..n {
                let dot: f64 = (0..n).map(|i| t[a * n + i] as f64 * t[b * n + i] as f64).sum();
                let want = if a == b { 1.0 } else { 0.0 };
                assert!((dot - want).abs() < 1e-6, "rows {a},{b}: {dot}");
            }
        }
    }

    #[test]
    fn lifters_differ_by_index_offset() {
        let n = 4;
        let mut plain = [0.0f32; 16];
        let mut kaldi = [0.0f32; 16];
        let mut rosa = [0.0f32; 16];
        fill(&Mfcc { n_mfcc: 4, lifter: Lifter::None, energy_c0: false }, n, &mut plain);
        fill(&Mfcc { n_mfcc: 4, lifter: Lifter::Kaldi(22.0), energy_c0: false }, n, &mut kaldi);
        fill(&Mfcc { n_mfcc: 4, lifter: Lifter::Librosa(22.0), energy_c0: false }, n, &mut rosa);
        // Kaldi leaves C0 alone; librosa lifts it by 1 + 11·sin(π/22).
        assert_eq!(kaldi[0], plain[0]);
        let l1 = 1.0 + 11.0 * (core::f64::consts::PI / 22.0).sin();
        assert!((rosa[0] as f64 - plain[0] as f64 * l1).abs() < 1e-6);
    }
}
