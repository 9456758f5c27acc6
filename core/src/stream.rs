//! The streaming pipeline: push audio chunks of any length, get each frame's features as soon as it is complete.
//! All memory is one caller-owned f32 storage (a static array on the node, a `Vec` elsewhere): no allocator.

use crate::config::Config;
use crate::error::Error;
use crate::frame::{self, Work};
use crate::framing::{FrameFn, Framer, Geometry};
use crate::plan::{Plan, Tables};
use crate::scalars::{self, ScalarInput};

/// One output frame.
#[derive(Clone, Copy, Debug)]
pub struct Frame<'a> {
    /// Frame number since the start of the stream (0-based).
    pub index: u64,
    /// The feature vector (`Config::n_features()` values).
    pub features: &'a [f32],
    /// The selected per-frame scalars, in [`Scalars::NAMES`](crate::config::Scalars::NAMES) order.
    pub scalars: &'a [f32],
}

/// A streaming feature pipeline over storage `S` (`&mut [f32]`, `[f32; N]` or `Vec<f32>`).
pub struct Pipeline<S> {
    plan: Plan,
    geometry: Geometry,
    framer: Framer,
    storage: S,
    /// Lengths of the storage parts after the tables, in carving order.
    parts: [usize; 7],
}

/// The mutable parts of the storage, carved in [`Pipeline::carve`].
struct Parts<'a> {
    tables: Tables<'a>,
    ring: &'a mut [f32],
    head: &'a mut [f32],
    runner: Runner<'a>,
}

/// Everything one frame's computation writes to.
struct Runner<'a> {
    work: Work<'a, f32>,
    row: &'a mut [f32],
    out: &'a mut [f32],
    mag: &'a mut [f32],
    prev_mag: &'a mut [f32],
    scalars: &'a mut [f32],
}

impl<S: AsRef<[f32]> + AsMut<[f32]>> Pipeline<S> {
    /// f32 elements of storage a pipeline for `config` needs.
    pub fn storage_len(config: &Config) -> Result<usize, Error> {
        let plan = Plan::new(config)?;
        Ok(plan.tables_len() + Self::part_lens(&plan).iter().sum::<usize>())
    }

    fn part_lens(plan: &Plan) -> [usize; 7] {
        let g = geometry(plan.config());
        let bins = plan.fft().bins();
        let scalars = plan.config().scalars;
        let spectral = scalars.count() > usize::from(scalars.rms) + usize::from(scalars.zcr);
        let mag = if spectral { bins } else { 0 };
        [
            g.ring_len(),
            g.head_len(),
            plan.work_len(),
            plan.n_bands,
            plan.config().n_features(),
            2 * mag,
            scalars.count(),
        ]
    }

    /// Builds the pipeline for `config` in `storage`. Fails if the config is invalid, normalises over the whole
    /// utterance (not streamable), or the storage is too small.
    pub fn new(config: &Config, mut storage: S) -> Result<Self, Error> {
        let plan = Plan::new(config)?;
        if !config.is_streamable() {
            return Err(Error::NotStreamable);
        }
        let parts = Self::part_lens(&plan);
        let need = plan.tables_len() + parts.iter().sum::<usize>();
        let got = storage.as_ref().len();
        if got < need {
            return Err(Error::Storage { expected: need, got });
        }
        plan.fill_tables(storage.as_mut())?;
        let mut pipeline = Pipeline { geometry: geometry(config), plan, framer: Framer::default(), storage, parts };
        pipeline.reset();
        Ok(pipeline)
    }

    /// Rebuilds the pipeline for another config in the same storage, so a device with one fixed array can change
    /// settings without an allocator. Checks everything first: on error the pipeline is unchanged.
    pub fn reconfigure(&mut self, config: &Config) -> Result<(), Error> {
        let plan = Plan::new(config)?;
        if !config.is_streamable() {
            return Err(Error::NotStreamable);
        }
        let parts = Self::part_lens(&plan);
        let need = plan.tables_len() + parts.iter().sum::<usize>();
        let got = self.storage.as_ref().len();
        if got < need {
            return Err(Error::Storage { expected: need, got });
        }
        if let Err(e) = plan.fill_tables(self.storage.as_mut()) {
            // Unreachable with a validated plan; restore the old tables rather than leave a mixture.
            self.plan.fill_tables(self.storage.as_mut())?;
            return Err(e);
        }
        (self.plan, self.parts, self.geometry) = (plan, parts, geometry(config));
        self.reset();
        Ok(())
    }

    /// The config this pipeline runs.
    pub fn config(&self) -> &Config {
        self.plan.config()
    }

