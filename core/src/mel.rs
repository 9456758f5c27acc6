//! Mel filterbanks, stored sparse: each band is one contiguous run of non-zero weights over the FFT bins.
//!
//! Built in f64 with `libm` and rounded once, so the table is the same on every target. The four axes on which
//! the references disagree (scale, normalisation, triangle domain, DC/Nyquist) are all explicit in [`Mel`].

use crate::config::{MAX_MELS, Mel, MelNorm, MelScale, TriangleDomain};

/// One band: weights for bins `start..start + len`. A [`Bank`] keeps its bands' weights back to back in one table,
/// in band order, so where a band's weights start follows from the lengths before it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Band {
    /// First FFT bin with a non-zero weight.
    pub start: u16,
    /// Number of consecutive non-zero weights.
    pub len: u16,
}

/// A filterbank's layout: its bands, each inside the spectrum's bins, and the size of their weight table. Only
/// [`Bank::new`] makes one, so [`Bank::apply`] can trust every band once the table and spectrum are long enough.
#[derive(Clone, Debug)]
pub struct Bank {
    mel: Mel,
    sample_rate: u32,
    n_fft: usize,
    bands: [Band; MAX_MELS],
    n_weights: usize,
}

impl Bank {
    /// Lays out the filterbank of a validated `mel` (at most [`MAX_MELS`] bands are used) for `n_fft` points.
    pub fn new(mel: &Mel, sample_rate: u32, n_fft: usize) -> Self {
        let mut bank = Bank { mel: *mel, sample_rate, n_fft, bands: [Band::default(); MAX_MELS], n_weights: 0 };
        for m in 0..bank.bands().len() {
            let band = &mut bank.bands[m];
            for_each_weight(mel, sample_rate, n_fft, m, |k, _| {
                if band.len == 0 {
                    band.start = k as u16;
                }
                // Triangles are convex, so non-zero weights are contiguous.
                debug_assert_eq!(k, band.start as usize + band.len as usize);
                band.len += 1;
            });
            bank.n_weights += band.len as usize;
        }
        bank
    }

    /// The bands, in order.
    pub fn bands(&self) -> &[Band] {
        &self.bands[..(self.mel.n_mels as usize).min(MAX_MELS)]
    }

    /// The size of the weight table.
    pub fn n_weights(&self) -> usize {
        self.n_weights
    }

    /// Fills the weight table (its first [`n_weights`](Self::n_weights) values).
    pub fn fill(&self, weights: &mut [f32]) {
        let mut slots = weights[..self.n_weights].iter_mut();
        for m in 0..self.bands().len() {
            for_each_weight(&self.mel, self.sample_rate, self.n_fft, m, |_, w| {
                *slots.next().expect("the layout counted this weight") = w;
            });
        }
    }

    /// Applies the filterbank: `out[m] = Σ w·spectrum[k]` over band `m`, in bin order.
    ///
    /// Bands are short (2 to 23 bins for 64 bands at 512 points), so the work around each band's products is
    /// what costs; the bounds are checked once here rather than twice per band.
    #[cfg_attr(all(target_arch = "x86_64", not(debug_assertions)), inline(always))]
    pub fn apply<T: crate::Lane>(&self, weights: &[f32], spectrum: &[T], out: &mut [T]) {
        let bins = self.n_fft / 2 + 1;
        assert!(weights.len() >= self.n_weights && spectrum.len() >= bins, "a table and spectrum for this bank");
        let mut rest = &weights[..self.n_weights];
        for (o, band) in out.iter_mut().zip(self.bands()) {
            let (start, len) = (band.start as usize, band.len as usize);
            // SAFETY: in `new` the lengths add up to `n_weights` and every band ends at or before `bins` (its bins
            // are among `for_each_weight`'s, all below `bins`), and both slices are that long at least (asserted).
            let (w, s) = unsafe { (rest.split_at_unchecked(len), spectrum.get_unchecked(start..start + len)) };
            rest = w.1;
            *o = weighted_sum(w.0, s);
        }
    }
}

