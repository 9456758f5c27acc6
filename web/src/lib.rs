//! The stapes dashboard (Leptos, client-side rendered, built by trunk from the root `index.html`).
//!
//! The page logic that needs no browser (connection states, drop counting, colours, export formats, test signals)
//! lives in plain modules tested on the host and under `wasm-bindgen-test`; the views and the WebUSB code are
//! wasm32-only.

pub mod colormap;
pub mod export;
pub mod link;
pub mod live;
pub mod sequence;
pub mod signals;
pub mod timeline;
pub mod update;
pub mod wav;

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod download;
#[cfg(target_arch = "wasm32")]
mod heatmap;
#[cfg(target_arch = "wasm32")]
pub mod session;
#[cfg(target_arch = "wasm32")]
pub mod sim;
#[cfg(target_arch = "wasm32")]
mod views;

#[cfg(target_arch = "wasm32")]
pub use app::App;
