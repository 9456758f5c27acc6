#![doc = include_str!("../README.md")]
#![cfg_attr(not(test), no_std)]
#![warn(missing_docs)]

mod clock;
mod handle;
mod i2s;
mod identity;
mod memory;
mod node;
mod queue;
mod ram_flash;
pub mod settings;
mod store;

pub use clock::Clock;
pub use handle::{Action, Reply};
pub use i2s::i2s_to_f32;
pub use identity::Identity;
pub use memory::{Memory, PIPELINE_CAPACITY, QUEUE_BYTES};
pub use node::Node;
pub use ram_flash::{RamFlash, RamFlashError, SECTOR};
pub use stapes_protocol as protocol;
