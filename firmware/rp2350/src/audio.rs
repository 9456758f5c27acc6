//! Audio buffer sizing: DMA blocks between the capture and the pipeline, and the long transfer that carries the
//! capture through a flash operation.
//!
//! The I2S input (`device/i2s_in.rs`) delivers one 32-bit word per sample (the left slot, 24 bits left-justified) to
//! a DMA buffer; each completed buffer must be followed by the next transfer before the joined 8-word RX FIFO fills
//! (0.5 ms at 16 kHz). Two things can delay that restart. The pipeline hogging the core: the capture therefore runs
//! in a higher-priority interrupt executor and never waits for the pipeline (a full pool drops a block and counts
//! it). And flash erase/program, which runs with interrupts off on both cores: for that the capture switches to one
//! long transfer of [`STALL_WORDS`] right before the operation, and the operation only starts while enough of that
//! window is left for its datasheet worst case ([`op_fits`]). The window (256 ms at 16 kHz) holds every page program
//! and a typical sector erase (datasheet 45 ms) but not the worst-case one (400 ms): RAM is the limit (the node's
//! own buffers take 84 KiB of the 128 KiB budget). Whatever a flash operation still overruns, the PIO reports as
//! an RX stall, counted in health. The node stops a running stream before it writes settings anyway.

/// Words (samples) per DMA block: 10 ms at 16 kHz, one hop of the 160-sample presets.
pub const BLOCK_WORDS: usize = 160;
/// Blocks in the pool shared by capture and pipeline: how far the pipeline may lag before blocks are dropped.
pub const POOL_BLOCKS: usize = 8;
/// Words of the flash-stall transfer (16 KiB).
pub const STALL_WORDS: usize = 4096;
/// Sample rate before the settings say otherwise.
pub const DEFAULT_RATE: u32 = 16_000;

/// Worst-case 4 KiB sector erase of the Pico 2's flash (W25Q32 datasheet tSE max; not measured here).
pub const SECTOR_ERASE_MAX_US: u64 = 400_000;
/// Worst-case 256-byte page program (W25Q32 datasheet tPP max; not measured here).
pub const PAGE_PROGRAM_MAX_US: u64 = 3_000;
/// Slack between the end of a flash operation and the end of the stall window (interrupt latency, restarting DMA).
pub const WINDOW_MARGIN_US: u64 = 5_000;

/// Duration of `words` samples at `rate` Hz, in µs (rounded down).
pub const fn words_to_us(words: usize, rate: u32) -> u64 {
    words as u64 * 1_000_000 / rate as u64
}

/// How long the stall transfer lasts at `rate` Hz, in µs.
pub const fn stall_window_us(rate: u32) -> u64 {
    words_to_us(STALL_WORDS, rate)
}

/// A flash operation, as the stall guard sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlashOp {
    /// Erase of `len` bytes (whole sectors).
    Erase { len: u32 },
    /// Program of `len` bytes starting at `offset`.
    Program { offset: u32, len: u32 },
}

/// Datasheet worst case of `op`, in µs: every sector erased, or every 256-byte page touched, programmed.
pub const fn flash_op_worst_us(op: FlashOp) -> u64 {
    match op {
        FlashOp::Erase { len } => len.div_ceil(crate::layout::SECTOR) as u64 * SECTOR_ERASE_MAX_US,
        FlashOp::Program { offset, len } => {
            if len == 0 {
                return 0;
            }
            let page = crate::layout::PAGE;
            let pages = (offset + len - 1) / page - offset / page + 1;
            pages as u64 * PAGE_PROGRAM_MAX_US
        }
    }
}

/// Whether `op` may start now, `left_us` before the stall window closes: its worst case plus the margin fits, or
/// the window is fresh (`left_us` is a whole window) and the operation is longer than any window at this rate (then
/// it runs anyway, and what it overruns shows up as a PIO RX stall in health).
pub const fn op_fits(op: FlashOp, left_us: u64, rate: u32) -> bool {
    let need = flash_op_worst_us(op) + WINDOW_MARGIN_US;
    need <= left_us || (left_us + WINDOW_MARGIN_US >= stall_window_us(rate) && need > stall_window_us(rate))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stall_window_holds_page_programs_anywhere_and_long_erases_only_at_its_start() {
        assert_eq!(stall_window_us(16_000), 256_000);
        let page = FlashOp::Program { offset: 0, len: 256 };
        let erase = FlashOp::Erase { len: 4096 };
        assert!(op_fits(page, 10_000, 16_000));
        assert!(!op_fits(page, 7_000, 16_000), "3 ms + 5 ms margin do not fit in 7 ms");
        // A worst-case erase (400 ms) is longer than any window at 16 kHz: it waits for a fresh one.
        assert!(op_fits(erase, stall_window_us(16_000), 16_000));
        assert!(!op_fits(erase, 200_000, 16_000));
        // At 8 kHz the window is 512 ms and holds it with room to spare.
        assert_eq!(stall_window_us(8_000), 512_000);
        assert!(op_fits(erase, 420_000, 8_000));
        assert!(!op_fits(erase, 400_000, 8_000));
    }

    /// At every rate the settings accept (8–48 kHz): a page program fits any window that has its worst case plus the
    /// margin left, a fresh window holds at least one, and a sector erase either fits a fresh window or is one of
    /// the long ones allowed to start only at a window's beginning.
    #[test]
    fn every_settable_rate_has_a_stall_window_for_flash_work() {
        let page = FlashOp::Program { offset: 0, len: crate::layout::PAGE };
        let erase = FlashOp::Erase { len: crate::layout::SECTOR };
        for rate in stapes_node::settings::SAMPLE_RATES {
            let window = stall_window_us(rate);
            assert!(op_fits(page, window, rate), "{rate} Hz: a fresh {window} µs window holds no page program");
            assert!(op_fits(page, PAGE_PROGRAM_MAX_US + WINDOW_MARGIN_US, rate), "{rate} Hz");
            assert!(op_fits(erase, window, rate), "{rate} Hz: a sector erase never gets a window");
        }
    }

    #[test]
    fn program_cost_counts_every_page_touched() {
        assert_eq!(flash_op_worst_us(FlashOp::Program { offset: 0, len: 0 }), 0);
        assert_eq!(flash_op_worst_us(FlashOp::Program { offset: 0, len: 256 }), PAGE_PROGRAM_MAX_US);
        assert_eq!(flash_op_worst_us(FlashOp::Program { offset: 255, len: 2 }), 2 * PAGE_PROGRAM_MAX_US);
        assert_eq!(flash_op_worst_us(FlashOp::Program { offset: 16, len: 512 }), 3 * PAGE_PROGRAM_MAX_US);
        assert_eq!(flash_op_worst_us(FlashOp::Erase { len: 8192 }), 2 * SECTOR_ERASE_MAX_US);
    }
}
