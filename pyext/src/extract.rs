//! Offline extraction: one signal, a `(batch, samples)` array or a list of signals. Batches run on rayon with the
//! GIL released.

use numpy::{PyArray2, PyArray3, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use rayon::prelude::*;
use stapes_core::{Error, Extractor, Layout, Scratch};
use std::cell::RefCell;
use std::mem::MaybeUninit;

use crate::config::parse_py;
use crate::errors::core_error;
use crate::layout::{Room, array2, array3};
use crate::threads;

/// One signal's output.
#[derive(Debug)]
pub struct Output {
    pub n_frames: usize,
    /// `n_features × n_frames` (frame-major: `n_frames × n_features`).
    pub features: Vec<f32>,
    /// `n_scalars × n_frames` (frame-major: `n_frames × n_scalars`).
    pub scalars: Vec<f32>,
}

/// Features and scalars of one signal, feature-major (librosa's layout) or frame-major (the core's and Kaldi's),
/// written by the core straight into the vectors that become the numpy arrays.
pub fn extract_one(ex: &Extractor, signal: &[f32], frame_major: bool) -> Result<Output, Error> {
    let cfg = ex.config();
    let n_frames = cfg.n_frames(signal.len());
    let mut features = Room::new(n_frames * cfg.n_features());
    let mut scalars = Room::new(n_frames * cfg.scalars.count());
    extract_uninit(ex, signal, frame_major, features.slots(), scalars.slots())?;
    // SAFETY: `extract_into_uninit` succeeded, so it wrote every value of both.
    let (features, scalars) = unsafe { (features.into_vec(), scalars.into_vec()) };
    Ok(Output { n_frames, features, scalars })
}

thread_local! {
    /// Each thread's working memory for extraction, kept between calls: the dataset case is thousands of short
    /// calls on the same few threads.
    static SCRATCH: RefCell<Scratch> = RefCell::default();
}

/// [`Extractor::extract_into_uninit`] with this thread's scratch.
fn extract_uninit(
    ex: &Extractor,
    signal: &[f32],
    frame_major: bool,
    features: &mut [MaybeUninit<f32>],
    scalars: &mut [MaybeUninit<f32>],
) -> Result<usize, Error> {
    let layout = if frame_major { Layout::FrameMajor } else { Layout::FeatureMajor };
    SCRATCH.with_borrow_mut(|scratch| ex.extract_into_uninit(signal, layout, features, scalars, scratch))
}

/// Every signal on the current rayon pool; the error names the first failing signal.
pub fn extract_many(ex: &Extractor, signals: &[&[f32]], frame_major: bool) -> Result<Vec<Output>, (usize, Error)> {
    signals
        .par_iter()
        .enumerate()
        .map(|(i, s)| extract_one(ex, s, frame_major).map_err(|e| (i, e)))
        .collect::<Vec<_>>()
        .into_iter()
        .collect()
}

/// Signals of equal length (`batch × len`, row-major): features (`batch × n_features × n_frames`) and scalars
/// (`batch × n_scalars × n_frames`), or frame-major per signal, on the current rayon pool.
pub fn extract_rows(
    ex: &Extractor,
    samples: &[f32],
    len: usize,
    frame_major: bool,
) -> Result<(Vec<f32>, Vec<f32>), (usize, Error)> {
    let batch = samples.len().checked_div(len).unwrap_or(0);
    let cfg = ex.config();
    let n_frames = cfg.n_frames(len);
    let (per_f, per_s) = (cfg.n_features() * n_frames, cfg.scalars.count() * n_frames);
    let (mut features, mut scalars) = (Room::new(batch * per_f), Room::new(batch * per_s));
    // Chunks of length 0 (no frames, no scalars) cannot come from `chunks_mut`, so carve them by hand.
    let (mut f_rest, mut s_rest) = (features.slots(), scalars.slots());
    let mut jobs = Vec::with_capacity(batch);
    for signal in samples.chunks_exact(len.max(1)).take(batch) {
        let (f, f_tail) = std::mem::take(&mut f_rest).split_at_mut(per_f);
        let (s, s_tail) = std::mem::take(&mut s_rest).split_at_mut(per_s);
        (f_rest, s_rest) = (f_tail, s_tail);
        jobs.push((signal, f, s));
    }
    let results: Vec<Result<(), Error>> = jobs
        .into_par_iter()
        .map(|(signal, out_f, out_s)| extract_uninit(ex, signal, frame_major, out_f, out_s).map(drop))
        .collect();
    match results.into_iter().enumerate().find_map(|(i, r)| r.err().map(|e| (i, e))) {
        Some(err) => Err(err),
        // SAFETY: every row's extraction succeeded, so each wrote all of its part of both.
        None => Ok(unsafe { (features.into_vec(), scalars.into_vec()) }),
    }
}

/// Offline extractor for one config: tables built once, any number of signals.
#[pyclass(frozen, module = "stapes._native")]
pub struct Offline {
    inner: Extractor,
}

fn slice_of<'a>(array: &'a PyReadonlyArray1<'_, f32>, what: &str) -> PyResult<&'a [f32]> {
    array.as_slice().map_err(|_| PyTypeError::new_err(format!("{what} must be a C-contiguous float32 array")))
}

fn threads_error(e: String) -> PyErr {
    PyValueError::new_err(e)
}

#[pymethods]
impl Offline {
    /// Validates the config JSON and builds its tables. Raises `ConfigError` naming the field.
    #[new]
    fn new(py: Python<'_>, json: &str) -> PyResult<Self> {
        let config = parse_py(py, json)?;
        let inner = Extractor::new(&config).map_err(|e| core_error(py, e, None))?;
        Ok(Offline { inner })
    }

    /// Canonical config JSON.
    #[getter]
    fn json(&self) -> String {
        self.inner.config().to_json()
    }

    /// Rows of the feature output.
    #[getter]
    fn n_features(&self) -> usize {
        self.inner.config().n_features()
    }

    /// Names of the scalars the config computes, in output order.
    #[getter]
    fn scalar_names(&self) -> Vec<&'static str> {
        self.inner.config().scalars.selected().collect()
    }

    /// Sample rate the input must have.
    #[getter]
    fn sample_rate(&self) -> u32 {
        self.inner.config().sample_rate
    }

    /// Whether streaming gives the same frames as offline extraction.
    #[getter]
    fn streamable(&self) -> bool {
        self.inner.config().is_streamable()
    }

    /// Frames that `n` samples give.
    fn n_frames(&self, n: usize) -> usize {
        self.inner.config().n_frames(n)
    }

    /// Feature values (at least one per frame) that `n` samples give: the size check before an extraction, in one
    /// call instead of two (for short clips each call from Python is a noticeable share).
    fn output_values(&self, n: usize) -> usize {
        let cfg = self.inner.config();
        cfg.n_frames(n).saturating_mul(cfg.n_features().max(1))
    }

    /// `(features (n_features, n_frames), scalars (n_scalars, n_frames))` of a float32 signal (transposed with
    /// `frame_major`). The GIL is released while it runs.
    #[pyo3(signature = (audio, frame_major=false))]
    fn extract<'py>(
        &self,
        py: Python<'py>,
        audio: PyReadonlyArray1<'py, f32>,
        frame_major: bool,
    ) -> PyResult<Pair<'py>> {
        let signal = slice_of(&audio, "audio")?;
        let out = py.detach(|| extract_one(&self.inner, signal, frame_major)).map_err(|e| core_error(py, e, None))?;
        Ok(self.pair(py, out, frame_major))
    }

    /// A `(batch, samples)` float32 array: `(features (batch, n_features, n_frames), scalars (batch, n_scalars,
    /// n_frames))`, the rows on `threads` threads (`None`: every core) with the GIL released.
    #[pyo3(signature = (audio, threads=None, frame_major=false))]
    fn extract_batch<'py>(
        &self,
        py: Python<'py>,
        audio: PyReadonlyArray2<'py, f32>,
        threads: Option<usize>,
        frame_major: bool,
    ) -> PyResult<Batch<'py>> {
        let [batch, len] = [audio.shape()[0], audio.shape()[1]];
        let samples =
            audio.as_slice().map_err(|_| PyTypeError::new_err("audio must be a C-contiguous float32 array"))?;
        let cfg = self.inner.config();
        let (n_features, n_scalars, n_frames) = (cfg.n_features(), cfg.scalars.count(), cfg.n_frames(len));
        let (features, scalars) = py
            .detach(|| threads::install(threads, || extract_rows(&self.inner, samples, len, frame_major)))
            .map_err(threads_error)?
            .map_err(|(i, e)| core_error(py, e, Some(i)))?;
        let shape = |rows: usize| {
            if frame_major { (batch, n_frames, rows) } else { (batch, rows, n_frames) }
        };
        Ok((array3(py, features, shape(n_features)), array3(py, scalars, shape(n_scalars))))
    }

    /// A list of float32 signals (any lengths): a list of `(features, scalars)`, on `threads` threads (`None`:
    /// every core) with the GIL released.
    #[pyo3(signature = (items, threads=None, frame_major=false))]
    fn extract_list<'py>(
        &self,
        py: Python<'py>,
        items: Vec<PyReadonlyArray1<'py, f32>>,
        threads: Option<usize>,
        frame_major: bool,
    ) -> PyResult<Vec<Pair<'py>>> {
        let signals = items
            .iter()
            .enumerate()
            .map(|(i, a)| slice_of(a, &format!("batch item {i}")))
            .collect::<PyResult<Vec<&[f32]>>>()?;
        let outputs = py
            .detach(|| threads::install(threads, || extract_many(&self.inner, &signals, frame_major)))
            .map_err(threads_error)?
            .map_err(|(i, e)| core_error(py, e, Some(i)))?;
        Ok(outputs.into_iter().map(|o| self.pair(py, o, frame_major)).collect())
    }
}

