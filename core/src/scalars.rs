//! Per-frame scalar features (librosa conventions: spectral ones on the magnitude spectrum).

use crate::config::Scalars;
use crate::log::ln;

/// What a frame's scalars are computed from.
pub struct ScalarInput<'a> {
    /// The frame's samples (after `input_scale`, before any other processing): a `span`-long frame.
    pub frame: &'a [f32],
    /// Magnitude spectrum of the frame.
    pub mag: &'a [f32],
    /// Magnitude spectrum of the previous frame (zeros before the first).
    pub prev_mag: &'a [f32],
    /// Hz per FFT bin.
    pub bin_hz: f32,
}

/// Writes the selected scalars, in [`Scalars::NAMES`] order, to the front of `out`; returns how many.
pub fn compute(select: &Scalars, input: &ScalarInput<'_>, out: &mut [f32]) -> usize {
    let mut n = 0;
    let mut put = |v: f32| {
        out[n] = v;
        n += 1;
    };
    let [rms_on, zcr_on, centroid_on, bandwidth_on, rolloff_on, flatness_on, flux_on] = select.flags();
    if rms_on {
        put(rms(input.frame));
    }
    if zcr_on {
        put(zcr(input.frame));
    }
    let total: f32 = input.mag.iter().sum();
    let centroid = centroid(input.mag, total, input.bin_hz);
    if centroid_on {
        put(centroid);
    }
    if bandwidth_on {
        put(bandwidth(input.mag, total, centroid, input.bin_hz));
    }
    if rolloff_on {
        put(rolloff(input.mag, total, input.bin_hz));
    }
    if flatness_on {
        put(flatness(input.mag));
    }
    if flux_on {
        put(input.mag.iter().zip(input.prev_mag).map(|(&m, &p)| (m - p).max(0.0)).sum());
    }
    n
}

fn rms(frame: &[f32]) -> f32 {
    let energy: f32 = frame.iter().map(|&x| x * x).sum();
    crate::sqrt::sqrt(energy / frame.len() as f32)
}

fn zcr(frame: &[f32]) -> f32 {
    // librosa: |x| ≤ 1e-10 counts as 0, and 0 counts as positive.
    let negative = |x: f32| x < -1e-10;
    let crossings = frame.windows(2).filter(|w| negative(w[0]) != negative(w[1])).count();
    crossings as f32 / frame.len() as f32
}

fn centroid(mag: &[f32], total: f32, bin_hz: f32) -> f32 {
    if total <= 0.0 {
        return 0.0;
    }
    let weighted: f32 = mag.iter().enumerate().map(|(k, &m)| k as f32 * bin_hz * m).sum();
    weighted / total
}

fn bandwidth(mag: &[f32], total: f32, centroid: f32, bin_hz: f32) -> f32 {
    if total <= 0.0 {
        return 0.0;
    }
    let spread: f32 = mag
        .iter()
        .enumerate()
        .map(|(k, &m)| {
            let d = k as f32 * bin_hz - centroid;
            m * d * d
        })
        .sum();
    crate::sqrt::sqrt(spread / total)
}

fn rolloff(mag: &[f32], total: f32, bin_hz: f32) -> f32 {
    let threshold = 0.85 * total;
    let mut cumulative = 0.0f32;
    for (k, &m) in mag.iter().enumerate() {
        cumulative += m;
        if cumulative >= threshold {
            return k as f32 * bin_hz;
        }
    }
    (mag.len() - 1) as f32 * bin_hz
}

fn flatness(mag: &[f32]) -> f32 {
    const AMIN: f32 = 1e-10;
    let n = mag.len() as f32;
    let (mut log_sum, mut sum) = (0.0f32, 0.0f32);
    for &m in mag {
        let p = (m * m).max(AMIN);
        log_sum += ln(p);
        sum += p;
    }
    libm::expf(log_sum / n) / (sum / n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_cases() {
        let frame = [1.0, -1.0, 1.0, -1.0];
        assert_eq!(rms(&frame), 1.0);
        assert_eq!(zcr(&frame), 0.75);
        assert_eq!(zcr(&[0.0, -0.0, 1e-11, -1e-11]), 0.0);
        let mag = [0.0, 0.0, 1.0, 0.0];
        assert_eq!(centroid(&mag, 1.0, 10.0), 20.0);
        assert_eq!(bandwidth(&mag, 1.0, 20.0, 10.0), 0.0);
        assert_eq!(rolloff(&mag, 1.0, 10.0), 20.0);
        assert!((flatness(&[1.0; 8]) - 1.0).abs() < 1e-6);
        assert!(flatness(&mag) < 1e-3);
    }
}
