//! Cross-target conformance: the same presets on the same generated signals must hash the same everywhere.
#![no_std]

/// Calls `report(name, hash)` once per preset (PLACEHOLDER body, replaced when the pipeline lands).
pub fn run(report: &mut dyn FnMut(&str, u64)) {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for i in 0..1000u32 {
        let x = (i as f32) * 0.37;
        h = (h ^ u64::from(x.to_bits())).wrapping_mul(0x0000_0100_0000_01b3);
    }
    report("placeholder", h);
}

/// One streaming `yamnet` frame (512-point FFT, 64 mels, log): the body the Cortex-M33 instruction count measures
/// (PLACEHOLDER body, replaced when the pipeline lands). Returns a value derived from the output so nothing is
/// optimised away.
#[inline(never)]
pub fn yamnet_frame() -> f32 {
    let mut acc = 0.0f32;
    for i in 0..512u32 {
        acc += (i as f32) * 0.5;
    }
    acc
}
