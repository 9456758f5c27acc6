//! Exit, panic and fault handling: every way out of a runner ends QEMU with a status and a message.

use core::panic::PanicInfo;

use cortex_m_rt::exception;
use cortex_m_semihosting::{debug, hprintln};

/// Ends the QEMU run (semihosting exit): status 0 when `success`, 1 otherwise.
pub fn exit(success: bool) -> ! {
    debug::exit(if success { debug::EXIT_SUCCESS } else { debug::EXIT_FAILURE });
    // Only reached without a semihosting host (real hardware): park.
    loop {
        core::hint::spin_loop();
    }
}

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    hprintln!("PANIC: {}", info);
    exit(false)
}

/// Replaces cortex-m-rt's HardFault (an endless loop, which QEMU would only end at the xtask timeout).
///
/// A stack overflow (MSPLIM, see memory.x) faults with SP at the limit, and reporting needs stack: so clear MSPLIM
/// before anything pushes, then report.
#[unsafe(naked)]
#[unsafe(no_mangle)]
unsafe extern "C" fn HardFault() -> ! {
    core::arch::naked_asm!("movs r1, #0", "msr MSPLIM, r1", "b {report}", report = sym hard_fault_report)
}

extern "C" fn hard_fault_report() -> ! {
    /// Configurable Fault Status Register; bit 20 (UFSR.STKOF) is a stack-limit violation.
    const CFSR: *const u32 = 0xE000_ED28 as *const u32;
    // SAFETY: an always-readable System Control Block register.
    let cfsr = unsafe { CFSR.read_volatile() };
    if cfsr & (1 << 20) != 0 {
        hprintln!("HARDFAULT: stack overflow (CFSR={:#010x}): the 1 MiB stack of memory.x is exhausted", cfsr);
    } else {
        hprintln!("HARDFAULT: CFSR={:#010x}", cfsr);
    }
    exit(false)
}

#[exception]
unsafe fn DefaultHandler(irqn: i16) {
    hprintln!("unexpected exception or interrupt {}", irqn);
    exit(false)
}