    /// Number of the next frame that will come out.
    pub fn next_index(&self) -> u64 {
        self.framer.next_index()
    }

    /// Forgets the stream so far (tables are kept).
    pub fn reset(&mut self) {
        self.framer = Framer::default();
        self.carve().runner.prev_mag.fill(0.0);
    }

    /// Feeds a chunk of samples (any length, including 0). Calls `emit` for every frame it completes and returns
    /// how many. A chunk with a NaN or infinite sample is refused whole, leaving the stream as it was.
    pub fn push(&mut self, chunk: &[f32], emit: &mut dyn FnMut(Frame<'_>)) -> Result<usize, Error> {
        if let Some(index) = first_non_finite(chunk) {
            return Err(Error::NonFinite { index });
        }
        Ok(self.drive(emit, |framer, g, ring, head, frame| framer.push(g, ring, head, chunk, frame)))
    }

    /// Ends the stream: pads the end as the config says, emits the remaining frames, and resets for a new stream.
    pub fn flush(&mut self, emit: &mut dyn FnMut(Frame<'_>)) -> usize {
        let count = self.drive(emit, |framer, g, ring, head, frame| framer.flush(g, ring, head, frame));
        self.carve().runner.prev_mag.fill(0.0);
        count
    }

    /// Runs `step` on the framer with every frame it completes computed and handed to `emit`; returns how many.
    fn drive(
        &mut self,
        emit: &mut dyn FnMut(Frame<'_>),
        step: impl FnOnce(&mut Framer, &Geometry, &mut [f32], &mut [f32], FrameFn<'_>),
    ) -> usize {
        let Parts { tables, ring, head, mut runner } =
            Self::carve_parts(&self.plan, &self.parts, self.storage.as_mut());
        let plan = &self.plan;
        let mut count = 0;
        step(&mut self.framer, &self.geometry, ring, head, &mut |t, a, b| {
            runner.run(plan, &tables, t, a, b, emit);
            count += 1;
        });
        count
    }

    fn carve(&mut self) -> Parts<'_> {
        Self::carve_parts(&self.plan, &self.parts, self.storage.as_mut())
    }

    fn carve_parts<'a>(plan: &Plan, lens: &[usize; 7], storage: &'a mut [f32]) -> Parts<'a> {
        let (tables, rest) = storage.split_at_mut(plan.tables_len());
        let mut rest = rest;
        let mut take = |len: usize| {
            let (part, tail) = core::mem::take(&mut rest).split_at_mut(len);
            rest = tail;
            part
        };
        let [ring, head, work, row, out, mag, scalars] = *lens;
        let (ring, head, work, row, out) = (take(ring), take(head), take(work), take(row), take(out));
        let (mag, prev_mag) = take(mag).split_at_mut(mag / 2);
        let scalars = take(scalars);
        Parts {
            tables: plan.tables(tables),
            ring,
            head,
            runner: Runner { work: plan.work(work), row, out, mag, prev_mag, scalars },
        }
    }
}

#[cfg(feature = "alloc")]
impl Pipeline<alloc::vec::Vec<f32>> {
    /// Builds the pipeline with storage it allocates itself.
    pub fn new_owned(config: &Config) -> Result<Self, Error> {
        let len = Self::storage_len(config)?;
        Self::new(config, alloc::vec![0.0; len])
    }
}

/// Position of the first NaN or infinity. The common all-finite case is one branch-free pass over a plain sum:
/// a NaN or an infinity makes any sum it enters non-finite (`∞ + x = ∞`, `∞ − ∞ = NaN`, a NaN stays), so a finite
/// sum proves every sample finite. A sum of finite samples that overflows (samples near `f32::MAX`) only sends
/// the search to the exact scan, which then finds nothing. One addition per sample, against a subtraction and an
/// addition for summing `x − x`. Inlined into offline extraction's AVX2 code on x86_64.
#[cfg_attr(all(target_arch = "x86_64", not(debug_assertions)), inline(always))]
#[allow(clippy::eq_op, reason = "s − s is the test")]
pub(crate) fn first_non_finite(samples: &[f32]) -> Option<usize> {
    // Eight sums, one per lane of an eight-wide vector, each taking four samples a step: one vector add into the
    // sums per 32 samples, so the adds' latency does not set the pace (Cortex-M cores, which do not unroll on their
    // own, run the same operations unrolled).
    let (blocks, rest) = samples.as_chunks::<32>();
    let mut acc = [0.0f32; 8];
    for b in blocks {
        for (i, a) in acc.iter_mut().enumerate() {
            *a += (b[i] + b[i + 8]) + (b[i + 16] + b[i + 24]);
        }
    }
    let sum = rest.iter().fold(acc.iter().fold(0.0, |a, &b| a + b), |a, &x| a + x);
    if sum - sum == 0.0 { None } else { samples.iter().position(|x| !x.is_finite()) }
}

/// The framing geometry of a config.
pub(crate) fn geometry(config: &Config) -> Geometry {
    Geometry {
        pad: config.frames.pad(),
        span: config.span(),
        hop: config.frames.hop_length as usize,
        padding: config.frames.padding,
        drop_last: config.frames.drop_last,
    }
}

impl Runner<'_> {
    /// Computes frame `t` from its samples (`a` then `b`) and hands it to `emit`.
    fn run(&mut self, plan: &Plan, tables: &Tables<'_>, t: u64, a: &[f32], b: &[f32], emit: &mut dyn FnMut(Frame<'_>)) {
        let select = plan.config().scalars;
        let energy = if frame::windows_directly(plan) && !(select.rms || select.zcr) {
            frame::window_from(plan, tables, a, b, self.work.fft_in);
            0.0
        } else {
            self.raw_frame(plan, a, b);
            frame::prepare(plan, tables, &mut self.work, t)
        };
        frame::spectrum(plan, tables, &mut self.work);
        if !self.mag.is_empty() {
            let n_time = usize::from(select.rms) + usize::from(select.zcr);
            spectral_scalars(plan, self.work.spec, self.mag, self.prev_mag, &mut self.scalars[n_time..]);
        }
        frame::compress(plan, tables, self.work.spec, self.row);
        frame::finish(plan, tables, self.row, energy, self.out);
        emit(Frame { index: t, features: self.out, scalars: self.scalars });
    }
}

