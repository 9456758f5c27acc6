//! Cutting a signal into frames: the padded-signal model shared by offline extraction (random access) and the
//! streaming ring buffer (push chunks of any length; frames come out as soon as they are complete).
//!
//! The padded signal has `pad` samples before and after the input (for Kaldi's unsnipped edges, as many after it as
//! its last frame reaches); frame `t` is its samples `t·hop .. t·hop + span`. Offline and streaming read the same
//! padded samples, so they give the same frames.

use crate::config::Padding;

/// Sample `p` of the padded signal built from the whole `signal` (numpy `np.pad` semantics; `reflect` beyond one
/// period keeps reflecting, as numpy does).
pub(crate) fn padded(signal: &[f32], pad: usize, padding: Padding, p: usize) -> f32 {
    let n = signal.len() as i64;
    let i = p as i64 - pad as i64;
    if (0..n).contains(&i) {
        return signal[i as usize];
    }
    match padding {
        Padding::None | Padding::Constant => 0.0,
        Padding::Edge => signal[if i < 0 { 0 } else { signal.len() - 1 }],
        Padding::Reflect if n == 1 => signal[0],
        Padding::Reflect => {
            let period = 2 * (n - 1);
            let m = i.rem_euclid(period);
            signal[if m < n { m } else { period - m } as usize]
        }
        Padding::Kaldi => signal[mirror(signal.len(), i)],
    }
}

/// Kaldi's `ExtractWindow` reflection: the sample that position `i` (any integer) of a signal of `n > 0` samples
/// reads: `-1 → 0`, `n → n − 1`, repeated off both ends, so a period of `2n`.
fn mirror(n: usize, i: i64) -> usize {
    let m = i.rem_euclid(2 * n as i64) as usize;
    if m < n { m } else { 2 * n - 1 - m }
}

/// Frames a whole signal of `n` samples gives, the one rule offline extraction and the streaming framer share:
/// every frame whose `span` samples fit the signal padded by `pad` on both sides (minus the last one if
/// `drop_last`), or for [`Padding::Kaldi`] the signal's length in hops rounded to the nearest, as Kaldi's
/// `NumFrames` with `snip_edges=false` (its last frames reach into the mirrored end).
pub(crate) fn frame_count(n: u64, pad: usize, span: usize, hop: usize, padding: Padding, drop_last: bool) -> u64 {
    if n == 0 {
        return 0;
    }
    if padding == Padding::Kaldi {
        return (n + hop as u64 / 2) / hop as u64;
    }
    let padded = n + 2 * pad as u64;
    if padded < span as u64 {
        return 0;
    }
    1 + (padded - span as u64) / hop as u64 - u64::from(drop_last)
}

/// Samples `start..start + out.len()` of the padded signal (as [`padded`]) into `out`: the part inside the signal is
/// one copy, only the padding goes sample by sample.
#[cfg(feature = "alloc")]
pub(crate) fn padded_into(signal: &[f32], pad: usize, padding: Padding, start: usize, out: &mut [f32]) {
    // Padded positions pad..pad + n are the signal itself.
    let from = pad.saturating_sub(start).min(out.len());
    let to = (pad + signal.len()).saturating_sub(start).clamp(from, out.len());
    let (before, rest) = out.split_at_mut(from);
    let (inside, after) = rest.split_at_mut(to - from);
    if !inside.is_empty() {
        inside.copy_from_slice(&signal[start + from - pad..][..inside.len()]);
    }
    match padding {
        Padding::None | Padding::Constant => {
            before.fill(0.0);
            after.fill(0.0);
        }
        Padding::Edge | Padding::Reflect | Padding::Kaldi => {
            for (p, d) in (start..).zip(before).chain((start + to..).zip(after)) {
                *d = padded(signal, pad, padding, p);
            }
        }
    }
}

/// The streaming framer's counters; its samples live in caller-owned `ring` and `head` slices.
#[derive(Clone, Debug, Default)]
pub(crate) struct Framer {
    /// Real samples received so far.
    received: u64,
    /// Padded samples written to the ring so far.
    written: u64,
    /// Ring index the next sample goes to (kept apart from `written` so that no 64-bit division runs per sample:
    /// on a 32-bit core that is a library call).
    pos: usize,
    /// Padded position where the next frame starts.
    next_start: u64,
    /// Next frame's number.
    next_index: u64,
    /// Whether the start padding has been written.
    started: bool,
}

/// Frame geometry.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Geometry {
    pub pad: usize,
    pub span: usize,
    pub hop: usize,
    pub padding: Padding,
    pub drop_last: bool,
}

impl Geometry {
    /// Ring capacity: a whole frame, and for reflection the samples the end padding mirrors (`2·pad`; for Kaldi's
    /// edges, twice what the last frame can reach past the signal, which is less than a frame).
    pub fn ring_len(&self) -> usize {
        let mirrored = if self.padding == Padding::Kaldi { 2 * self.span } else { 2 * self.pad };
        self.span.max(mirrored).max(1)
    }

