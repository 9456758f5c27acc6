#![doc = include_str!("../README.md")]
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
