//! The settings flash as the node library sees it: embassy-rp's blocking driver behind
//! `stapes_firmware::stall::WindowedFlash`, which only lets erase and program reach the settings range, each in a
//! stall window of the capture.
//!
//! Erase and program run from RAM with interrupts off on both cores (embassy-rp `in_ram`); the DMA keeps filling
//! the stall buffer meanwhile. Never cancel these futures mid-way (sequential-storage's rule).

use embassy_rp::flash::{Blocking, Error, Flash};
use embassy_rp::peripherals::FLASH;
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embedded_storage_async::nor_flash::{ErrorType, MultiwriteNorFlash, NorFlash, ReadNorFlash};
use stapes_firmware::layout::{FLASH_SIZE, SECTOR, SETTINGS};
use stapes_firmware::stall::WindowedFlash;

use crate::device::capture::BUFFERS;

/// The Pico 2's flash driver.
pub type PicoFlash = Flash<'static, FLASH, Blocking, { FLASH_SIZE as usize }>;

/// The flash for the node: reads anywhere, writes only in [`SETTINGS`], in stall windows.
pub type SettingsFlash = WindowedFlash<'static, 'static, Pico, CriticalSectionRawMutex>;

/// The settings flash over `flash`.
pub fn settings(flash: PicoFlash) -> SettingsFlash {
    WindowedFlash::new(Pico(flash), SETTINGS, &BUFFERS)
}

/// The blocking driver as an async `NorFlash` (embassy-rp has the async traits only for its DMA mode; the
/// blocking calls are what must run inside a window anyway).
pub struct Pico(PicoFlash);

impl ErrorType for Pico {
    type Error = Error;
}

impl ReadNorFlash for Pico {
    const READ_SIZE: usize = 1;

    async fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Error> {
        self.0.blocking_read(offset, bytes)
    }

    fn capacity(&self) -> usize {
        self.0.capacity()
    }
}

impl NorFlash for Pico {
    const WRITE_SIZE: usize = 1;
    const ERASE_SIZE: usize = SECTOR as usize;

    async fn erase(&mut self, from: u32, to: u32) -> Result<(), Error> {
        self.0.blocking_erase(from, to)
    }

    async fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Error> {
        self.0.blocking_write(offset, bytes)
    }
}

/// NOR flash bits only go from 1 to 0, so a word may be programmed again (sequential-storage marks pages this way).
impl MultiwriteNorFlash for Pico {}
