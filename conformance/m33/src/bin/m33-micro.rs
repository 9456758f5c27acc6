//! Cortex-M33 bench of the TFLite Micro front end (QEMU mps2-an505, `tools/qemu/count.c`): one `micro-wakeword`
//! frame — a 160-sample step in, 40 `u16` out — between `stapes_bench_start` and `stapes_bench_stop`.
//! `tools/qemu/micro_m33.py` runs it next to the reference C (`tools/qemu/micro_ref_m33.c`) on the same input.
//!
//! Three windows: (1) empty, the marker overhead; (2) the first frame (warm-up); (3) the counted frame.
#![cfg_attr(target_os = "none", no_std, no_main)]
extern crate alloc;

#[cfg(target_os = "none")]
#[unsafe(no_mangle)]
#[inline(never)]
pub extern "C" fn stapes_bench_start() {
    // SAFETY: a no-op.
    unsafe { core::arch::asm!("/* stapes_bench_start */ nop", options(nomem, nostack, preserves_flags)) };
}

#[cfg(target_os = "none")]
#[unsafe(no_mangle)]
#[inline(never)]
pub extern "C" fn stapes_bench_stop() {
    // SAFETY: a no-op.
    unsafe { core::arch::asm!("/* stapes_bench_stop */ nop", options(nomem, nostack, preserves_flags)) };
}

/// The bench input, the same integer sequence as the C program's: an LCG's high bits, ±8192.
#[cfg(target_os = "none")]
fn input() -> [i16; 800] {
    let mut s = 12_345u32;
    core::array::from_fn(|_| {
        s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        ((s >> 16) as i16) >> 2
    })
}

#[cfg(target_os = "none")]
#[cortex_m_rt::entry]
fn main() -> ! {
    use core::hint::black_box;
    use cortex_m_semihosting::hprintln;
    use stapes_conformance_m33::heap;
    use stapes_core::micro::MicroFrontend;

    heap::init();
    let config = stapes_core::preset::micro_preset("micro-wakeword").expect("a preset");
    let mut fe = alloc::boxed::Box::new(MicroFrontend::new(&config).expect("valid"));
    let x = input();
    // 320 samples: no frame yet (the window is 480).
    let _ = fe.process_samples(&x[..160]);
    let _ = fe.process_samples(&x[160..320]);

    stapes_bench_start();
    stapes_bench_stop();

    stapes_bench_start();
    let warm = fe.process_samples(black_box(&x[320..480])).0.map(|f| f[0]);
    stapes_bench_stop();

    stapes_bench_start();
    let (frame, read) = fe.process_samples(black_box(&x[480..640]));
    stapes_bench_stop();

    let sum = frame.map_or(0u32, |f| f.iter().enumerate().map(|(i, &v)| (i as u32 + 1) * v as u32).sum());
    hprintln!("# stapes micro-wakeword frame: read {} warm {:?} checksum {}", read, warm, sum);
    hprintln!("# front end state: {} bytes", core::mem::size_of::<MicroFrontend>());
    stapes_conformance_m33::exit(true)
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("m33-micro runs on thumbv8m.main-none-eabihf under QEMU: `python tools/qemu/micro_m33.py`");
}
