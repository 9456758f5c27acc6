//! A Pico 2 that ran something else before (MicroPython's littlefs, random data, an erase cut short) or lost power
//! mid-write boots the node: `Node::boot` runs through the firmware's own capture loop, stall window and flash
//! wrapper (`stapes_firmware::stall`) over a RAM flash, as it runs on the device before the pipeline task exists.
//! Every erase needs a fresh window at 16 kHz, and a fresh window needs the stall buffer back: a boot that erases
//! twice hangs unless something recycles it.
//!
//! The simulated time moves with the microphone (each transfer ends `words / rate` after it started) and with the
//! flash (each operation takes its datasheet worst case); the flash underneath refuses any operation that does not
//! fit the open window by the firmware's rule, so the wrapper cannot cheat.

#![cfg(feature = "stall")]

use std::cell::Cell;
use std::future::Future;

use embassy_futures::block_on;
use embassy_futures::select::{Either3, select3};
use embassy_futures::yield_now;
use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use embedded_storage_async::nor_flash::{ErrorType, NorFlash, ReadNorFlash};
use stapes_firmware::audio::{BLOCK_WORDS, FlashOp, POOL_BLOCKS, STALL_WORDS, flash_op_worst_us, op_fits, words_to_us};
use stapes_firmware::layout::SETTINGS_SIZE;
use stapes_firmware::stall::{Buffers, Input, WindowedFlash};
use stapes_node::protocol::{
    Endpoint, Header, InfoEp, MAX_RESPONSE_LEN, NodeSettings, SettingsOrigin, SettingsSet, decode_body, encode_request,
};
use stapes_node::{Clock, Identity, Memory, Node, RamFlash, RamFlashError, SECTOR, settings};

/// The settings store's size on the Pico 2, at offset 0 of the RAM flash.
const SIZE: usize = SETTINGS_SIZE as usize;
const RANGE: core::ops::Range<u32> = 0..SETTINGS_SIZE;
type Flash = RamFlash<SIZE>;

/// Simulated audio time after which a boot counts as hung (a boot erasing all 16 sectors needs about 16 windows).
const HUNG_US: u64 = 60_000_000;

const IDENTITY: Identity =
    Identity { firmware_version: "test", git_hash: "test", build_date: "test", board: "host-test", serial: 1 };

thread_local! {
    /// Simulated microseconds (one clock per test thread).
    static NOW: Cell<u64> = const { Cell::new(0) };
}

fn now_us() -> u64 {
    NOW.with(Cell::get)
}

fn advance_to(t: u64) {
    NOW.with(|n| n.set(n.get().max(t)));
}

struct SimClock;

impl Clock for SimClock {
    fn now_us(&self) -> u64 {
        now_us()
    }
}

/// The microphone's DMA at 16 kHz: a transfer of `n` words ends `n / rate` after it started, unless a flash
/// operation (interrupts off) ran past that end, in which case the RX FIFO overflowed.
struct SimMic {
    rate: u32,
}

impl Input for SimMic {
    fn start(&mut self) {}

    fn read<'b>(&'b mut self, buf: &'b mut [u32]) -> impl Future<Output = ()> + 'b {
        let (start, len, rate) = (now_us(), buf.len(), self.rate);
        async move {
            // The other tasks run while the DMA fills the buffer.
            yield_now().await;
            advance_to(start + words_to_us(len, rate));
        }
    }

    fn overran(&mut self) -> bool {
        false
    }

    fn set_rate(&mut self, rate: u32) {
        self.rate = rate;
    }
}

/// What happened to the flash during one boot.
#[derive(Default)]
struct Log {
    erases: Cell<u32>,
    programs: Cell<u32>,
    /// Operations refused because they did not fit the open window.
    violations: Cell<u32>,
}

/// The RAM flash behind the firmware's window rule: an operation that does not fit the open stall window is refused
/// (on the device it would run with the capture stalled and lose samples); one that fits takes its datasheet worst
/// case of simulated time.
struct Enforced<'t, 'a> {
    flash: &'t mut Flash,
    log: &'t Log,
    buffers: &'t Buffers<'a, NoopRawMutex>,
}

