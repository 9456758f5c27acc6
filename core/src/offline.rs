//! Whole-signal extraction (needs `alloc`): frames are gathered straight from the signal and computed eight at a
//! time in [`F32x8`] lanes, then utterance normalisation (if any) and the per-frame finish. Each lane does exactly
//! the scalar operations, so every frame is bit-identical to the streaming pipeline's.

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;
use core::any::Any;
use core::mem::MaybeUninit;

use crate::config::{Affine, Config, Normalize, Scalars};
use crate::error::Error;
use crate::frame;
use crate::frame::Work;
use crate::framing::{Geometry, padded_into};
use crate::lane::{Batch, BatchJob, F32x8, Lane, dispatch};
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

/// How [`Extractor::extract_into`] lays out a matrix of frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Frame after frame (`n_frames × width`): the core's, Kaldi's and torchaudio's order.
    FrameMajor,
    /// Feature after feature (`width × n_frames`): librosa's and Whisper's order. Batches of eight frames are
    /// stored lane vector by lane vector, so this layout costs no transpose at all.
    FeatureMajor,
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

    /// Features of `signal`, frame-major. Refuses NaN or infinite samples (naming the first).
    pub fn extract(&self, signal: &[f32]) -> Result<Features, Error> {
        let cfg = self.config();
        let (n_frames, n_features, n_scalars) = (cfg.n_frames(signal.len()), cfg.n_features(), cfg.scalars.count());
        let (n_data, n_scalar_values) = (n_frames * n_features, n_frames * n_scalars);
        // Left uninitialised rather than zeroed first: the extraction writes every value.
        let (mut data, mut scalars) = (Vec::with_capacity(n_data), Vec::with_capacity(n_scalar_values));
        let (data_room, scalar_room) = (data.spare_capacity_mut(), scalars.spare_capacity_mut());
        self.extract_into_uninit(signal, Layout::FrameMajor, data_room, scalar_room, &mut Scratch::default())?;
        // SAFETY: the extraction succeeded, so it wrote the first `n_data` and `n_scalar_values` values.
        unsafe {
            data.set_len(n_data);
            scalars.set_len(n_scalar_values);
        }
        Ok(Features { n_frames, n_features, data, n_scalars, scalars })
    }

    /// Features of `signal` into `features` (`n_frames × n_features` values) and its scalars into `scalars`
    /// (`n_frames × n_scalars`), both in `layout`; returns `n_frames`. Writing straight into the caller's
    /// matrices (a numpy array, say) spares a copy and a transpose of the whole output. Refuses outputs shorter
    /// than that (nothing is written then) and NaN or infinite samples, naming the first (the outputs then hold
    /// the frames before it: samples are checked a block at a time, just before they are framed).
    pub fn extract_into(
        &self,
        signal: &[f32],
        layout: Layout,
        features: &mut [f32],
        scalars: &mut [f32],
    ) -> Result<usize, Error> {
        // SAFETY: extraction writes only through sinks, which only ever write whole values.
        let (features, scalars) = unsafe { (as_uninit(features), as_uninit(scalars)) };
        self.extract_into_uninit(signal, layout, features, scalars, &mut Scratch::default())
    }

    /// [`extract_into`](Self::extract_into) into memory that need not be initialised, such as a fresh allocation
    /// (zeroing a large output first would write it twice). After `Ok(n_frames)` the first
    /// `n_frames × n_features` values of `features` and `n_frames × n_scalars` of `scalars` are initialised;
    /// after an error, only the frames before the failure may be. `scratch` is the working memory: one kept
    /// per thread across calls spares allocating and zeroing it for every signal (it shows on short clips).
    pub fn extract_into_uninit(
        &self,
        signal: &[f32],
        layout: Layout,
        features: &mut [MaybeUninit<f32>],
        scalars: &mut [MaybeUninit<f32>],
        scratch: &mut Scratch,
    ) -> Result<usize, Error> {
        let cfg = self.config();
        let n_frames = cfg.n_frames(signal.len());
        let features = Sink::new_uninit(features, layout, n_frames, cfg.n_features())?;
        let scalars = Sink::new_uninit(scalars, layout, n_frames, cfg.scalars.count())?;
        dispatch(Job { ex: self, signal, features, scalars, scratch })?;
        Ok(n_frames)
    }

    /// Without utterance normalisation each batch of eight frames is finished (affine, DCT) in its lanes and
    /// stored at once.
    #[cfg_attr(all(target_arch = "x86_64", not(debug_assertions)), inline(always))]
    fn features_streamed<B: Batch>(
        &self,
        buffers: &mut Buffers<B>,
        signal: &[f32],
        mut features: Sink<'_>,
        scalars: Sink<'_>,
    ) -> Checked {
        let (plan, tables) = (&self.plan, self.plan.tables(&self.tables));
        let Buffers { stage_a, out, .. } = buffers;
        let out = sized(out, features.width);
        self.stage_a::<B>(stage_a, signal, scalars, |t0, lanes, row, energy| {
            frame::finish(plan, &tables, row, energy, out);
            features.put(t0, lanes, out);
        })
    }

    /// With utterance normalisation every frame's bands must exist before the clamp: without a DCT the output
    /// holds them (the clamp and the affine act value by value, so the layout does not matter); with one, a
    /// frame-major band matrix does, and after the clamp its frames go back into lanes, eight at a time, for the
    /// finish.
    #[cfg_attr(all(target_arch = "x86_64", not(debug_assertions)), inline(always))]
    fn features_normalized<B: Batch>(
        &self,
        buffers: &mut Buffers<B>,
        signal: &[f32],
        range: f32,
        mut features: Sink<'_>,
        scalars: Sink<'_>,
    ) -> Checked {
        let (plan, tables) = (&self.plan, self.plan.tables(&self.tables));
        let cfg = plan.config();
        if cfg.mfcc.is_none() {
            // The affine map g(x) = (x + add) · mul with mul > 0 is monotone (two correctly rounded steps, each
            // non-decreasing), so g(max(x, floor)) = max(g(x), g(floor)) bit for bit: the output can take g at
            // once and the clamp, where one is needed, at g(floor) afterwards.
            let (affine, early) = (cfg.affine != Affine::IDENTITY, cfg.affine.mul > 0.0);
            let (mut extent, lows) = (Extent::<B>::new(), &mut buffers.lows);
            lows.clear();
            self.stage_a::<B>(&mut buffers.stage_a, signal, scalars, |t0, lanes, row, _| {
                if affine && early {
                    // The extent is of the values before g, as the clamp's floor is.
                    for &v in row.iter() {
                        extent.see(lanes, v);
                    }
                    frame::affine(cfg, row);
                    features.put(t0, lanes, row);
                } else {
                    features.put_seen(t0, lanes, row, &mut extent);
                }
                lows.push(extent.end_batch(lanes));
            })?;
            let floor = extent.max() - range;
            let clamp = !extent.all_at_least(floor);
            let (n_frames, width, layout) = (features.n_frames, features.width, features.layout);
            let data = features.written();
            // The floor as the output holds it.
            let floor_out = if affine && early { (floor + cfg.affine.add) * cfg.affine.mul } else { floor };
            if extent.finite() && (early || !affine) {
                // Only the batches with a value below the floor are read back from memory: speech and music rarely
                // span the whole range, and then none is (Whisper's clamp and (x + 4) / 4 took a pass over all of
                // the output: 19 MB read and written for 10 minutes of whisper-80).
                let starts = (0..n_frames).step_by(B::WIDTH).zip(lows.iter());
                for (t0, _) in starts.filter(|&(_, &low)| clamp && low < floor) {
                    let frames = t0..(t0 + B::WIDTH).min(n_frames);
                    match layout {
                        Layout::FeatureMajor => {
                            for row in data.chunks_exact_mut(n_frames) {
                                clamp_values::<B>(&mut row[frames.clone()], floor_out);
                            }
                        }
                        Layout::FrameMajor => {
                            clamp_values::<B>(&mut data[frames.start * width..frames.end * width], floor_out)
                        }
                    }
                }
            } else {
                // An infinity or a NaN (the clamp replaces a NaN by the floor, which the batches' lowest values do
                // not see), or a map that turns the clamp around (mul < 0): a pass over all of the output, a chunk at
                // a time, small enough to stay in L1 between the clamp and the affine map.
                for chunk in data.chunks_mut(1024) {
                    if clamp {
                        clamp_values::<B>(chunk, floor_out);
                    }
                    if affine && !early {
                        frame::affine(cfg, chunk);
                    }
                }
            }
            return Ok(());
        }
        let (n_frames, n_bands) = (features.n_frames, plan.n_bands);
        let mut band_data = vec![0.0f32; n_frames * n_bands];
        let mut bands = Sink::new(&mut band_data, Layout::FrameMajor, n_frames, n_bands)?;
        let mut energies = vec![0.0f32; n_frames];
        let mut extent = Extent::<B>::new();
        self.stage_a::<B>(&mut buffers.stage_a, signal, scalars, |t0, lanes, row, energy| {
            bands.put_seen(t0, lanes, row, &mut extent);
            extent.end_batch(lanes);
            for l in 0..lanes {
                energies[t0 + l] = energy.lane(l);
            }
        })?;
        let floor = extent.max() - range;
        let clamp = !extent.all_at_least(floor);
        // Back into lanes eight frames at a time for the clamp and the finish (a batch past the last frame repeats
        // it; `put` stores only the real frames).
        let (row, out) = (sized(&mut buffers.stage_a.row, n_bands), sized(&mut buffers.out, features.width));
        for t0 in (0..n_frames).step_by(B::WIDTH) {
            let lanes = (n_frames - t0).min(B::WIDTH);
            let frame = |l: usize| t0 + l.min(lanes - 1);
            B::gather_rows(core::array::from_fn(|l| &band_data[frame(l) * n_bands..][..n_bands]), None, row);
            if clamp {
                for v in row.iter_mut() {
                    *v = v.max_with(floor);
                }
            }
            let energy = B::from_array(core::array::from_fn(|l| energies[frame(l)]));
            frame::finish(plan, &tables, row, energy, out);
            features.put(t0, lanes, out);
        }
        Ok(())
    }

    /// Stage A of every frame, eight at a time: `take(t0, lanes, bands, log_energy)` receives frames
    /// `t0..t0 + lanes` as compressed bands in lanes; their scalars go straight to `scalars`. The signal is checked
    /// for NaN and infinity in blocks just ahead of the frames, so that framing reads it from cache rather than
    /// from memory a second time.
    #[cfg_attr(all(target_arch = "x86_64", not(debug_assertions)), inline(always))]
    fn stage_a<B: Batch>(
        &self,
        buffers: &mut StageA<B>,
        signal: &[f32],
        mut scalars: Sink<'_>,
        mut take: impl FnMut(usize, usize, &mut [B], B),
    ) -> Checked {
        let plan = &self.plan;
        let cfg = plan.config();
        let tables = plan.tables(&self.tables);
        let g = geometry(cfg);
        let (n_frames, n_scalars) = (scalars.n_frames, scalars.width);
        let bins = plan.fft().bins();

        let StageA { work, row, lane_scalars, lane_frames, spec, mag, prev_mag } = buffers;
        let mut work = plan.work(sized(work, plan.work_len()));
        let (row, lane_scalars) = (sized(row, plan.n_bands), sized(lane_scalars, B::WIDTH * n_scalars));
        let (lane_frames, spec, mag) = (sized(lane_frames, B::WIDTH * g.span), sized(spec, bins), sized(mag, bins));
        // Spectral flux compares with the frame before; the first frame's "before" is silence.
        let prev_mag = sized(prev_mag, bins);
        prev_mag.fill(0.0);
        let time_select = Scalars { rms: cfg.scalars.rms, zcr: cfg.scalars.zcr, ..Default::default() };
        let n_time = time_select.count();
        let mut checker = Checker { signal, checked: 0 };

        for t0 in (0..n_frames).step_by(B::WIDTH) {
            let lanes = (n_frames - t0).min(B::WIDTH);
            // The batch's last frame ends `pad` before this; reflect padding reads at most `pad` past its end.
            checker.through((t0 + lanes - 1) * g.hop + g.span)?;
            let mut time_scalars = |l: usize, frame: &[f32]| {
                let input = ScalarInput { frame, mag: &[], prev_mag: &[], bin_hz: 0.0 };
                scalars::compute(&time_select, &input, &mut lane_scalars[l * n_scalars..]);
            };
            let each: Option<LaneFrameFn<'_>> = if n_time > 0 { Some(&mut time_scalars) } else { None };
            let source = Source { signal, geometry: &g, scale: cfg.input_scale };
            let energy = source.prepare(plan, &tables, t0..t0 + lanes, lane_frames, &mut work, each);
            frame::spectrum(plan, &tables, &mut work);
            if n_scalars > n_time {
                for l in 0..lanes {
                    for (s, v) in spec.iter_mut().zip(work.spec.iter()) {
                        *s = v.lane(l);
                    }
                    let out = &mut lane_scalars[l * n_scalars + n_time..][..n_scalars - n_time];
                    spectral_scalars(plan, spec, mag, prev_mag, out);
                }
            }
            for (l, values) in lane_scalars.chunks_exact(n_scalars.max(1)).take(lanes).enumerate() {
                scalars.set_frame(t0 + l, &values[..n_scalars]);
            }
            frame::compress(plan, &tables, work.spec, row);
            take(t0, lanes, row, energy);
        }
        checker.through(signal.len())
    }
}

