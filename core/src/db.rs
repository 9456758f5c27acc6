//! librosa's `power_to_db` over a whole array, in lanes: the decibel step of a preset's pipeline ([`Log::Db`]
//! then the utterance clamp of [`Normalize::Utterance`](crate::config::Normalize)) on values computed elsewhere, so
//! that `power_to_db(melspectrogram(...))` through `stapes.compat.librosa` runs at the fused extraction's speed and
//! gives its bits.

use alloc::vec::Vec;

use crate::config::Log;
use crate::error::{ConfigError, Error};
use crate::frame::Compression;
use crate::lane::{Batch, BatchJob, dispatch};
use crate::offline::clamp_values;
use crate::stream::first_non_finite;

/// `x ← 10·log10(max(x, amin)) − 10·log10(max(reference, amin))` for every value, then with `top_db`,
/// `x ← max(x, max(all) − top_db)`: librosa's `power_to_db(S, ref=reference, amin=amin, top_db=top_db)` (a callable
/// `ref` such as `np.max` is evaluated by the caller first). The same operations in the same order as a preset
/// with `log: db` and `normalize: utterance`, so the same bits as that fused extraction on the same power values.
///
/// Refuses `amin` not finite and positive, `reference` not finite, `top_db` not finite and non-negative, and
/// NaN or infinite values (naming the first; librosa would carry them through), changing nothing then.
pub fn power_to_db(values: &mut [f32], amin: f32, reference: f32, top_db: Option<f32>) -> Result<(), Error> {
    if !(amin.is_finite() && amin > 0.0) {
        return Err(Error::Config(ConfigError::NotPositive("amin")));
    }
    if !reference.is_finite() {
        return Err(Error::Config(ConfigError::NotFinite("ref")));
    }
    if top_db.is_some_and(|t| !(t.is_finite() && t >= 0.0)) {
        return Err(Error::Config(ConfigError::NotFinite("top_db")));
    }
    if let Some(index) = first_non_finite(values) {
        return Err(Error::NonFinite { index });
    }
    // The preset path's constants: `ln(max(reference, amin))` scaled to dB, made once.
    let Some(compression) = Compression::of(Log::Db { amin, reference: reference.abs() }) else {
        unreachable!("Log::Db compresses")
    };
    dispatch(Decibels { values, compression, top_db });
    Ok(())
}

/// One array's decibels, run by [`dispatch`] in the lanes chosen for the process.
struct Decibels<'a> {
    values: &'a mut [f32],
    compression: Compression,
    top_db: Option<f32>,
}

/// Lane vectors converted per block: the log's constants are made once per block, and a block's lowest value
/// decides whether the clamp has to read it back.
const BLOCK: usize = 32;

impl BatchJob for Decibels<'_> {
    type Output = ();

    #[cfg_attr(all(target_arch = "x86_64", not(debug_assertions)), inline(always))]
    fn run<B: Batch>(self) {
        let Decibels { values, compression, top_db } = self;
        let width = B::WIDTH;
        let mut buf = [B::default(); BLOCK];
        let (mut high, mut lows) =
            (B::splat(f32::NEG_INFINITY), Vec::with_capacity(values.len() / (BLOCK * width) + 1));
        let mut blocks = values.chunks_exact_mut(BLOCK * width);
        for block in &mut blocks {
            for (v, o) in buf.iter_mut().zip(block.chunks_exact(width)) {
                *v = B::from_array(core::array::from_fn(|i| o[i]));
            }
            compression.apply(&mut buf);
            let mut low = B::splat(f32::INFINITY);
            for (v, o) in buf.iter().zip(block.chunks_exact_mut(width)) {
                o.copy_from_slice(&v.to_array());
                (high, low) = (high.max_lanes(*v), low.min_lanes(*v));
            }
            lows.push(low.to_array().into_iter().fold(f32::INFINITY, f32::min));
        }
        // Each lane does the scalar operations, so the tail in `f32` gives the same bits as it would in lanes.
        let tail = blocks.into_remainder();
        compression.apply(tail);
        let Some(range) = top_db else { return };
        // `max` is exact in any order, as the fused path's running extent is.
        let max = tail.iter().copied().fold(high.to_array().into_iter().fold(f32::NEG_INFINITY, f32::max), f32::max);
        let floor = max - range;
        // Only blocks holding a value below the floor are read back (`max(x, floor)` is `x` everywhere else).
        for (block, low) in values.chunks_exact_mut(BLOCK * width).zip(lows) {
            if low < floor {
                clamp_values::<B>(block, floor);
            }
        }
        clamp_values::<B>(tail_of(values, BLOCK * width), floor);
    }
}

/// The values after the last whole block of `block` values.
fn tail_of(values: &mut [f32], block: usize) -> &mut [f32] {
    let whole = values.len() / block * block;
    &mut values[whole..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Normalize;
    use crate::{extract, preset};

    /// A librosa-mel extraction with its dB and clamp switched off, put through `power_to_db`, is the fused
    /// extraction bit for bit (the eight-wide body and the tail alike: 61 bands make the count no multiple of 8).
    #[test]
    fn the_mel_power_through_power_to_db_is_the_fused_extraction() {
        let mut fused = preset("librosa-mel").expect("a preset");
        fused.mel.as_mut().expect("librosa-mel has a mel bank").n_mels = 61;
        let Log::Db { amin, reference } = fused.log else { panic!("librosa-mel is in dB") };
        let Normalize::Utterance { range } = fused.normalize else { panic!("librosa-mel clamps at top_db") };
        let mut power = fused.clone();
        power.log = Log::None;
        power.normalize = Normalize::None;
        let x: Vec<f32> = (0..22_050 * 2 + 1_289)
            .map(|i| ((i * 7919 % 1000) as f32 / 500.0 - 1.0) * 0.3 * (i as f32 * 0.001).sin())
            .collect();
        let want = extract(&fused, &x).expect("fused");
        let mut got = extract(&power, &x).expect("power").data;
        assert_ne!(got.len() % 8, 0);
        power_to_db(&mut got, amin, reference, Some(range)).expect("finite");
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert!(bits(&got) == bits(&want.data), "power_to_db differs from the fused dB");
    }

    #[test]
    fn bad_arguments_and_values_are_refused_and_change_nothing() {
        let mut v = [1.0f32, 0.5, f32::NAN, 2.0];
        assert_eq!(power_to_db(&mut v, 1e-10, 1.0, None), Err(Error::NonFinite { index: 2 }));
        assert_eq!(v[..2], [1.0, 0.5]);
        let mut v = [1.0f32; 3];
        assert!(power_to_db(&mut v, 0.0, 1.0, None).is_err());
        assert!(power_to_db(&mut v, 1e-10, f32::INFINITY, None).is_err());
        assert!(power_to_db(&mut v, 1e-10, 1.0, Some(-1.0)).is_err());
        assert_eq!(v, [1.0; 3]);
        // Zero, negative and tiny values clamp to amin; a zero reference counts as amin, as in librosa.
        let mut v = [0.0f32, -3.0, 1e-12, 1.0];
        power_to_db(&mut v, 1e-10, 0.0, None).expect("finite");
        assert_eq!(v[..3], [0.0, 0.0, 0.0]);
        assert!((v[3] - 100.0).abs() < 1e-4, "{}", v[3]);
        let mut empty: [f32; 0] = [];
        power_to_db(&mut empty, 1e-10, 1.0, Some(80.0)).expect("nothing to do");
    }
}
