//! The page's panels, one module each.

mod counters;
mod device;
mod files;
mod firmware;
mod live_view;
mod recorder;
mod scalars;
mod settings;

pub use counters::Counters;
pub use device::DeviceCard;
pub use files::FileAnalysis;
pub use firmware::FirmwareSlot;
pub use live_view::LiveView;
pub use recorder::Recorder;
pub use settings::SettingsPanel;