/// A signal's NaN/infinity check, in order, one block at a time as far as needed.
struct Checker<'a> {
    signal: &'a [f32],
    checked: usize,
}

/// Whether a signal was finite as far as it was used.
type Checked = Result<(), Error>;

impl Checker<'_> {
    /// 8,192 samples (32 KiB): a pass long enough to run at full speed, short enough to still be cached when the
    /// frames that follow read it.
    const BLOCK: usize = 8192;

    /// Checks the first `end` samples at least (all of them if there are fewer).
    #[cfg_attr(all(target_arch = "x86_64", not(debug_assertions)), inline(always))]
    fn through(&mut self, end: usize) -> Checked {
        let end = end.min(self.signal.len());
        while self.checked < end {
            let to = (self.checked + Self::BLOCK).min(self.signal.len());
            if let Some(i) = first_non_finite(&self.signal[self.checked..to]) {
                return Err(Error::NonFinite { index: self.checked + i });
            }
            self.checked = to;
        }
        Ok(())
    }
}

/// One signal's extraction, run by [`dispatch`] in the widest lanes the CPU has.
struct Job<'a> {
    ex: &'a Extractor,
    signal: &'a [f32],
    features: Sink<'a>,
    scalars: Sink<'a>,
    scratch: &'a mut Scratch,
}

