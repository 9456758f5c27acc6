//! The simulated node: the real node library (`stapes-node`) in the page's wasm, exported to JavaScript where
//! `web/sim/fake-usb.js` puts it behind a fake `navigator.usb` device. Its settings flash lives in RAM and is saved
//! to localStorage after every request, so settings survive a reload like they survive a power cycle.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use embedded_storage_async::nor_flash::{ErrorType, NorFlash, ReadNorFlash};
use stapes_node::{Action, Clock, Identity, Memory, Node, RamFlash, RamFlashError};
use stapes_protocol::{
    MAX_MESSAGE_LEN, MAX_REQUEST_LEN, MAX_RESPONSE_LEN, StreamStart, TransferEnd, TransferReader, USB_PACKET_LEN,
    encode_request, message_packets,
};
use wasm_bindgen::prelude::*;

use crate::signals::{Generator, Signal};

/// Settings flash of the simulated node: four 4 KiB sectors.
const FLASH_BYTES: usize = 4 * stapes_node::SECTOR;
/// Most audio one `tick` generates (a background tab's timers can stall for seconds).
const MAX_TICK_MS: f64 = 250.0;
/// Bytes of a request the node keeps: one over the limit, as the device's `requests` task
/// (`firmware/rp2350/src/device/node.rs`), so a longer request is answered "oversized".
const REQUEST_BUF_LEN: usize = MAX_REQUEST_LEN + 1;

/// Identity of the simulated node.
const IDENTITY: Identity = Identity {
    firmware_version: env!("CARGO_PKG_VERSION"),
    git_hash: "simulated",
    build_date: "simulated",
    board: "simulated",
    serial: 0x5354_4150_4553_0001,
};

/// The RAM flash, shared between the node (which owns its flash) and the page (which saves its bytes).
#[derive(Clone)]
struct SharedFlash(Rc<RefCell<RamFlash<FLASH_BYTES>>>);

impl ErrorType for SharedFlash {
    type Error = RamFlashError;
}

impl ReadNorFlash for SharedFlash {
    const READ_SIZE: usize = 1;
    async fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), RamFlashError> {
        // RamFlash completes at once: the borrow does not live across a suspension.
        ready(self.0.borrow_mut().read(offset, bytes))
    }
    fn capacity(&self) -> usize {
        FLASH_BYTES
    }
}

impl NorFlash for SharedFlash {
    const WRITE_SIZE: usize = 4;
    const ERASE_SIZE: usize = stapes_node::SECTOR;
    async fn erase(&mut self, from: u32, to: u32) -> Result<(), RamFlashError> {
        ready(self.0.borrow_mut().erase(from, to))
    }
    async fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), RamFlashError> {
        ready(self.0.borrow_mut().write(offset, bytes))
    }
}

/// `performance.now()` in µs.
struct PageClock;

impl Clock for PageClock {
    fn now_us(&self) -> u64 {
        (now_ms() * 1000.0) as u64
    }
}

fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