impl Enforced<'_, '_> {
    fn run(&self, op: FlashOp) -> Result<(), RamFlashError> {
        match self.buffers.window_left() {
            Some((left, rate)) if op_fits(op, left, rate) => {
                advance_to(now_us() + flash_op_worst_us(op));
                Ok(())
            }
            _ => {
                self.log.violations.set(self.log.violations.get() + 1);
                Err(RamFlashError::PowerCut)
            }
        }
    }
}

impl ErrorType for Enforced<'_, '_> {
    type Error = RamFlashError;
}

impl ReadNorFlash for Enforced<'_, '_> {
    const READ_SIZE: usize = Flash::READ_SIZE;

    async fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
        self.flash.read(offset, bytes).await
    }

    fn capacity(&self) -> usize {
        self.flash.capacity()
    }
}

impl NorFlash for Enforced<'_, '_> {
    const WRITE_SIZE: usize = Flash::WRITE_SIZE;
    const ERASE_SIZE: usize = Flash::ERASE_SIZE;

    async fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
        self.run(FlashOp::Erase { len: to.saturating_sub(from) })?;
        self.log.erases.set(self.log.erases.get() + (to.saturating_sub(from)).div_ceil(SECTOR as u32));
        self.flash.erase(from, to).await
    }

    async fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        self.run(FlashOp::Program { offset, len: bytes.len() as u32 })?;
        self.log.programs.set(self.log.programs.get() + 1);
        self.flash.write(offset, bytes).await
    }
}

/// What a boot on the device did: where its settings came from, and whether a settings write after it persisted.
struct Boot {
    settings: NodeSettings,
    origin: SettingsOrigin,
    erases: u32,
    set_ok: Option<bool>,
}

/// One request through the node, decoded.
async fn call<E: Endpoint, F: NorFlash>(node: &mut Node<'_, F, SimClock>, req: &E::Request<'_>) -> Option<Vec<u8>> {
    let mut request = [0u8; 512];
    let len = encode_request::<E>(9, req, &mut request).ok()?;
    let mut response = [0u8; MAX_RESPONSE_LEN];
    let reply = node.handle(&request[..len], &mut response).await;
    let (header, body) = Header::split(&response[..reply.len]).ok()?;
    (header.key == E::KEY).then(|| body.to_vec())
}

/// Boots the node on `flash` the way the device does before its pipeline task exists: the capture running, the
/// node's flash behind the firmware's windowed wrapper, nothing else taking chunks; then asks `info`, and writes
/// `then_set` if given. Panics (the test fails) if the boot does not finish within [`HUNG_US`] of audio.
fn boot_on_device(flash: &mut Flash, then_set: Option<&NodeSettings>) -> Boot {
    NOW.with(|n| n.set(0));
    let mut blocks = Box::new([[0u32; BLOCK_WORDS]; POOL_BLOCKS]);
    let mut stall = Box::new([0u32; STALL_WORDS]);
    let buffers = Buffers::<NoopRawMutex>::new(now_us);
    buffers.provide(&mut blocks, &mut stall);
    let log = Log::default();
    let mut memory = Box::new(Memory::new());
    let windowed = WindowedFlash::new(Enforced { flash, log: &log, buffers: &buffers }, RANGE, &buffers);
    let node = async {
        let mut node = Node::boot(&mut memory, windowed, RANGE, SimClock, IDENTITY).await;
        let (erases, booted) = (log.erases.get(), node.settings().clone());
        let info = call::<InfoEp, _>(&mut node, &()).await.expect("info answers");
        let origin = decode_body::<stapes_node::protocol::Info>(&info).expect("info decodes").settings_origin;
        let set_ok = match then_set {
            Some(s) => Some(call::<SettingsSet, _>(&mut node, s).await.is_some()),
            None => None,
        };
        Boot { settings: booted, origin, erases, set_ok }
    };
    let hung = async {
        while now_us() < HUNG_US {
            yield_now().await;
        }
    };
    let boot = match block_on(select3(node, buffers.capture(SimMic { rate: 16_000 }), hung)) {
        Either3::First(boot) => boot,
        Either3::Third(()) => panic!(
            "the node has not booted after {} s of audio: {} sector erases done, no stall window since",
            HUNG_US / 1_000_000,
            log.erases.get()
        ),
    };
    assert_eq!(log.violations.get(), 0, "every flash operation ran inside a window it fits");
    boot
}

