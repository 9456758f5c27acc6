//! The reference's window: a half-sample-shifted Hann, `0.5 − 0.5·cos(2π(i + ½)/N)`, quantised to Q12
//! (`kFrontendWindowBits`), applied in int32 and shifted back (`window.c`, `window_util.c`).

/// `kFrontendWindowBits`.
pub const WINDOW_BITS: u32 = 12;

/// The Q12 coefficients, from the reference's own formula in its own precision (f32 throughout,
/// `floorf(v · 4096 + 0.5)`). Built once with the front end; the per-frame path is integer only.
pub fn coefficients(out: &mut [i16]) {
    let n = out.len();
    let arg = core::f32::consts::PI * 2.0 / n as f32;
    for (i, c) in out.iter_mut().enumerate() {
        let v = 0.5f32 - 0.5f32 * libm::cosf(arg * (i as f32 + 0.5));
        *c = libm::floorf(v * (1 << WINDOW_BITS) as f32 + 0.5) as i16;
    }
}

/// Windows `input` into `out` and returns the largest magnitude, both as `WindowProcessSamples` computes them
/// (including its int16 wrap-around: −32768 stays −32768 and does not count as the maximum).
pub fn apply(input: &[i16], coefficients: &[i16], out: &mut [i16]) -> i16 {
    let mut max_abs = 0i16;
    for ((x, c), o) in input.iter().zip(coefficients).zip(out.iter_mut()) {
        let v = ((*x as i32 * *c as i32) >> WINDOW_BITS) as i16;
        *o = v;
        let a = v.wrapping_neg().max(v);
        if a > max_abs {
            max_abs = a;
        }
    }
    max_abs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hann_is_symmetric_and_peaks_at_one_in_q12() {
        let mut c = [0i16; 480];
        coefficients(&mut c);
        assert_eq!(c[239], 4096);
        assert_eq!(c[0], 0);
    }
}