/// Runs a future that never waits (everything under the simulated node is in RAM) to completion.
fn ready<T>(future: impl Future<Output = T>) -> T {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

#[wasm_bindgen(module = "/sim/fake-usb.js")]
extern "C" {
    #[wasm_bindgen(js_name = createFakeUsb)]
    fn create_fake_usb(make_node: &js_sys::Function) -> JsValue;
}

/// The simulated node behind a fake `navigator.usb` (`web/sim/fake-usb.js`): the object with `usb` (to use as
/// `navigator.usb`) and `plug()`/`unplug()`. Every plug boots a fresh [`SimNode`] from the flash saved under
/// `storage_key` (a node with another serial than the page's own under `storage_key.SERIAL`).
pub fn fake_usb(storage_key: &str) -> JsValue {
    let storage_key = storage_key.to_owned();
    let factory = Closure::<dyn FnMut(JsValue) -> JsValue>::new(move |serial: JsValue| {
        JsValue::from(SimNode::new(&storage_key, serial.as_string()))
    });
    let sim = create_fake_usb(factory.as_ref().unchecked_ref());
    // The fake calls the factory on every plug, for as long as the page lives.
    factory.forget();
    sim
}

/// A node in the page. JavaScript drives it as a bus drives the device: `packet_out` for each bulk OUT packet,
/// `packet_in` for each bulk IN packet, `tick` on a timer to feed it audio. The packets are framed by the same
/// protocol code as on the device (`TransferReader` in, `message_packets` out); `request` and `next_message` are
/// the whole-message view underneath.
#[wasm_bindgen]
pub struct SimNode {
    node: Node<'static, SharedFlash, PageClock>,
    identity: Identity,
    /// Bulk OUT: the request being gathered from its packets.
    rx: TransferReader,
    rx_buf: Vec<u8>,
    /// Bulk IN: answers not yet sent (they go before queued topic messages, as from the device's `messages` task),
    /// and the packets of the message being sent, which nothing interrupts.
    replies: VecDeque<Vec<u8>>,
    tx: VecDeque<Vec<u8>>,
    flash: SharedFlash,
    storage_key: String,
    saved: Vec<u8>,
    generator: Generator,
    /// Audio clock: real time streamed so far (ms) and samples generated for it.
    streamed_ms: f64,
    generated: u64,
    last_tick_ms: f64,
    block: Vec<f32>,
    /// Audio comes from `push_audio` (the microphone) instead of the test signal.
    external: bool,
}

#[wasm_bindgen]
impl SimNode {
    /// Boots a node whose flash is loaded from (and saved to) localStorage under `storage_key`; `serial` (16 hex
    /// digits, as the node's USB serial number) gives it another identity than the page's own simulated node, and
    /// its own flash under `storage_key.SERIAL`.
    #[wasm_bindgen(constructor)]
    pub fn new(storage_key: &str, serial: Option<String>) -> SimNode {
        let chip_id = serial.as_deref().and_then(|s| u64::from_str_radix(s, 16).ok()).unwrap_or(IDENTITY.serial);
        let storage_key = match chip_id == IDENTITY.serial {
            true => storage_key.to_owned(),
            false => format!("{storage_key}.{chip_id:016X}"),
        };
        let storage_key = storage_key.as_str();
        let mut flash = RamFlash::<FLASH_BYTES>::new();
        let saved = load(storage_key).filter(|b| b.len() == FLASH_BYTES);
        if let Some(bytes) = &saved {
            flash.bytes_mut().copy_from_slice(bytes);
        }
        let flash = SharedFlash(Rc::new(RefCell::new(flash)));
        let identity = Identity { serial: chip_id, ..IDENTITY };
        let node = boot(flash.clone(), identity);
        let rate = node.settings().config.sample_rate;
        SimNode {
            node,
            identity,
            rx: TransferReader::new(),
            rx_buf: vec![0; REQUEST_BUF_LEN],
            replies: VecDeque::new(),
            tx: VecDeque::new(),
            flash,
            storage_key: storage_key.to_owned(),
            saved: saved.unwrap_or_default(),
            generator: Generator::new(Signal::Chirp, rate),
            streamed_ms: 0.0,
            generated: 0,
            last_tick_ms: now_ms(),
            block: Vec::new(),
            external: false,
        }
    }

    /// One bulk OUT packet (at most [`USB_PACKET_LEN`] bytes; a zero-length one included), as the device's
    /// endpoint receives it. The packet that ends a request's transfer (a short one) gets the request answered; the
    /// answer waits for [`SimNode::packet_in`]. A full packet never ends one: a request that fills its last packet
    /// waits for the host's zero-length packet, as on the device.
    pub fn packet_out(&mut self, packet: &[u8]) -> Result<(), JsError> {
        if packet.len() > USB_PACKET_LEN {
            let message =
                format!("a full-speed bulk packet carries at most {USB_PACKET_LEN} bytes, not {}", packet.len());
            return Err(JsError::new(&message));
        }
        let Some(end) = self.rx.push(&mut self.rx_buf, packet) else { return Ok(()) };
        let (TransferEnd::Message(len) | TransferEnd::TooLong(len)) = end;
        let request = self.rx_buf[..len].to_vec();
        let reply = self.request(&request);
        self.replies.push_back(reply);
        Ok(())
    }

    /// Bytes of a request the node has received without its end yet (0 between requests): a host that never ends
    /// a request leaves this above 0.
    pub fn request_bytes_waiting(&self) -> usize {
        self.rx.len()
    }

    /// The next bulk IN packet, if the node has one to send: the packets of one message, then of the next (an
    /// answer before any topic message that has not started).
    pub fn packet_in(&mut self) -> Option<Vec<u8>> {
        if self.tx.is_empty() {
            let message = match self.replies.pop_front() {
                Some(reply) => reply,
                None => self.next_message()?,
            };
            self.tx.extend(message_packets(&message).map(<[u8]>::to_vec));
        }
        self.tx.pop_front()
    }

    /// Answers one request (an OUT transfer's bytes) with the response bytes; a reboot request reboots after
    /// answering, as the device does.
    pub fn request(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut response = [0u8; MAX_RESPONSE_LEN];
        let reply = ready(self.node.handle(bytes, &mut response));
        let response = response[..reply.len].to_vec();
        self.save();
        if let Some(Action::Reboot(_)) = reply.action {
            self.node = boot(self.flash.clone(), self.identity);
        }
        let rate = self.node.settings().config.sample_rate;
        if self.generator.rate() != rate {
            self.generator = Generator::new(self.generator.signal(), rate);
            (self.streamed_ms, self.generated) = (0.0, 0);
        }
        response
    }

    /// Feeds the audio of the real time elapsed while streaming since the last tick (at most 250 ms per tick)
    /// through the node. Samples are counted against the total time, so ticks of any spacing give the exact rate.
    pub fn tick(&mut self) {
        let now = now_ms();
        let elapsed = (now - self.last_tick_ms).clamp(0.0, MAX_TICK_MS);
        self.last_tick_ms = now;
        if !self.node.is_streaming() || self.external {
            return;
        }
        self.streamed_ms += elapsed;
        let rate = f64::from(self.node.settings().config.sample_rate);
        let due = (self.streamed_ms * rate / 1000.0) as u64;
        let n = due.saturating_sub(self.generated) as usize;
        if n == 0 {
            return;
        }
        self.generated = due;
        self.block.resize(n, 0.0);
        self.generator.fill(&mut self.block);
        self.node.push_audio(&self.block);
    }

    /// Feeds microphone samples (in [-1, 1], at the config's rate) instead of the test signal.
    pub fn push_audio(&mut self, samples: &[f32]) {
        self.node.push_audio(samples);
    }

    /// Starts the stream as another host would have (another tab, or this page before a reload): the reply goes
    /// to that host, not to the bus. The fake's "already streaming" node.
    pub fn start_stream_elsewhere(&mut self) -> Result<(), JsError> {
        let mut request = [0u8; MAX_REQUEST_LEN];
        let len = encode_request::<StreamStart>(0, &(), &mut request).map_err(|e| JsError::new(&e.to_string()))?;
        self.request(&request[..len]);
        Ok(())
    }

    /// The next queued topic message, if any.
    pub fn next_message(&mut self) -> Option<Vec<u8>> {
        let mut out = vec![0u8; MAX_MESSAGE_LEN];
        let len = self.node.next_message(&mut out)?;
        out.truncate(len);
        Some(out)
    }

    /// Selects the test signal (`chirp`, `tones`, `noise`, `speech`), or `microphone` (then only `push_audio`
    /// feeds the node); false for an unknown name.
    pub fn set_signal(&mut self, name: &str) -> bool {
        if name == "microphone" {
            self.external = true;
            return true;
        }
        let Some(signal) = Signal::from_name(name) else { return false };
        self.generator = Generator::new(signal, self.node.settings().config.sample_rate);
        self.external = false;
        true
    }

    /// The sample rate the node's config runs at (the microphone path resamples to it).
    pub fn sample_rate(&self) -> u32 {
        self.node.settings().config.sample_rate
    }

    /// Writes the flash to localStorage if it changed.
    fn save(&mut self) {
        let flash = self.flash.0.borrow();
        if flash.bytes() == &self.saved[..] {
            return;
        }
        self.saved = flash.bytes().to_vec();
        if let Some(storage) = local_storage() {
            // A full or disabled storage only loses persistence; the node keeps running.
            let _ = storage.set_item(&self.storage_key, &hex(&self.saved));
        }
    }
}

/// Boots a node over `flash` (a fresh, leaked `Memory` each time: the node borrows it for its whole life).
fn boot(flash: SharedFlash, identity: Identity) -> Node<'static, SharedFlash, PageClock> {
    let memory: &'static mut Memory = Box::leak(Box::new(Memory::new()));
    ready(Node::boot(memory, flash, 0..FLASH_BYTES as u32, PageClock, identity))
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The saved flash bytes under `key`, if any and readable.
fn load(key: &str) -> Option<Vec<u8>> {
    let text = local_storage()?.get_item(key).ok()??;
    unhex(&text)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    let digits = text.as_bytes();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits.chunks_exact(2).map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()).collect()
}
