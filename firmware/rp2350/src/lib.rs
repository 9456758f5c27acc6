//! The hardware-free part of the Pico 2 node firmware: what the device says about itself on USB (IDs, WebUSB
//! descriptors, serial number), where things live in flash, how the audio buffers are sized, the PIO program that
//! clocks the microphone (`i2s_program`), the capture loop, flash-stall window and settings-flash wrapper (`stall`,
//! generic over clock, input and flash), and the bulk link to the host with its session handling (`link`, generic
//! over the USB endpoints). All of it is tested on the host; the Embassy glue is the `stapes-node` binary
//! (`src/main.rs`), built for `thumbv8m.main-none-eabihf` by `cargo xtask firmware`.
#![cfg_attr(not(test), no_std)]

pub mod audio;
#[cfg(feature = "usb")]
pub mod device_descriptors;
#[cfg(feature = "capture")]
pub mod i2s_program;
pub mod layout;
#[cfg(feature = "link")]
pub mod link;
#[cfg(feature = "stall")]
pub mod stall;
pub mod usb;
pub mod webusb;