impl BatchJob for Job<'_> {
    type Output = Checked;
    #[cfg_attr(all(target_arch = "x86_64", not(debug_assertions)), inline(always))]
    fn run<B: Batch>(self) -> Checked {
        let Job { ex, signal, features, scalars, scratch } = self;
        let buffers = scratch.buffers::<B>();
        match ex.config().normalize {
            Normalize::None => ex.features_streamed::<B>(buffers, signal, features, scalars),
            Normalize::Utterance { range } => ex.features_normalized::<B>(buffers, signal, range, features, scalars),
        }
    }
}

/// The lane choice's measurement ([`crate::lane::choice`]): `signal`'s features under `ex` in `lanes` (available
/// on this CPU), into `out`, bypassing the dispatch that the choice is being made for.
#[cfg(feature = "std")]
pub(crate) fn probe_extract(
    ex: &Extractor,
    signal: &[f32],
    lanes: crate::lane::Lanes,
    out: &mut Vec<f32>,
    scratch: &mut Scratch,
) {
    let cfg = ex.config();
    let n_frames = cfg.n_frames(signal.len());
    out.resize(n_frames * (cfg.n_features() + cfg.scalars.count()), 0.0);
    let (f, s) = out.split_at_mut(n_frames * cfg.n_features());
    // The sinks fit by construction and the probe signal is finite, so neither step can fail.
    if let (Ok(features), Ok(scalars)) = (
        Sink::new(f, Layout::FeatureMajor, n_frames, cfg.n_features()),
        Sink::new(s, Layout::FeatureMajor, n_frames, cfg.scalars.count()),
    ) {
        let _ = lanes.run(Job { ex, signal, features, scalars, scratch });
    }
}

