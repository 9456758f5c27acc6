//! The bodies of requests, responses and topic messages.

use core::fmt;

use serde::{Deserialize, Serialize};
use stapes_core::Config;

use crate::samples::{F32s, I16s};

/// Everything the node keeps in flash and runs: the core's feature [`Config`] plus node options.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeSettings {
    /// The feature pipeline, exactly as the core, the dashboard and Python describe it (must be streamable).
    pub config: Config,
    /// Linear gain applied to microphone samples as they are converted to [-1, 1] (before the pipeline).
    pub gain: f32,
    /// Which topics the node sends while streaming.
    pub streams: Streams,
    /// Audio time between two [`Health`] messages, in milliseconds (when `streams.health` is on).
    pub health_interval_ms: u32,
}

/// The topics a stream carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Streams {
    /// [`FeatureFrame`]s.
    pub features: bool,
    /// [`ScalarFrame`]s (the scalars the config selects; nothing if it selects none).
    pub scalars: bool,
    /// [`AudioBlock`]s of 16-bit audio. While on, the pipeline runs on exactly these 16-bit samples, so a host can
    /// recompute the features bit for bit (the parity view).
    pub audio: bool,
    /// Periodic [`Health`].
    pub health: bool,
}

/// Who the node is and what it runs (`info`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Info<'a> {
    /// Firmware version (the `stapes-firmware` crate version, or the simulator's).
    pub firmware_version: &'a str,
    /// Git commit the firmware was built from.
    pub git_hash: &'a str,
    /// Build date (UTC, ISO 8601).
    pub build_date: &'a str,
    /// Board name, e.g. `pico2` or `simulated`.
    pub board: &'a str,
    /// Chip unique id (the USB serial number is its hex form).
    pub serial: u64,
    /// `stapes-core` version compiled in.
    pub core_version: &'a str,
    /// [`PROTOCOL_HASH`](crate::PROTOCOL_HASH) of the node's protocol: a host with another hash cannot talk to it.
    pub protocol_hash: u32,
    /// Name of the preset the config equals, if any (see `preset_streaming`).
    pub preset: Option<&'a str>,
    /// The config is the named preset with utterance normalisation turned off (its streamable form).
    pub preset_streaming: bool,
    /// [`config_hash`](crate::config_hash) of the active config.
    pub config_hash: u32,
    /// Microseconds since boot.
    pub uptime_us: u64,
    /// Where the active settings came from (says so when a corrupt or unknown store was replaced by defaults).
    pub settings_origin: SettingsOrigin,
    /// f32 elements of pipeline storage the node has: configs needing more are refused.
    pub pipeline_capacity: u32,
    /// Whether a stream is running.
    pub streaming: bool,
}

/// Where the settings in use came from at boot (or since the last `settings/set`/`reset`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SettingsOrigin {
    /// Read back from flash, or written since boot.
    Stored,
    /// Flash held no settings (first boot): defaults.
    Defaults,
    /// Flash was corrupt or unreadable: defaults (and the settings area was erased).
    ResetCorrupt,
    /// Flash held settings of another schema version: defaults.
    ResetUnknownVersion,
    /// Flash held settings this firmware refuses (invalid, or too big for it): defaults.
    ResetInvalid,
}

/// The answer to `settings/set` and `settings/reset`: persisted, then applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    /// [`config_hash`](crate::config_hash) of the config now running.
    pub config_hash: u32,
    /// A stream was running and has been stopped (flash writes stall the device): send `stream/start` again.
    pub stream_stopped: bool,
}

/// How `system/reboot` restarts the node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RebootMode {
    /// Restart the firmware.
    Normal,
    /// Restart into the ROM USB bootloader (PICOBOOT only, mass storage off), for a firmware update.
    Bootloader,
}

/// One frame of features (`stream/features`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeatureFrame<'a> {
    /// Frame number since `stream/start` (0-based); consecutive unless frames were dropped.
    pub index: u64,
    /// Node clock time of the frame in µs: stream start + index · hop / sample rate, i.e. where the frame starts in
    /// the audio (its centre for centred configs), in audio time rather than arrival time.
    pub timestamp_us: u64,
    /// `Config::n_features()` values, bit for bit what `stapes_core` computes.
    #[serde(borrow)]
    pub features: F32s<'a>,
}

/// The per-frame scalars the config selects (`stream/scalars`), in `Scalars::NAMES` order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScalarFrame<'a> {
    /// Frame number, as in [`FeatureFrame::index`].
    pub index: u64,
    /// As in [`FeatureFrame::timestamp_us`].
    pub timestamp_us: u64,
    /// The values.
    #[serde(borrow)]
    pub values: F32s<'a>,
}

/// Raw audio as the pipeline saw it, 16-bit (`stream/audio`): `sample / 32768` is the pipeline's input.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AudioBlock<'a> {
    /// Number of the first sample since `stream/start`.
    pub first_sample: u64,
    /// At most [`MAX_AUDIO_SAMPLES`](crate::MAX_AUDIO_SAMPLES) samples.
    #[serde(borrow)]
    pub samples: I16s<'a>,
}

/// Node health (`stream/health`). Counters run from boot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// Microseconds since boot.
    pub uptime_us: u64,
    /// Frames computed since boot.
    pub frames: u64,
    /// Topic messages dropped because the send queue was full.
    pub dropped_messages: u32,
    /// Bytes waiting in the send queue.
    pub queue_fill: u32,
    /// Capacity of the send queue, bytes.
    pub queue_capacity: u32,
    /// CPU cycles of the latest frame (0 where the platform does not measure).
    pub frame_cycles_last: u32,
    /// Most CPU cycles any frame took.
    pub frame_cycles_max: u32,
    /// USB transfer errors the firmware saw.
    pub usb_errors: u32,
    /// Audio samples lost before the node got them (DMA overruns).
    pub overruns: u32,
    /// Audio blocks refused because they held NaN or infinite samples.
    pub bad_blocks: u32,
}

/// The standard error response (sent under [`ERROR_KEY`](crate::ERROR_KEY) with the request's sequence number).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WireError<'a> {
    /// Shorter than a header, or the body does not decode as the endpoint's request type.
    Malformed,
    /// Longer than [`MAX_REQUEST_LEN`](crate::MAX_REQUEST_LEN).
    Oversized {
        /// Bytes received.
        len: u32,
        /// The limit.
        max: u32,
    },
    /// No endpoint has this key (another protocol version, or not a request).
    UnknownKey(u32),
    /// The settings were refused; nothing changed.
    Invalid {
        /// Dotted path into [`NodeSettings`], e.g. `config.frames.n_fft` or `gain`.
        field: &'a str,
        /// Why, in words (the core's own message for config fields).
        message: &'a str,
    },
    /// Flash failed; nothing changed.
    Storage(&'a str),
}

impl fmt::Display for WireError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::Malformed => write!(f, "malformed request"),
            WireError::Oversized { len, max } => write!(f, "request of {len} bytes is over the {max}-byte limit"),
            WireError::UnknownKey(key) => write!(f, "unknown message key {key:#010x}"),
            WireError::Invalid { message, .. } => write!(f, "{message}"),
            WireError::Storage(message) => write!(f, "settings storage: {message}"),
        }
    }
}

impl core::error::Error for WireError<'_> {}
