//! Whole-signal extraction (needs `alloc`): frames are gathered straight from the signal and computed eight at a
//! time in [`F32x8`] lanes, then utterance normalisation (if any) and the per-frame finish. Each lane does exactly
//! the scalar operations, so every frame is bit-identical to the streaming pipeline's.

use alloc::vec;
use alloc::vec::Vec;

use crate::config::{Config, Normalize, Scalars};
use crate::error::Error;
use crate::frame;
use crate::frame::Work;
use crate::framing::{Geometry, padded};
use crate::lane::{F32x8, Lane};
use crate::plan::{Plan, Tables};
use crate::scalars::{self, ScalarInput};
use crate::stream::{first_non_finite, geometry, spectral_scalars};

/// Features of a whole signal, frame-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Features {
    /// Number of frames.
    pub n_frames: usize,
    /// Values per frame.
    pub n_features: usize,
    /// `n_frames × n_features`, frame after frame.
    pub data: Vec<f32>,
    /// Scalars per frame (see [`Scalars::NAMES`] for the order).
    pub n_scalars: usize,
    /// `n_frames × n_scalars`, frame after frame.
    pub scalars: Vec<f32>,
}

/// A reusable offline extractor: the plan and tables are built once, then any number of signals are extracted.
#[derive(Clone, Debug)]
pub struct Extractor {
    pub(crate) plan: Plan,
    pub(crate) tables: Vec<f32>,
}

impl Extractor {
    /// Validates `config` and builds its tables.
    pub fn new(config: &Config) -> Result<Self, Error> {
        let plan = Plan::new(config)?;
        let mut tables = vec![0.0; plan.tables_len()];
        plan.fill_tables(&mut tables)?;
        Ok(Extractor { plan, tables })
    }

    /// The config.
    pub fn config(&self) -> &Config {
        self.plan.config()
    }

    /// Features of `signal`. Refuses NaN or infinite samples (naming the first).
    pub fn extract(&self, signal: &[f32]) -> Result<Features, Error> {
        if let Some(index) = first_non_finite(signal) {
            return Err(Error::NonFinite { index });
        }
        let plan = &self.plan;
        let cfg = plan.config();
        let tables = plan.tables(&self.tables);
        let g = geometry(cfg);
        let n_frames = g.frames(signal.len() as u64) as usize;
        let (n_bands, n_features) = (plan.n_bands, cfg.n_features());
        let n_scalars = cfg.scalars.count();
        let bins = plan.fft().bins();

        let mut work_buf = vec![F32x8::default(); plan.work_len()];
        let mut work = plan.work(&mut work_buf);
        let mut row = vec![F32x8::default(); n_bands];
        let mut bands = vec![0.0f32; n_frames * n_bands];
        let mut energies = vec![0.0f32; n_frames];
        let mut scalar_out = vec![0.0f32; n_frames * n_scalars];
        let (mut lane_frame, mut spec, mut mag, mut prev_mag) =
            (vec![0.0; g.span], vec![0.0; bins], vec![0.0; bins], vec![0.0; bins]);
        let time_select = Scalars { rms: cfg.scalars.rms, zcr: cfg.scalars.zcr, ..Default::default() };
        let n_time = time_select.count();

        for t0 in (0..n_frames).step_by(F32x8::WIDTH) {
            let lanes = (n_frames - t0).min(F32x8::WIDTH);
            let mut time_scalars = |l: usize, frame: &[f32]| {
                let input = ScalarInput { frame, mag: &[], prev_mag: &[], bin_hz: 0.0 };
                scalars::compute(&time_select, &input, &mut scalar_out[(t0 + l) * n_scalars..]);
            };
            let each: Option<LaneFrameFn<'_>> = if n_time > 0 { Some(&mut time_scalars) } else { None };
            let source = Source { signal, geometry: &g, scale: cfg.input_scale };
            let energy = source.prepare(plan, &tables, t0..t0 + lanes, &mut lane_frame, &mut work, each);
            frame::spectrum(plan, &tables, &mut work);
            if n_scalars > n_time {
                for l in 0..lanes {
                    for (s, v) in spec.iter_mut().zip(work.spec.iter()) {
                        *s = v.lane(l);
                    }
                    let out = &mut scalar_out[(t0 + l) * n_scalars + n_time..][..n_scalars - n_time];
                    spectral_scalars(plan, &spec, &mut mag, &mut prev_mag, out);
                }
            }
            frame::compress(plan, &tables, work.spec, &mut row);
            if lanes == F32x8::WIDTH {
                F32x8::scatter_rows(&row, &mut bands[t0 * n_bands..], n_bands);
            } else {
                for l in 0..lanes {
                    let dst = &mut bands[(t0 + l) * n_bands..][..n_bands];
                    for (d, v) in dst.iter_mut().zip(&row) {
                        *d = v.lane(l);
                    }
                }
            }
            for l in 0..lanes {
                energies[t0 + l] = energy.lane(l);
            }
        }

        if let Normalize::Utterance { range } = cfg.normalize {
            let floor = utterance_max(&bands) - range;
            let mut octets = bands.chunks_exact_mut(F32x8::WIDTH);
            for o in &mut octets {
                let v = F32x8::from_array(core::array::from_fn(|i| o[i])).max_with(floor);
                o.copy_from_slice(&v.to_array());
            }
            for v in octets.into_remainder() {
                *v = v.max(floor);
            }
        }

        let mut data = vec![0.0f32; n_frames * n_features];
        for ((row, out), &energy) in
            bands.chunks_exact_mut(n_bands).zip(data.chunks_exact_mut(n_features)).zip(&energies)
        {
            frame::finish(plan, &tables, row, energy, out);
        }
        Ok(Features { n_frames, n_features, data, n_scalars, scalars: scalar_out })
    }
}

