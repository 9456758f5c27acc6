#![doc = include_str!("../README.md")]
#![no_std]

extern crate alloc;

mod flash;
pub mod picoboot;
pub mod uf2;
#[cfg(all(feature = "web", target_arch = "wasm32"))]
mod web;

pub use flash::{ACK_AFTER_DATA_MS, COMMAND_MS, CONTROL_MS, DATA_MS, FlashError, Flasher, Progress};
#[cfg(all(feature = "web", target_arch = "wasm32"))]
pub use web::WebUsbTransport;
