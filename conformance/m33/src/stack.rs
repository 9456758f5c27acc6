//! Stack high-water mark: cortex-m-rt paints the whole stack with `STACK_PAINT_VALUE` at reset (feature
//! `paint-stack`); the deepest word no longer holding the paint is the deepest the stack has reached.

use cortex_m_rt::STACK_PAINT_VALUE;

unsafe extern "C" {
    /// Top of the stack (highest address, exclusive), from memory.x.
    static _stack_start: u32;
    /// Bottom of the stack (lowest address), from memory.x.
    static _stack_end: u32;
}

fn top() -> usize {
    (&raw const _stack_start) as usize
}

fn bottom() -> usize {
    (&raw const _stack_end) as usize
}

/// Size of the stack region in bytes.
pub fn size() -> usize {
    top() - bottom()
}

/// The current stack pointer.
#[inline(always)]
pub fn sp() -> usize {
    let sp: usize;
    // SAFETY: reads a register, touches no memory.
    unsafe { core::arch::asm!("mov {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags)) };
    sp
}

/// Lowest stack address written since the stack was last painted (at reset, or by [`repaint`]).
pub fn lowest_touched() -> usize {
    let mut p = bottom();
    // SAFETY: reads words inside the stack region of memory.x.
    while p < top() && unsafe { (p as *const u32).read_volatile() } == STACK_PAINT_VALUE {
        p += 4;
    }
    p
}

/// Bytes of stack used so far, counted from the top (includes everything since reset).
pub fn high_water() -> usize {
    top() - lowest_touched()
}

/// Paints the unused part of the stack again (everything below the caller's frame), so that [`lowest_touched`]
/// afterwards measures only what ran since.
#[inline(never)]
pub fn repaint() {
    // A leaf function: nothing below its own stack pointer is in use (no interrupts are enabled).
    let end = (sp() - 8) & !3;
    let mut p = bottom();
    while p < end {
        // SAFETY: free stack memory below the live frames, inside the region of memory.x.
        unsafe { (p as *mut u32).write_volatile(STACK_PAINT_VALUE) };
        p += 4;
    }
}
