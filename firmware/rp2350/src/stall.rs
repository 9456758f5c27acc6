//! The capture's buffers and the flash-stall window, as the capture, the pipeline and the settings flash share
//! them: the capture loop, the window rule and the flash wrapper of the firmware, generic over the mutex kind, the
//! clock, the I2S input and the flash, so that host tests run them as the device does (`tests/boot_on_used_flash.rs`).
//!
//! The contract between the three: a flash operation waits until the capture has opened a stall window it fits
//! in ([`op_fits`]); the capture opens one only with the stall buffer in hand; the stall buffer comes back through
//! [`Buffers::filled`] → whoever takes chunks → [`Buffers::recycle`]. The pipeline task takes chunks once the node
//! has booted; before that (and whenever a flash operation waits) nothing would, so the waiting flash operation
//! recycles them itself ([`Buffers::wait_window`]): a flash write never depends on another task running.

use core::cell::Cell;
use core::future::Future;
use core::ops::Range;
use core::sync::atomic::{AtomicU32, Ordering};

use embassy_futures::select::select;
use embassy_sync::blocking_mutex::Mutex;
use embassy_sync::blocking_mutex::raw::RawMutex;
use embassy_sync::channel::Channel;
use embassy_sync::signal::Signal;
use embedded_storage_async::nor_flash::{
    ErrorType, MultiwriteNorFlash, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};

use crate::audio::{BLOCK_WORDS, DEFAULT_RATE, FlashOp, POOL_BLOCKS, STALL_WORDS, op_fits, stall_window_us};

/// Captured audio travelling to the pipeline and back (the buffer returns to the capture after use).
pub enum Chunk<'a> {
    /// One block of the pool.
    Block(&'a mut [u32; BLOCK_WORDS]),
    /// The flash-stall transfer.
    Stall(&'a mut [u32; STALL_WORDS]),
}

impl Chunk<'_> {
    /// The I2S words.
    pub fn words(&self) -> &[u32] {
        match self {
            Chunk::Block(b) => &b[..],
            Chunk::Stall(s) => &s[..],
        }
    }
}

/// The I2S input as the capture drives it (the PIO state machine and its DMA channel on the device).
pub trait Input {
    /// Starts sampling.
    fn start(&mut self);
    /// Starts filling `buf` now (the DMA runs from this call on); the future ends when `buf` is full.
    fn read<'b>(&'b mut self, buf: &'b mut [u32]) -> impl Future<Output = ()> + 'b;
    /// Whether samples were lost (the RX FIFO overflowed) since the last call.
    fn overran(&mut self) -> bool;
    /// Changes the sample rate.
    fn set_rate(&mut self, rate: u32);
}

/// The open stall window: when it ends (clock µs) and the rate it runs at.
#[derive(Clone, Copy)]
struct Window {
    end_us: u64,
    rate: u32,
}

/// Every buffer of the capture and the signals around them; one static on the device.
pub struct Buffers<'a, M: RawMutex> {
    /// Microseconds of a monotonic clock.
    now_us: fn() -> u64,
    /// Filled chunks, capture → pipeline (room for every buffer, so a send never waits).
    filled: Channel<M, Chunk<'a>, { POOL_BLOCKS + 1 }>,
    free_blocks: Channel<M, &'a mut [u32; BLOCK_WORDS], POOL_BLOCKS>,
    free_stall: Channel<M, &'a mut [u32; STALL_WORDS], 1>,
    window_request: Signal<M, ()>,
    window_open: Signal<M, ()>,
    window: Mutex<M, Cell<Option<Window>>>,
    /// A new sample rate from the settings, for the capture.
    pub set_rate: Signal<M, u32>,
    /// Blocks dropped because the pipeline had not returned any (it lags more than the pool).
    pub dropped_blocks: AtomicU32,
    /// Transfers after which the input reported lost samples.
    pub rx_overruns: AtomicU32,
    /// Transfers completed (the watchdog checks that this moves).
    pub transfers: AtomicU32,
}

impl<'a, M: RawMutex> Buffers<'a, M> {
    /// Empty: [`provide`](Self::provide) the buffers before the capture runs.
    pub const fn new(now_us: fn() -> u64) -> Self {
        Buffers {
            now_us,
            filled: Channel::new(),
            free_blocks: Channel::new(),
            free_stall: Channel::new(),
            window_request: Signal::new(),
            window_open: Signal::new(),
            window: Mutex::new(Cell::new(None)),
            set_rate: Signal::new(),
            dropped_blocks: AtomicU32::new(0),
            rx_overruns: AtomicU32::new(0),
            transfers: AtomicU32::new(0),
        }
    }

