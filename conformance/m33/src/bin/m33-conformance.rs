//! Cortex-M33 conformance runner (QEMU mps2-an505): prints one `name=hash` line per preset over semihosting,
//! then `#` comment lines (stack high-water mark, heap peak, end marker), and exits 0. `cargo xtask conformance` compares the
//! lines with the host and wasm32 runs.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
#[cortex_m_rt::entry]
fn main() -> ! {
    use cortex_m_semihosting::hprintln;
    use stapes_conformance_m33::{heap, stack};

    heap::init();
    let mut presets = 0u32;
    stapes_conformance::run(&mut |name, hash| {
        hprintln!("{}={:016x}", name, hash);
        presets += 1;
    });
    hprintln!("# stack high-water: {} of {} bytes", stack::high_water(), stack::size());
    hprintln!("# heap peak: {} of {} bytes", heap::peak(), heap::size());
    hprintln!("# end: {} presets", presets);
    stapes_conformance_m33::exit(true)
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("m33-conformance runs on thumbv8m.main-none-eabihf under QEMU: `cargo xtask conformance`");
    std::process::exit(2);
}
