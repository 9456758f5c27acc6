//! Shared helpers for the integration tests (`mod common;` in each `tests/*.rs`).

pub mod npy;
