//! Whole-signal extraction (needs `alloc`): frames are gathered straight from the signal and computed eight at a
//! time in [`F32x8`] lanes, then utterance normalisation (if any) and the per-frame finish. Each lane does exactly
//! the scalar operations, so every frame is bit-identical to the streaming pipeline's.

use alloc::vec;
use alloc::vec::Vec;

use crate::config::{Config, Normalize, Scalars};
use crate::error::Error;
use crate::frame;
use crate::framing::{Geometry, padded};
use crate::lane::{F32x8, Lane};
use crate::plan::Plan;
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
            source.gather(t0..t0 + lanes, &mut lane_frame, work.fft_in, each);
            let energy = frame::prepare(plan, &tables, &mut work, t0 as u64);
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
            for l in 0..lanes {
                let dst = &mut bands[(t0 + l) * n_bands..][..n_bands];
                for (d, v) in dst.iter_mut().zip(&row) {
                    *d = v.lane(l);
                }
                energies[t0 + l] = energy.lane(l);
            }
        }

        if let Normalize::Utterance { range } = cfg.normalize {
            let floor = bands.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v)) - range;
            for v in bands.iter_mut() {
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

/// Sees one gathered frame: its lane and its samples.
pub(crate) type LaneFrameFn<'a> = &'a mut dyn FnMut(usize, &[f32]);

/// Where batch frames come from: a whole signal, its framing, and the input scale.
pub(crate) struct Source<'a> {
    pub signal: &'a [f32],
    pub geometry: &'a Geometry,
    pub scale: f32,
}

impl Source<'_> {
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
        if each.is_none() && lanes == F32x8::WIDTH {
            // Eight frames wholly inside the signal: transpose them in one pass.
            if let [Some(a), Some(b), Some(c), Some(d), Some(e), Some(f), Some(h), Some(i)] =
                core::array::from_fn(frame_at)
            {
                for (j, v) in dst[..g.span].iter_mut().enumerate() {
                    *v = F32x8::from_array([a[j], b[j], c[j], d[j], e[j], f[j], h[j], i[j]]);
                }
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
