//! What the capture loop (`stapes_firmware::stall::Buffers::capture`, the code the node runs) counts when samples
//! are lost: a transfer after which the input reports an overflowed RX FIFO (on the device, the PIO's sticky
//! FDEBUG.RXSTALL flag, which embassy-rp's `StateMachineRx::stalled` reads and clears) counts once in
//! `rx_overruns`; a pipeline that keeps every block makes the capture overwrite the block it just filled, counted in
//! `dropped_blocks`; and the capture never waits for the pipeline.

#![cfg(feature = "stall")]

use std::cell::Cell;
use std::sync::atomic::Ordering;

use embassy_futures::block_on;
use embassy_futures::select::{Either, select};
use embassy_futures::yield_now;
use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use stapes_firmware::audio::{BLOCK_WORDS, POOL_BLOCKS, STALL_WORDS};
use stapes_firmware::stall::{Buffers, Chunk, Input};

fn no_clock() -> u64 {
    0
}

/// An input whose `n`-th transfer (from 1) overflows when `lossy(n)`; it fills each word with its transfer number.
struct Lossy<'a> {
    transfers: &'a Cell<u32>,
    lossy: fn(u32) -> bool,
    lost: bool,
}

impl Input for Lossy<'_> {
    fn start(&mut self) {}

    async fn read(&mut self, buf: &mut [u32]) {
        yield_now().await;
        let n = self.transfers.get() + 1;
        self.transfers.set(n);
        buf.fill(n);
        self.lost |= (self.lossy)(n);
    }

    /// Read-and-clear, as the PIO's sticky stall flag.
    fn overran(&mut self) -> bool {
        core::mem::take(&mut self.lost)
    }

    fn set_rate(&mut self, _rate: u32) {}
}

/// Runs the capture for `transfers` transfers with a pipeline that recycles every chunk unless `hoard`; returns
/// the block numbers the pipeline received and the buffers' counters.
fn run(transfers: u32, lossy: fn(u32) -> bool, hoard: bool) -> (Vec<u32>, u32, u32, u32) {
    let mut blocks = Box::new([[0u32; BLOCK_WORDS]; POOL_BLOCKS]);
    let mut stall = Box::new([0u32; STALL_WORDS]);
    let buffers = Buffers::<NoopRawMutex>::new(no_clock);
    buffers.provide(&mut blocks, &mut stall);
    let done = Cell::new(0);
    let mut received = Vec::new();
    let mut kept: Vec<Chunk<'_>> = Vec::new();
    let pipeline = async {
        loop {
            let chunk = buffers.filled().await;
            received.push(chunk.words()[0]);
            if hoard {
                kept.push(chunk);
            } else {
                buffers.recycle(chunk);
            }
        }
    };
    let until = async {
        while done.get() < transfers {
            yield_now().await;
        }
    };
    let input = Lossy { transfers: &done, lossy, lost: false };
    if let Either::First(never) = block_on(select(select(buffers.capture(input), pipeline), until)) {
        match never {}
    }
    (
        received,
        buffers.transfers.load(Ordering::Relaxed),
        buffers.rx_overruns.load(Ordering::Relaxed),
        buffers.dropped_blocks.load(Ordering::Relaxed),
    )
}

#[test]
fn every_transfer_that_lost_samples_counts_once_and_the_others_not_at_all() {
    let (received, transfers, overruns, dropped) = run(30, |n| n % 7 == 0 || n == 12, false);
    assert_eq!(transfers, 30);
    assert_eq!(overruns, 5, "transfers 7, 12, 14, 21 and 28 lost samples");
    assert_eq!(dropped, 0);
    // Every block reached the pipeline, in order (the 30th is still being handed over when the run stops).
    assert_eq!(received, (1..received.len() as u32 + 1).collect::<Vec<_>>());
    assert!(received.len() >= 29);
}

#[test]
fn a_pipeline_that_keeps_every_block_loses_the_newest_ones_counted_and_the_capture_never_waits() {
    let (received, transfers, overruns, dropped) = run(40, |_| false, true);
    assert_eq!((transfers, overruns), (40, 0));
    // The pool's blocks went to the pipeline; one stays with the capture, overwritten by every later transfer.
    assert_eq!(received, (1..POOL_BLOCKS as u32).collect::<Vec<_>>());
    assert_eq!(dropped, 40 - (POOL_BLOCKS as u32 - 1));
}
