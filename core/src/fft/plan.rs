//! [`FftPlan`]: the length, its factorisation into stages, and the length contracts of the buffers.

use super::bins::Bins;
use super::error::FftError;
use super::real;
use super::stockham::{self, Input};
use crate::lane::Lane;

/// Stages a supported length can need: 3^7 = 2187 and 2·2·3^6 = 2916 (a 1458-point complex FFT) take seven.
const MAX_STAGES: usize = 7;

/// How to compute the real FFT of one length: plain data, `Copy`, no heap.
///
/// Even `n` runs an `n/2`-point complex FFT on the samples packed in pairs, then splits the spectrum; odd `n` runs
/// an `n`-point complex FFT on the real samples. The complex FFT is a mixed-radix Stockham autosort (radix 8 or 2
/// first, then 4, 3 and 5). Twiddles live in a caller-owned table ([`fill_table`](Self::fill_table)), and the
/// scratch is caller-owned too.
///
/// The sizes are `const fn`s, so firmware can size static buffers from a `const` plan:
///
/// ```
/// use stapes_core::fft::FftPlan;
///
/// const PLAN: FftPlan = match FftPlan::try_new(512) {
///     Ok(plan) => plan,
///     Err(_) => panic!("unsupported length"),
/// };
/// let mut table = [0.0f32; PLAN.table_len()];
/// PLAN.fill_table(&mut table).unwrap();
/// let input = [0.5f32; 512];
/// let (mut re, mut im) = ([0.0f32; PLAN.bins()], [0.0f32; PLAN.bins()]);
/// let mut scratch = [0.0f32; PLAN.scratch_len()];
/// PLAN.forward(&table, &input, &mut re, &mut im, &mut scratch).unwrap();
/// assert_eq!((re[0], im[0], re[1]), (256.0, 0.0, 0.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FftPlan {
    n: usize,
    stage_count: usize,
    radices: [u8; MAX_STAGES],
}

impl FftPlan {
    /// Shortest supported length.
    pub const MIN_LEN: usize = 16;
    /// Longest supported length.
    pub const MAX_LEN: usize = 4096;

    /// Plans the real FFT of length `n`: every `n = 2^a·3^b·5^c` in `MIN_LEN..=MAX_LEN` (odd ones too, e.g. 27, 45,
    /// 375, 3375).
    pub const fn try_new(n: usize) -> Result<Self, FftError> {
        if n < Self::MIN_LEN || n > Self::MAX_LEN {
            return Err(FftError::UnsupportedLength(n));
        }
        let mut m = if n.is_multiple_of(2) { n / 2 } else { n };
        let primes = [2, 3, 5];
        let mut exponents = [0; 3];
        let mut i = 0;
        while i < primes.len() {
            while m % primes[i] == 0 {
                m /= primes[i];
                exponents[i] += 1;
            }
            i += 1;
        }
        if m != 1 {
            return Err(FftError::UnsupportedLength(n));
        }
        let [twos, threes, fives] = exponents;
        let mut plan = Self { n, stage_count: 0, radices: [0; MAX_STAGES] };
        // Radix 8 does the powers of two in a third of the passes of radix 2 (fewer loads and stores, which
        // dominate on a Cortex-M); a remainder of 2^1 or 2^2 becomes radix 4 stages, and a lone 2 a radix 2.
        let (eights, fours, two) = match (twos % 3, twos / 3) {
            (0, e) => (e, 0, 0),
            (1, 0) => (0, 0, 1),
            (1, e) => (e - 1, 2, 0),
            (_, e) => (e, 1, 0),
        };
        plan.push(2, two);
        plan.push(8, eights);
        plan.push(4, fours);
        plan.push(3, threes);
        plan.push(5, fives);
        Ok(plan)
    }

    const fn push(&mut self, radix: u8, times: usize) {
        let mut i = 0;
        while i < times {
            self.radices[self.stage_count] = radix;
            self.stage_count += 1;
            i += 1;
        }
    }

    /// Number of real input samples.
    #[allow(clippy::len_without_is_empty, reason = "a plan is never empty")]
    pub const fn len(&self) -> usize {
        self.n
    }

    /// Number of output bins, `n/2 + 1`.
    pub const fn bins(&self) -> usize {
        self.n / 2 + 1
    }

    const fn is_even(&self) -> bool {
        self.n.is_multiple_of(2)
    }

    /// Number of points of the complex FFT inside.
    const fn complex_len(&self) -> usize {
        if self.is_even() { self.n / 2 } else { self.n }
    }

    fn radices(&self) -> &[u8] {
        &self.radices[..self.stage_count]
    }

    /// Number of f32 values in the twiddle table: the tables of the stages after the first (which needs none),
    /// then for even `n` the split table.
    pub const fn table_len(&self) -> usize {
        let mut len = if self.is_even() { real::table_len(self.complex_len()) } else { 0 };
        let mut ns = self.radices[0] as usize;
        let mut i = 1;
        while i < self.stage_count {
            let radix = self.radices[i] as usize;
            len += stockham::stage_table_len(radix, ns);
            ns *= radix;
            i += 1;
        }
        len
    }

    /// Computes the twiddle table (in f64 with `libm`, rounded to f32): the same bits on every target. Do it once
    /// per plan and keep the table, e.g. in a `static` buffer.
    pub fn fill_table(&self, table: &mut [f32]) -> Result<(), FftError> {
        let expected = self.table_len();
        if table.len() != expected {
            return Err(FftError::TableLen { expected, got: table.len() });
        }
        let mut rest = table;
        let mut ns = 1;
        for (i, &radix) in self.radices().iter().enumerate() {
            let radix = usize::from(radix);
            if i > 0 {
                let (stage, tail) = rest.split_at_mut(stockham::stage_table_len(radix, ns));
                stockham::fill_stage_table(radix, ns, stage);
                rest = tail;
            }
            ns *= radix;
        }
        real::fill_table(self.complex_len(), rest);
        Ok(())
    }

