//! Shared runtime of the Cortex-M33 runners (QEMU mps2-an505, `thumbv8m.main-none-eabihf`): panic and fault
//! handlers that report over semihosting and make QEMU exit with failure, a heap with a peak counter, and the
//! painted-stack high-water mark.
//!
//! On any other target this crate is empty and the binaries are stubs, so the host workspace builds.
#![no_std]

#[cfg(target_os = "none")]
pub mod heap;
#[cfg(target_os = "none")]
mod mcu;
#[cfg(target_os = "none")]
pub mod stack;

#[cfg(target_os = "none")]
pub use mcu::exit;