/// Hz → mel.
pub fn hz_to_mel(scale: MelScale, hz: f64) -> f64 {
    match scale {
        MelScale::Htk => 1127.0 * libm::log(1.0 + hz / 700.0),
        MelScale::Slaney => {
            const F_SP: f64 = 200.0 / 3.0;
            const MIN_LOG_HZ: f64 = 1000.0;
            if hz >= MIN_LOG_HZ { MIN_LOG_HZ / F_SP + libm::log(hz / MIN_LOG_HZ) / slaney_logstep() } else { hz / F_SP }
        }
    }
}

/// Mel → Hz.
pub fn mel_to_hz(scale: MelScale, mel: f64) -> f64 {
    match scale {
        MelScale::Htk => 700.0 * (libm::exp(mel / 1127.0) - 1.0),
        MelScale::Slaney => {
            const F_SP: f64 = 200.0 / 3.0;
            const MIN_LOG_MEL: f64 = 1000.0 / F_SP;
            if mel >= MIN_LOG_MEL { 1000.0 * libm::exp(slaney_logstep() * (mel - MIN_LOG_MEL)) } else { F_SP * mel }
        }
    }
}

fn slaney_logstep() -> f64 {
    libm::log(6.4) / 27.0
}

/// Band `m`'s edges (left, centre, right) in mel, equally spaced between `fmin` and `fmax`.
fn edges_mel(mel: &Mel, m: usize) -> [f64; 3] {
    let lo = hz_to_mel(mel.scale, mel.fmin as f64);
    let hi = hz_to_mel(mel.scale, mel.fmax as f64);
    let step = (hi - lo) / (mel.n_mels as f64 + 1.0);
    [lo + step * m as f64, lo + step * (m + 1) as f64, lo + step * (m + 2) as f64]
}

/// Weight of FFT bin `k` (at `hz`) in the band with the given edges.
fn weight(mel: &Mel, edges_mel: [f64; 3], edges_hz: [f64; 3], hz: f64) -> f64 {
    let ([l, c, r], x) = match mel.domain {
        TriangleDomain::Hz => (edges_hz, hz),
        TriangleDomain::Mel => (edges_mel, hz_to_mel(mel.scale, hz)),
    };
    let w = ((x - l) / (c - l)).min((r - x) / (r - c)).max(0.0);
    match mel.norm {
        MelNorm::Peak => w,
        MelNorm::Slaney => w * 2.0 / (edges_hz[2] - edges_hz[0]),
    }
}

/// Visits band `m`'s non-zero weights (as rounded to f32) in bin order: `visit(bin, weight)`.
fn for_each_weight(mel: &Mel, sample_rate: u32, n_fft: usize, m: usize, mut visit: impl FnMut(usize, f32)) {
    let bins = n_fft / 2 + 1;
    let bin_hz = sample_rate as f64 / n_fft as f64;
    let em = edges_mel(mel, m);
    let eh = em.map(|v| mel_to_hz(mel.scale, v));
    // Candidate bins: a bin either side of the Hz edges, whichever domain the ramps are in.
    let first = libm::floor(eh[0] / bin_hz).max(1.0) as usize - 1;
    let last = (libm::ceil(eh[2] / bin_hz) as usize + 1).min(bins - 1);
    for k in first..=last {
        let excluded = (mel.zero_dc && k == 0) || (!mel.include_nyquist && n_fft.is_multiple_of(2) && k == n_fft / 2);
        let w = if excluded { 0.0 } else { weight(mel, em, eh, k as f64 * bin_hz) as f32 };
        if w != 0.0 {
            visit(k, w);
        }
    }
}

/// The filterbank as a dense `n_mels × (n_fft/2 + 1)` row-major matrix (librosa's `filters.mel` layout).
#[cfg(feature = "alloc")]
pub fn matrix(mel: &Mel, sample_rate: u32, n_fft: usize) -> alloc::vec::Vec<f32> {
    let (bank, bins) = (Bank::new(mel, sample_rate, n_fft), n_fft / 2 + 1);
    let mut weights = alloc::vec![0.0; bank.n_weights];
    bank.fill(&mut weights);
    let mut dense = alloc::vec![0.0; bank.bands().len() * bins];
    let mut rest = &weights[..];
    for (row, band) in dense.chunks_exact_mut(bins).zip(bank.bands()) {
        let (w, tail) = rest.split_at(band.len as usize);
        row[band.start as usize..][..w.len()].copy_from_slice(w);
        rest = tail;
    }
    dense
}