    /// Minimum number of `T` values of scratch [`forward`](Self::forward) needs: two complex buffers of the
    /// inner FFT's length, so `2n` for even `n` and `4n` for odd `n`.
    pub const fn scratch_len(&self) -> usize {
        4 * self.complex_len()
    }

    /// Forward real FFT, unnormalised, sign convention `e^{-2πi·kn/N}` (as `numpy.fft.rfft`).
    ///
    /// `input` holds `n` samples, `out_re` and `out_im` get `n/2 + 1` bins each; `out_im[0]` and, for even `n`,
    /// `out_im[n/2]` are exactly `0.0`. `table` comes from [`fill_table`](Self::fill_table); `scratch` needs at least
    /// [`scratch_len`](Self::scratch_len) values, and what it holds before the call does not matter. Each lane of
    /// `T` is an independent frame with exactly the bits it would get alone.
    pub fn forward<T: Lane>(
        &self,
        table: &[f32],
        input: &[T],
        out_re: &mut [T],
        out_im: &mut [T],
        scratch: &mut [T],
    ) -> Result<(), FftError> {
        self.forward_with(table, input, scratch, (out_re, out_im))
    }

    /// The same transform into any [`Bins`] (`n/2 + 1` of them): [`Map`](super::Map) reduces each bin to one value on the
    /// spot, so that a spectrum of powers or magnitudes takes no second pass. Bins arrive in no particular order.
    #[cfg_attr(all(target_arch = "x86_64", not(debug_assertions)), inline(always))]
    pub fn forward_with<T: Lane>(
        &self,
        table: &[f32],
        input: &[T],
        scratch: &mut [T],
        mut bins: impl Bins<T>,
    ) -> Result<(), FftError> {
        self.check(table, input.len(), scratch.len())?;
        bins.holds(self.bins()).map_err(|got| FftError::OutputLen { expected: self.bins(), got })?;
        let m = self.complex_len();
        // Two ping-pong buffers of m complex values, `[re, im]` interleaved.
        let (a, b) = scratch.as_chunks_mut::<2>().0[..2 * m].split_at_mut(m);
        if self.is_even() {
            let (stages, split) = table.split_at(table.len() - real::table_len(m));
            stockham::transform(self.radices(), stages, Input::Pairs(input.as_chunks().0), a, b);
            // SAFETY: `bins` holds `self.bins()` (checked above), m + 1 for an even n.
            unsafe { real::split(split.as_chunks().0, a, &mut bins) };
        } else {
            stockham::transform(self.radices(), table, Input::Reals(input), a, b);
            // Bins above n/2 are the conjugate mirror of those below: drop them. Bin 0's imaginary part is a sum
            // of zeros, but possibly -0.0.
            for (k, &[zr, zi]) in a[..self.bins()].iter().enumerate() {
                bins.put(k, zr, if k == 0 { T::splat(0.0) } else { zi });
            }
        }
        Ok(())
    }

    /// Validates every buffer length, so that nothing after it can index out of bounds.
    fn check(&self, table: &[f32], input: usize, scratch: usize) -> Result<(), FftError> {
        let need = self.scratch_len();
        if table.len() != self.table_len() {
            Err(FftError::TableLen { expected: self.table_len(), got: table.len() })
        } else if input != self.n {
            Err(FftError::InputLen { expected: self.n, got: input })
        } else if scratch < need {
            Err(FftError::ScratchLen { expected: need, got: scratch })
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(n: usize) -> FftPlan {
        FftPlan::try_new(n).unwrap()
    }

    #[test]
    fn factorises_into_stages() {
        assert_eq!(plan(512).radices(), [8, 8, 4]);
        assert_eq!(plan(128).radices(), [8, 8]);
        assert_eq!(plan(64).radices(), [8, 4]);
        assert_eq!(plan(256).radices(), [8, 4, 4]);
        assert_eq!(plan(400).radices(), [8, 5, 5]);
        assert_eq!(plan(4096).radices(), [8, 8, 8, 4]);
        assert_eq!(plan(32).radices(), [4, 4]);
        assert_eq!(plan(2048).radices(), [8, 8, 4, 4]);
        assert_eq!(plan(60).radices(), [2, 3, 5]);
        assert_eq!(plan(2187).radices(), [3; 7]);
        assert_eq!(plan(2916).radices(), [2, 3, 3, 3, 3, 3, 3]);
        assert_eq!(plan(3645).radices(), [3, 3, 3, 3, 3, 3, 5]);
        assert_eq!(FftPlan::try_new(98), Err(FftError::UnsupportedLength(98)));
    }

    #[test]
    fn buffer_lengths() {
        let even = plan(512);
        assert_eq!((even.len(), even.bins(), even.scratch_len()), (512, 257, 1024));
        // Stages 8,8,4 after ns = 1,8,64 need 7·8 + 3·64 twiddles (the first stage none); the split 127 more.
        assert_eq!(even.table_len(), 2 * (7 * 8 + 3 * 64 + 127));
        let odd = plan(45);
        assert_eq!((odd.len(), odd.bins(), odd.scratch_len()), (45, 23, 180));
        // Radix 3, 3, 5 after ns = 1, 3, 9.
        assert_eq!(odd.table_len(), 2 * (2 * 3 + 4 * 9));
    }
}
