//! [`RealFft`]: a plan with its table, for code that has an allocator.

use alloc::vec;
use alloc::vec::Vec;

use super::{FftError, FftPlan};
use crate::lane::{Batch, BatchJob, Lane, dispatch};

/// An [`FftPlan`] that owns its twiddle table.
#[derive(Debug, Clone, PartialEq)]
pub struct RealFft {
    plan: FftPlan,
    table: Vec<f32>,
}

impl RealFft {
    /// Plans length `n` and computes its table.
    pub fn new(n: usize) -> Result<Self, FftError> {
        let plan = FftPlan::try_new(n)?;
        let mut table = vec![0.0; plan.table_len()];
        plan.fill_table(&mut table)?;
        Ok(Self { plan, table })
    }

    /// The plan (lengths, scratch size).
    pub fn plan(&self) -> &FftPlan {
        &self.plan
    }

    /// The twiddle table.
    pub fn table(&self) -> &[f32] {
        &self.table
    }

    /// Scratch of the right length for [`forward`](Self::forward).
    pub fn make_scratch<T: Lane>(&self) -> Vec<T> {
        vec![T::splat(0.0); self.plan.scratch_len()]
    }

    /// [`FftPlan::forward`] with the owned table.
    pub fn forward<T: Lane>(
        &self,
        input: &[T],
        out_re: &mut [T],
        out_im: &mut [T],
        scratch: &mut [T],
    ) -> Result<(), FftError> {
        self.plan.forward(&self.table, input, out_re, out_im, scratch)
    }

    /// `batches` forward transforms of the eight frames in `input` (sample `i` of frame `l` at `input[i][l]`),
    /// the last one's bins into `out_re`/`out_im`, in the widest lanes this CPU has: the batch FFT exactly as
    /// offline extraction runs it. This is the benchmarks' anchor ("the bare FFT for the same frames"), not an API.
    #[doc(hidden)]
    pub fn forward_batches(
        &self,
        input: &[[f32; 8]],
        out_re: &mut [[f32; 8]],
        out_im: &mut [[f32; 8]],
        batches: usize,
    ) -> Result<(), FftError> {
        dispatch(Batches { fft: self, input, out_re, out_im, batches })
    }
}

struct Batches<'a> {
    fft: &'a RealFft,
    input: &'a [[f32; 8]],
    out_re: &'a mut [[f32; 8]],
    out_im: &'a mut [[f32; 8]],
    batches: usize,
}

impl BatchJob for Batches<'_> {
    type Output = Result<(), FftError>;
    #[cfg_attr(all(target_arch = "x86_64", not(debug_assertions)), inline(always))]
    fn run<B: Batch>(self) -> Self::Output {
        let input: Vec<B> = self.input.iter().map(|&x| B::from_array(x)).collect();
        let bins = self.fft.plan.bins();
        let (mut re, mut im) = (vec![B::default(); bins], vec![B::default(); bins]);
        let mut scratch = self.fft.make_scratch::<B>();
        for _ in 0..self.batches {
            self.fft.plan.forward_with(&self.fft.table, &input, &mut scratch, (&mut re[..], &mut im[..]))?;
        }
        for (out, v) in self.out_re.iter_mut().zip(&re).chain(self.out_im.iter_mut().zip(&im)) {
            *out = v.to_array();
        }
        Ok(())
    }
}
