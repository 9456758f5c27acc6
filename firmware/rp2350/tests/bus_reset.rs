//! The host goes away mid-message and comes back: the firmware's request and message loops (`stapes_firmware::link`)
//! over bulk endpoints that behave as embassy-rp 0.10's do, with the node behind them. Across a bus reset an
//! embassy-rp read or write stays pending instead of returning `Disabled`, so without session handling the rest of
//! an old message would be the new session's first transfer, and half a request would be glued to the next one.

#![cfg(feature = "link")]

use std::cell::RefCell;
use std::rc::Rc;

use embassy_futures::block_on;
use embassy_futures::select::{Either, select};
use embassy_futures::yield_now;
use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use embassy_sync::mutex::Mutex;
use embassy_usb::Handler;
use embassy_usb::driver::{
    Direction, Endpoint, EndpointAddress, EndpointError, EndpointIn, EndpointInfo, EndpointOut, EndpointType,
};
use stapes_firmware::link::{BusEvents, Link};
use stapes_node::protocol::{
    Endpoint as _, FeatureFrame, FeaturesTopic, Header, Info, InfoEp, NodeSettings, SettingsSet, StreamStart,
    Topic as _, USB_PACKET_LEN, decode_body, encode_request, needs_zlp,
};
use stapes_node::{Clock, Identity, Memory, Node, RamFlash, SECTOR, settings};

const MAX_PACKET: usize = USB_PACKET_LEN;

/// What the RP2350's USB controller holds for the bulk pair: the endpoint enables (`EP_CONTROL.ENABLE`) and one
/// buffer per direction (`EP_BUFFER_CONTROL`: a packet and its AVAILABLE bit).
#[derive(Default)]
struct Controller {
    in_enabled: bool,
    out_enabled: bool,
    /// A packet the device has handed to the controller and the host has not taken yet.
    in_packet: Option<Vec<u8>>,
    /// The OUT buffer is armed (AVAILABLE: the host may send into it).
    out_armed: bool,
    /// A packet the host sent and the device has not read yet.
    out_packet: Option<Vec<u8>>,
}

type Shared = Rc<RefCell<Controller>>;

impl Controller {
    /// A bus reset as embassy-rp 0.10's `Bus::poll` handles it (`usb.rs`, `siestatus.bus_reset()`): endpoints
    /// disabled, their buffer control left as it was, so a waiting read or write stays pending.
    fn bus_reset(&mut self) {
        (self.in_enabled, self.out_enabled) = (false, false);
    }

    /// SET_CONFIGURATION as embassy-usb drives embassy-rp's `endpoint_set_enabled(ep, true)`: the IN buffer control
    /// is rewritten (a packet still waiting there is discarded) and the OUT buffer is re-armed empty.
    fn configure(&mut self) {
        (self.in_enabled, self.out_enabled) = (true, true);
        self.in_packet = None;
        (self.out_armed, self.out_packet) = (true, None);
    }

    /// The host's IN token: takes the waiting packet, if the endpoint is enabled.
    fn host_take(&mut self) -> Option<Vec<u8>> {
        if self.in_enabled { self.in_packet.take() } else { None }
    }

    /// The host's OUT transaction: the packet lands only in an armed buffer of an enabled endpoint (else NAK).
    fn host_send(&mut self, packet: &[u8]) -> bool {
        if !(self.out_enabled && self.out_armed) {
            return false;
        }
        self.out_armed = false;
        self.out_packet = Some(packet.to_vec());
        true
    }
}

fn info(dir: Direction) -> EndpointInfo {
    EndpointInfo {
        addr: EndpointAddress::from_parts(1, dir),
        ep_type: EndpointType::Bulk,
        max_packet_size: MAX_PACKET as u16,
        interval_ms: 0,
    }
}

/// embassy-rp 0.10's `Endpoint<In>`.
struct BulkIn(Shared, EndpointInfo);
/// embassy-rp 0.10's `Endpoint<Out>`.
struct BulkOut(Shared, EndpointInfo);

impl Endpoint for BulkIn {
    fn info(&self) -> &EndpointInfo {
        &self.1
    }

    /// Pending until `EP_CONTROL.ENABLE` is set.
    async fn wait_enabled(&mut self) {
        while !self.0.borrow().in_enabled {
            yield_now().await;
        }
    }
}

