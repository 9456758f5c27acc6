//! Audio capture: the I2S input's DMA fills blocks of a pool, handed to the pipeline through a channel.
//!
//! Runs in the high-priority interrupt executor, so the next DMA transfer starts microseconds after the previous
//! one ends whatever the pipeline is doing. Before a flash operation (requested by [`crate::device::flash`]) the
//! next transfer is one long [`STALL_WORDS`] transfer instead, which keeps the PIO drained while both cores are
//! stalled (see `stapes_firmware::audio`).

use core::cell::Cell;
use core::sync::atomic::{AtomicU32, Ordering};

use embassy_rp::peripherals::PIO0;
use embassy_sync::blocking_mutex::Mutex;
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::channel::Channel;
use embassy_sync::signal::Signal;
use embassy_time::{Duration, Instant};
use stapes_firmware::audio::{BLOCK_WORDS, DEFAULT_RATE, POOL_BLOCKS, STALL_WORDS, stall_window_us};

use crate::device::i2s_in::I2sIn;

/// Captured audio travelling to the pipeline and back (the buffer returns to the capture after use).
pub enum Chunk {
    /// One block of the pool.
    Block(&'static mut [u32; BLOCK_WORDS]),
    /// The flash-stall transfer.
    Stall(&'static mut [u32; STALL_WORDS]),
}

impl Chunk {
    /// The I2S words.
    pub fn words(&self) -> &[u32] {
        match self {
            Chunk::Block(b) => &b[..],
            Chunk::Stall(s) => &s[..],
        }
    }
}

/// Filled chunks, capture → pipeline (room for every buffer, so a send never waits).
pub static FILLED: Channel<CriticalSectionRawMutex, Chunk, { POOL_BLOCKS + 1 }> = Channel::new();
/// Emptied blocks, pipeline → capture.
pub static FREE_BLOCKS: Channel<CriticalSectionRawMutex, &'static mut [u32; BLOCK_WORDS], POOL_BLOCKS> = Channel::new();
/// The emptied stall buffer, pipeline → capture.
pub static FREE_STALL: Channel<CriticalSectionRawMutex, &'static mut [u32; STALL_WORDS], 1> = Channel::new();

/// Blocks dropped because the pipeline had not returned any (it lags more than the pool).
pub static DROPPED_BLOCKS: AtomicU32 = AtomicU32::new(0);
/// Transfers after which the PIO reported a stall on a full RX FIFO (samples lost in the hardware).
pub static RX_OVERRUNS: AtomicU32 = AtomicU32::new(0);
/// Transfers completed (the watchdog checks that this moves).
pub static TRANSFERS: AtomicU32 = AtomicU32::new(0);

/// A new sample rate from the settings.
pub static SET_RATE: Signal<CriticalSectionRawMutex, u32> = Signal::new();
/// A flash operation waits for a stall window.
pub static WINDOW_REQUEST: Signal<CriticalSectionRawMutex, ()> = Signal::new();
/// A stall window has opened (answer to [`WINDOW_REQUEST`]).
pub static WINDOW_OPEN: Signal<CriticalSectionRawMutex, ()> = Signal::new();
/// End of the current stall window and the rate it runs at, while one is open.
static WINDOW: Mutex<CriticalSectionRawMutex, Cell<Option<(Instant, u32)>>> = Mutex::new(Cell::new(None));

/// `(µs left, sample rate)` of the open stall window, if any.
pub fn window_left() -> Option<(u64, u32)> {
    let (end, rate) = WINDOW.lock(Cell::get)?;
    Some((end.saturating_duration_since(Instant::now()).as_micros(), rate))
}

/// Gives every buffer to the capture; call once before spawning it.
pub fn provide(blocks: &'static mut [[u32; BLOCK_WORDS]; POOL_BLOCKS], stall: &'static mut [u32; STALL_WORDS]) {
    for block in blocks.iter_mut() {
        // Cannot fail: the channel holds exactly POOL_BLOCKS.
        let _ = FREE_BLOCKS.try_send(block);
    }
    let _ = FREE_STALL.try_send(stall);
}

/// The capture loop over the configured I2S input (at [`DEFAULT_RATE`] until the settings say otherwise).
pub async fn run<const SM: usize>(mut i2s: I2sIn<'static, PIO0, SM>) -> ! {
    let mut rate = DEFAULT_RATE;
    let mut filling = FREE_BLOCKS.receive().await;
    i2s.start();
    loop {
        i2s.read(&mut filling[..]).await;
        TRANSFERS.fetch_add(1, Ordering::Relaxed);
        if i2s.overran() {
            RX_OVERRUNS.fetch_add(1, Ordering::Relaxed);
        }
        match FREE_BLOCKS.try_receive() {
            Ok(next) => {
                let _ = FILLED.try_send(Chunk::Block(core::mem::replace(&mut filling, next)));
            }
            // The pipeline holds every other block: overwrite this one.
            Err(_) => {
                DROPPED_BLOCKS.fetch_add(1, Ordering::Relaxed);
            }
        }
        if WINDOW_REQUEST.signaled()
            && let Ok(stall) = FREE_STALL.try_receive()
        {
            WINDOW_REQUEST.reset();
            // The transfer starts when `read` returns; the window is measured from here.
            let transfer = i2s.read(&mut stall[..]);
            let end = Instant::now() + Duration::from_micros(stall_window_us(rate));
            WINDOW.lock(|w| w.set(Some((end, rate))));
            WINDOW_OPEN.signal(());
            transfer.await;
            WINDOW.lock(|w| w.set(None));
            TRANSFERS.fetch_add(1, Ordering::Relaxed);
            if i2s.overran() {
                RX_OVERRUNS.fetch_add(1, Ordering::Relaxed);
            }
            let _ = FILLED.try_send(Chunk::Stall(stall));
        }
        // Only a real change touches the divider: restarting it would shift the bit clock mid-stream.
        if let Some(new_rate) = SET_RATE.try_take()
            && new_rate != rate
        {
            rate = new_rate;
            i2s.set_rate(rate);
        }
    }
}
