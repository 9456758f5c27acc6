//! Watchdog, reboots and the cycle counter.

use core::sync::atomic::Ordering;

use cortex_m::peripheral::{DCB, DWT};
use embassy_rp::watchdog::Watchdog;
use embassy_time::{Duration, Ticker};

use crate::device::capture;

/// Reset if the watchdog goes unfed this long: well above a sector erase (interrupts off, datasheet max 400 ms).
const WATCHDOG_TIMEOUT: Duration = Duration::from_millis(1_500);
/// How often the watchdog task checks liveness.
const WATCHDOG_PERIOD: Duration = Duration::from_millis(250);
/// Checks without a completed capture transfer before the watchdog is starved (covers a 512 ms stall transfer).
const CAPTURE_GRACE: u32 = 4;

/// Feeds the watchdog while the thread executor runs (this task gets scheduled) and the capture makes progress.
#[embassy_executor::task]
pub async fn watchdog(mut watchdog: Watchdog) -> ! {
    watchdog.start(WATCHDOG_TIMEOUT);
    let mut ticker = Ticker::every(WATCHDOG_PERIOD);
    let mut last = capture::BUFFERS.transfers.load(Ordering::Relaxed);
    let mut idle = 0u32;
    loop {
        ticker.next().await;
        let now = capture::BUFFERS.transfers.load(Ordering::Relaxed);
        idle = if now == last { idle + 1 } else { 0 };
        last = now;
        if idle <= CAPTURE_GRACE {
            watchdog.feed(WATCHDOG_TIMEOUT);
        }
    }
}

/// ROM `reboot` flags.
const REBOOT_TYPE_NORMAL: u32 = 0x0;
const REBOOT_TYPE_BOOTSEL: u32 = 0x2;
const NO_RETURN_ON_SUCCESS: u32 = 0x100;
/// BOOTSEL parameter: hide the mass-storage drive (the browser updates over PICOBOOT; no drive pops up).
const BOOTSEL_DISABLE_MSD: u32 = 0x1;
/// Delay before the ROM reboots: lets the reply's USB transfer finish.
const REBOOT_DELAY_MS: u32 = 10;

/// Reboots into the USB bootloader (PICOBOOT only, no mass storage).
pub fn reboot_to_bootloader() -> ! {
    // With NO_RETURN_ON_SUCCESS the ROM only returns on error.
    embassy_rp::rom_data::reboot(REBOOT_TYPE_BOOTSEL | NO_RETURN_ON_SUCCESS, REBOOT_DELAY_MS, BOOTSEL_DISABLE_MSD, 0);
    cortex_m::peripheral::SCB::sys_reset()
}

/// Reboots into the firmware.
pub fn reboot() -> ! {
    embassy_rp::rom_data::reboot(REBOOT_TYPE_NORMAL | NO_RETURN_ON_SUCCESS, REBOOT_DELAY_MS, 0, 0);
    cortex_m::peripheral::SCB::sys_reset()
}

/// Starts the DWT cycle counter (CPU time per frame for health).
pub fn start_cycle_counter(dcb: &mut DCB, dwt: &mut DWT) {
    dcb.enable_trace();
    dwt.enable_cycle_counter();
}

/// CPU cycles so far (wraps every 2^32 cycles, 28.6 s at 150 MHz: take differences with `wrapping_sub`).
pub fn cycles() -> u32 {
    DWT::cycle_count()
}
