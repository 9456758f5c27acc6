//! The node library on the device: booted from flash, then shared by three tasks: `requests` (bulk OUT →
//! `Node::handle`), `messages` (replies and queued topic messages → bulk IN), both `stapes_firmware::link` on the
//! embassy-rp endpoints, and `pipeline` (audio → `push_audio`).
//!
//! `handle` only awaits inside flash writes (`settings/set`, `settings/reset`), which stop a running stream first;
//! so the lock is otherwise held without a pause, and the pipeline never waits for it while streaming.

use core::sync::atomic::Ordering;

use embassy_executor::Spawner;
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::mutex::Mutex;
use embassy_time::{Instant, Timer};
use stapes_firmware::audio::BLOCK_WORDS;
use stapes_firmware::layout::SETTINGS;
use stapes_node::protocol::RebootMode;
use stapes_node::{Action, Clock, Identity, Memory, Node, i2s_to_f32};
use static_cell::{ConstStaticCell, StaticCell};

use crate::device::capture::BUFFERS;
use crate::device::flash::SettingsFlash;
use crate::device::{system, usb};

/// The node as the tasks share it.
type SharedNode = Mutex<CriticalSectionRawMutex, Node<'static, SettingsFlash, Uptime>>;

/// Microseconds since boot, from the RP2350 timer.
pub struct Uptime;

impl Clock for Uptime {
    fn now_us(&self) -> u64 {
        Instant::now().as_micros()
    }
}

/// Boots the node from the settings flash and spawns the tasks that run it.
///
/// The pipeline is spawned only after the boot, and nothing needs it before: a boot on foreign or damaged flash
/// erases sector after sector, each in a fresh stall window that needs the stall buffer back, and the flash
/// wrapper recycles the capture's chunks itself while it waits (`stapes_firmware::stall::Buffers::wait_window`,
/// tested by booting through it in `tests/boot_on_used_flash.rs`).
#[embassy_executor::task]
pub async fn boot(spawner: Spawner, flash: SettingsFlash, chip_id: u64, rx: usb::BulkOut, tx: usb::BulkIn) {
    static MEMORY: ConstStaticCell<Memory> = ConstStaticCell::new(Memory::new());
    static NODE: StaticCell<SharedNode> = StaticCell::new();
    let identity = Identity {
        firmware_version: env!("CARGO_PKG_VERSION"),
        git_hash: env!("STAPES_GIT_HASH"),
        build_date: env!("STAPES_BUILD_DATE"),
        board: "pico2",
        serial: chip_id,
    };
    let node = Node::boot(MEMORY.take(), flash, SETTINGS, Uptime, identity).await;
    BUFFERS.set_rate.signal(node.settings().config.sample_rate);
    let node: &'static SharedNode = NODE.init(Mutex::new(node));
    spawner.spawn(requests(node, rx).expect("spawned once"));
    spawner.spawn(messages(node, tx).expect("spawned once"));
    spawner.spawn(pipeline(node).expect("spawned once"));
}

/// Reads requests, answers them through the node, hands the replies to `messages`.
#[embassy_executor::task]
async fn requests(node: &'static SharedNode, mut rx: usb::BulkOut) -> ! {
    usb::LINK.serve_requests(node, &mut rx, |node| BUFFERS.set_rate.signal(node.settings().config.sample_rate)).await
}

/// Sends replies first, then queued topic messages; reboots after a reply that asks for it.
#[embassy_executor::task]
async fn messages(node: &'static SharedNode, mut tx: usb::BulkIn) -> ! {
    let Action::Reboot(mode) = usb::LINK.send_messages(node, &mut tx).await;
    // Let the host read the answer before the device drops off the bus.
    Timer::after_millis(20).await;
    match mode {
        RebootMode::Normal => system::reboot(),
        RebootMode::Bootloader => system::reboot_to_bootloader(),
    }
}

/// Converts captured blocks to samples and runs them through the node; times each call with the cycle counter.
///
/// Never waits for the node: it is only locked across an await by a settings write, which has stopped the stream
/// and is itself waiting for the capture's stall window, which needs the stall buffer back (held here, it would
/// stay out of reach of the write, which recycles only what is in `FILLED`). So a locked node means "no stream":
/// the chunk goes straight back.
#[embassy_executor::task]
async fn pipeline(node: &'static SharedNode) -> ! {
    let mut samples = [0f32; BLOCK_WORDS];
    let mut lost_seen = lost_samples();
    loop {
        let chunk = BUFFERS.filled().await;
        let lost = lost_samples();
        if let Ok(mut node) = node.try_lock()
            && node.is_streaming()
        {
            // Samples lost since the last chunk count only while a stream wants them.
            if lost != lost_seen {
                node.record_overrun(lost.wrapping_sub(lost_seen));
            }
            let gain = node.settings().gain;
            for words in chunk.words().chunks(BLOCK_WORDS) {
                let n = i2s_to_f32(words, gain, &mut samples);
                let start = system::cycles();
                let frames = node.push_audio(&samples[..n]);
                let cycles = system::cycles().wrapping_sub(start);
                if frames > 0 {
                    node.record_frame_cycles(cycles / frames as u32);
                    usb::LINK.topics_queued();
                }
            }
        }
        lost_seen = lost;
        BUFFERS.recycle(chunk);
    }
}

/// Samples lost so far: whole dropped blocks, plus at least one per PIO RX stall (the PIO does not say how many).
fn lost_samples() -> u32 {
    let dropped = BUFFERS.dropped_blocks.load(Ordering::Relaxed);
    let stalls = BUFFERS.rx_overruns.load(Ordering::Relaxed);
    dropped.wrapping_mul(BLOCK_WORDS as u32).wrapping_add(stalls)
}
