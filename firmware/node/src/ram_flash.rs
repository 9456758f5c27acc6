//! A NOR flash in RAM: the simulated node's settings flash, and the power-cut rig of the tests (a byte budget after
//! which every operation fails, mid-operation included, until power is "restored").

use embedded_storage_async::nor_flash::{ErrorType, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash};

/// Erase sector size, as on the RP2350's QSPI flash.
pub const SECTOR: usize = 4096;

/// `N` bytes (a multiple of [`SECTOR`]) of NOR flash: erase sets bytes to 0xFF, writes can only clear bits.
#[derive(Clone)]
pub struct RamFlash<const N: usize> {
    bytes: [u8; N],
    /// Bytes that may still be written or erased before the power goes; `None` = no cut planned.
    budget: Option<usize>,
    cut: bool,
}

/// Why a [`RamFlash`] operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RamFlashError {
    /// Outside the flash.
    OutOfBounds,
    /// Offset or length not a multiple of the write/erase size.
    NotAligned,
    /// The power was cut during (or before) this operation.
    PowerCut,
}

impl NorFlashError for RamFlashError {
    fn kind(&self) -> NorFlashErrorKind {
        match self {
            RamFlashError::OutOfBounds => NorFlashErrorKind::OutOfBounds,
            RamFlashError::NotAligned => NorFlashErrorKind::NotAligned,
            RamFlashError::PowerCut => NorFlashErrorKind::Other,
        }
    }
}

impl<const N: usize> RamFlash<N> {
    /// Fully erased flash.
    pub const fn new() -> Self {
        RamFlash { bytes: [0xff; N], budget: None, cut: false }
    }

    /// Cuts the power after `bytes` more bytes are written or erased (`None`: never).
    pub fn cut_after(&mut self, bytes: Option<usize>) {
        self.budget = bytes;
    }

    /// Whether the planned cut has happened.
    pub fn was_cut(&self) -> bool {
        self.cut
    }

    /// Power back on: operations work again (the contents are whatever the cut left).
    pub fn restore_power(&mut self) {
        (self.cut, self.budget) = (false, None);
    }

    /// The raw contents.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The raw contents, to corrupt them in tests.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.bytes
    }

    fn range(&self, offset: u32, len: usize, align: usize) -> Result<core::ops::Range<usize>, RamFlashError> {
        let start = offset as usize;
        let end = start.checked_add(len).filter(|&e| e <= N).ok_or(RamFlashError::OutOfBounds)?;
        if !start.is_multiple_of(align) || !len.is_multiple_of(align) {
            return Err(RamFlashError::NotAligned);
        }
        if self.cut {
            return Err(RamFlashError::PowerCut);
        }
        Ok(start..end)
    }

    /// Applies `f` to each byte of `range` in order while the budget lasts.
    fn spend(
        &mut self,
        range: core::ops::Range<usize>,
        mut f: impl FnMut(usize, &mut u8),
    ) -> Result<(), RamFlashError> {
        for (i, at) in range.clone().enumerate() {
            if let Some(left) = self.budget.as_mut() {
                if *left == 0 {
                    self.cut = true;
                    return Err(RamFlashError::PowerCut);
                }
                *left -= 1;
            }
            f(i, &mut self.bytes[at]);
        }
        Ok(())
    }
}

impl<const N: usize> Default for RamFlash<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> ErrorType for RamFlash<N> {
    type Error = RamFlashError;
}

impl<const N: usize> ReadNorFlash for RamFlash<N> {
    const READ_SIZE: usize = 1;

    async fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
        let range = self.range(offset, bytes.len(), 1)?;
        bytes.copy_from_slice(&self.bytes[range]);
        Ok(())
    }

    fn capacity(&self) -> usize {
        N
    }
}

impl<const N: usize> NorFlash for RamFlash<N> {
    const WRITE_SIZE: usize = 4;
    const ERASE_SIZE: usize = SECTOR;

    async fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
        let len = (to as usize).checked_sub(from as usize).ok_or(RamFlashError::OutOfBounds)?;
        let range = self.range(from, len, SECTOR)?;
        self.spend(range, |_, b| *b = 0xff)
    }

    async fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        let range = self.range(offset, bytes.len(), Self::WRITE_SIZE)?;
        self.spend(range, |i, b| *b &= bytes[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use embassy_futures::block_on;

    #[test]
    fn nor_semantics_and_a_cut_mid_write() {
        let mut f = RamFlash::<{ 2 * SECTOR }>::new();
        block_on(async {
            f.write(4, &[0x0f, 0xf0, 0xff, 0x00]).await.unwrap();
            f.write(4, &[0xff, 0x3c, 0xff, 0xff]).await.unwrap();
            assert_eq!(f.bytes()[4..8], [0x0f, 0x30, 0xff, 0x00]);
            assert_eq!(f.write(2, &[0; 4]).await, Err(RamFlashError::NotAligned));
            assert_eq!(f.erase(0, 100).await, Err(RamFlashError::NotAligned));
            assert_eq!(f.write(2 * SECTOR as u32, &[0; 4]).await, Err(RamFlashError::OutOfBounds));
            f.cut_after(Some(6));
            assert_eq!(f.write(8, &[0; 8]).await, Err(RamFlashError::PowerCut));
            assert_eq!(f.bytes()[8..16], [0, 0, 0, 0, 0, 0, 0xff, 0xff]);
            assert!(f.was_cut());
            assert_eq!(f.read(0, &mut [0; 4]).await, Err(RamFlashError::PowerCut));
            f.restore_power();
            f.erase(0, SECTOR as u32).await.unwrap();
            assert!(f.bytes()[..SECTOR].iter().all(|&b| b == 0xff));
        });
    }
}