impl Runner<'_> {
    /// Copies the frame into the FFT buffer, scaled, and computes its time-domain scalars.
    fn raw_frame(&mut self, plan: &Plan, a: &[f32], b: &[f32]) {
        let span = a.len() + b.len();
        let (da, db) = self.work.fft_in[..span].split_at_mut(a.len());
        da.copy_from_slice(a);
        db.copy_from_slice(b);
        let scale = plan.config().input_scale;
        // `x · 1` is `x` for finite x, so skipping it changes no bit.
        if scale != 1.0 {
            for d in self.work.fft_in[..span].iter_mut() {
                *d *= scale;
            }
        }
        let select = plan.config().scalars;
        if select.rms || select.zcr {
            let time_only = crate::config::Scalars { rms: select.rms, zcr: select.zcr, ..Default::default() };
            let input = ScalarInput { frame: &self.work.fft_in[..span], mag: &[], prev_mag: &[], bin_hz: 0.0 };
            scalars::compute(&time_only, &input, self.scalars);
        }
    }
}

/// The spectral scalars of one frame from its spectrum (power or magnitude); `prev_mag` becomes this frame's.
pub(crate) fn spectral_scalars(plan: &Plan, spec: &[f32], mag: &mut [f32], prev_mag: &mut [f32], out: &mut [f32]) {
    let cfg = plan.config();
    for (m, &s) in mag.iter_mut().zip(spec) {
        *m = match cfg.spectrum {
            crate::config::SpectrumKind::Power => crate::sqrt::sqrt(s),
            crate::config::SpectrumKind::Magnitude => s,
        };
    }
    let select = crate::config::Scalars { rms: false, zcr: false, ..cfg.scalars };
    let bin_hz = cfg.sample_rate as f32 / cfg.frames.n_fft as f32;
    scalars::compute(&select, &ScalarInput { frame: &[], mag, prev_mag, bin_hz }, out);
    prev_mag.copy_from_slice(mag);
}

#[cfg(test)]
mod tests {
    use super::first_non_finite;

    #[test]
    fn finds_the_first_nan_or_infinity_and_nothing_else() {
        let ok = [0.0, -0.0, f32::MAX, f32::MIN, f32::MIN_POSITIVE, 1e-45, -1e-45, 1.0];
        assert_eq!(first_non_finite(&ok), None);
        assert_eq!(first_non_finite(&[]), None);
        // Finite samples whose sum overflows.
        assert_eq!(first_non_finite(&[f32::MAX; 70]), None);
        // Every position of a signal longer than two 32-sample blocks, so blocks and the tail are all covered.
        let mut v: [f32; 75] = core::array::from_fn(|i| ok[i % ok.len()]);
        assert_eq!(first_non_finite(&v), None);
        for bad in [f32::NAN, -f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            for at in 0..v.len() {
                let keep = core::mem::replace(&mut v[at], bad);
                assert_eq!(first_non_finite(&v), Some(at), "{bad} at {at}");
                v[at] = keep;
            }
        }
    }
}