    /// Start of the signal held back until the reflected start padding can be written.
    pub fn head_len(&self) -> usize {
        match self.padding {
            Padding::Reflect => self.pad + 1,
            Padding::Kaldi => self.pad,
            _ => 0,
        }
    }

    /// Frames a whole signal of `n` samples gives ([`frame_count`]).
    pub fn frames(&self, n: u64) -> u64 {
        frame_count(n, self.pad, self.span, self.hop, self.padding, self.drop_last)
    }

    /// Padded samples after the signal that its frames read: `pad`, or for Kaldi's edges as far as the last frame
    /// reaches past the signal.
    fn end_pad(&self, n: u64) -> usize {
        if self.padding != Padding::Kaldi {
            return self.pad;
        }
        match self.frames(n) {
            0 => 0,
            total => ((total - 1) * self.hop as u64 + self.span as u64).saturating_sub(self.pad as u64 + n) as usize,
        }
    }
}

impl Framer {
    /// Number of the next frame to come out.
    pub fn next_index(&self) -> u64 {
        self.next_index
    }

    /// Feeds `chunk`; calls `frame(t, a, b)` for each frame completed, the frame's samples being `a` then `b`
    /// (the ring wraps).
    pub fn push(&mut self, g: &Geometry, ring: &mut [f32], head: &mut [f32], chunk: &[f32], frame: FrameFn<'_>) {
        let mut rest = chunk;
        while let Some((&x, tail)) = rest.split_first() {
            if self.started {
                // Bulk path: copy up to the next completed frame or the ring's end, whichever is first.
                let until_frame = (self.next_start + g.span as u64).saturating_sub(self.written).max(1);
                let n = rest.len().min(until_frame as usize).min(ring.len() - self.pos);
                copy(&mut ring[self.pos..self.pos + n], &rest[..n]);
                self.advance(ring.len(), n);
                self.received += n as u64;
                self.emit_ready(g, ring, u64::MAX, frame);
                rest = &rest[n..];
                continue;
            }
            rest = tail;
            match g.padding {
                Padding::None => {}
                Padding::Constant | Padding::Edge => {
                    let fill = if g.padding == Padding::Edge { x } else { 0.0 };
                    for _ in 0..g.pad {
                        self.write(g, ring, fill, u64::MAX, frame);
                    }
                }
                Padding::Reflect | Padding::Kaldi if !head.is_empty() => {
                    // Hold samples back until x[1..=pad] (Kaldi: x[0..pad]) exist to mirror.
                    head[self.received as usize] = x;
                    self.received += 1;
                    if self.received as usize == head.len() {
                        let first = usize::from(g.padding == Padding::Reflect);
                        for j in (first..first + g.pad).rev() {
                            self.write(g, ring, head[j], u64::MAX, frame);
                        }
                        for &h in head.iter() {
                            self.write(g, ring, h, u64::MAX, frame);
                        }
                        self.started = true;
                    }
                    continue;
                }
                // Kaldi's edges with no start padding (hop ≥ window).
                Padding::Reflect | Padding::Kaldi => {}
            }
            self.started = true;
            self.received += 1;
            self.write(g, ring, x, u64::MAX, frame);
        }
    }

    /// Ends the signal: writes the end padding, emits the remaining frames (without the last one if the geometry
    /// drops it) and resets for a new signal.
    pub fn flush(&mut self, g: &Geometry, ring: &mut [f32], head: &mut [f32], frame: FrameFn<'_>) {
        let n = self.received;
        let total = g.frames(n);
        if !self.started {
            // Reflection of a signal shorter than the padding: all of it is still in `head`.
            let signal = &head[..n as usize];
            for p in 0..if n == 0 { 0 } else { signal.len() + g.pad + g.end_pad(n) } {
                self.write(g, ring, padded(signal, g.pad, g.padding, p), total, frame);
            }
        } else {
            for j in 0..g.end_pad(n) {
                let x = match g.padding {
                    Padding::None | Padding::Constant => 0.0,
                    // The last real sample, `j` padding samples back.
                    Padding::Edge => ring[self.back(ring.len(), 1 + j)],
                    // x[n − 2 − j] sits 2 + 2j behind the write position.
                    Padding::Reflect => ring[self.back(ring.len(), 2 + 2 * j)],
                    // Position n + j reads x[k]: written n + j − k samples ago (1 + 2j for k = n − 1 − j; a signal
                    // shorter than the mirrored end reflects again off its start, still within the ring).
                    Padding::Kaldi => {
                        let (n, i) = (n as usize, n as usize + j);
                        ring[self.back(ring.len(), i - mirror(n, i as i64))]
                    }
                };
                self.write(g, ring, x, total, frame);
            }
        }
        *self = Framer::default();
    }

    /// Ring index of the sample written `back` samples ago (`back ≤ ring length`).
    fn back(&self, cap: usize, back: usize) -> usize {
        (self.pos + cap - back) % cap
    }

