//! The whole front end as `frontend.c` runs it, one frame per completed window, with its state (the window's
//! input buffer, the noise estimate) held between calls: streaming by nature, and the same frames for any
//! chunking because a frame depends only on the samples and the frames before it.

use super::config::{MAX_CHANNELS, MAX_WINDOW, MicroConfig, msb32};
use super::filterbank::Filterbank;
use super::kissfft::{Cpx, KissFftr};
use super::noise::NoiseReduction;
use super::pcan::Pcan;
use super::{log_scale, window};
use crate::error::ConfigError;

/// The TFLite Micro front end for one [`MicroConfig`]: tables built once by [`MicroFrontend::new`], then only
/// integer arithmetic per frame. Holds every buffer it uses (no allocation).
pub struct MicroFrontend {
    config: MicroConfig,
    size: usize,
    step: usize,
    fft_size: usize,
    correction_bits: i32,
    input: [i16; MAX_WINDOW],
    input_used: usize,
    coefficients: [i16; MAX_WINDOW],
    /// The windowed frame, scaled up for the FFT; the zero padding to `fft_size` is never written.
    fft_input: [i16; MAX_WINDOW],
    fft: KissFftr,
    spectrum: [Cpx; MAX_WINDOW / 2 + 1],
    filterbank: Filterbank,
    noise: NoiseReduction,
    pcan: Option<Pcan>,
    signal: [u32; MAX_CHANNELS],
    output: [u16; MAX_CHANNELS],
}

impl MicroFrontend {
    /// Validates `config` and builds the tables (`FrontendPopulateState`).
    pub fn new(config: &MicroConfig) -> Result<MicroFrontend, ConfigError> {
        config.validate()?;
        let size = config.window_samples();
        let fft_size = config.fft_size();
        let mut coefficients = [0i16; MAX_WINDOW];
        window::coefficients(&mut coefficients[..size]);
        Ok(MicroFrontend {
            config: *config,
            size,
            step: config.step_samples(),
            fft_size,
            correction_bits: config.correction_bits(),
            input: [0; MAX_WINDOW],
            input_used: 0,
            coefficients,
            fft_input: [0; MAX_WINDOW],
            fft: KissFftr::new(fft_size),
            spectrum: [Cpx::default(); MAX_WINDOW / 2 + 1],
            filterbank: Filterbank::new(config)?,
            noise: NoiseReduction::new(config),
            pcan: config.enable_pcan.then(|| Pcan::new(config)),
            signal: [0; MAX_CHANNELS],
            output: [0; MAX_CHANNELS],
        })
    }

    /// The config this front end runs.
    pub fn config(&self) -> &MicroConfig {
        &self.config
    }

    /// `FrontendProcessSamples`: takes as many of `samples` as the window still needs, and if that completes it,
    /// computes a frame. Returns the frame (`channels` values) if one was computed, and how many samples were read.
    pub fn process_samples(&mut self, samples: &[i16]) -> (Option<&[u16]>, usize) {
        let take = (self.size - self.input_used).min(samples.len());
        self.input[self.input_used..self.input_used + take].copy_from_slice(&samples[..take]);
        self.input_used += take;
        if self.input_used < self.size {
            return (None, take);
        }
        self.compute_frame();
        (Some(&self.output[..self.config.channels as usize]), take)
    }

    /// Feeds any number of samples; `emit` receives each frame they complete, in order.
    pub fn push(&mut self, mut samples: &[i16], emit: &mut dyn FnMut(&[u16])) {
        while !samples.is_empty() {
            let (frame, read) = self.process_samples(samples);
            if let Some(frame) = frame {
                emit(frame);
            }
            samples = &samples[read..];
        }
    }

    /// `FrontendReset`: back to the state of a new front end (empty window, zero noise estimate).
    pub fn reset(&mut self) {
        self.input = [0; MAX_WINDOW];
        self.input_used = 0;
        self.fft_input = [0; MAX_WINDOW];
        self.spectrum = [Cpx::default(); MAX_WINDOW / 2 + 1];
        self.filterbank.reset();
        self.noise.reset();
    }

    fn compute_frame(&mut self) {
        let (size, step) = (self.size, self.step);
        let max_abs = window::apply(&self.input[..size], &self.coefficients[..size], &mut self.fft_input[..size]);
        self.input.copy_within(step..size, 0);
        self.input_used -= step;
        // The FFT input is scaled up so that its largest value uses all 15 bits (`FftCompute`), and the
        // filterbank's square roots are scaled back down by the same shift.
        let input_shift = (15 - msb32(max_abs as u32)) as u32;
        for x in self.fft_input[..size].iter_mut() {
            *x = (((*x as u16 as u32) << input_shift) & 0xFFFF) as u16 as i16;
        }
        let bins = self.fft_size / 2 + 1;
        self.fft.forward(&self.fft_input[..self.fft_size], &mut self.spectrum[..bins]);
        let channels = self.config.channels as usize;
        let signal = &mut self.signal[..channels];
        self.filterbank.apply(&self.spectrum[..bins], input_shift, signal);
        self.finish_frame();
    }

    /// The stateful end of a frame, on `self.signal` (the filterbank's square roots): noise reduction, PCAN and
    /// the log, into `self.output`.
    fn finish_frame(&mut self) {
        let channels = self.config.channels as usize;
        let signal = &mut self.signal[..channels];
        self.noise.apply(signal);
        if let Some(pcan) = &self.pcan {
            pcan.apply(signal, &self.noise.estimate[..channels]);
        }
        log_scale::apply(
            signal,
            self.config.enable_log,
            self.config.scale_shift,
            self.correction_bits,
            &mut self.output[..channels],
        );
    }
}

/// Offline extraction: every frame of `samples`, frame after frame (`n_frames × channels`, row-major). The
/// stateless part of each frame runs sixteen frames at a time ([`super::batch`]), the stateful part frame by
/// frame; the frames equal the streaming front end's for any chunking (the tests check it).
#[cfg(feature = "alloc")]
pub fn extract_u16(config: &MicroConfig, samples: &[i16]) -> Result<alloc::vec::Vec<u16>, ConfigError> {
    use super::batch::{BatchScratch, LANES, stateless};

    let mut fe = alloc::boxed::Box::new(MicroFrontend::new(config)?);
    let n_frames = config.n_frames(samples.len());
    let (size, step, channels) = (fe.size, fe.step, config.channels as usize);
    let mut out = alloc::vec::Vec::with_capacity(n_frames * channels);
    let window = |t: usize| &samples[t * step..t * step + size];
    let mut t = 0;
    if n_frames >= LANES {
        let mut scratch = BatchScratch::new(fe.fft_size);
        let mut roots = alloc::boxed::Box::new([[0u32; MAX_CHANNELS]; LANES]);
        while t + LANES <= n_frames {
            let frames: [&[i16]; LANES] = core::array::from_fn(|l| window(t + l));
            stateless(&frames, &fe.coefficients[..size], &fe.fft, &fe.filterbank, &mut scratch, &mut roots);
            for root in roots.iter() {
                fe.signal[..channels].copy_from_slice(&root[..channels]);
                fe.finish_frame();
                out.extend_from_slice(&fe.output[..channels]);
            }
            t += LANES;
        }
    }
    for t in t..n_frames {
        // The scalar path on the rest: a full window in, one frame out.
        fe.input[..size].copy_from_slice(window(t));
        fe.input_used = size;
        fe.compute_frame();
        out.extend_from_slice(&fe.output[..channels]);
    }
    Ok(out)
}
