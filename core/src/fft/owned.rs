//! [`RealFft`]: a plan with its table, for code that has an allocator.

use alloc::vec;
use alloc::vec::Vec;

use super::{FftError, FftPlan};
use crate::lane::Lane;

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
}
