//! The TFLite Micro audio front end ("microfrontend", `tensorflow/lite/experimental/microfrontend/lib`), the
//! features microWakeWord trains on through `pymicro-features`: int16 PCM in, integer arithmetic only, the
//! reference's `uint16` values bit for bit. A second kind of pipeline next to the float one, with its own
//! [`MicroConfig`]; one algorithm per file, each named after the reference file it follows.

#[cfg(feature = "alloc")]
mod batch;
mod config;
mod filterbank;
mod frontend;
mod kissfft;
mod log_scale;
mod noise;
mod pcan;
mod window;

pub use config::{MAX_CHANNELS, MAX_WINDOW, MicroConfig, MicroOutput, convert, to_float, to_int8};
pub use frontend::MicroFrontend;
#[cfg(feature = "alloc")]
pub use frontend::extract_u16;
