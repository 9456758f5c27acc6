//! Colour for a feature value: the dB window (floor/ceiling) picks a position, a 256-entry map gives RGB.

/// Viridis control points (every 1/8 of the range), interpolated linearly: close to matplotlib's map, readable in
/// greyscale and by colour-blind viewers.
const VIRIDIS: [[u8; 3]; 9] = [
    [68, 1, 84],
    [71, 44, 122],
    [59, 81, 139],
    [44, 113, 142],
    [33, 144, 141],
    [39, 173, 129],
    [92, 200, 99],
    [170, 220, 50],
    [253, 231, 37],
];

/// A 256-colour lookup table.
pub struct Colormap {
    lut: [[u8; 3]; 256],
}

impl Colormap {
    /// The viridis table.
    pub fn viridis() -> Colormap {
        let mut lut = [[0u8; 3]; 256];
        for (i, rgb) in lut.iter_mut().enumerate() {
            let x = i as f32 / 255.0 * 8.0;
            let k = (x as usize).min(7);
            let t = x - k as f32;
            for c in 0..3 {
                let (a, b) = (f32::from(VIRIDIS[k][c]), f32::from(VIRIDIS[k + 1][c]));
                rgb[c] = (a + (b - a) * t).round() as u8;
            }
        }
        Colormap { lut }
    }

    /// The colour of `value` inside `[floor, ceiling]` (clamped; NaN shows as the floor colour).
    pub fn rgb(&self, value: f32, floor: f32, ceiling: f32) -> [u8; 3] {
        self.lut[index(value, floor, ceiling)]
    }
}

/// Position of `value` in the window, 0..=255.
pub fn index(value: f32, floor: f32, ceiling: f32) -> usize {
    let span = ceiling - floor;
    if span.is_nan() || span <= 0.0 {
        return 0;
    }
    let t = ((value - floor) / span).clamp(0.0, 1.0);
    if t.is_nan() { 0 } else { (t * 255.0).round() as usize }
}

/// A log-mel value as dB of power, whatever the preset's compression: the affine step is undone, then `ln`/`log10`
/// are rescaled (×2 for magnitude spectra), so one floor/ceiling slider pair reads the same for every preset.
pub fn to_db(value: f32, config: &stapes_core::Config) -> f32 {
    use stapes_core::config::{Log, SpectrumKind};
    let raw = if config.affine.mul != 0.0 { value / config.affine.mul - config.affine.add } else { value };
    let power = if config.spectrum == SpectrumKind::Magnitude { 2.0 } else { 1.0 };
    match config.log {
        Log::Ln { .. } => raw * 10.0 * core::f32::consts::LOG10_E * power,
        Log::Log10 { .. } => raw * 10.0 * power,
        Log::Db { .. } => raw,
        Log::None => 10.0 * raw.max(1e-10).log10() * power,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_maps_ends_and_clamps() {
        let map = Colormap::viridis();
        assert_eq!(map.rgb(-80.0, -80.0, 0.0), VIRIDIS[0]);
        assert_eq!(map.rgb(0.0, -80.0, 0.0), VIRIDIS[8]);
        assert_eq!(map.rgb(10.0, -80.0, 0.0), VIRIDIS[8]);
        assert_eq!(map.rgb(f32::NAN, -80.0, 0.0), VIRIDIS[0]);
        assert_eq!(index(-40.0, -80.0, 0.0), 128);
        // An empty or inverted window does not divide by zero.
        assert_eq!(index(1.0, 0.0, 0.0), 0);
    }

    #[test]
    fn db_of_each_compression() {
        let yamnet = stapes_core::preset("yamnet").unwrap(); // ln of magnitude
        assert!((to_db(core::f32::consts::LN_10, &yamnet) - 20.0).abs() < 1e-4);
        let whisper = stapes_core::preset("whisper-80").unwrap(); // (log10(power) + 4) / 4
        assert!((to_db(0.0, &whisper) + 40.0).abs() < 1e-4);
        let librosa = stapes_core::preset("librosa-mel").unwrap(); // already dB
        assert_eq!(to_db(-12.5, &librosa), -12.5);
    }
}