/// Working memory of [`Extractor::extract_into_uninit`], kept by a caller between signals (rustfft's
/// caller-owned scratch), which allocating and zeroing afresh for each short clip would cost again every call. It
/// holds no results: any scratch gives the same bits as a new one.
#[derive(Default)]
pub struct Scratch(Option<Box<dyn Any + Send>>);

impl core::fmt::Debug for Scratch {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Scratch")
    }
}

impl Scratch {
    /// The buffers for lanes of type `B` (the lane type [`dispatch`] picks is the same on every call, so they are
    /// made once).
    fn buffers<B: Batch>(&mut self) -> &mut Buffers<B> {
        if !self.0.as_ref().is_some_and(|held| held.is::<Buffers<B>>()) {
            self.0 = Some(Box::new(Buffers::<B>::default()));
        }
        self.0.as_mut().and_then(|held| held.downcast_mut()).expect("the buffers were just made for `B`")
    }
}

/// A [`Scratch`]'s contents for one lane type. Every buffer is written before it is read in each call (only the
/// flux's previous spectrum starts from zero, and is reset), so what a previous call left changes nothing.
#[derive(Default)]
struct Buffers<B> {
    stage_a: StageA<B>,
    /// A batch of finished frames.
    out: Vec<B>,
    /// Each batch's lowest value, for the utterance clamp.
    lows: Vec<f32>,
}

/// [`Extractor::stage_a`]'s buffers.
#[derive(Default)]
struct StageA<B> {
    /// [`Plan::work`]'s storage.
    work: Vec<B>,
    /// A batch of compressed bands.
    row: Vec<B>,
    /// Eight frames' scalars.
    lane_scalars: Vec<f32>,
    /// Eight frames' samples, before they go into lanes.
    lane_frames: Vec<f32>,
    /// One lane's spectrum, its magnitude and the frame before's, for the spectral scalars.
    spec: Vec<f32>,
    mag: Vec<f32>,
    prev_mag: Vec<f32>,
}

/// `buffer` at length `len`, its old values kept (new ones are the default).
fn sized<T: Copy + Default>(buffer: &mut Vec<T>, len: usize) -> &mut [T] {
    buffer.resize(len, T::default());
    buffer
}

/// `values` as possibly uninitialised memory, for the code that writes into either.
///
/// # Safety
/// Only initialised values may be written through the result, so that `values` stays initialised.
unsafe fn as_uninit(values: &mut [f32]) -> &mut [MaybeUninit<f32>] {
    // SAFETY: the same layout; the caller keeps the values initialised.
    unsafe { &mut *(core::ptr::from_mut(values) as *mut [MaybeUninit<f32>]) }
}

/// A matrix of `n_frames` frames of `width` values in a [`Layout`], written frame after frame, batch by batch,
/// into memory that may start uninitialised: zeroing a fresh output first would write it twice.
pub(crate) struct Sink<'a> {
    data: &'a mut [MaybeUninit<f32>],
    layout: Layout,
    pub(crate) n_frames: usize,
    width: usize,
    /// Frames `0..filled` are written.
    filled: usize,
}

impl<'a> Sink<'a> {
    /// The first `n_frames × width` values of `data`; refuses a shorter `data`.
    pub(crate) fn new(data: &'a mut [f32], layout: Layout, n_frames: usize, width: usize) -> Result<Self, Error> {
        // SAFETY: a sink only ever writes whole values.
        Self::new_uninit(unsafe { as_uninit(data) }, layout, n_frames, width)
    }

    /// As [`Sink::new`], over memory that need not be initialised.
    pub(crate) fn new_uninit(
        data: &'a mut [MaybeUninit<f32>],
        layout: Layout,
        n_frames: usize,
        width: usize,
    ) -> Result<Self, Error> {
        let (expected, got) = (n_frames * width, data.len());
        let data = data.get_mut(..expected).ok_or(Error::Storage { expected, got })?;
        Ok(Sink { data, layout, n_frames, width, filled: 0 })
    }

    /// Frames `t0..t0 + lanes` from the lanes of `row` (`width` values).
    #[cfg_attr(all(target_arch = "x86_64", not(debug_assertions)), inline(always))]
    pub(crate) fn put<B: Batch>(&mut self, t0: usize, lanes: usize, row: &[B]) {
        self.put_seen(t0, lanes, row, &mut ());
    }

    /// [`put`](Self::put), showing `seer` every vector of `row` in the same pass, while it is in a register (a
    /// second pass over `row` reloaded every vector).
    #[cfg_attr(all(target_arch = "x86_64", not(debug_assertions)), inline(always))]
    pub(crate) fn put_seen<B: Batch>(&mut self, t0: usize, lanes: usize, row: &[B], seer: &mut impl Seer<B>) {
        assert_eq!(row.len(), self.width, "a sink's frames have its width");
        let (n, width) = (self.n_frames, self.width);
        match self.layout {
            Layout::FrameMajor if lanes == B::WIDTH => {
                for &v in row {
                    seer.see(lanes, v);
                }
                B::scatter_rows(row, &mut self.data[t0 * width..], width);
            }
            Layout::FeatureMajor if lanes == B::WIDTH => {
                for (column, &v) in self.data.chunks_exact_mut(n).zip(row) {
                    column[t0..t0 + B::WIDTH].write_copy_of_slice(&v.to_array());
                    seer.see(lanes, v);
                }
            }
            // The last, partial batch of a signal: each value's lanes out of one copy of the vector (5
            // instructions a value; reading it lane by lane took 16).
            Layout::FrameMajor => {
                for (j, &v) in row.iter().enumerate() {
                    for (l, x) in v.to_array().into_iter().take(lanes).enumerate() {
                        self.data[(t0 + l) * width + j].write(x);
                    }
                    seer.see(lanes, v);
                }
            }
            Layout::FeatureMajor => {
                for (column, &v) in self.data.chunks_exact_mut(n).zip(row) {
                    for (d, x) in column[t0..t0 + lanes].iter_mut().zip(v.to_array()) {
                        d.write(x);
                    }
                    seer.see(lanes, v);
                }
            }
        }
        self.advance(t0, lanes);
    }

