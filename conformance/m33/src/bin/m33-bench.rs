//! Cortex-M33 bench (QEMU mps2-an505 with the `tools/qemu/count.c` instruction-count plugin).
//!
//! The plugin counts instructions between each call of `stapes_bench_start` and the next of `stapes_bench_stop`.
//! Three windows: (1) empty, the marker overhead; (2) a first `yamnet_frame` call (warm-up); (3) the counted call.
//! `cargo xtask m33-bench` resolves the marker addresses with nm, runs this under QEMU and subtracts (1) from (3).
//! The stack and heap used by the counted call are measured around it (stack repainted, heap peak reset).
#![cfg_attr(target_os = "none", no_std, no_main)]
extern crate alloc;

/// Opens a counting window. Distinct bodies, so the two markers are never merged into one address.
#[cfg(target_os = "none")]
#[unsafe(no_mangle)]
#[inline(never)]
pub extern "C" fn stapes_bench_start() {
    // SAFETY: a no-op.
    unsafe { core::arch::asm!("/* stapes_bench_start */ nop", options(nomem, nostack, preserves_flags)) };
}

/// Closes the counting window.
#[cfg(target_os = "none")]
#[unsafe(no_mangle)]
#[inline(never)]
pub extern "C" fn stapes_bench_stop() {
    // SAFETY: a no-op.
    unsafe { core::arch::asm!("/* stapes_bench_stop */ nop", options(nomem, nostack, preserves_flags)) };
}

#[cfg(target_os = "none")]
#[cortex_m_rt::entry]
fn main() -> ! {
    use core::hint::black_box;
    use cortex_m_semihosting::hprintln;
    use stapes_conformance::{signal, yamnet_frame, yamnet_pipeline};
    use stapes_conformance_m33::{heap, stack};

    /// One `yamnet` hop: 10 ms at 16 kHz, which completes exactly one frame.
    const HOP: usize = 160;

    heap::init();
    let mut pipeline = yamnet_pipeline();
    let x = signal(2 * HOP, 16_000);
    let (first, second) = x.split_at(HOP);

    stapes_bench_start();
    stapes_bench_stop();

    stapes_bench_start();
    let warm = yamnet_frame(&mut pipeline, first);
    stapes_bench_stop();

    stack::repaint();
    heap::reset_peak();
    let heap_before = heap::used();
    let sp = stack::sp();
    stapes_bench_start();
    let counted = yamnet_frame(&mut pipeline, second);
    stapes_bench_stop();
    let stack_used = sp.saturating_sub(stack::lowest_touched());

    let heap_used = heap::peak() - heap_before;
    // The bare 512-point real FFT inside that frame, for comparison with microfft's 21.5k instructions.
    let fft = stapes_core::fft::RealFft::new(512).expect("512 is supported");
    let input = signal(512, 16_000);
    let (mut re, mut im) = (alloc::vec![0.0f32; 257], alloc::vec![0.0f32; 257]);
    let mut scratch = fft.make_scratch::<f32>();
    stapes_bench_start();
    let ok = fft.forward(black_box(&input), &mut re, &mut im, &mut scratch).is_ok();
    stapes_bench_stop();
    black_box((ok, &re, &im));

    hprintln!("# yamnet_frame stack: {} bytes", stack_used);
    hprintln!("# yamnet_frame heap: {} bytes", heap_used);
    hprintln!("# yamnet pipeline state: {} bytes", core::mem::size_of_val(&pipeline));
    hprintln!("# results: {:#010x} {:#010x}", black_box(warm).to_bits(), black_box(counted).to_bits());
    stapes_conformance_m33::exit(true)
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("m33-bench runs on thumbv8m.main-none-eabihf under QEMU: `cargo xtask m33-bench`");
    std::process::exit(2);
}
