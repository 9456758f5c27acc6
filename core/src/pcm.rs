//! The one rule that turns other sample formats into int16 PCM, for every front end that takes int16.
//!
//! **Float → int16:** `clip(x · 32768, −32768, 32767)`, then truncated toward zero. This is what microWakeWord does
//! before calling the TFLite Micro front end (`np.clip(x * 32768, -32768, 32767).astype(np.int16)` in its
//! `generate_features_for_clip`), so a model trained on float clips sees the same int16 samples here. NaN has no
//! int16 value and is refused; ±∞ clip like any other out-of-range value would, but are refused too, because a
//! non-finite sample is a bug upstream, not loud audio.
//!
//! **24-bit I2S words → int16:** the word is a signed 24-bit sample `s` (what the node's PIO program shifts in),
//! worth `s / 2^23` in [-1, 1); the float rule then gives `trunc(s / 256)`. Computing that on the integer directly
//! gives the same bits without a float: Rust's `/` truncates toward zero, as the float rule does.

/// The float rule for one sample; `None` for NaN or ±∞.
#[inline]
pub fn f32_to_i16(x: f32) -> Option<i16> {
    if !x.is_finite() {
        return None;
    }
    // x · 32768 is exact in f32 (a power of two); `as` truncates toward zero and saturates, which is the clip.
    Some((x * 32768.0).clamp(-32768.0, 32767.0) as i16)
}

/// Converts a whole signal with [`f32_to_i16`]; `Err(index)` names the first NaN or infinite sample.
pub fn f32_slice_to_i16(input: &[f32], out: &mut [i16]) -> Result<(), usize> {
    for (i, (&x, o)) in input.iter().zip(out.iter_mut()).enumerate() {
        *o = f32_to_i16(x).ok_or(i)?;
    }
    Ok(())
}

/// A signed 24-bit sample held in the low 24 bits of `word` (the top 8 bits are ignored) as int16, by the float
/// rule: `trunc(s / 256)`.
#[inline]
pub fn i24_to_i16(word: u32) -> i16 {
    // Sign-extend the low 24 bits.
    let s = ((word << 8) as i32) >> 8;
    (s / 256) as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_rule_clips_then_truncates_toward_zero() {
        assert_eq!(f32_to_i16(0.0), Some(0));
        assert_eq!(f32_to_i16(1.0), Some(32767));
        assert_eq!(f32_to_i16(-1.0), Some(-32768));
        assert_eq!(f32_to_i16(3.5), Some(32767));
        assert_eq!(f32_to_i16(-7.0), Some(-32768));
        // 1.9 LSB and -1.9 LSB both truncate toward zero.
        assert_eq!(f32_to_i16(1.9 / 32768.0), Some(1));
        assert_eq!(f32_to_i16(-1.9 / 32768.0), Some(-1));
        assert_eq!(f32_to_i16(f32::NAN), None);
        assert_eq!(f32_to_i16(f32::INFINITY), None);
    }

    #[test]
    fn i24_words_follow_the_float_rule() {
        for s in [-8_388_608i32, -8_388_607, -65_536, -257, -256, -255, -1, 0, 1, 255, 256, 257, 8_388_607] {
            let word = (s as u32) & 0x00ff_ffff;
            let via_float = f32_to_i16(s as f32 / 8_388_608.0).unwrap();
            assert_eq!(i24_to_i16(word), via_float, "{s}");
            // The top byte is ignored.
            assert_eq!(i24_to_i16(word | 0xab00_0000), via_float);
        }
    }
}
