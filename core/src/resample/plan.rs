//! The plan (a ratio and a filter length, plain data) and the design of its taps.

use super::ResampleError;

/// Lowest rate accepted, in Hz.
pub const MIN_RATE: u32 = 8_000;
/// Highest rate accepted, in Hz.
pub const MAX_RATE: u32 = 48_000;

/// Half the filter's length, in samples at the lower of the two rates. Kaiser's estimate for 100 dB over a
/// transition of 0.05 of the lower rate (`(A − 7.95) / (2.285 · 2π · 0.05)`) is 128.2 samples; 130 rounds it up.
const HALF_WIDTH_LOW: u64 = 65;
/// Kaiser's β for 100 dB: `0.1102 · (100 − 8.7)`. 100 dB rather than 80 leaves room for the f32 rounding of the
/// taps and for the estimate's optimism.
const KAISER_BETA: f64 = 0.1102 * (100.0 - 8.7);
/// The cutoff, in cycles per sample at the lower rate: the middle of the transition from 0.45 (passband edge,
/// 0.9 of Nyquist) to 0.5 (stopband edge, Nyquist).
const CUTOFF_LOW: f64 = 0.475;

/// A resampling from one rate to another: the reduced ratio and the filter's shape. Plain data, `Copy`; the taps
/// it describes are computed into caller-owned memory by [`ResamplePlan::fill_taps`].
///
/// ```
/// use stapes_core::resample::ResamplePlan;
///
/// let plan = ResamplePlan::new(44_100, 16_000).unwrap();
/// assert_eq!((plan.up(), plan.down()), (160, 441));
/// assert_eq!(plan.output_len(44_100), 16_000);
/// assert!(ResamplePlan::new(0, 16_000).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResamplePlan {
    from: u32,
    to: u32,
    up: u32,
    down: u32,
    /// Taps per phase (input samples each output reads).
    taps: u32,
    /// Zeros that stand for the signal before its start in the first output's window.
    lead: u32,
}

impl ResamplePlan {
    /// Plans the conversion of a signal sampled at `from` Hz to `to` Hz. Both must be within
    /// [`MIN_RATE`]`..=`[`MAX_RATE`].
    pub const fn new(from: u32, to: u32) -> Result<Self, ResampleError> {
        if from < MIN_RATE || from > MAX_RATE || to < MIN_RATE || to > MAX_RATE {
            return Err(ResampleError::Rate { from, to });
        }
        let g = gcd(from, to);
        let (up, down) = (to / g, from / g);
        if up == down {
            return Ok(ResamplePlan { from, to, up: 1, down: 1, taps: 1, lead: 0 });
        }
        let lower = if from < to { from } else { to };
        // Half-width in input samples, `HALF_WIDTH_LOW · from / lower`, rounded up. An output at input time
        // `q + r/up` (0 ≤ r < up) reads inputs `q − half + 1 ..= q + half`: every input closer than the half-width.
        let half = (HALF_WIDTH_LOW * from as u64).div_ceil(lower as u64) as u32;
        Ok(ResamplePlan { from, to, up, down, taps: 2 * half, lead: half - 1 })
    }

    /// The input rate, Hz.
    pub const fn from_rate(&self) -> u32 {
        self.from
    }

    /// The output rate, Hz.
    pub const fn to_rate(&self) -> u32 {
        self.to
    }

    /// The interpolation factor of the reduced ratio (`to / gcd(from, to)`).
    pub const fn up(&self) -> u32 {
        self.up
    }

    /// The decimation factor of the reduced ratio (`from / gcd(from, to)`).
    pub const fn down(&self) -> u32 {
        self.down
    }

    /// Whether the rates are equal (the input comes out unchanged).
    pub const fn is_identity(&self) -> bool {
        self.up == self.down
    }

    /// Input samples each output sample is computed from.
    pub const fn taps_per_phase(&self) -> usize {
        self.taps as usize
    }

    /// f32 elements of the tap table: one row of [`taps_per_phase`](Self::taps_per_phase) per phase (`up` rows).
    pub const fn taps_len(&self) -> usize {
        self.up as usize * self.taps as usize
    }

    /// Zero samples that stand before the signal in the first output's window.
    pub(crate) const fn lead(&self) -> usize {
        self.lead as usize
    }

    /// Output samples for `n_in` input samples: `ceil(n_in · up / down)` (saturating).
    pub const fn output_len(&self, n_in: u64) -> u64 {
        let n = (n_in as u128 * self.up as u128).div_ceil(self.down as u128);
        if n > u64::MAX as u128 { u64::MAX } else { n as u64 }
    }