/// `Σ w[j]·s[j]` from `j = 0` up (`s` as long as `w`). A band of up to 24 bins jumps straight to the unrolled
/// products for its length (fewer instructions than eight products a step and a jump on the remainder); a longer
/// one takes eight a step first.
#[inline(always)]
fn weighted_sum<T: crate::Lane>(w: &[f32], s: &[T]) -> T {
    if let Some(sum) = add_exact(None, w, s) {
        return sum.unwrap_or(T::splat(0.0));
    }
    let (w8, w_rest) = w.as_chunks::<8>();
    let (s8, s_rest) = s.as_chunks::<8>();
    let mut acc = None;
    for (w, s) in w8.iter().zip(s8) {
        acc = Some(add_products(acc, w, s));
    }
    add_exact(acc, w_rest, s_rest).flatten().or(acc).unwrap_or(T::splat(0.0))
}

/// [`add_products`] in straight-line code for the length of `w`, if that is at most 24 (`None` otherwise).
#[inline(always)]
fn add_exact<T: crate::Lane>(acc: Option<T>, w: &[f32], s: &[T]) -> Option<Option<T>> {
    macro_rules! lengths {
        ($($n:literal)*) => {
            match w.len() {
                0 => Some(acc),
                $($n => Some(Some(add_products::<T, $n>(acc, w.first_chunk()?, s.first_chunk()?))),)*
                _ => None,
            }
        };
    }
    lengths!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24)
}

/// `acc + w[0]·s[0] + w[1]·s[1] + …`, left to right (a fixed `N`, so the loop unrolls); without `acc`, the sum
/// starts from the first product. That equals `0 + w[0]·s[0] + …` bit for bit, because a product of a
/// non-negative weight and a power or magnitude is never −0 (and `+0 + p = p` for every other `p`), and spares
/// an addition per band.
#[inline(always)]
fn add_products<T: crate::Lane, const N: usize>(acc: Option<T>, w: &[f32; N], s: &[T; N]) -> T {
    let first = T::splat(w[0]) * s[0];
    let mut acc = acc.map_or(first, |a| a + first);
    for j in 1..N {
        acc = acc + T::splat(w[j]) * s[j];
    }
    acc
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;

    #[test]
    fn slaney_scale_round_trips_and_is_linear_below_1khz() {
        for hz in [0.0, 100.0, 999.0, 1000.0, 4000.0, 11025.0] {
            let m = hz_to_mel(MelScale::Slaney, hz);
            assert!((mel_to_hz(MelScale::Slaney, m) - hz).abs() < 1e-9);
            let h = hz_to_mel(MelScale::Htk, hz);
            assert!((mel_to_hz(MelScale::Htk, h) - hz).abs() < 1e-9);
        }
        assert!((hz_to_mel(MelScale::Slaney, 1000.0) - 15.0).abs() < 1e-12);
        assert!((hz_to_mel(MelScale::Htk, 700.0) - 1127.0 * core::f64::consts::LN_2).abs() < 1e-9);
    }

    #[test]
    fn peak_triangles_reach_one_and_dc_nyquist_flags_apply() {
        let mel = Mel {
            n_mels: 10,
            fmin: 0.0,
            fmax: 8000.0,
            scale: MelScale::Htk,
            norm: MelNorm::Peak,
            domain: TriangleDomain::Mel,
            zero_dc: true,
            include_nyquist: false,
        };
        let m = matrix(&mel, 16000, 64);
        let rows: Vec<&[f32]> = m.chunks(33).collect();
        for row in &rows {
            let peak = row.iter().cloned().fold(0.0, f32::max);
            assert!(peak <= 1.0 && peak > 0.3, "{row:?}");
        }
        assert!(rows.iter().all(|r| r[0] == 0.0 && r[32] == 0.0));
    }
}