    /// Gives every buffer to the capture; call once, before it runs.
    pub fn provide(&self, blocks: &'a mut [[u32; BLOCK_WORDS]; POOL_BLOCKS], stall: &'a mut [u32; STALL_WORDS]) {
        for block in blocks.iter_mut() {
            // Cannot fail: the channel holds exactly POOL_BLOCKS.
            let _ = self.free_blocks.try_send(block);
        }
        let _ = self.free_stall.try_send(stall);
    }

    /// The next filled chunk; hand it back with [`recycle`](Self::recycle) once read.
    pub async fn filled(&self) -> Chunk<'a> {
        self.filled.receive().await
    }

    /// Returns a chunk's buffer to the capture.
    pub fn recycle(&self, chunk: Chunk<'a>) {
        // Cannot fail: each channel has room for every buffer of its kind.
        match chunk {
            Chunk::Block(block) => {
                let _ = self.free_blocks.try_send(block);
            }
            Chunk::Stall(stall) => {
                let _ = self.free_stall.try_send(stall);
            }
        }
    }

    /// `(µs left, sample rate)` of the open stall window, if any.
    pub fn window_left(&self) -> Option<(u64, u32)> {
        let w = self.window.lock(Cell::get)?;
        Some((w.end_us.saturating_sub((self.now_us)()), w.rate))
    }

    /// Waits until `op` fits in the open stall window, asking the capture for a new one if needed.
    ///
    /// While it waits, it takes the filled chunks and recycles them unread: that is how the stall buffer gets back
    /// to the capture when no pipeline runs (during boot), and a flash operation only ever runs with no stream
    /// (at boot, or in a settings write, which stops the stream first), so nobody wants that audio.
    pub async fn wait_window(&self, op: FlashOp) {
        loop {
            if let Some((left, rate)) = self.window_left()
                && op_fits(op, left, rate)
            {
                return;
            }
            self.window_open.reset();
            self.window_request.signal(());
            // Cancel-safe: `recycle_all` holds no chunk across an await.
            select(self.window_open.wait(), self.recycle_all()).await;
        }
    }

    async fn recycle_all(&self) -> ! {
        loop {
            let chunk = self.filled.receive().await;
            self.recycle(chunk);
        }
    }

    fn count_transfer(&self, input: &mut impl Input) {
        self.transfers.fetch_add(1, Ordering::Relaxed);
        if input.overran() {
            self.rx_overruns.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The capture loop (at [`DEFAULT_RATE`] until [`set_rate`](Self::set_rate) says otherwise): blocks of the pool
    /// one after another, and one long stall transfer whenever a flash operation asked for a window and the stall
    /// buffer is back. Never waits for the pipeline: with no free block, the block just filled is overwritten.
    pub async fn capture(&self, mut input: impl Input) -> ! {
        let mut rate = DEFAULT_RATE;
        let mut filling = self.free_blocks.receive().await;
        input.start();
        loop {
            input.read(&mut filling[..]).await;
            self.count_transfer(&mut input);
            match self.free_blocks.try_receive() {
                Ok(next) => {
                    let _ = self.filled.try_send(Chunk::Block(core::mem::replace(&mut filling, next)));
                }
                Err(_) => {
                    self.dropped_blocks.fetch_add(1, Ordering::Relaxed);
                }
            }
            if self.window_request.signaled()
                && let Ok(stall) = self.free_stall.try_receive()
            {
                self.window_request.reset();
                // The transfer starts when `read` returns; the window is measured from here.
                let transfer = input.read(&mut stall[..]);
                let end_us = (self.now_us)() + stall_window_us(rate);
                self.window.lock(|w| w.set(Some(Window { end_us, rate })));
                self.window_open.signal(());
                transfer.await;
                self.window.lock(|w| w.set(None));
                self.count_transfer(&mut input);
                let _ = self.filled.try_send(Chunk::Stall(stall));
            }
            // Only a real change touches the divider: restarting it would shift the bit clock mid-stream.
            if let Some(new_rate) = self.set_rate.try_take()
                && new_rate != rate
            {
                rate = new_rate;
                input.set_rate(rate);
            }
        }
    }
}

/// Why a [`WindowedFlash`] operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowedError<E> {
    /// Erase or program outside the writable range.
    OutOfBounds,
    /// The flash itself failed.
    Flash(E),
}

impl<E: NorFlashError> NorFlashError for WindowedError<E> {
    fn kind(&self) -> NorFlashErrorKind {
        match self {
            WindowedError::OutOfBounds => NorFlashErrorKind::OutOfBounds,
            WindowedError::Flash(e) => e.kind(),
        }
    }
}

/// Flash `F` as the node may use it: reads anywhere, erase and program only inside `writable`, each one held until
/// it fits in a stall window of `buffers` (an erase is split into sectors, each with its own window). Never
/// cancel these futures mid-way (sequential-storage's rule).
pub struct WindowedFlash<'b, 'a, F, M: RawMutex> {
    flash: F,
    writable: Range<u32>,
    buffers: &'b Buffers<'a, M>,
}

