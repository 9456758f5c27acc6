//! The streaming resampler: push chunks of any length, take the output samples they complete; flush at the end.
//! All memory is one caller-owned f32 storage (taps, then the input buffer): no allocator.

use super::kernel::{self, Cursor, Step};
use super::{ResampleError, ResamplePlan};

/// Input samples the buffer holds beyond one window: how much of a chunk is taken in per pass.
const BLOCK: usize = 256;

/// A streaming resampler over storage `S` (`&mut [f32]`, `[f32; N]` or `Vec<f32>`).
///
/// Fed a signal in any chunks and then flushed, it writes exactly the samples [`resample`](super::resample)
/// computes for the whole signal, bit for bit.
///
/// ```
/// use stapes_core::resample::{ResamplePlan, Resampler};
///
/// let plan = ResamplePlan::new(48_000, 16_000).unwrap();
/// let mut stream = Resampler::new(plan, vec![0.0; Resampler::<&mut [f32]>::storage_len(&plan)]).unwrap();
/// let input = vec![0.25f32; 4_800];
/// let mut out = vec![0.0; 1_600];
/// let mut n = 0;
/// for chunk in input.chunks(333) {
///     n += stream.push(chunk, &mut out[n..]).unwrap();
/// }
/// n += stream.flush(&mut out[n..]).unwrap();
/// assert_eq!(n, 1_600);
/// ```
pub struct Resampler<S> {
    plan: ResamplePlan,
    step: Step,
    storage: S,
    /// Samples in the buffer (after the taps in the storage).
    len: usize,
    /// The next output's window and phase.
    at: Cursor,
    /// Input samples pushed since the start of the stream.
    n_in: u64,
    /// Output samples written since the start of the stream.
    n_out: u64,
}

impl<S: AsRef<[f32]> + AsMut<[f32]>> Resampler<S> {
    /// f32 elements of storage a resampler for `plan` needs: the taps and a buffer of two windows and a block.
    pub const fn storage_len(plan: &ResamplePlan) -> usize {
        plan.taps_len() + Self::buffer_len(plan)
    }

    const fn buffer_len(plan: &ResamplePlan) -> usize {
        2 * plan.taps_per_phase() + BLOCK
    }

    /// Builds the resampler in `storage` (computing its taps there). Fails if the storage is too small.
    pub fn new(plan: ResamplePlan, mut storage: S) -> Result<Self, ResampleError> {
        let need = Self::storage_len(&plan);
        let got = storage.as_ref().len();
        if got < need {
            return Err(ResampleError::Storage { expected: need, got });
        }
        plan.fill_taps(storage.as_mut())?;
        let mut s =
            Resampler { plan, step: Step::new(&plan), storage, len: 0, at: Cursor { q: 0, r: 0 }, n_in: 0, n_out: 0 };
        s.reset();
        Ok(s)
    }

    /// The plan this resampler runs.
    pub fn plan(&self) -> &ResamplePlan {
        &self.plan
    }

    /// Starts a new stream: forgets the input buffered so far (the taps stay).
    pub fn reset(&mut self) {
        let lead = self.plan.lead();
        let (_, buf) = self.parts();
        buf[..lead].fill(0.0);
        self.len = lead;
        self.at = Cursor { q: 0, r: 0 };
        self.n_in = 0;
        self.n_out = 0;
    }

    /// Input samples pushed since the stream started.
    pub fn samples_in(&self) -> u64 {
        self.n_in
    }

    /// Output samples written since the stream started.
    pub fn samples_out(&self) -> u64 {
        self.n_out
    }

    /// Exactly how many output samples [`push`](Self::push)ing `chunk_len` more samples writes.
    pub fn output_len(&self, chunk_len: usize) -> usize {
        let n = self.step.taps;
        let end = (self.len + chunk_len) as u128;
        let (q, r) = (self.at.q as u128, self.at.r as u128);
        if end < q + n as u128 {
            return 0;
        }
        // Outputs k = 0, 1, … ahead sit at q + (r + k·down)/up (floored); those whose window ends by `end` are
        // ready: k ≤ ((end − n − q + 1)·up − 1 − r) / down.
        let (up, down) = (self.plan.up() as u128, self.plan.down() as u128);
        let k = ((end - n as u128 - q + 1) * up - 1 - r) / down + 1;
        usize::try_from(k).unwrap_or(usize::MAX)
    }