    /// Moves the write position `n` samples on (`n` never crosses the ring's end).
    fn advance(&mut self, cap: usize, n: usize) {
        self.pos += n;
        if self.pos == cap {
            self.pos = 0;
        }
        self.written += n as u64;
    }

    /// Writes one padded sample and emits every frame it completes whose number is below `limit`.
    fn write(&mut self, g: &Geometry, ring: &mut [f32], x: f32, limit: u64, frame: FrameFn<'_>) {
        ring[self.pos] = x;
        self.advance(ring.len(), 1);
        self.emit_ready(g, ring, limit, frame);
    }

    /// Emits every complete frame not yet emitted whose number is below `limit`.
    fn emit_ready(&mut self, g: &Geometry, ring: &[f32], limit: u64, frame: FrameFn<'_>) {
        while self.written >= self.next_start + g.span as u64 {
            if self.next_index < limit {
                // The frame is the last `written − next_start` (= span) samples.
                let start = self.back(ring.len(), (self.written - self.next_start) as usize);
                let (a, b) = ring.split_at(start);
                let first = &b[..g.span.min(b.len())];
                frame(self.next_index, first, &a[..g.span - first.len()]);
            }
            self.next_start += g.hop as u64;
            self.next_index += 1;
        }
    }
}

/// `dst ← src`, four values per step. Not `copy_from_slice`: for a few hundred bytes, a Cortex-M's library
/// `memcpy` costs about an instruction per byte, this about half an instruction.
fn copy(dst: &mut [f32], src: &[f32]) {
    let (mut d4, mut s4) = (dst.chunks_exact_mut(4), src.chunks_exact(4));
    for (d, s) in (&mut d4).zip(&mut s4) {
        d.copy_from_slice(s);
    }
    for (d, s) in d4.into_remainder().iter_mut().zip(s4.remainder()) {
        *d = *s;
    }
}

/// Receives each completed frame: its number and its samples in two parts.
pub(crate) type FrameFn<'a> = &'a mut dyn FnMut(u64, &[f32], &[f32]);

#[cfg(all(test, feature = "alloc"))]
mod tests {
    use super::*;

    /// `padded_into` equals `padded` sample by sample for every padding, for runs before, across, inside and past
    /// short and long signals (reflection over several periods included).
    #[test]
    fn padded_into_equals_padded_everywhere() {
        let long: [f32; 9] = core::array::from_fn(|i| i as f32 + 1.0);
        for signal in [&long[..1], &long[..2], &long[..]] {
            for padding in [Padding::None, Padding::Constant, Padding::Edge, Padding::Reflect, Padding::Kaldi] {
                for pad in [0, 3, 12] {
                    for start in 0..2 * pad + signal.len() + 4 {
                        for len in [0, 1, 5, 30] {
                            let mut got = [f32::NAN; 30];
                            padded_into(signal, pad, padding, start, &mut got[..len]);
                            for (j, g) in got[..len].iter().enumerate() {
                                let want = padded(signal, pad, padding, start + j);
                                assert_eq!(
                                    g.to_bits(),
                                    want.to_bits(),
                                    "{padding:?} n={} pad={pad} p={}",
                                    signal.len(),
                                    start + j
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    /// Kaldi's `ExtractWindow` (kaldi-native-fbank `feature-window.cc`), its reflection loop as written there.
    fn kaldi_sample(wave: &[f32], mut s: i64) -> f32 {
        let dim = wave.len() as i64;
        while s < 0 || s >= dim {
            if s < 0 {
                s = -s - 1;
            } else {
                s = 2 * dim - 1 - s;
            }
        }
        wave[s as usize]
    }

    /// Kaldi's frames with `snip_edges=false`: `FirstSampleOfFrame` and `NumFrames(flush = true)` as written in
    /// kaldi-native-fbank, against the padded-signal model: the same count, and every frame's samples.
    #[test]
    fn kaldi_edges_give_kaldis_frames() {
        let wave: Vec<f32> = (0..1000).map(|i| i as f32).collect();
        for (win, hop) in [(400usize, 160usize), (400, 100), (400, 400), (401, 161), (25, 10), (400, 399), (3, 2)] {
            let pad = win / 2 - hop / 2;
            for n in (0..600).chain([999, 1000]) {
                let x = &wave[..n];
                let count = frame_count(n as u64, pad, win, hop, Padding::Kaldi, false);
                let kaldi_count = (n as i64 + hop as i64 / 2) / hop as i64;
                assert_eq!(count as i64, if n == 0 { 0 } else { kaldi_count }, "win {win}, hop {hop}, n {n}");
                for f in 0..count as i64 {
                    let first = hop as i64 * f + hop as i64 / 2 - win as i64 / 2;
                    let mut got = vec![f32::NAN; win];
                    padded_into(x, pad, Padding::Kaldi, f as usize * hop, &mut got);
                    for (s, g) in got.iter().enumerate() {
                        assert_eq!(*g, kaldi_sample(x, first + s as i64), "win {win}, hop {hop}, n {n}, frame {f}");
                    }
                }
            }
        }
    }
}
