#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]
#![warn(missing_docs)]

#[cfg(feature = "alloc")]
extern crate alloc;

pub mod config;
#[cfg(feature = "alloc")]
pub mod db;
mod dct;
mod dither;
pub mod error;
pub mod fft;
mod frame;
mod framing;
pub mod lane;
mod log;
pub mod mel;
pub mod micro;
#[cfg(feature = "alloc")]
mod offline;
pub mod pcm;
mod plan;
pub mod preset;
pub mod resample;
mod scalars;
mod sqrt;
#[cfg(feature = "alloc")]
pub mod stft;
mod stream;
mod window;

pub use config::Config;
pub use error::{ConfigError, Error};
pub use lane::{Batch, F32x8, Lane};
pub use log::ln;
#[cfg(feature = "alloc")]
pub use offline::{Extractor, Features, Layout, Scratch, extract};
pub use plan::Plan;
pub use preset::preset;
#[cfg(feature = "alloc")]
pub use stft::{Spectra, stft};
pub use stream::{Frame, Pipeline};
