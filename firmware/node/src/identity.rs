//! What only the firmware knows about itself, handed to the node at boot and reported by `info`.

/// Build and board facts (compile-time strings on the device, the page's own in the simulator).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Identity {
    /// Firmware version.
    pub firmware_version: &'static str,
    /// Git commit hash.
    pub git_hash: &'static str,
    /// Build date, UTC ISO 8601.
    pub build_date: &'static str,
    /// Board name (`pico2`, `simulated`).
    pub board: &'static str,
    /// Chip unique id.
    pub serial: u64,
}
