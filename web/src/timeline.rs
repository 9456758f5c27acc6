//! What the live view shows of the stream: how many frames the ring keeps (the history length, in seconds), how
//! many of the newest it draws (the time zoom), and which frame and band lie under the cursor. Kept apart from the
//! canvas code so the arithmetic the cursor depends on is tested on the host.

/// History lengths offered, in seconds.
pub const HISTORY_SECONDS: [u32; 4] = [5, 10, 30, 60];

/// Time zooms offered: 1× shows the whole history, 4× its newest quarter.
pub const ZOOMS: [u32; 3] = [1, 2, 4];

/// The live view's time window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeline {
    /// History kept, in seconds.
    pub seconds: u32,
    /// Time zoom (1, 2, 4): the view shows the newest `1/zoom` of the history.
    pub zoom: u32,
}

impl Default for Timeline {
    fn default() -> Timeline {
        Timeline { seconds: 10, zoom: 1 }
    }
}

impl Timeline {
    /// Frames the ring keeps at `hop_length` samples per frame (at least one, so a bad config cannot empty it).
    pub fn kept(&self, sample_rate: u32, hop_length: u32) -> usize {
        let frames = u64::from(self.seconds) * u64::from(sample_rate) / u64::from(hop_length.max(1));
        usize::try_from(frames).unwrap_or(usize::MAX).max(1)
    }

    /// Frames the ring keeps: the history plus one second, so the cursor still finds the oldest column drawn when
    /// frames arrived after the last draw.
    pub fn ring(&self, sample_rate: u32, hop_length: u32) -> usize {
        let second = Timeline { seconds: 1, zoom: 1 }.kept(sample_rate, hop_length);
        self.kept(sample_rate, hop_length).saturating_add(second)
    }

    /// Frames drawn, one canvas column each: the newest `kept / zoom`.
    pub fn shown(&self, sample_rate: u32, hop_length: u32) -> usize {
        (self.kept(sample_rate, hop_length) / self.zoom.max(1) as usize).max(1)
    }
}

/// How many frames before the newest drawn one the column at `fx` (0 = left edge, 1 = right edge of the canvas)
/// shows, when `shown` columns are drawn with the newest at the right edge. `None` off the canvas.
pub fn frames_back(fx: f64, shown: usize) -> Option<usize> {
    if !(0.0..=1.0).contains(&fx) || shown == 0 {
        return None;
    }
    Some((((1.0 - fx) * shown as f64).floor() as usize).min(shown - 1))
}

/// The band at `fy` (0 = top, 1 = bottom) of `rows` bands drawn with the lowest at the bottom. `None` off the canvas.
pub fn band_at(fy: f64, rows: usize) -> Option<usize> {
    if !(0.0..=1.0).contains(&fy) || rows == 0 {
        return None;
    }
    Some((((1.0 - fy) * rows as f64).floor() as usize).min(rows - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_and_shown_follow_seconds_zoom_and_hop() {
        let ten = Timeline::default();
        assert_eq!((ten.kept(16_000, 160), ten.shown(16_000, 160), ten.ring(16_000, 160)), (1000, 1000, 1100));
        let zoomed = Timeline { seconds: 10, zoom: 4 };
        assert_eq!((zoomed.kept(16_000, 160), zoomed.shown(16_000, 160)), (1000, 250));
        let long = Timeline { seconds: 60, zoom: 2 };
        assert_eq!((long.kept(16_000, 512), long.shown(16_000, 512)), (1875, 937));
        // A zero hop or zoom never divides by zero nor empties the view.
        let odd = Timeline { seconds: 5, zoom: 0 };
        assert_eq!((odd.kept(16_000, 0), odd.shown(1, 16_000)), (80_000, 1));
    }

    #[test]
    fn cursor_maps_columns_to_frames_and_bands() {
        // Right edge: the newest frame; left edge: the oldest drawn one.
        assert_eq!(frames_back(1.0, 500), Some(0));
        assert_eq!(frames_back(0.0, 500), Some(499));
        assert_eq!(frames_back(0.5, 500), Some(250));
        assert_eq!(frames_back(0.001, 125), Some(124));
        assert_eq!(frames_back(-0.1, 500), None);
        assert_eq!(frames_back(0.5, 0), None);
        assert_eq!(band_at(1.0, 64), Some(0));
        assert_eq!(band_at(0.0, 64), Some(63));
        assert_eq!(band_at(0.5, 40), Some(20));
        assert_eq!(band_at(1.5, 64), None);
    }
}