fn with_gain(gain: f32) -> NodeSettings {
    NodeSettings { gain, ..settings::defaults() }
}

/// xorshift64: deterministic noise.
fn noise(seed: u64) -> impl FnMut() -> u8 {
    let mut s = seed;
    move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 24) as u8
    }
}

/// The settings survive a reboot through the windows too.
fn reboots_with(flash: &mut Flash, expect: &NodeSettings) {
    let again = boot_on_device(flash, None);
    assert_eq!((&again.settings, again.origin), (expect, SettingsOrigin::Stored));
}

#[test]
fn first_install_on_an_erased_board_boots_with_defaults_and_keeps_the_first_settings() {
    let mut flash = Flash::new();
    let boot = boot_on_device(&mut flash, Some(&with_gain(2.0)));
    assert_eq!((boot.origin, boot.erases, boot.set_ok), (SettingsOrigin::Defaults, 0, Some(true)));
    reboots_with(&mut flash, &with_gain(2.0));
}

/// What MicroPython leaves in the last 64 KiB of a Pico 2: littlefs v2 metadata pairs (revision count, tags, the
/// "littlefs" superblock name and geometry, a CRC tag) and file blocks of Python source, the rest erased.
fn littlefs_like() -> Flash {
    let mut flash = Flash::new();
    let bytes = flash.bytes_mut();
    let mut rand = noise(0x1f5);
    for (block, rev) in [(0usize, 7u32), (1, 8)] {
        let b = &mut bytes[block * SECTOR..(block + 1) * SECTOR];
        b[0..4].copy_from_slice(&rev.to_le_bytes());
        b[4..8].copy_from_slice(&0x0ff0_0008u32.to_be_bytes());
        b[8..16].copy_from_slice(b"littlefs");
        b[16..20].copy_from_slice(&0x2ff0_0018u32.to_be_bytes());
        for (i, v) in [0x0002_0000u32, 4096, 256, 255, 0x7fff_ffff, 1022].iter().enumerate() {
            b[20 + 4 * i..24 + 4 * i].copy_from_slice(&v.to_le_bytes());
        }
        for x in &mut b[44..120] {
            *x = rand();
        }
    }
    let source = b"import machine, time\nled = machine.Pin('LED', machine.Pin.OUT)\nwhile True:\n    led.toggle()\n    time.sleep(0.5)\n";
    for block in 2..6 {
        for (i, x) in bytes[block * SECTOR..(block + 1) * SECTOR].iter_mut().enumerate() {
            *x = source[i % source.len()];
        }
    }
    flash
}

#[test]
fn a_board_that_ran_micropython_boots_with_defaults_then_keeps_new_settings() {
    let mut flash = littlefs_like();
    let boot = boot_on_device(&mut flash, Some(&with_gain(3.0)));
    assert_eq!(boot.settings, settings::defaults());
    assert_eq!(boot.origin, SettingsOrigin::ResetCorrupt, "info says the foreign data was cleared");
    assert!(boot.erases >= 2, "the boot erased {} sectors: this is the case that hung", boot.erases);
    assert_eq!(boot.set_ok, Some(true));
    reboots_with(&mut flash, &with_gain(3.0));
}

fn random_board() -> Flash {
    let mut flash = Flash::new();
    let mut rand = noise(0x9e37_79b9_7f4a_7c15);
    flash.bytes_mut().iter_mut().for_each(|b| *b = rand());
    flash
}

#[test]
fn a_board_full_of_random_bytes_boots_with_defaults_then_keeps_new_settings() {
    let mut flash = random_board();
    let boot = boot_on_device(&mut flash, Some(&with_gain(4.0)));
    assert_eq!(boot.settings, settings::defaults());
    assert_eq!(boot.origin, SettingsOrigin::ResetCorrupt, "info says the foreign data was cleared");
    assert!(boot.erases >= 2, "the boot erased {} sectors: this is the case that hung", boot.erases);
    assert_eq!(boot.set_ok, Some(true));
    reboots_with(&mut flash, &with_gain(4.0));
}

