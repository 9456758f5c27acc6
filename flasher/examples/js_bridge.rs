//! The real [`Flasher`] as a plain wasm32 module driving the dashboard's JS fake bootrom
//! (`web/sim/fake-picoboot.js`) through synchronous imports, so the Rust and JS fakes cannot drift apart from the
//! client. `flasher/js/check-fake.mjs` loads it:
//!
//! ```sh
//! cargo build -p stapes-flasher --example js_bridge --target wasm32-unknown-unknown --release
//! node flasher/js/check-fake.mjs target/wasm32-unknown-unknown/release/examples/js_bridge.wasm
//! ```
//!
//! Imports (module `fake`) return a byte count or 0 on success, -1 for a stall, -2 for a disconnect, -3 for a
//! transfer the device never answers (it stays pending, and the flasher's timer, `sleep`, wins).
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::future::{Future, pending, ready};
use std::ops::ControlFlow;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use stapes_flasher::picoboot::{Transport, UsbError};
use stapes_flasher::{Flasher, uf2};

#[link(wasm_import_module = "fake")]
unsafe extern "C" {
    fn product_id() -> u32;
    fn bulk_out(ptr: *const u8, len: usize) -> i32;
    fn bulk_in(ptr: *mut u8, cap: usize) -> i32;
    fn control_out(request: u32) -> i32;
    fn control_in(request: u32, ptr: *mut u8, cap: usize) -> i32;
    fn clear_halt() -> i32;
    /// Records a timeout the flasher arms (the fake's clock has no time: the timer is over at once).
    fn sleep(ms: u32);
    /// Returns 1 to cancel.
    fn progress(done: u32, total: u32) -> i32;
}

thread_local! {
    /// The last result for JS to read: a UF2 file, or an error's `Debug` and `Display` text.
    static OUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

async fn code(n: i32) -> Result<usize, UsbError> {
    match n {
        -1 => Err(UsbError::Stall),
        -2 => Err(UsbError::Disconnected),
        -3 => pending().await,
        n if n < 0 => Err(UsbError::Other(format!("fake error {n}"))),
        n => Ok(n as usize),
    }
}

struct JsFake;

// SAFETY (all calls below): the imports only read or write the `len`/`cap` bytes at the pointer they are given.
impl Transport for JsFake {
    fn product_id(&self) -> u16 {
        unsafe { product_id() as u16 }
    }
    async fn bulk_out(&mut self, data: &[u8]) -> Result<(), UsbError> {
        code(unsafe { bulk_out(data.as_ptr(), data.len()) }).await.map(drop)
    }
    async fn bulk_in(&mut self, buf: &mut [u8]) -> Result<usize, UsbError> {
        code(unsafe { bulk_in(buf.as_mut_ptr(), buf.len()) }).await
    }
    async fn control_out(&mut self, request: u8) -> Result<(), UsbError> {
        code(unsafe { control_out(u32::from(request)) }).await.map(drop)
    }
    async fn control_in(&mut self, request: u8, buf: &mut [u8]) -> Result<usize, UsbError> {
        code(unsafe { control_in(u32::from(request), buf.as_mut_ptr(), buf.len()) }).await
    }
    async fn clear_halt(&mut self) -> Result<(), UsbError> {
        code(unsafe { clear_halt() }).await.map(drop)
    }
    fn sleep(&self, ms: u32) -> impl Future<Output = ()> + 'static {
        unsafe { sleep(ms) };
        ready(())
    }
}

/// Every import answers at once (a transfer that never does loses to the timer, which is over at once), so the
/// flash future completes on its first poll.
fn block_on<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => unreachable!("the imports are synchronous"),
    }
}

fn set_out(bytes: Vec<u8>) -> usize {
    let len = bytes.len();
    OUT.with(|o| *o.borrow_mut() = bytes);
    len
}

/// `len` bytes of wasm memory for JS to fill; ownership passes back with [`flash`] or [`write_uf2`].
#[unsafe(no_mangle)]
pub extern "C" fn alloc(len: usize) -> *mut u8 {
    let mut bytes = vec![0u8; len];
    let ptr = bytes.as_mut_ptr();
    std::mem::forget(bytes);
    ptr
}

/// Takes back a buffer from [`alloc`].
unsafe fn take(ptr: *mut u8, len: usize) -> Vec<u8> {
    // SAFETY: `ptr` came from `alloc(len)`, whose Vec had capacity `len`.
    unsafe { Vec::from_raw_parts(ptr, len, len) }
}

/// Pointer to the last result.
#[unsafe(no_mangle)]
pub extern "C" fn out_ptr() -> *const u8 {
    OUT.with(|o| o.borrow().as_ptr())
}

/// Writes a UF2 of the image at `ptr` (from [`alloc`]) for `base` and `family`; returns its length (0 if refused).
///
/// # Safety
/// `ptr`/`len` must come from one [`alloc`] call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn write_uf2(ptr: *mut u8, len: usize, base: u32, family: u32) -> usize {
    let image = unsafe { take(ptr, len) };
    set_out(uf2::write(base, &image, family).unwrap_or_default())
}

/// Flashes the UF2 file at `ptr` (from [`alloc`]) with `[protect_start, protect_end)` protected; returns 0 on
/// success, else the length of the error text (`Debug`, a newline, `Display`) at [`out_ptr`].
///
/// # Safety
/// `ptr`/`len` must come from one [`alloc`] call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn flash(ptr: *mut u8, len: usize, protect_start: u32, protect_end: u32) -> usize {
    let file = unsafe { take(ptr, len) };
    let mut flasher = Flasher::new(JsFake).protect(protect_start..protect_end);
    let result = block_on(flasher.flash_file(&file, |p| {
        // SAFETY: a plain import call.
        match unsafe { progress(p.done, p.total) } {
            1 => ControlFlow::Break(()),
            _ => ControlFlow::Continue(()),
        }
    }));
    match result {
        Ok(()) => 0,
        Err(e) => set_out(format!("{e:?}\n{e}").into_bytes()),
    }
}