impl EndpointIn for BulkIn {
    /// As `usb.rs` `EndpointIn::write`: over the packet size is `BufferOverflow`; otherwise it waits until the
    /// buffer is free (the host took the previous packet, or a reconfiguration cleared it), whether the endpoint
    /// is enabled or not, then hands the packet over and returns before the host has it. Never `Disabled`.
    async fn write(&mut self, buf: &[u8]) -> Result<(), EndpointError> {
        if buf.len() > MAX_PACKET {
            return Err(EndpointError::BufferOverflow);
        }
        while self.0.borrow().in_packet.is_some() {
            yield_now().await;
        }
        self.0.borrow_mut().in_packet = Some(buf.to_vec());
        Ok(())
    }
}

impl Endpoint for BulkOut {
    fn info(&self) -> &EndpointInfo {
        &self.1
    }

    async fn wait_enabled(&mut self) {
        while !self.0.borrow().out_enabled {
            yield_now().await;
        }
    }
}

impl EndpointOut for BulkOut {
    /// As `usb.rs` `EndpointOut::read`: waits for a packet (enabled or not), `BufferOverflow` if it is longer
    /// than `buf` (and the packet stays, the buffer is not re-armed), else copies it and re-arms. Never `Disabled`.
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, EndpointError> {
        loop {
            if let Some(packet) = self.0.borrow().out_packet.as_ref() {
                if packet.len() > buf.len() {
                    return Err(EndpointError::BufferOverflow);
                }
                break;
            }
            yield_now().await;
        }
        let mut c = self.0.borrow_mut();
        let packet = c.out_packet.take().unwrap_or_default();
        buf[..packet.len()].copy_from_slice(&packet);
        c.out_armed = true;
        Ok(packet.len())
    }
}

struct Zero;
impl Clock for Zero {
    fn now_us(&self) -> u64 {
        0
    }
}

type Flash = RamFlash<{ 4 * SECTOR }>;
type SharedNode<'m> = Mutex<NoopRawMutex, Node<'m, Flash, Zero>>;

const IDENTITY: Identity =
    Identity { firmware_version: "test", git_hash: "test", build_date: "test", board: "host-test", serial: 1 };

/// The host side: packets in and out through the controller, with the device's loops running in between.
struct Host {
    usb: Shared,
}

impl Host {
    /// Sends `message` as one OUT transfer, packet by packet (a ZLP after a full last packet).
    async fn send(&self, message: &[u8]) {
        let mut packets: Vec<&[u8]> = message.chunks(MAX_PACKET).collect();
        if needs_zlp(message.len()) || message.is_empty() {
            packets.push(&[]);
        }
        for p in packets {
            self.send_packet(p).await;
        }
    }

    async fn send_packet(&self, packet: &[u8]) {
        while !self.usb.borrow_mut().host_send(packet) {
            yield_now().await;
        }
    }

    /// The next IN packet, or `None` if none comes while the device runs for a while.
    async fn packet(&self) -> Option<Vec<u8>> {
        for _ in 0..2_000 {
            if let Some(p) = self.usb.borrow_mut().host_take() {
                return Some(p);
            }
            yield_now().await;
        }
        None
    }

    /// The next IN transfer (packets up to a short one), or `None` if nothing comes.
    async fn transfer(&self) -> Option<Vec<u8>> {
        let mut out = self.packet().await?;
        let mut last = out.len();
        while last == MAX_PACKET {
            let p = self.packet().await.expect("a transfer's packets follow each other");
            last = p.len();
            out.extend_from_slice(&p);
        }
        Some(out)
    }

    /// Lets the device run for a while.
    async fn idle(&self) {
        for _ in 0..500 {
            yield_now().await;
        }
    }
}

fn request<E: stapes_node::protocol::Endpoint>(seq: u32, req: &E::Request<'_>) -> Vec<u8> {
    let mut buf = [0u8; 512];
    let len = encode_request::<E>(seq, req, &mut buf).unwrap();
    buf[..len].to_vec()
}

/// Runs the request and message loops over the node while `script` plays the host; the script also plays the
/// pipeline (`push_audio`, then `topics_queued` on the link) and embassy-usb (`events`, the bus callbacks).
fn run_device<'m>(
    node: &SharedNode<'m>,
    usb: &Shared,
    script: impl AsyncFnOnce(&Host, &Link<NoopRawMutex>, &mut BusEvents<'_, NoopRawMutex>),
) {
    let link = Link::<NoopRawMutex>::new();
    let mut events = BusEvents(&link);
    let (mut rx, mut tx) = (BulkOut(usb.clone(), info(Direction::Out)), BulkIn(usb.clone(), info(Direction::In)));
    let device = async {
        let requests = link.serve_requests(node, &mut rx, |_| {});
        let messages = async {
            loop {
                // A reboot request is not part of these stories.
                link.send_messages(node, &mut tx).await;
            }
        };
        select(requests, messages).await
    };
    let host = Host { usb: usb.clone() };
    let script = script(&host, &link, &mut events);
    match block_on(select(device, script)) {
        Either::First(_) => unreachable!("the device loops never end"),
        Either::Second(()) => {}
    }
}