#[test]
fn a_board_with_half_erased_sectors_boots_with_defaults_then_keeps_new_settings() {
    // Every other sector erased, the others random, and erases cut half-way (an erase runs from the start of the
    // sector: the first half is erased, the second still holds the old data).
    let mut flash = Flash::new();
    let mut rand = noise(0x5eed);
    for (i, sector) in flash.bytes_mut().chunks_mut(SECTOR).enumerate() {
        let start = match i % 4 {
            0 | 2 => SECTOR,
            1 => SECTOR / 2,
            _ => 0,
        };
        sector[start..].iter_mut().for_each(|b| *b = rand());
    }
    let boot = boot_on_device(&mut flash, Some(&with_gain(5.0)));
    assert_eq!(boot.settings, settings::defaults());
    assert_eq!(boot.origin, SettingsOrigin::ResetCorrupt, "info says the foreign data was cleared");
    assert!(boot.erases >= 2, "the boot erased {} sectors: this is the case that hung", boot.erases);
    assert_eq!(boot.set_ok, Some(true));
    reboots_with(&mut flash, &with_gain(5.0));
}

#[test]
fn a_power_cut_during_a_settings_write_boots_with_old_or_new_settings() {
    // A map with a history, so that the update erases and migrates a page; written directly (no windows needed).
    let mut base = Flash::new();
    let mut memory = Box::new(Memory::new());
    let set = |flash: &mut Flash, memory: &mut Memory, s: &NodeSettings| {
        block_on(async {
            let mut node = Node::boot(memory, &mut *flash, RANGE, SimClock, IDENTITY).await;
            call::<SettingsSet, _>(&mut node, s).await.is_some()
        })
    };
    let mut history = 0u16;
    let old = loop {
        history += 1;
        let old = with_gain(1.0 + f32::from(history) / 64.0);
        assert!(set(&mut base, &mut memory, &old));
        // Stop once the next update has to erase a page.
        let mut probe = base.clone();
        assert!(set(&mut probe, &mut memory, &with_gain(9.0)));
        if probe.bytes().iter().zip(base.bytes()).any(|(&p, &b)| p == 0xff && b != 0xff) {
            break old;
        }
    };
    let new = with_gain(9.0);
    let (mut cuts, mut erased_once, mut erased_more) = (0, 0, 0);
    for cut in (0..).step_by(13) {
        let mut flash = base.clone();
        flash.cut_after(Some(cut));
        if set(&mut flash, &mut memory, &new) {
            break;
        }
        flash.restore_power();
        cuts += 1;
        let boot = boot_on_device(&mut flash, None);
        assert_eq!(boot.origin, SettingsOrigin::Stored, "cut {cut}");
        assert!(boot.settings == old || boot.settings == new, "cut {cut}: neither old nor new settings");
        erased_once += usize::from(boot.erases == 1);
        erased_more += usize::from(boot.erases > 1);
    }
    println!(
        "{cuts} cut points after {history} updates; the boot repaired the map with one erase after {erased_once}, with more after {erased_more}"
    );
    assert!(cuts > 100, "{cuts} cut points");
    assert!(erased_once > 0, "some cuts leave a page for the boot to repair");
}

#[test]
fn a_power_cut_while_the_first_boot_clears_foreign_data_is_cleared_again_at_the_next_boot() {
    let mut memory = Box::new(Memory::new());
    for sectors_erased in [0, 1, 5, 15] {
        let mut flash = random_board();
        // The first boot loses power half-way through the erase of sector `sectors_erased`.
        flash.cut_after(Some(sectors_erased * SECTOR + SECTOR / 2));
        block_on(Node::boot(&mut memory, &mut flash, RANGE, SimClock, IDENTITY));
        assert!(flash.was_cut());
        flash.restore_power();
        let boot = boot_on_device(&mut flash, Some(&with_gain(6.0)));
        assert_eq!((&boot.settings, boot.origin), (&settings::defaults(), SettingsOrigin::ResetCorrupt));
        assert!(boot.erases >= 2, "{sectors_erased} sectors erased before the cut: the boot erased {}", boot.erases);
        assert_eq!(boot.set_ok, Some(true));
        reboots_with(&mut flash, &with_gain(6.0));
    }
}
