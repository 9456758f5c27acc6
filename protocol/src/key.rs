//! Message keys: a 32-bit FNV-1a hash of the path, the request and response type names and [`SCHEMA_VERSION`], so a
//! node and a host that disagree on any of them see "unknown key" instead of misreading each other's bytes.

use serde::{Deserialize, Serialize};

use crate::SCHEMA_VERSION;

/// Identifies what a message is (which endpoint or topic) and so how its body decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Key(pub u32);

const FNV_OFFSET: u32 = 0x811c_9dc5;
const FNV_PRIME: u32 = 0x0100_0193;

/// FNV-1a over `bytes`, continuing from `hash` (start with [`fnv1a_start`]).
pub const fn fnv1a(mut hash: u32, bytes: &[u8]) -> u32 {
    let mut i = 0;
    while i < bytes.len() {
        hash = (hash ^ bytes[i] as u32).wrapping_mul(FNV_PRIME);
        i += 1;
    }
    hash
}

/// The FNV-1a starting value.
pub const fn fnv1a_start() -> u32 {
    FNV_OFFSET
}

impl Key {
    /// The key of `path` carrying `request` (and answered with `response`; `""` for topics), at this schema
    /// version. A zero byte separates the parts so `("ab", "c")` and `("a", "bc")` differ.
    pub const fn derive(path: &str, request: &str, response: &str) -> Key {
        let mut h = fnv1a(fnv1a_start(), path.as_bytes());
        h = fnv1a(h, &[0]);
        h = fnv1a(h, request.as_bytes());
        h = fnv1a(h, &[0]);
        h = fnv1a(h, response.as_bytes());
        h = fnv1a(h, &[0]);
        Key(fnv1a(h, &SCHEMA_VERSION.to_le_bytes()))
    }
}
