//! Seeded, counter-based dither: the noise added to frame `t` depends only on (seed, t, sample), so it is the same
//! whether the frame was computed in a stream, offline or in a batch lane.

/// SplitMix64 finaliser: a well-mixed 64-bit hash of a counter.
#[inline]
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The noise key of frame `t`.
pub fn key(seed: u64, t: u64) -> u64 {
    mix(seed ^ mix(t.wrapping_add(0x9e37_79b9_7f4a_7c15)))
}

/// Sample `i` of the N(0, 1) noise of the frame with `key`. The Gaussian is Irwin–Hall: twelve uniforms minus six
/// (variance exactly 1), which needs no transcendental function and so is bit-exact everywhere.
pub fn gaussian(key: u64, i: usize) -> f32 {
    let mut sum = 0.0f32;
    for j in 0..6u64 {
        // Two 24-bit uniforms from each 64-bit draw.
        let r = mix(key.wrapping_add((i as u64) * 6 + j));
        sum += (r >> 40) as f32 * (1.0 / 16_777_216.0);
        sum += ((r >> 8) & 0xff_ffff) as f32 * (1.0 / 16_777_216.0);
    }
    sum - 6.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_variance_zero_mean_and_repeatable() {
        let noise = |t| core::array::from_fn::<f32, 4000, _>(|i| gaussian(key(7, t), i));
        let a = noise(3);
        let mean = a.iter().map(|&v| v as f64).sum::<f64>() / a.len() as f64;
        let var = a.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / a.len() as f64;
        assert!(mean.abs() < 0.05 && (var - 1.0).abs() < 0.08, "mean {mean} var {var}");
        assert_eq!(a, noise(3));
        assert_ne!(a, noise(4));
    }
}
