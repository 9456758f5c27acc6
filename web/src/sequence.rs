//! Dropped-frame counting from the stream's sequence numbers (they wrap at `u32::MAX`).

/// Counts frames received and frames lost, from the sequence number each frame carries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sequence {
    expected: Option<u32>,
    /// Frames seen.
    pub received: u64,
    /// Frames skipped over by a jump forward in the sequence.
    pub dropped: u64,
    /// Frames older than one already seen (duplicates, reordering): not counted as received twice.
    pub late: u64,
}

impl Sequence {
    /// Records frame `seq`; returns how many frames were lost just before it.
    pub fn see(&mut self, seq: u32) -> u32 {
        let Some(expected) = self.expected else {
            self.expected = Some(seq.wrapping_add(1));
            self.received += 1;
            return 0;
        };
        let gap = seq.wrapping_sub(expected);
        if gap >= 1 << 31 {
            // Behind what we expect: a duplicate or a late frame.
            self.late += 1;
            return 0;
        }
        self.expected = Some(seq.wrapping_add(1));
        self.received += 1;
        self.dropped += u64::from(gap);
        gap
    }

    /// Forgets the position (a new subscription restarts its numbering), keeping the totals.
    pub fn restart(&mut self) {
        self.expected = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_gaps_across_wrap() {
        let mut s = Sequence::default();
        for seq in [u32::MAX - 2, u32::MAX - 1, 1, 2, 5] {
            s.see(seq);
        }
        // Missing: u32::MAX, 0, 3, 4.
        assert_eq!((s.received, s.dropped, s.late), (5, 4, 0));
    }

    #[test]
    fn late_and_duplicate_frames() {
        let mut s = Sequence::default();
        assert_eq!(s.see(10), 0);
        assert_eq!(s.see(12), 1);
        assert_eq!(s.see(11), 0);
        assert_eq!(s.see(12), 0);
        assert_eq!((s.received, s.dropped, s.late), (2, 1, 2));
        s.restart();
        assert_eq!(s.see(0), 0);
        assert_eq!(s.received, 3);
    }
}