    /// Frame `t` from `values` (`width` of them).
    fn set_frame(&mut self, t: usize, values: &[f32]) {
        assert_eq!(values.len(), self.width, "a sink's frames have its width");
        self.set_values(t, values.iter().copied());
        self.advance(t, 1);
    }

    fn set_values(&mut self, t: usize, values: impl Iterator<Item = f32>) {
        let (n, width) = (self.n_frames, self.width);
        match self.layout {
            Layout::FrameMajor => self.data[t * width..][..width].iter_mut().zip(values).for_each(|(d, v)| {
                d.write(v);
            }),
            Layout::FeatureMajor => self.data[t..].iter_mut().step_by(n).zip(values).for_each(|(d, v)| {
                d.write(v);
            }),
        }
    }

    /// Counts frames `t..t + count` as written if they follow the ones before.
    fn advance(&mut self, t: usize, count: usize) {
        if t == self.filled {
            self.filled = t + count;
        }
    }

    /// The whole matrix, once every frame has been written.
    fn written(&mut self) -> &mut [f32] {
        assert_eq!(self.filled, self.n_frames, "a sink is read only once all its frames are written");
        // SAFETY: frames `0..n_frames` were written in order, each with all `width` of its values.
        unsafe { self.data.assume_init_mut() }
    }
}

/// What sees the vectors a [`Sink`] stores, as it stores them: `lanes` of each are frames.
pub(crate) trait Seer<B> {
    fn see(&mut self, lanes: usize, v: B);
}

/// Nothing sees them.
impl<B> Seer<B> for () {
    #[inline(always)]
    fn see(&mut self, _: usize, _: B) {}
}

/// What the utterance clamp needs to know of stage A's values, kept as the batches go by: the largest (NaNs
/// ignored, as `f32::max` does), the smallest (and each batch's), and whether all are finite. Neither extreme of
/// a set depends on the order it is taken in, so this equals a pass over the output afterwards, without reading it
/// back from memory.
struct Extent<B> {
    /// Lane by lane, over the batches ended: the largest value; the smallest (NaNs aside: they make the sum NaN);
    /// the sum of `x − x`, zero while every value is finite and NaN after an infinity or a NaN.
    lanes: [B; 3],
    /// The batch under way's smallest values, lane by lane.
    batch: B,
    /// The same as `lanes` over the frames of a last, partial batch.
    rest: [f32; 3],
}

impl<B: Batch> Seer<B> for Extent<B> {
    /// Lanes `0..lanes` of a vector of bands (the lanes past them hold silence, not frames).
    #[cfg_attr(all(target_arch = "x86_64", not(debug_assertions)), inline(always))]
    #[allow(clippy::eq_op, reason = "x − x is the test")]
    fn see(&mut self, lanes: usize, v: B) {
        if lanes == B::WIDTH {
            let [max, _, spread] = &mut self.lanes;
            (*max, self.batch, *spread) = (v.max_lanes(*max), v.min_lanes(self.batch), *spread + (v - v));
        } else {
            let [max, min, spread] = &mut self.rest;
            for x in v.to_array().into_iter().take(lanes) {
                (*max, *min, *spread) = (max.max(x), min.min(x), *spread + (x - x));
            }
        }
    }
}

impl<B: Batch> Extent<B> {
    fn new() -> Self {
        let start = [f32::NEG_INFINITY, f32::INFINITY, 0.0];
        Extent { lanes: start.map(B::splat), batch: B::splat(f32::INFINITY), rest: start }
    }

    /// Ends a batch of `lanes` frames, all of whose values were seen; returns its lowest value (NaNs aside).
    fn end_batch(&mut self, lanes: usize) -> f32 {
        if lanes == B::WIDTH {
            self.lanes[1] = self.batch.min_lanes(self.lanes[1]);
            let low = self.batch.to_array().into_iter().fold(f32::INFINITY, f32::min);
            self.batch = B::splat(f32::INFINITY);
            low
        } else {
            // The partial batch is the last, so its values' extent is its own.
            self.rest[1]
        }
    }

    /// Lane `i` of the batches' values folded with `f` into that of the partial batch.
    fn fold(&self, i: usize, f: fn(f32, f32) -> f32) -> f32 {
        self.lanes[i].to_array().into_iter().fold(self.rest[i], f)
    }

    fn max(&self) -> f32 {
        self.fold(0, f32::max)
    }

    /// Whether every value is finite.
    fn finite(&self) -> bool {
        self.fold(2, |a, b| a + b) == 0.0
    }

    /// Whether every value is finite and at least `floor`, so that clamping them at `floor` changes none.
    fn all_at_least(&self, floor: f32) -> bool {
        self.finite() && self.fold(1, f32::min) >= floor
    }
}