fn decode_info(message: &[u8], seq: u32) -> Info<'_> {
    let (header, body) = Header::split(message).expect("a whole message: header first");
    assert_eq!((header.key, header.seq), (InfoEp::KEY, seq), "the info reply, not a leftover");
    decode_body(body).expect("the reply decodes whole")
}

#[test]
fn a_bus_reset_mid_message_in_both_directions_leaves_the_next_session_whole_fresh_messages() {
    let mut memory = Box::new(Memory::new());
    let node = Mutex::new(block_on(Node::boot(&mut memory, Flash::new(), 0..4 * SECTOR as u32, Zero, IDENTITY)));
    let usb: Shared = Rc::new(RefCell::new(Controller::default()));
    let x: Vec<f32> = (0..8_000).map(|i| ((i as f32) * 0.05).sin() * 0.3).collect();
    let gain_before = settings::defaults().gain;
    let new = NodeSettings { gain: 7.0, ..settings::defaults() };
    let set = request::<SettingsSet>(30, &new);
    assert!(set.len() > MAX_PACKET, "settings/set takes two packets: half of it can be in flight");

    run_device(&node, &usb, async |host, link, events| {
        usb.borrow_mut().configure();
        events.configured(true);
        host.send(&request::<StreamStart>(1, &())).await;
        let started = host.transfer().await.expect("stream/start answered");
        assert_eq!(Header::split(&started).unwrap().0.key, StreamStart::KEY);

        // Half a second of audio: topic messages of five packets each, one of them in flight.
        node.lock().await.push_audio(&x);
        link.topics_queued();
        for _ in 0..2 {
            assert_eq!(host.packet().await.map(|p| p.len()), Some(MAX_PACKET), "the first packets of a message");
        }
        // And half of a request on its way in.
        host.send_packet(&set[..MAX_PACKET]).await;
        host.idle().await;

        // Bus reset (the PC resumed, a hub re-enumerated, WebUSB reset()), then the host configures again.
        usb.borrow_mut().bus_reset();
        events.reset();
        host.idle().await;
        usb.borrow_mut().configure();
        events.configured(true);

        host.send(&request::<InfoEp>(40, &())).await;
        let reply = host.transfer().await.expect("the new session's request is answered");
        let info = decode_info(&reply, 40);
        assert!(!info.streaming, "the stream of the old session is stopped");
        node.lock().await.push_audio(&x);
        link.topics_queued();
        host.idle().await;
        assert_eq!(host.packet().await, None, "nothing of the old session follows");
    });
    assert_eq!(block_on(node.lock()).settings().gain, gain_before, "half a settings/set changed nothing");
}

#[test]
fn a_suspend_stops_the_stream_but_lets_the_message_in_flight_finish() {
    let mut memory = Box::new(Memory::new());
    let node = Mutex::new(block_on(Node::boot(&mut memory, Flash::new(), 0..4 * SECTOR as u32, Zero, IDENTITY)));
    let usb: Shared = Rc::new(RefCell::new(Controller::default()));
    let x: Vec<f32> = (0..8_000).map(|i| ((i as f32) * 0.05).sin() * 0.3).collect();

    run_device(&node, &usb, async |host, link, events| {
        usb.borrow_mut().configure();
        events.configured(true);
        host.send(&request::<StreamStart>(1, &())).await;
        host.transfer().await.expect("stream/start answered");
        node.lock().await.push_audio(&x);
        link.topics_queued();
        // Part of a message, then the host suspends the bus and resumes without a reset.
        let mut message = host.packet().await.expect("the device writes");
        events.suspended(true);
        host.idle().await;
        events.suspended(false);
        let mut last = message.len();
        while last == MAX_PACKET {
            let p = host.packet().await.expect("the message in flight finishes after the resume");
            last = p.len();
            message.extend_from_slice(&p);
        }
        let (header, body) = Header::split(&message).unwrap();
        assert_eq!(header, Header { key: FeaturesTopic::KEY, seq: 0 });
        decode_body::<FeatureFrame<'_>>(body).expect("the message is whole");
        // What was queued behind it is gone, and the stream has stopped.
        assert_eq!(host.packet().await, None, "queued topic messages kept flowing after the suspend");
        host.send(&request::<InfoEp>(3, &())).await;
        assert!(!decode_info(&host.transfer().await.unwrap(), 3).streaming);
    });
}