impl<'b, 'a, F: NorFlash, M: RawMutex> WindowedFlash<'b, 'a, F, M> {
    /// `flash`, writable in `writable` only, in the windows of `buffers`.
    pub fn new(flash: F, writable: Range<u32>, buffers: &'b Buffers<'a, M>) -> Self {
        WindowedFlash { flash, writable, buffers }
    }

    /// The flash underneath.
    pub fn inner(&self) -> &F {
        &self.flash
    }

    fn check(&self, from: u32, to: u32) -> Result<(), WindowedError<F::Error>> {
        let ok = from <= to && from >= self.writable.start && to <= self.writable.end;
        if ok { Ok(()) } else { Err(WindowedError::OutOfBounds) }
    }
}

impl<F: NorFlash, M: RawMutex> ErrorType for WindowedFlash<'_, '_, F, M> {
    type Error = WindowedError<F::Error>;
}

impl<F: NorFlash, M: RawMutex> ReadNorFlash for WindowedFlash<'_, '_, F, M> {
    const READ_SIZE: usize = F::READ_SIZE;

    async fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
        self.flash.read(offset, bytes).await.map_err(WindowedError::Flash)
    }

    fn capacity(&self) -> usize {
        self.flash.capacity()
    }
}

impl<F: NorFlash, M: RawMutex> NorFlash for WindowedFlash<'_, '_, F, M> {
    const WRITE_SIZE: usize = F::WRITE_SIZE;
    const ERASE_SIZE: usize = F::ERASE_SIZE;

    async fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
        self.check(from, to)?;
        let mut sector = from;
        while sector < to {
            let end = to.min(sector.saturating_add(Self::ERASE_SIZE as u32));
            self.buffers.wait_window(FlashOp::Erase { len: end - sector }).await;
            self.flash.erase(sector, end).await.map_err(WindowedError::Flash)?;
            sector = end;
        }
        Ok(())
    }

    async fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        let len = u32::try_from(bytes.len()).map_err(|_| WindowedError::OutOfBounds)?;
        self.check(offset, offset.checked_add(len).ok_or(WindowedError::OutOfBounds)?)?;
        self.buffers.wait_window(FlashOp::Program { offset, len }).await;
        self.flash.write(offset, bytes).await.map_err(WindowedError::Flash)
    }
}

/// NOR flash bits only go from 1 to 0, so a word may be programmed again (sequential-storage marks pages this way).
impl<F: MultiwriteNorFlash, M: RawMutex> MultiwriteNorFlash for WindowedFlash<'_, '_, F, M> {}

#[cfg(test)]
mod tests {
    use embassy_futures::block_on;
    use embassy_futures::select::{Either, select};
    use embassy_futures::yield_now;
    use embassy_sync::blocking_mutex::raw::NoopRawMutex;
    use stapes_node::{RamFlash, SECTOR};

    use super::*;

    fn no_clock() -> u64 {
        0
    }

    /// `op`'s result, or `None` if it is still waiting (for a window no capture will open) after a while.
    fn result<T>(op: impl Future<Output = T>) -> Option<T> {
        let waited = async {
            for _ in 0..100 {
                yield_now().await;
            }
        };
        match block_on(select(op, waited)) {
            Either::First(r) => Some(r),
            Either::Second(()) => None,
        }
    }

    #[test]
    fn erase_and_program_outside_the_writable_range_are_refused_before_waiting_for_a_window() {
        let buffers = Buffers::<NoopRawMutex>::new(no_clock);
        let sector = SECTOR as u32;
        let mut flash = WindowedFlash::new(RamFlash::<{ 4 * SECTOR }>::new(), 2 * sector..4 * sector, &buffers);
        let refused = Some(Err(WindowedError::OutOfBounds));
        assert_eq!(result(flash.erase(0, sector)), refused);
        assert_eq!(result(flash.erase(sector, 3 * sector)), refused);
        assert_eq!(result(flash.erase(3 * sector, 2 * sector)), refused);
        assert_eq!(result(flash.write(2 * sector - 4, &[0; 8])), refused);
        assert_eq!(result(flash.write(u32::MAX - 3, &[0; 8])), refused);
        assert!(!buffers.window_request.signaled(), "nothing asked the capture for a window");
        // Reads are not guarded: the image and everything else stay readable, with no window.
        assert_eq!(result(flash.read(0, &mut [0u8; 4])), Some(Ok(())));
        // Inside the range, an erase waits for its window.
        assert_eq!(result(flash.erase(2 * sector, 3 * sector)), None);
        assert!(buffers.window_request.signaled());
        assert!(flash.inner().bytes().iter().all(|&b| b == 0xff));
    }
}