/// The largest value (NaNs ignored, as `f32::max` does), eight running maxima at a time: the maximum of a set
/// does not depend on the order it is taken in, so this equals the sequential fold.
fn utterance_max(values: &[f32]) -> f32 {
    let mut octets = values.chunks_exact(F32x8::WIDTH);
    let mut acc = [f32::NEG_INFINITY; 8];
    for o in &mut octets {
        for (a, &v) in acc.iter_mut().zip(o) {
            *a = a.max(v);
        }
    }
    octets.remainder().iter().chain(&acc).fold(f32::NEG_INFINITY, |m, &v| m.max(v))
}

/// Sees one gathered frame: its lane and its samples.
pub(crate) type LaneFrameFn<'a> = &'a mut dyn FnMut(usize, &[f32]);

/// Where batch frames come from: a whole signal, its framing, and the input scale.
pub(crate) struct Source<'a> {
    pub signal: &'a [f32],
    pub geometry: &'a Geometry,
    pub scale: f32,
}

impl Source<'_> {
    /// Frames `frames` (at most eight) of the padded signal, ready for the FFT in the lanes of `work.fft_in`:
    /// [`Source::gather`] then [`frame::prepare`], except that eight whole frames needing only the window are
    /// windowed while they are transposed (the same products, one pass fewer). Returns `prepare`'s log energy.
    pub(crate) fn prepare(
        &self,
        plan: &Plan,
        tables: &Tables<'_>,
        frames: core::ops::Range<usize>,
        lane_frame: &mut [f32],
        work: &mut Work<'_, F32x8>,
        each: Option<LaneFrameFn<'_>>,
    ) -> F32x8 {
        if each.is_none()
            && frame::windows_directly(plan)
            && let Some(rows) = self.whole_frames(frames.clone())
        {
            let (woff, w) = (plan.woff, tables.window);
            let rows = rows.map(|r| &r[woff..woff + w.len()]);
            F32x8::gather_rows(rows, Some(w), &mut work.fft_in[woff..woff + w.len()]);
            work.fft_in[..woff].fill(F32x8::default());
            work.fft_in[woff + w.len()..].fill(F32x8::default());
            return F32x8::default();
        }
        self.gather(frames.clone(), lane_frame, work.fft_in, each);
        frame::prepare(plan, tables, work, frames.start as u64)
    }

    /// The samples of frames `frames` if there are eight and all lie wholly inside the signal (no padding).
    fn whole_frames(&self, frames: core::ops::Range<usize>) -> Option<[&[f32]; 8]> {
        let g = self.geometry;
        let frame_at = |l: usize| {
            let start = ((frames.start + l) * g.hop).checked_sub(g.pad)?;
            self.signal.get(start..start + g.span)
        };
        if frames.len() != F32x8::WIDTH {
            return None;
        }
        let rows: [Option<&[f32]>; 8] = core::array::from_fn(frame_at);
        rows.iter().all(Option::is_some).then(|| rows.map(Option::unwrap_or_default))
    }

    /// Copies frames `frames` (at most eight) of the padded signal, scaled, into the lanes of `dst` (the lanes
    /// after them get silence, their results are discarded); `each(lane, samples)`, if given, sees every real
    /// frame's samples.
    pub(crate) fn gather(
        &self,
        frames: core::ops::Range<usize>,
        lane_frame: &mut [f32],
        dst: &mut [F32x8],
        mut each: Option<LaneFrameFn<'_>>,
    ) {
        let Source { signal, geometry: g, scale } = *self;
        let (t0, lanes) = (frames.start, frames.len());
        let frame_at = |l: usize| ((t0 + l) * g.hop).checked_sub(g.pad).and_then(|i| signal.get(i..i + g.span));
        if each.is_none() {
            // Eight frames wholly inside the signal: transpose them in one pass.
            if let Some(rows) = self.whole_frames(frames.clone()) {
                F32x8::gather_rows(rows, None, &mut dst[..g.span]);
                // `x · 1` is `x` for finite x, so skipping it changes no bit.
                if scale != 1.0 {
                    for v in dst[..g.span].iter_mut() {
                        *v = *v * F32x8::splat(scale);
                    }
                }
                return;
            }
        }
        for l in 0..F32x8::WIDTH {
            let start = (t0 + l) * g.hop;
            match frame_at(l) {
                Some(inside) if l < lanes => {
                    for (d, &x) in lane_frame.iter_mut().zip(inside) {
                        *d = x * scale;
                    }
                }
                _ => {
                    for (j, d) in lane_frame.iter_mut().enumerate() {
                        let x = if l < lanes { padded(signal, g.pad, g.padding, start + j) } else { 0.0 };
                        *d = x * scale;
                    }
                }
            }
            for (d, &x) in dst.iter_mut().zip(&*lane_frame) {
                d.set_lane(l, x);
            }
            if let Some(each) = each.as_mut().filter(|_| l < lanes) {
                each(l, lane_frame);
            }
        }
    }
}

/// One-shot convenience: features of `signal` under `config`.
pub fn extract(config: &Config, signal: &[f32]) -> Result<Features, Error> {
    Extractor::new(config)?.extract(signal)
}