/// `x ← max(x, floor)` over `values`, eight at a time in lanes.
#[cfg_attr(all(target_arch = "x86_64", not(debug_assertions)), inline(always))]
pub(crate) fn clamp_values<B: Batch>(values: &mut [f32], floor: f32) {
    let mut octets = values.chunks_exact_mut(B::WIDTH);
    for o in &mut octets {
        o.copy_from_slice(&B::from_array(core::array::from_fn(|i| o[i])).max_with(floor).to_array());
    }
    for x in octets.into_remainder() {
        *x = x.max(floor);
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
    /// Frames `frames` (at most eight) of the padded signal, ready for the FFT in the lanes of `work.fft_in`:
    /// [`Source::gather`] then [`frame::prepare`], except that frames needing only the window are windowed while
    /// they are transposed (the same products, one pass fewer). Returns `prepare`'s log energy.
    #[cfg_attr(all(target_arch = "x86_64", not(debug_assertions)), inline(always))]
    pub(crate) fn prepare<B: Batch>(
        &self,
        plan: &Plan,
        tables: &Tables<'_>,
        frames: core::ops::Range<usize>,
        lane_frames: &mut [f32],
        work: &mut Work<'_, B>,
        each: Option<LaneFrameFn<'_>>,
    ) -> B {
        if each.is_none() && frame::windows_directly(plan) {
            let (woff, w) = (plan.woff, tables.window);
            let rows = self.rows(frames, lane_frames).map(|r| &r[woff..woff + w.len()]);
            B::gather_rows(rows, Some(w), &mut work.fft_in[woff..woff + w.len()]);
            work.fft_in[..woff].fill(B::default());
            work.fft_in[woff + w.len()..].fill(B::default());
            return B::default();
        }
        self.gather(frames.clone(), lane_frames, work.fft_in, each);
        frame::prepare(plan, tables, work, frames.start as u64)
    }

    /// The samples of frame `t` if it lies wholly inside the signal (no padding).
    fn inside(&self, t: usize) -> Option<&[f32]> {
        let g = self.geometry;
        let start = (t * g.hop).checked_sub(g.pad)?;
        self.signal.get(start..start + g.span)
    }

    /// The samples of frames `frames` if there are eight and all lie wholly inside the signal: then the first
    /// starts inside it and the last ends inside it: one test for all eight, half the instructions of asking
    /// each frame.
    fn whole_frames(&self, frames: core::ops::Range<usize>) -> Option<[&[f32]; 8]> {
        if frames.len() != F32x8::WIDTH {
            return None;
        }
        let g = self.geometry;
        let start = (frames.start * g.hop).checked_sub(g.pad)?;
        let block = self.signal.get(start..start + (F32x8::WIDTH - 1) * g.hop + g.span)?;
        Some(core::array::from_fn(|l| &block[l * g.hop..][..g.span]))
    }

    /// Each lane's frame, unscaled: the signal's own samples where the frame lies inside it, otherwise a padded
    /// copy in the lane's row of `lane_frames` (silence for lanes past the last frame). Only the frames at the
    /// signal's edges are copied: copying all eight of an edge batch, then windowing them in a pass of their
    /// own, cost more instructions.
    #[cfg_attr(all(target_arch = "x86_64", not(debug_assertions)), inline(always))]
    fn rows<'s>(&'s self, frames: core::ops::Range<usize>, lane_frames: &'s mut [f32]) -> [&'s [f32]; 8] {
        if let Some(rows) = self.whole_frames(frames.clone()) {
            return rows;
        }
        let g = self.geometry;
        let (t0, lanes) = (frames.start, frames.len());
        for (l, row) in lane_frames.chunks_exact_mut(g.span).enumerate() {
            if l >= lanes {
                row.fill(0.0);
            } else if self.inside(t0 + l).is_none() {
                padded_into(self.signal, g.pad, g.padding, (t0 + l) * g.hop, row);
            }
        }
        let lane_frames = &*lane_frames;
        core::array::from_fn(|l| {
            self.inside(t0 + l).filter(|_| l < lanes).unwrap_or(&lane_frames[l * g.span..][..g.span])
        })
    }

    /// Copies frames `frames` (at most eight) of the padded signal, scaled, into the lanes of `dst` (the lanes
    /// after them get silence, their results are discarded), by way of `lane_frames` (eight frames' room);
    /// `each(lane, samples)`, if given, sees every real frame's samples.
    #[cfg_attr(all(target_arch = "x86_64", not(debug_assertions)), inline(always))]
    pub(crate) fn gather<B: Batch>(
        &self,
        frames: core::ops::Range<usize>,
        lane_frames: &mut [f32],
        dst: &mut [B],
        mut each: Option<LaneFrameFn<'_>>,
    ) {
        let Source { signal, geometry: g, scale } = *self;
        let (t0, lanes) = (frames.start, frames.len());
        let Some(each) = each.as_mut() else {
            // Transposed in one pass, then scaled (the same products as scaling first).
            B::gather_rows(self.rows(frames, lane_frames), None, &mut dst[..g.span]);
            // `x · 1` is `x` for finite x, so skipping it changes no bit.
            if scale != 1.0 {
                for v in dst[..g.span].iter_mut() {
                    *v = *v * B::splat(scale);
                }
            }
            return;
        };
        // `each` sees every frame scaled, so each lane's frame (padded, or silence past the last frame) is laid
        // out in a row of its own, then all eight are transposed at once: setting lanes one value at a time
        // would go through memory.
        for (l, row) in lane_frames.chunks_exact_mut(g.span).enumerate() {
            match self.inside(t0 + l) {
                Some(inside) if l < lanes => row.copy_from_slice(inside),
                _ if l < lanes => padded_into(signal, g.pad, g.padding, (t0 + l) * g.hop, row),
                _ => row.fill(0.0),
            }
            // As above: the samples were checked finite, so `x · 1` would change no bit.
            if scale != 1.0 {
                for d in row.iter_mut() {
                    *d *= scale;
                }
            }
            if l < lanes {
                each(l, row);
            }
        }
        let rows: [&[f32]; 8] = core::array::from_fn(|l| &lane_frames[l * g.span..][..g.span]);
        B::gather_rows(rows, None, &mut dst[..g.span]);
    }
}