type Pair<'py> = (Bound<'py, PyArray2<f32>>, Bound<'py, PyArray2<f32>>);
type Batch<'py> = (Bound<'py, PyArray3<f32>>, Bound<'py, PyArray3<f32>>);

impl Offline {
    /// One output as numpy arrays in the layout it was computed in.
    fn pair<'py>(&self, py: Python<'py>, out: Output, frame_major: bool) -> Pair<'py> {
        let cfg = self.inner.config();
        let (nf, ns, t) = (cfg.n_features(), cfg.scalars.count(), out.n_frames);
        if frame_major {
            (array2(py, out.features, t, nf), array2(py, out.scalars, t, ns))
        } else {
            (array2(py, out.features, nf, t), array2(py, out.scalars, ns, t))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::transpose;

    fn signal(n: usize, seed: u32) -> Vec<f32> {
        (0..n)
            .map(|i| ((i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) >> 8) as f32 / 16_777_216.0 - 0.5)
            .collect()
    }

    #[test]
    fn rows_and_lists_equal_single_calls() {
        let mut config = stapes_core::preset("kaldi-fbank").unwrap();
        config.scalars.rms = true;
        config.scalars.centroid = true;
        let ex = Extractor::new(&config).unwrap();
        let signals: Vec<Vec<f32>> = (0..5).map(|s| signal(4000, s)).collect();
        let singles: Vec<Output> = signals.iter().map(|s| extract_one(&ex, s, false).unwrap()).collect();
        let refs: Vec<&[f32]> = signals.iter().map(Vec::as_slice).collect();
        let many = extract_many(&ex, &refs, false).unwrap();
        let frame_major = extract_many(&ex, &refs, true).unwrap();
        let flat: Vec<f32> = signals.concat();
        let (t, nf) = (config.n_frames(4000), config.n_features());
        let (features, scalars) = extract_rows(&ex, &flat, 4000, false).unwrap();
        for (i, one) in singles.iter().enumerate() {
            assert_eq!(transpose(&frame_major[i].features, t, nf), one.features);
            assert_eq!(one.features, many[i].features);
            assert_eq!(one.scalars, many[i].scalars);
            assert_eq!(one.features[..], features[i * nf * t..(i + 1) * nf * t]);
            assert_eq!(one.scalars[..], scalars[i * 2 * t..(i + 1) * 2 * t]);
        }
    }

    #[test]
    fn errors_name_the_first_bad_signal() {
        let ex = Extractor::new(&stapes_core::preset("yamnet").unwrap()).unwrap();
        let mut signals: Vec<Vec<f32>> = (0..4).map(|s| signal(1000, s)).collect();
        signals[2][17] = f32::NAN;
        signals[3][5] = f32::INFINITY;
        let refs: Vec<&[f32]> = signals.iter().map(Vec::as_slice).collect();
        let (i, e) = extract_many(&ex, &refs, false).unwrap_err();
        assert_eq!((i, e), (2, Error::NonFinite { index: 17 }));
        let flat = signals.concat();
        let (i, _) = extract_rows(&ex, &flat, 1000, true).unwrap_err();
        assert_eq!(i, 2);
    }
}
