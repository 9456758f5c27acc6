//! The inner loop both paths share: outputs computed from a buffer of input, eight at a time where eight fit.
//! Streaming and offline call this same function on the same windows, which is why they give the same bits.

/// Where the next output is: its window starts `q` samples into the buffer, and its phase (tap row) is `r`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Cursor {
    pub q: usize,
    pub r: usize,
}

/// The ratio's step, `down = step_q · up + step_r`, and the table's shape.
#[derive(Clone, Copy, Debug)]
pub(super) struct Step {
    pub up: usize,
    pub step_q: usize,
    pub step_r: usize,
    pub taps: usize,
}

impl Step {
    pub fn new(plan: &super::ResamplePlan) -> Self {
        let (up, down) = (plan.up() as usize, plan.down() as usize);
        Step { up, step_q: down / up, step_r: down % up, taps: plan.taps_per_phase() }
    }

    #[inline(always)]
    fn advance(&self, c: Cursor) -> Cursor {
        let (mut q, mut r) = (c.q + self.step_q, c.r + self.step_r);
        if r >= self.up {
            r -= self.up;
            q += 1;
        }
        Cursor { q, r }
    }
}

/// Writes outputs into `out` (up to its length) while their windows lie inside `buf`, advancing `at`. Returns the
/// number written.
pub(super) fn run(step: &Step, table: &[f32], buf: &[f32], at: &mut Cursor, out: &mut [f32]) -> usize {
    let n = step.taps;
    let mut done = 0;
    // Eight outputs side by side: independent sums, each in the scalar order (first product, then the rest in
    // index order), so lanes change the speed, not the bits.
    while out.len() - done >= 8 {
        let mut cur = [*at; 8];
        for i in 1..8 {
            cur[i] = step.advance(cur[i - 1]);
        }
        if cur[7].q + n > buf.len() {
            break;
        }
        let w: [&[f32]; 8] = core::array::from_fn(|i| &buf[cur[i].q..cur[i].q + n]);
        let t: [&[f32]; 8] = core::array::from_fn(|i| &table[cur[i].r * n..cur[i].r * n + n]);
        let mut acc: [f32; 8] = core::array::from_fn(|i| t[i][0] * w[i][0]);
        for j in 1..n {
            for i in 0..8 {
                acc[i] += t[i][j] * w[i][j];
            }
        }
        out[done..done + 8].copy_from_slice(&acc);
        done += 8;
        *at = step.advance(cur[7]);
    }
    while done < out.len() && at.q + n <= buf.len() {
        let w = &buf[at.q..at.q + n];
        let t = &table[at.r * n..at.r * n + n];
        let mut acc = t[0] * w[0];
        for j in 1..n {
            acc += t[j] * w[j];
        }
        out[done] = acc;
        done += 1;
        *at = step.advance(*at);
    }
    done
}