/// One-shot convenience: features of `signal` under `config`.
pub fn extract(config: &Config, signal: &[f32]) -> Result<Features, Error> {
    Extractor::new(config)?.extract(signal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Scalars;
    use crate::lane::Lanes;

    /// The utterance clamp, skipped when no value lies below its floor, equals clamping every value of the
    /// unnormalised output then applying the affine map, on a signal of small range (nothing to clamp, except in
    /// empty mel bands), one with digital silence (much to clamp) and one so loud that its power overflows to
    /// infinity; the last frame batch is partial. MFCC presets, which clamp bands before the DCT, are checked
    /// where the clamp is the identity.
    #[test]
    fn the_utterance_clamp_equals_clamping_every_value() {
        let n = 16_000 + 1234;
        let noise = |i: usize| ((i as u32).wrapping_mul(2_654_435_761) >> 8) as f32 / 16_777_216.0 - 0.5;
        let tone: Vec<f32> = (0..n).map(|i| (i as f32 * 0.07).sin() * 0.5 + noise(i) * 0.1).collect();
        let silence: Vec<f32> = tone.iter().enumerate().map(|(i, &x)| if i < n / 2 { x } else { 0.0 }).collect();
        let loud = vec![3e38f32; n];
        // How many (preset, signal) pairs were checked with and without anything to clamp.
        let mut checked = [0, 0];
        // Whisper's map with a negative factor (the output cannot take the map before the clamp then), and with
        // ln(0) = −∞ for the silence (values not all finite, but a finite maximum).
        let mut negative = crate::preset("whisper-80").unwrap();
        negative.affine.mul = -0.25;
        let mut infinite = crate::preset("whisper-80").unwrap();
        infinite.log = crate::config::Log::Ln { offset: 0.0, floor: 0.0 };
        let variants = [("whisper-80 with mul < 0", negative), ("whisper-80 with ln(0)", infinite)];
        let configs = crate::preset::NAMES.map(|name| (name, crate::preset(name).unwrap()));
        for (name, shipped) in configs.into_iter().chain(variants) {
            let Normalize::Utterance { range } = shipped.normalize else { continue };
            let mut raw = shipped.clone();
            (raw.normalize, raw.affine) = (Normalize::None, Affine::IDENTITY);
            let mut unclamped = shipped.clone();
            unclamped.normalize = Normalize::None;
            for x in [&tone, &silence, &loud] {
                let values = extract(&raw, x).unwrap().data;
                let floor = values.iter().copied().fold(f32::NEG_INFINITY, f32::max) - range;
                let clamps = values.iter().any(|v| *v < floor);
                let expected: Vec<f32> = match (shipped.mfcc.is_some(), clamps) {
                    (true, true) => continue,
                    (true, false) => extract(&unclamped, x).unwrap().data,
                    (false, _) => {
                        let (add, mul) = (shipped.affine.add, shipped.affine.mul);
                        let affine = |v: f32| if shipped.affine == Affine::IDENTITY { v } else { (v + add) * mul };
                        values.iter().map(|v| affine(v.max(floor))).collect()
                    }
                };
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                let got = extract(&shipped, x).unwrap().data;
                assert!(bits(&got) == bits(&expected), "{name}: the clamp differs (clamping: {clamps})");
                // Feature-major too (the clamp visits the batches that need it in either layout).
                let width = shipped.n_features();
                let mut columns = vec![0.0; expected.len()];
                Extractor::new(&shipped).unwrap().extract_into(x, Layout::FeatureMajor, &mut columns, &mut []).unwrap();
                let n_frames = expected.len() / width;
                let transposed: Vec<f32> =
                    (0..width * n_frames).map(|i| expected[i % n_frames * width + i / n_frames]).collect();
                assert!(bits(&columns) == bits(&transposed), "{name}: the feature-major clamp differs");
                checked[usize::from(clamps)] += 1;
            }
        }
        assert!(checked[0] >= 3 && checked[1] >= 6, "both sides of the skip are checked: {checked:?}");
    }

    /// Each preset as shipped and in its streamable form with every scalar.
    fn preset_variants() -> impl Iterator<Item = (&'static str, [Config; 2])> {
        crate::preset::NAMES.into_iter().map(|name| {
            let shipped = crate::preset(name).unwrap();
            let mut streamable = shipped.clone();
            streamable.normalize = Normalize::None;
            streamable.scalars = Scalars::ALL;
            (name, [shipped, streamable])
        })
    }

    /// A scratch passed from config to config, through failed calls too, gives the bits of a fresh one: no call
    /// reads what the one before left in it.
    #[test]
    fn a_reused_scratch_gives_the_bits_of_a_fresh_one() {
        let x: Vec<f32> = (0..9_000).map(|i| ((i * 7919 % 1000) as f32 / 500.0 - 1.0) * 0.3).collect();
        let loud: Vec<f32> = x.iter().map(|v| v * 3.0 + 0.5).collect();
        let mut broken = loud.clone();
        broken[8_000] = f32::NAN;
        let mut scratch = Scratch::default();
        let mut compared = 0;
        for (name, configs) in preset_variants() {
            for config in configs {
                let ex = Extractor::new(&config).unwrap();
                for signal in [&x, &broken, &loud] {
                    let t = config.n_frames(signal.len());
                    let mut f = vec![MaybeUninit::uninit(); t * config.n_features()];
                    let mut s = vec![MaybeUninit::uninit(); t * config.scalars.count()];
                    let reused = ex.extract_into_uninit(signal, Layout::FeatureMajor, &mut f, &mut s, &mut scratch);
                    let (mut fresh_f, mut fresh_s) = (vec![0.0; f.len()], vec![0.0; s.len()]);
                    let alone = ex.extract_into(signal, Layout::FeatureMajor, &mut fresh_f, &mut fresh_s);
                    assert_eq!(reused, alone, "{name}");
                    if reused.is_ok() {
                        // SAFETY: the extraction succeeded, so it wrote every value.
                        let (f, s) = unsafe { (f.assume_init_ref(), s.assume_init_ref()) };
                        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                        assert!(bits(f) == bits(&fresh_f), "{name}: features differ");
                        assert!(bits(s) == bits(&fresh_s), "{name}: scalars differ");
                        compared += 1;
                    }
                }
            }
        }
        assert_eq!(compared, 2 * 2 * crate::preset::NAMES.len());
    }

    /// Every preset (and its streamable form, with scalars) gives the same bits in the baseline lanes as in every
    /// other lane type this CPU runs (AVX2, AVX-512VL): they must all do the same IEEE operations.
    #[test]
    fn dispatched_lanes_equal_baseline_lanes() {
        let x: Vec<f32> = (0..23_456).map(|i| ((i * 7919 % 1000) as f32 / 500.0 - 1.0) * 0.3).collect();
        for (name, configs) in preset_variants() {
            for config in configs {
                let ex = Extractor::new(&config).unwrap();
                let t = config.n_frames(x.len());
                let run = |lanes: Lanes| {
                    let mut f = vec![0.0f32; t * config.n_features()];
                    let mut s = vec![0.0f32; t * config.scalars.count()];
                    let features = Sink::new(&mut f, Layout::FeatureMajor, t, config.n_features()).unwrap();
                    let scalars = Sink::new(&mut s, Layout::FeatureMajor, t, config.scalars.count()).unwrap();
                    let job = Job { ex: &ex, signal: &x, features, scalars, scratch: &mut Scratch::default() };
                    lanes.run(job).unwrap();
                    (
                        f.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                        s.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    )
                };
                let baseline = run(Lanes::Baseline);
                for lanes in Lanes::available() {
                    assert!(run(lanes) == baseline, "{name}: {lanes:?} lanes differ from F32x8");
                }
            }
        }
    }

    /// `cargo xtask aarch64-count`: ten minutes of `yamnet` in each lane type the CPU runs (the array lanes and
    /// NEON on aarch64), each extraction between two markers whose instructions the QEMU plugin
    /// `tools/qemu/count.c` counts (`syscall=`), after an empty window the count subtracts. The signal is
    /// `core/examples/frame_instructions.rs`'s, which callgrind counts on x86_64 (`bench/instructions.py`).
    #[cfg(all(target_arch = "aarch64", target_os = "linux"))]
    #[test]
    #[ignore = "counted under QEMU by `cargo xtask aarch64-count`"]
    fn ten_minutes_of_yamnet_in_each_lane_type() {
        let mut seed = 1u32;
        let x: Vec<f32> = (0..16_000 * 600)
            .map(|i| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                0.4 * (i as f32 * 0.05).sin() + 0.2 * ((seed >> 8) as f32 / 16_777_216.0 - 0.5)
            })
            .collect();
        let config = crate::preset("yamnet").unwrap();
        let ex = Extractor::new(&config).unwrap();
        let t = config.n_frames(x.len());
        let mut f = vec![0.0f32; t * config.n_features()];
        count_marker(1);
        count_marker(0);
        for lanes in Lanes::available() {
            let features = Sink::new(&mut f, Layout::FeatureMajor, t, config.n_features()).unwrap();
            let scalars = Sink::new(&mut [], Layout::FeatureMajor, t, config.scalars.count()).unwrap();
            let scratch = &mut Scratch::default();
            count_marker(1);
            lanes.run(Job { ex: &ex, signal: &x, features, scalars, scratch }).unwrap();
            count_marker(0);
            println!("stapes-count: lanes {lanes:?}: {t} frames");
        }
    }

    /// The plugin's window marker: system call `COUNT_MARKER` with `open` (1) or close (0). Linux implements no such
    /// call and returns ENOSYS, so outside the plugin it does nothing.
    #[cfg(all(target_arch = "aarch64", target_os = "linux"))]
    fn count_marker(open: u64) {
        // SAFETY: an unimplemented system call reads x8 and x0 and writes x0; nothing else changes.
        unsafe { core::arch::asm!("svc #0", in("x8") COUNT_MARKER, inout("x0") open => _, options(nostack)) };
    }

    /// `cargo xtask aarch64-count` passes the same number to the plugin.
    #[cfg(all(target_arch = "aarch64", target_os = "linux"))]
    const COUNT_MARKER: u64 = 0x5354_4150;
}
