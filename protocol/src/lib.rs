#![doc = include_str!("../README.md")]
#![cfg_attr(not(test), no_std)]
#![warn(missing_docs)]

#[cfg(feature = "alloc")]
extern crate alloc;

mod frame;
mod key;
mod samples;
mod wire;

pub use frame::{
    FrameError, HEADER_LEN, Header, TransferEnd, TransferReader, USB_PACKET_LEN, decode_body, encode, encode_request,
    encode_response, encode_topic, message_packets, needs_zlp, request_needs_zlp, request_transfers,
};
pub use key::{Key, fnv1a, fnv1a_start};
pub use samples::{F32s, I16s};
pub use stapes_core::Config;
pub use wire::{
    Applied, AudioBlock, FeatureFrame, Health, Info, NodeSettings, RebootMode, ScalarFrame, SettingsOrigin, Streams,
    WireError,
};

/// Version of every wire type together. Bump it whenever an encoding changes: the golden test
/// (`tests/golden.rs`) fails until you do, and every key (so [`PROTOCOL_HASH`]) changes with it.
pub const SCHEMA_VERSION: u32 = 1;

/// Largest request a node accepts (header included); longer ones get [`WireError::Oversized`].
pub const MAX_REQUEST_LEN: usize = 512;
/// Largest response to a request (header included): a node's answers always fit, so request/response buffers can be
/// this small.
pub const MAX_RESPONSE_LEN: usize = 512;
/// Largest message either side sends (header included); hosts read transfers of this length.
pub const MAX_MESSAGE_LEN: usize = 4096;
/// Most samples in one [`AudioBlock`].
pub const MAX_AUDIO_SAMPLES: usize = 1024;

/// A request → response endpoint.
pub trait Endpoint {
    /// `"area/verb"`.
    const PATH: &'static str;
    /// Derived from the path, both type names and [`SCHEMA_VERSION`].
    const KEY: Key;
    /// The request body.
    type Request<'a>: serde::Serialize + serde::Deserialize<'a>;
    /// The successful response body (failures are a [`WireError`] under [`ERROR_KEY`]).
    type Response<'a>: serde::Serialize + serde::Deserialize<'a>;
}

/// A node → host topic.
pub trait Topic {
    /// `"area/noun"`.
    const PATH: &'static str;
    /// Derived from the path, the type name and [`SCHEMA_VERSION`].
    const KEY: Key;
    /// The message body.
    type Message<'a>: serde::Serialize + serde::Deserialize<'a>;
}

macro_rules! endpoints {
    (list = $list:ident; $(| $name:ident | $req:ty | $resp:ty | $path:literal |)*) => {
        $(
            #[doc = concat!("`", $path, "`: `", stringify!($req), "` → `", stringify!($resp), "`.")]
            pub enum $name {}
            impl Endpoint for $name {
                const PATH: &'static str = $path;
                const KEY: Key = Key::derive($path, stringify!($req), stringify!($resp));
                type Request<'a> = $req;
                type Response<'a> = $resp;
            }
        )*
        /// Every endpoint as (path, key).
        pub const $list: &[(&str, Key)] = &[$(($path, <$name as Endpoint>::KEY)),*];
    };
}

macro_rules! topics {
    (list = $list:ident; $(| $name:ident | $msg:ty | $path:literal |)*) => {
        $(
            #[doc = concat!("`", $path, "`: `", stringify!($msg), "`, node → host.")]
            pub enum $name {}
            impl Topic for $name {
                const PATH: &'static str = $path;
                const KEY: Key = Key::derive($path, stringify!($msg), "");
                type Message<'a> = $msg;
            }
        )*
        /// Every topic as (path, key).
        pub const $list: &[(&str, Key)] = &[$(($path, <$name as Topic>::KEY)),*];
    };
}

// The whole protocol. Every request gets exactly one answer: its endpoint's response, or a `WireError`.
endpoints! {
    list = ENDPOINTS;
    | InfoEp             | ()           | Info<'a>     | "info"              |
    | SettingsGet        | ()           | NodeSettings | "settings/get"      |
    | SettingsSet        | NodeSettings | Applied      | "settings/set"      |
    | SettingsValidate   | NodeSettings | ()           | "settings/validate" |
    | SettingsReset      | ()           | Applied      | "settings/reset"    |
    | StreamStart        | ()           | ()           | "stream/start"      |
    | StreamStop         | ()           | ()           | "stream/stop"       |
    | SystemReboot       | RebootMode   | ()           | "system/reboot"     |
}

topics! {
    list = TOPICS;
    | FeaturesTopic | FeatureFrame<'a> | "stream/features" |
    | ScalarsTopic  | ScalarFrame<'a>  | "stream/scalars"  |
    | AudioTopic    | AudioBlock<'a>   | "stream/audio"    |
    | HealthTopic   | Health           | "stream/health"   |
}

// ---

/// The key of the standard error response ([`WireError`]).
pub const ERROR_KEY: Key = Key::derive("error", "WireError<'a>", "");

/// One number for the whole protocol (every key, the limits): `info` reports the node's, and a host compares it with
/// its own before anything else.
pub const PROTOCOL_HASH: u32 = {
    let mut h = fnv1a(fnv1a_start(), &ERROR_KEY.0.to_le_bytes());
    let mut i = 0;
    while i < ENDPOINTS.len() {
        h = fnv1a(h, &ENDPOINTS[i].1.0.to_le_bytes());
        i += 1;
    }
    i = 0;
    while i < TOPICS.len() {
        h = fnv1a(h, &TOPICS[i].1.0.to_le_bytes());
        i += 1;
    }
    h = fnv1a(h, &(MAX_REQUEST_LEN as u32).to_le_bytes());
    h = fnv1a(h, &(MAX_RESPONSE_LEN as u32).to_le_bytes());
    h = fnv1a(h, &(MAX_MESSAGE_LEN as u32).to_le_bytes());
    fnv1a(h, &(MAX_AUDIO_SAMPLES as u32).to_le_bytes())
};

/// FNV-1a of the config's postcard encoding: the same on every target, so host and node can compare configs by it.
pub fn config_hash(config: &Config) -> u32 {
    struct Hasher(u32);
    impl postcard::ser_flavors::Flavor for Hasher {
        type Output = u32;
        fn try_push(&mut self, data: u8) -> postcard::Result<()> {
            self.0 = fnv1a(self.0, &[data]);
            Ok(())
        }
        fn finalize(self) -> postcard::Result<u32> {
            Ok(self.0)
        }
    }
    // A Config always serialises (no maps, no unknown lengths) and the hasher never refuses a byte.
    postcard::serialize_with_flavor(config, Hasher(fnv1a_start())).unwrap_or(0)
}

/// Bytes a [`FeatureFrame`] of `n` values takes on the wire, header included, at most (varints at their longest).
pub const fn feature_frame_len(n: usize) -> usize {
    HEADER_LEN + 10 + 10 + 5 + 4 * n
}
