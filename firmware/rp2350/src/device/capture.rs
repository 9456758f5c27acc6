//! Audio capture on the device: the I2S input as `stapes_firmware::stall::Input`, and the one [`BUFFERS`] the
//! capture, the pipeline and the settings flash share (the loop and the window rule live there, host-tested).
//!
//! Runs in the high-priority interrupt executor, so the next DMA transfer starts microseconds after the previous
//! one ends whatever the pipeline is doing. Before a flash operation the next transfer is one long
//! [`STALL_WORDS`](stapes_firmware::audio::STALL_WORDS) transfer instead, which keeps the PIO drained while both
//! cores are stalled (see `stapes_firmware::audio`).

use core::future::Future;

use embassy_rp::peripherals::PIO0;
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_time::Instant;
use stapes_firmware::stall::{Buffers, Input};

use crate::device::i2s_in::I2sIn;

/// Microseconds since boot, from the RP2350 timer.
pub fn now_us() -> u64 {
    Instant::now().as_micros()
}

/// The capture's buffers and flash-stall window.
pub static BUFFERS: Buffers<'static, CriticalSectionRawMutex> = Buffers::new(now_us);

/// The PIO state machine and its DMA channel.
pub struct Mic<const SM: usize>(pub I2sIn<'static, PIO0, SM>);

impl<const SM: usize> Input for Mic<SM> {
    fn start(&mut self) {
        self.0.start();
    }

    fn read<'b>(&'b mut self, buf: &'b mut [u32]) -> impl Future<Output = ()> + 'b {
        self.0.read(buf)
    }

    fn overran(&mut self) -> bool {
        self.0.overran()
    }

    fn set_rate(&mut self, rate: u32) {
        self.0.set_rate(rate);
    }
}
