//! Firmware updates for the stapes node (RP2350, Pico 2) without a toolchain: UF2 files are written ([`uf2::write`]),
//! parsed and validated before anything is erased ([`uf2::Uf2::parse`]), and flashed through the bootrom's PICOBOOT
//! interface by [`Flasher`] over any [`picoboot::Transport`] (WebUSB in the dashboard, a fake in tests).
//!
//! `no_std` + `alloc`: the same code runs in the browser (wasm), in `cargo xtask` and in host tests.
#![no_std]

extern crate alloc;

mod flash;
pub mod picoboot;
pub mod uf2;
#[cfg(all(feature = "web", target_arch = "wasm32"))]
mod web;

pub use flash::{FlashError, Flasher, Progress};
#[cfg(all(feature = "web", target_arch = "wasm32"))]
pub use web::WebUsbTransport;