    /// Output samples [`flush`](Self::flush) writes now.
    pub fn flush_len(&self) -> usize {
        usize::try_from(self.plan.output_len(self.n_in) - self.n_out).unwrap_or(usize::MAX)
    }

    /// Takes in `chunk` and writes the output samples it completes to the start of `output`, which must hold
    /// at least [`output_len`](Self::output_len)`(chunk.len())`; returns how many were written. A chunk with a
    /// NaN or infinite sample is refused whole, and the stream stays as it was.
    pub fn push(&mut self, chunk: &[f32], output: &mut [f32]) -> Result<usize, ResampleError> {
        if let Some(index) = chunk.iter().position(|x| !x.is_finite()) {
            return Err(ResampleError::NonFinite { index });
        }
        let expected = self.output_len(chunk.len());
        if output.len() < expected {
            return Err(ResampleError::OutputLen { expected, got: output.len() });
        }
        let mut done = self.drain(&mut output[..expected]);
        let mut rest = chunk;
        while !rest.is_empty() {
            let len = self.len;
            let (_, buf) = self.parts();
            let take = (buf.len() - len).min(rest.len());
            buf[len..len + take].copy_from_slice(&rest[..take]);
            self.len += take;
            self.n_in += take as u64;
            rest = &rest[take..];
            done += self.drain(&mut output[done..expected]);
        }
        Ok(done)
    }

    /// Ends the stream: the signal is taken to be zero after its last sample, the remaining output samples
    /// ([`flush_len`](Self::flush_len) of them) are written to `output`, and the resampler is [`reset`](Self::reset)
    /// for a new stream. Returns how many were written.
    pub fn flush(&mut self, output: &mut [f32]) -> Result<usize, ResampleError> {
        let expected = self.flush_len();
        if output.len() < expected {
            return Err(ResampleError::OutputLen { expected, got: output.len() });
        }
        let mut done = self.drain(&mut output[..expected]);
        while done < expected {
            let len = self.len;
            let (_, buf) = self.parts();
            buf[len..].fill(0.0);
            self.len = buf.len();
            done += self.drain(&mut output[done..expected]);
        }
        self.reset();
        Ok(done)
    }

    /// Computes every output whose window is in the buffer (up to `out`'s length), then drops the input no later
    /// output reads.
    fn drain(&mut self, out: &mut [f32]) -> usize {
        let (step, len) = (self.step, self.len);
        let mut at = self.at;
        let taps_len = self.plan.taps_len();
        let storage = self.storage.as_mut();
        let (table, buf) = storage.split_at_mut(taps_len);
        let done = kernel::run(&step, table, &buf[..len], &mut at, out);
        // The next window starts at `at.q` (never past the buffer's end: a step is shorter than a window).
        let keep = at.q.min(len);
        buf.copy_within(keep..len, 0);
        self.len = len - keep;
        self.at = Cursor { q: at.q - keep, r: at.r };
        self.n_out += done as u64;
        done
    }

    fn parts(&mut self) -> (&mut [f32], &mut [f32]) {
        let taps_len = self.plan.taps_len();
        let buf_len = Self::buffer_len(&self.plan);
        let (table, rest) = self.storage.as_mut().split_at_mut(taps_len);
        (table, &mut rest[..buf_len])
    }
}

#[cfg(feature = "alloc")]
impl Resampler<alloc::vec::Vec<f32>> {
    /// A resampler that owns its storage.
    pub fn new_owned(plan: ResamplePlan) -> Self {
        let storage = alloc::vec![0.0; Self::storage_len(&plan)];
        match Self::new(plan, storage) {
            Ok(s) => s,
            // The storage is sized by `storage_len` just above, and that is the only way `new` fails.
            Err(_) => unreachable!("storage sized by storage_len"),
        }
    }
}
