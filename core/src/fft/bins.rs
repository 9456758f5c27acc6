//! [`Bins`]: where [`FftPlan::forward_with`](super::FftPlan::forward_with) puts the bins.

/// Output of a transform: bin `k` goes to [`put`](Self::put)`(k, re, im)`. Implemented for a pair of slices (real
/// and imaginary parts) and for [`Map`] (one value per bin, such as a power).
///
/// The transform checks [`holds`](Self::holds) once, before its loops, so that the stores in them need no bounds
/// check of their own (an index into a slice that a closure captured would be checked at every bin).
pub trait Bins<T> {
    /// `Ok` if every slice has exactly `n` slots, else the length of the first one that does not.
    fn holds(&self, n: usize) -> Result<(), usize>;
    /// Stores bin `k < n`.
    fn put(&mut self, k: usize, re: T, im: T);
    /// [`put`](Self::put) without a bounds check, for an index the compiler cannot bound itself.
    ///
    /// # Safety
    /// [`holds`](Self::holds)`(n)` returned `Ok`, and `k < n`.
    unsafe fn put_unchecked(&mut self, k: usize, re: T, im: T);
}

/// `Ok` if `len == n`, else `Err(len)`.
fn exactly(len: usize, n: usize) -> Result<(), usize> {
    if len == n { Ok(()) } else { Err(len) }
}

impl<T> Bins<T> for (&mut [T], &mut [T]) {
    #[inline(always)]
    fn holds(&self, n: usize) -> Result<(), usize> {
        exactly(self.0.len(), n).and(exactly(self.1.len(), n))
    }
    #[inline(always)]
    fn put(&mut self, k: usize, re: T, im: T) {
        (self.0[k], self.1[k]) = (re, im);
    }
    #[inline(always)]
    unsafe fn put_unchecked(&mut self, k: usize, re: T, im: T) {
        // SAFETY: `k` is below both lengths (the caller's promise).
        unsafe { (*self.0.get_unchecked_mut(k), *self.1.get_unchecked_mut(k)) = (re, im) };
    }
}

/// One value per bin, `f(re, im)`, into a slice: a power or magnitude spectrum without a second pass.
pub struct Map<'a, O, F>(pub &'a mut [O], pub F);

impl<T, O, F: FnMut(T, T) -> O> Bins<T> for Map<'_, O, F> {
    #[inline(always)]
    fn holds(&self, n: usize) -> Result<(), usize> {
        exactly(self.0.len(), n)
    }
    #[inline(always)]
    fn put(&mut self, k: usize, re: T, im: T) {
        self.0[k] = (self.1)(re, im);
    }
    #[inline(always)]
    unsafe fn put_unchecked(&mut self, k: usize, re: T, im: T) {
        // SAFETY: `k` is below the length (the caller's promise).
        unsafe { *self.0.get_unchecked_mut(k) = (self.1)(re, im) };
    }
}
