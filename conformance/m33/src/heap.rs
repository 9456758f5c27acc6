//! The heap of the runners: everything between the statics and the stack (`__sheap` to `_stack_end`, see
//! memory.x), with the bytes in use and their peak counted so the runners can report the RAM the DSP needs.

use core::alloc::{GlobalAlloc, Layout};
use core::sync::atomic::{AtomicUsize, Ordering};

use embedded_alloc::LlffHeap;

unsafe extern "C" {
    /// End of the statics (cortex-m-rt's link.x).
    static __sheap: u32;
    /// Bottom of the stack (memory.x).
    static _stack_end: u32;
}

struct Counted {
    heap: LlffHeap,
    used: AtomicUsize,
    peak: AtomicUsize,
}

#[global_allocator]
static HEAP: Counted = Counted { heap: LlffHeap::empty(), used: AtomicUsize::new(0), peak: AtomicUsize::new(0) };

// SAFETY: forwards to LlffHeap, a GlobalAlloc; only adds counters.
unsafe impl GlobalAlloc for Counted {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let ptr = unsafe { self.heap.alloc(layout) };
        if !ptr.is_null() {
            let used = self.used.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            self.peak.fetch_max(used, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, passed on.
        unsafe { self.heap.dealloc(ptr, layout) };
        self.used.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

/// Hands the RAM between the statics and the stack to the allocator. Call once, first thing in `main`.
pub fn init() {
    let start = (&raw const __sheap) as usize;
    let end = (&raw const _stack_end) as usize;
    // SAFETY: called once, before any allocation; the region is unused RAM (memory.x asserts it exists).
    unsafe { HEAP.heap.init(start, end - start) };
}

/// Size of the heap region in bytes.
pub fn size() -> usize {
    (&raw const _stack_end) as usize - (&raw const __sheap) as usize
}

/// Bytes allocated now.
pub fn used() -> usize {
    HEAP.used.load(Ordering::Relaxed)
}

/// Most bytes allocated at once since [`init`] or the last [`reset_peak`].
pub fn peak() -> usize {
    HEAP.peak.load(Ordering::Relaxed)
}

/// Starts a new peak measurement from the bytes allocated now.
pub fn reset_peak() {
    HEAP.peak.store(used(), Ordering::Relaxed);
}
