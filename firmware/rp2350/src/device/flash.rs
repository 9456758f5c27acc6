//! The settings flash as the node library sees it: an async `NorFlash` that only lets erase and program reach the
//! settings range, and holds each one until the capture has opened a long enough stall window.
//!
//! Erase and program run from RAM with interrupts off on both cores (embassy-rp `in_ram`); the DMA keeps filling
//! the stall buffer meanwhile. Never cancel these futures mid-way (sequential-storage's rule).

use embassy_rp::flash::{Blocking, Error, Flash};
use embassy_rp::peripherals::FLASH;
use embedded_storage_async::nor_flash::{ErrorType, MultiwriteNorFlash, NorFlash, ReadNorFlash};
use stapes_firmware::audio::{FlashOp, op_fits};
use stapes_firmware::layout::{FLASH_SIZE, SETTINGS};

use crate::device::capture;

/// The Pico 2's flash driver.
pub type PicoFlash = Flash<'static, FLASH, Blocking, { FLASH_SIZE as usize }>;

/// The flash for the node: reads anywhere, writes only in [`SETTINGS`], in stall windows.
pub struct SettingsFlash {
    flash: PicoFlash,
}

impl SettingsFlash {
    pub fn new(flash: PicoFlash) -> Self {
        SettingsFlash { flash }
    }

    /// Waits until `op` fits in the open stall window (asking the capture for a new one if needed).
    async fn wait_window(op: FlashOp) {
        loop {
            if let Some((left, rate)) = capture::window_left()
                && op_fits(op, left, rate)
            {
                return;
            }
            capture::WINDOW_OPEN.reset();
            capture::WINDOW_REQUEST.signal(());
            capture::WINDOW_OPEN.wait().await;
        }
    }

    fn check(from: u32, to: u32) -> Result<(), Error> {
        if from > to || from < SETTINGS.start || to > SETTINGS.end { Err(Error::OutOfBounds) } else { Ok(()) }
    }
}

impl ErrorType for SettingsFlash {
    type Error = Error;
}

impl ReadNorFlash for SettingsFlash {
    const READ_SIZE: usize = 1;

    async fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Error> {
        self.flash.blocking_read(offset, bytes)
    }

    fn capacity(&self) -> usize {
        self.flash.capacity()
    }
}

impl NorFlash for SettingsFlash {
    const WRITE_SIZE: usize = 1;
    const ERASE_SIZE: usize = stapes_firmware::layout::SECTOR as usize;

    async fn erase(&mut self, from: u32, to: u32) -> Result<(), Error> {
        Self::check(from, to)?;
        // One sector at a time: each gets its own window check.
        let mut sector = from;
        while sector < to {
            let end = to.min(sector + Self::ERASE_SIZE as u32);
            Self::wait_window(FlashOp::Erase { len: end - sector }).await;
            self.flash.blocking_erase(sector, end)?;
            sector = end;
        }
        Ok(())
    }

    async fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Error> {
        let len = u32::try_from(bytes.len()).map_err(|_| Error::OutOfBounds)?;
        Self::check(offset, offset.checked_add(len).ok_or(Error::OutOfBounds)?)?;
        Self::wait_window(FlashOp::Program { offset, len }).await;
        self.flash.blocking_write(offset, bytes)
    }
}

/// NOR flash bits only go from 1 to 0, so a word may be programmed again (sequential-storage marks pages this way).
impl MultiwriteNorFlash for SettingsFlash {}
