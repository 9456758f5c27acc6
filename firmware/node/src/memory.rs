//! The node's fixed memory, one `const`-constructible block the firmware places in a static (no allocator, no
//! large values moved through the stack).

use stapes_protocol::MAX_MESSAGE_LEN;

/// f32 elements of pipeline storage: 64 KiB. Every preset's streamable form at its own rate fits except librosa's
/// at 22.05 kHz with a 2048-point FFT: `whisper-80` 3,536, `whisper-128` 3,634, `yamnet`/`vggish` 3,932,
/// `kaldi-fbank` 3,869, `kaldi-mfcc` 4,158, `librosa-mel` 16,593, `librosa-mfcc` 19,045 (`tests/capacity.rs`).
/// The headroom is for larger FFTs at 16 kHz (a 1024-point librosa-style config fits).
pub const PIPELINE_CAPACITY: usize = 16 * 1024;
/// Bytes of the send queue for topic messages: about 60 yamnet frames (0.6 s of stream) at 280 bytes each.
pub const QUEUE_BYTES: usize = 16 * 1024;

/// Everything large the node needs, owned by the caller: `static MEMORY: ConstStaticCell<Memory> =
/// ConstStaticCell::new(Memory::new())` on the device, `Box::new(Memory::new())` on a host.
pub struct Memory {
    pub(crate) pipeline: [f32; PIPELINE_CAPACITY],
    pub(crate) queue: [u8; QUEUE_BYTES],
    pub(crate) scratch: [u8; MAX_MESSAGE_LEN],
}

impl Memory {
    /// Zeroed memory (lands in `.bss` as a static).
    pub const fn new() -> Self {
        Memory { pipeline: [0.0; PIPELINE_CAPACITY], queue: [0; QUEUE_BYTES], scratch: [0; MAX_MESSAGE_LEN] }
    }
}

impl Default for Memory {
    fn default() -> Self {
        Self::new()
    }
}
