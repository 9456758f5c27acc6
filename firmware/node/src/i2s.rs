//! I2S microphone words to normalised samples.

/// Converts 32-bit I2S words holding 24-bit samples left-justified (INMP441, ICS-43434, SPH0645: data in bits
/// 31..8, two's complement) to `[-1, 1)` floats times `gain`. `out` gets `min(words.len(), out.len())` samples;
/// returns that count. Exact: a 24-bit integer and the power-of-two scale are representable in f32.
pub fn i2s_to_f32(words: &[u32], gain: f32, out: &mut [f32]) -> usize {
    let n = words.len().min(out.len());
    for (o, &w) in out.iter_mut().zip(&words[..n]) {
        // Arithmetic shift keeps the sign; the low 8 bits are padding (or noise on some parts).
        let s = (w as i32) >> 8;
        *o = s as f32 * (1.0 / 8_388_608.0) * gain;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::i2s_to_f32;

    #[test]
    fn full_scale_signs_and_padding_bits() {
        let words = [0x7fff_ff00u32, 0x8000_0000, 0x0000_0100, 0xffff_ff00, 0x0000_00ff, 0x4000_0000];
        let mut out = [9.0f32; 8];
        assert_eq!(i2s_to_f32(&words, 1.0, &mut out), 6);
        assert_eq!(out[..6], [8_388_607.0 / 8_388_608.0, -1.0, 1.0 / 8_388_608.0, -1.0 / 8_388_608.0, 0.0, 0.5]);
        assert_eq!(out[6..], [9.0, 9.0]);
        assert_eq!(i2s_to_f32(&words, 2.0, &mut out[..2]), 2);
        assert_eq!(out[..2], [2.0 * 8_388_607.0 / 8_388_608.0, -2.0]);
    }
}
