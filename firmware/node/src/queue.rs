//! The send queue: whole messages in a byte ring, each behind a 2-byte length. A message that does not fit is
//! dropped (and counted) rather than blocking the audio path.

/// A FIFO of byte messages in caller-owned storage.
pub(crate) struct Queue<'m> {
    buf: &'m mut [u8],
    /// Index of the oldest byte.
    head: usize,
    /// Bytes in use.
    len: usize,
}

impl<'m> Queue<'m> {
    pub(crate) fn new(buf: &'m mut [u8]) -> Self {
        Queue { buf, head: 0, len: 0 }
    }

    /// Bytes in use (lengths included).
    pub(crate) fn fill(&self) -> usize {
        self.len
    }

    pub(crate) fn capacity(&self) -> usize {
        self.buf.len()
    }

    pub(crate) fn clear(&mut self) {
        (self.head, self.len) = (0, 0);
    }

    /// Appends `message`; false (nothing stored) when it does not fit.
    pub(crate) fn push(&mut self, message: &[u8]) -> bool {
        let Ok(n) = u16::try_from(message.len()) else { return false };
        if self.len + 2 + message.len() > self.buf.len() {
            return false;
        }
        let tail = (self.head + self.len) % self.buf.len();
        self.copy_in(tail, &n.to_le_bytes());
        self.copy_in((tail + 2) % self.buf.len(), message);
        self.len += 2 + message.len();
        true
    }

    /// Moves the oldest message into `out` and returns its length; `None` when empty or when `out` is too short
    /// (then the message stays queued).
    pub(crate) fn pop(&mut self, out: &mut [u8]) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let mut n = [0u8; 2];
        self.copy_out(self.head, &mut n);
        let n = usize::from(u16::from_le_bytes(n));
        let out = out.get_mut(..n)?;
        self.copy_out((self.head + 2) % self.buf.len(), out);
        self.head = (self.head + 2 + n) % self.buf.len();
        self.len -= 2 + n;
        Some(n)
    }

    fn copy_in(&mut self, at: usize, bytes: &[u8]) {
        let first = bytes.len().min(self.buf.len() - at);
        self.buf[at..at + first].copy_from_slice(&bytes[..first]);
        self.buf[..bytes.len() - first].copy_from_slice(&bytes[first..]);
    }

    fn copy_out(&self, at: usize, bytes: &mut [u8]) {
        let first = bytes.len().min(self.buf.len() - at);
        bytes[..first].copy_from_slice(&self.buf[at..at + first]);
        let rest = bytes.len() - first;
        bytes[first..].copy_from_slice(&self.buf[..rest]);
    }
}

#[cfg(test)]
mod tests {
    use super::Queue;
    use std::collections::VecDeque;

    /// Against a `VecDeque` model with odd sizes that wrap the ring at every offset.
    #[test]
    fn behaves_like_a_fifo_that_drops_what_does_not_fit() {
        let mut storage = [0u8; 61];
        let mut q = Queue::new(&mut storage);
        let mut model: VecDeque<Vec<u8>> = VecDeque::new();
        let mut used = 0;
        let mut out = [0u8; 64];
        for step in 0..2000u32 {
            if step % 3 != 2 {
                let len = (step as usize * 7) % 23;
                let msg: Vec<u8> = (0..len).map(|i| (step as usize + i) as u8).collect();
                let fits = used + 2 + len <= 61;
                assert_eq!(q.push(&msg), fits);
                if fits {
                    used += 2 + len;
                    model.push_back(msg);
                }
            } else {
                let got = q.pop(&mut out);
                let want = model.pop_front();
                assert_eq!(got.map(|n| out[..n].to_vec()), want.clone());
                used -= want.map_or(0, |m| m.len() + 2);
            }
            assert_eq!(q.fill(), used);
        }
    }

    #[test]
    fn a_short_output_buffer_keeps_the_message() {
        let mut storage = [0u8; 32];
        let mut q = Queue::new(&mut storage);
        assert!(q.push(&[1, 2, 3]));
        assert_eq!(q.pop(&mut [0u8; 2]), None);
        let mut out = [0u8; 3];
        assert_eq!(q.pop(&mut out), Some(3));
        assert_eq!(out, [1, 2, 3]);
    }
}