    /// Computes the tap table into `taps` (at least [`taps_len`](Self::taps_len) elements; the rest is left
    /// alone). Row `r` holds the taps of the outputs that fall `r/up` of an input sample after an input sample,
    /// in input order.
    pub fn fill_taps(&self, taps: &mut [f32]) -> Result<(), ResampleError> {
        let len = self.taps_len();
        let Some(taps) = taps.get_mut(..len) else {
            return Err(ResampleError::Storage { expected: len, got: taps.len() });
        };
        if self.is_identity() {
            taps[0] = 1.0;
            return Ok(());
        }
        let n = self.taps as usize;
        let half = (self.taps / 2) as i64;
        let up = self.up as i64;
        let lower = self.from.min(self.to) as f64;
        // A tap's distance from its output is `num / up` input samples, an exact rational; in samples at the lower
        // rate it is `num · lower / (up · from)`: integers exact in f64, so one rounding, the division.
        let denom = (self.up as f64) * (self.from as f64);
        let half_low = HALF_WIDTH_LOW as f64;
        let i0_beta = bessel_i0(KAISER_BETA);
        for (r, row) in taps.chunks_exact_mut(n).enumerate() {
            let mut sum = 0.0f64;
            let design = |j: usize| -> f64 {
                // Tap j reads input q − half + 1 + j for an output at q + r/up: distance r/up + half − 1 − j.
                let num = r as i64 + (half - 1 - j as i64) * up;
                let u = (num as f64 * lower) / denom;
                kaiser_sinc(u, half_low, i0_beta)
            };
            for j in 0..n {
                sum += design(j);
            }
            for (j, t) in row.iter_mut().enumerate() {
                *t = (design(j) / sum) as f32;
            }
        }
        Ok(())
    }
}

/// The windowed sinc at distance `u` (lower-rate samples) from the output's time.
fn kaiser_sinc(u: f64, half: f64, i0_beta: f64) -> f64 {
    let v = u / half;
    if v.abs() >= 1.0 {
        return 0.0;
    }
    let x = 2.0 * CUTOFF_LOW * u;
    let sinc = if x == 0.0 { 1.0 } else { libm::sin(core::f64::consts::PI * x) / (core::f64::consts::PI * x) };
    let window = bessel_i0(KAISER_BETA * libm::sqrt(1.0 - v * v)) / i0_beta;
    sinc * window
}

/// The modified Bessel function of the first kind, order 0, by its power series `Σ ((x/2)^k / k!)²`, summed in
/// order until a term no longer changes the sum: plain arithmetic, so the same bits everywhere.
fn bessel_i0(x: f64) -> f64 {
    let h = 0.5 * x;
    let (mut sum, mut term, mut k) = (1.0f64, 1.0f64, 1.0f64);
    loop {
        let f = h / k;
        term *= f * f;
        let next = sum + term;
        if next == sum {
            return sum;
        }
        sum = next;
        k += 1.0;
    }
}

const fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_outside_8_to_48_khz_are_refused() {
        for (from, to) in [(0, 16_000), (16_000, 0), (7_999, 16_000), (16_000, 48_001), (96_000, 48_000)] {
            assert_eq!(ResamplePlan::new(from, to), Err(ResampleError::Rate { from, to }));
        }
        assert!(ResamplePlan::new(8_000, 48_000).is_ok());
        assert!(ResamplePlan::new(48_000, 8_000).is_ok());
    }

    #[test]
    fn ratios_are_reduced() {
        let p = |a, b| {
            let p = ResamplePlan::new(a, b).unwrap();
            (p.up(), p.down())
        };
        assert_eq!(p(44_100, 16_000), (160, 441));
        assert_eq!(p(48_000, 16_000), (1, 3));
        assert_eq!(p(22_050, 16_000), (320, 441));
        assert_eq!(p(8_000, 16_000), (2, 1));
        assert_eq!(p(16_000, 16_000), (1, 1));
        assert!(ResamplePlan::new(16_000, 16_000).unwrap().is_identity());
    }

    #[test]
    fn output_length_is_the_ceiling() {
        let p = ResamplePlan::new(44_100, 16_000).unwrap();
        assert_eq!(p.output_len(0), 0);
        assert_eq!(p.output_len(1), 1);
        assert_eq!(p.output_len(441), 160);
        assert_eq!(p.output_len(442), 161);
    }

    #[test]
    fn bessel_i0_matches_known_values() {
        // Abramowitz & Stegun table 9.8: I0(1) = 1.266065878, I0(5) = 27.23987182.
        assert!((bessel_i0(1.0) - 1.266_065_878).abs() < 1e-9);
        assert!((bessel_i0(5.0) - 27.239_871_82).abs() < 1e-7);
        assert_eq!(bessel_i0(0.0), 1.0);
    }

    #[test]
    fn every_phase_has_unit_dc_gain_and_is_symmetric_with_its_mirror() {
        let plan = ResamplePlan::new(44_100, 16_000).unwrap();
        let mut taps = alloc_taps(&plan);
        plan.fill_taps(&mut taps).unwrap();
        let n = plan.taps_per_phase();
        for row in taps.chunks_exact(n) {
            let s: f64 = row.iter().map(|&t| t as f64).sum();
            assert!((s - 1.0).abs() < 1e-5, "{s}");
        }
        // Phase 0 sits on an input sample: its taps mirror about it (tap half−1 is the centre).
        let row0 = &taps[..n];
        let c = n / 2 - 1;
        for k in 1..c {
            assert_eq!(row0[c - k], row0[c + k]);
        }
        // A phase too short is a typed error, not a panic.
        assert_eq!(plan.fill_taps(&mut taps[..10]), Err(ResampleError::Storage { expected: plan.taps_len(), got: 10 }));
    }

    fn alloc_taps(plan: &ResamplePlan) -> std::vec::Vec<f32> {
        std::vec![0.0; plan.taps_len()]
    }
}
