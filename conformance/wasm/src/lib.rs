//! wasm32 conformance runner. No wasm-bindgen: the module exports two C-ABI functions and imports nothing.
//!
//! - `stapes_conformance_run() -> usize` runs every preset and writes one `name=hash\n` line each (hash as 16 hex
//!   digits) into a static buffer, returning the number of bytes written;
//! - `stapes_conformance_output() -> *const u8` is the address of that buffer in linear memory.
//!
//! `run.mjs` (plain Node) instantiates the module and prints the text. `cargo xtask conformance` builds it twice,
//! with and without `+simd128`.

use core::cell::UnsafeCell;
use core::fmt::Write;

/// Room for the output text: far more than the presets need (about 40 bytes per preset).
const CAPACITY: usize = 64 * 1024;

struct Output(UnsafeCell<[u8; CAPACITY]>);

// SAFETY: wasm32-unknown-unknown runs one thread; the host calls the exports one at a time.
unsafe impl Sync for Output {}

static OUTPUT: Output = Output(UnsafeCell::new([0; CAPACITY]));

/// A `fmt::Write` into a byte slice that fails once it is full.
struct Cursor<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl Write for Cursor<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = self.len + s.len();
        self.buf.get_mut(self.len..end).ok_or(core::fmt::Error)?.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Runs every preset and writes `name=hash` lines into the output buffer; returns their length in bytes.
///
/// # Panics
/// If the text does not fit in the buffer (the module then traps).
#[unsafe(no_mangle)]
pub extern "C" fn stapes_conformance_run() -> usize {
    // SAFETY: single-threaded, and no other reference to the buffer is alive during this call.
    let buf = unsafe { &mut *OUTPUT.0.get() };
    let mut out = Cursor { buf, len: 0 };
    stapes_conformance::run(&mut |name, hash| {
        writeln!(out, "{name}={hash:016x}").expect("conformance output exceeds the 64 KiB buffer");
    });
    out.len
}

/// Address of the output buffer in linear memory.
#[unsafe(no_mangle)]
pub extern "C" fn stapes_conformance_output() -> *const u8 {
    OUTPUT.0.get().cast()
}
