//! The node's link to the host on the bulk pair: one message per USB transfer, the request loop, the message loop,
//! and what the end of a session (bus reset, deconfiguration, power gone) or a suspend does to them. Generic over
//! embassy-usb's endpoint traits and the mutex kind, so that host tests run it on endpoints that behave as
//! embassy-rp's do (`tests/bus_reset.rs`).
//!
//! One message = one USB transfer: packets of [`USB_PACKET_LEN`] bytes ended by a short packet, or by a zero-length
//! packet when the message is a multiple of the packet size (the framing postcard-rpc uses on USB too).
//!
//! embassy-rp 0.10's endpoints never return `EndpointError::Disabled`: across a bus reset a read or write just
//! stays pending, and resumes once SET_CONFIGURATION enables the endpoint again (`usb.rs`, `Bus::poll` disables the
//! endpoints on reset without touching their buffers; `endpoint_set_enabled` re-arms them). So the session's end
//! comes from embassy-usb's [`Handler`] callbacks ([`BusEvents`]), and the loops drop what they had in flight:
//!
//! - **Reset, deconfiguration, power gone:** the partial request being read and the message being written are
//!   dropped with their futures, replies asked for in the old session are thrown away, and the node forgets the
//!   session ([`Node::host_gone`]: stream stopped, send queue emptied). The next session's first transfer in each
//!   direction is a whole, fresh message.
//! - **Suspend:** the host may resume without a reset and then expects the transfers it had started to finish, so
//!   nothing in flight is dropped; the node stops streaming and empties its queue, so that nothing piles up while
//!   the host sleeps and the stream does not run for nobody (the host sends `stream/start` again after resuming).
//!   The node does not enter a low-power mode: the microphone and the CPU keep running.

use core::pin::pin;
use core::sync::atomic::{AtomicU32, Ordering};

use embassy_futures::select::{Either, Either3, select, select3};
use embassy_sync::blocking_mutex::raw::RawMutex;
use embassy_sync::channel::Channel;
use embassy_sync::mutex::Mutex;
use embassy_sync::signal::Signal;
use embassy_usb::Handler;
use embassy_usb::driver::{EndpointError, EndpointIn, EndpointOut};
use embedded_storage_async::nor_flash::NorFlash;
use stapes_node::protocol::{
    MAX_MESSAGE_LEN, MAX_REQUEST_LEN, MAX_RESPONSE_LEN, TransferEnd, TransferReader, USB_PACKET_LEN, message_packets,
};
use stapes_node::{Action, Clock, Node};

/// Why a message could not be received.
pub enum RxError {
    /// Longer than the buffer: the buffer holds its first bytes (the count), the rest was read and thrown away.
    TooLong(usize),
    /// The endpoint is disabled (drivers that report it; embassy-rp does not).
    Disabled,
}

/// Reads one message (one transfer) into `buf`; its length. The packets are gathered by the protocol's
/// `TransferReader`, the same code the dashboard's simulated node reads requests with: a transfer ends at a short
/// packet only. embassy-rp 0.10's `EndpointOut::read` returns one packet per call (a zero-length one as `Ok(0)`).
pub async fn read_message(ep: &mut impl EndpointOut, buf: &mut [u8]) -> Result<usize, RxError> {
    let mut transfer = TransferReader::new();
    let mut packet = [0u8; USB_PACKET_LEN];
    loop {
        let n = match ep.read(&mut packet).await {
            Ok(n) => n,
            // A packet over the endpoint's size: the host broke the framing; resynchronise on the next transfer.
            Err(EndpointError::BufferOverflow) => return Err(RxError::TooLong(transfer.len())),
            Err(EndpointError::Disabled) => return Err(RxError::Disabled),
        };
        match transfer.push(buf, &packet[..n]) {
            None => {}
            Some(TransferEnd::Message(len)) => return Ok(len),
            Some(TransferEnd::TooLong(len)) => return Err(RxError::TooLong(len)),
        }
    }
}

/// Writes `message` as one transfer: the protocol's `message_packets` (what embassy-usb's `write_transfer` with
/// `needs_zlp` sends, and the packets the simulated node sends): a zero-length packet ends it when it fills its last
/// packet, unless it is a whole `MAX_MESSAGE_LEN`, which ends the host's read by itself. An empty message (the node
/// never makes one) is sent as a zero-length packet: nothing at all would leave the host waiting.
pub async fn write_message(ep: &mut impl EndpointIn, message: &[u8]) -> Result<(), EndpointError> {
    if message.is_empty() {
        return ep.write(&[]).await;
    }
    for packet in message_packets(message) {
        ep.write(packet).await?;
    }
    Ok(())
}

/// A response waiting for bulk IN, what to do once it is sent, and the session whose request it answers.
struct Reply {
    bytes: [u8; MAX_RESPONSE_LEN],
    len: usize,
    action: Option<Action>,
    session: u32,
}

/// The state the request loop, the message loop and the USB device's event callbacks share; one static on the
/// device.
pub struct Link<M: RawMutex> {
    /// Replies, request loop → message loop (one at a time: the host waits for each answer).
    replies: Channel<M, Reply, 1>,
    /// The node queued topic messages.
    queued: Signal<M, ()>,
    /// Sessions ended so far (a reply is only sent in the session of its request).
    session: AtomicU32,
    /// A session ended: one signal per loop, since a signal wakes one waiter.
    rx_gone: Signal<M, ()>,
    tx_gone: Signal<M, ()>,
    /// The bus was suspended.
    suspended: Signal<M, ()>,
}

impl<M: RawMutex> Default for Link<M> {
    fn default() -> Self {
        Self::new()
    }
}

impl<M: RawMutex> Link<M> {
    /// No session yet.
    pub const fn new() -> Self {
        Link {
            replies: Channel::new(),
            queued: Signal::new(),
            session: AtomicU32::new(0),
            rx_gone: Signal::new(),
            tx_gone: Signal::new(),
            suspended: Signal::new(),
        }
    }

    /// The node has queued topic messages (the pipeline calls this).
    pub fn topics_queued(&self) {
        self.queued.signal(());
    }

    /// The host went away: reset, deconfiguration or power gone.
    pub fn end_session(&self) {
        self.session.fetch_add(1, Ordering::AcqRel);
        self.rx_gone.signal(());
        self.tx_gone.signal(());
    }

    /// The bus went into suspend.
    pub fn suspend(&self) {
        self.suspended.signal(());
    }

    /// The current session, with `gone` cleared of ends that came before it.
    fn begin(&self, gone: &Signal<M, ()>) -> u32 {
        loop {
            let session = self.session.load(Ordering::Acquire);
            gone.reset();
            // An end between the load and the reset would be lost to `gone`: start over.
            if self.session.load(Ordering::Acquire) == session {
                return session;
            }
        }
    }

    /// Reads requests, answers them through `node` and hands the replies to [`send_messages`](Self::send_messages);
    /// `handled` sees the node after each request (the firmware passes the sample rate to the capture).
    pub async fn serve_requests<F: NorFlash, C: Clock>(
        &self,
        node: &Mutex<M, Node<'_, F, C>>,
        rx: &mut impl EndpointOut,
        mut handled: impl FnMut(&Node<'_, F, C>),
    ) -> ! {
        // One byte over the limit: the node then answers "oversized" (it sees a longer request than it accepts).
        let mut request = [0u8; MAX_REQUEST_LEN + 1];
        loop {
            let session = self.begin(&self.rx_gone);
            let read = {
                let mut read = pin!(read_message(rx, &mut request));
                loop {
                    match select3(&mut read, self.rx_gone.wait(), self.suspended.wait()).await {
                        Either3::First(read) => break Some(read),
                        // The partial request goes with the future.
                        Either3::Second(()) => break None,
                        // Keep reading: the host may resume and finish this request.
                        Either3::Third(()) => {
                            node.lock().await.host_gone();
                        }
                    }
                }
            };
            let len = match read {
                Some(Ok(len) | Err(RxError::TooLong(len))) => len,
                Some(Err(RxError::Disabled)) | None => {
                    rx.wait_enabled().await;
                    continue;
                }
            };
            let mut reply = Reply { bytes: [0; MAX_RESPONSE_LEN], len: 0, action: None, session };
            let mut node = node.lock().await;
            // Never cancelled: a settings write must run to its end.
            let answer = node.handle(&request[..len], &mut reply.bytes).await;
            (reply.len, reply.action) = (answer.len, answer.action);
            handled(&node);
            drop(node);
            self.queued.signal(());
            self.replies.send(reply).await;
        }
    }

    /// Sends replies first, then queued topic messages; returns the action of a reply that asks for one, once
    /// that reply is out.
    pub async fn send_messages<F: NorFlash, C: Clock>(
        &self,
        node: &Mutex<M, Node<'_, F, C>>,
        tx: &mut impl EndpointIn,
    ) -> Action {
        let mut message = [0u8; MAX_MESSAGE_LEN];
        loop {
            let session = self.begin(&self.tx_gone);
            match select(self.send_next(session, node, tx, &mut message), self.tx_gone.wait()).await {
                Either::First(Some(action)) => return action,
                Either::First(None) => {}
                // The message being written goes with the future; the next session starts clean.
                Either::Second(()) => {
                    node.lock().await.host_gone();
                    tx.wait_enabled().await;
                }
            }
        }
    }

    /// Sends the next reply, or the queued topic messages until a reply is waiting.
    async fn send_next<F: NorFlash, C: Clock>(
        &self,
        session: u32,
        node: &Mutex<M, Node<'_, F, C>>,
        tx: &mut impl EndpointIn,
        message: &mut [u8; MAX_MESSAGE_LEN],
    ) -> Option<Action> {
        match select(self.replies.receive(), self.queued.wait()).await {
            Either::First(reply) => {
                // Asked by a host that is gone: the new one did not ask.
                if reply.session != session {
                    return None;
                }
                send(node, tx, &reply.bytes[..reply.len]).await;
                reply.action
            }
            Either::Second(()) => {
                loop {
                    let Some(len) = node.lock().await.next_message(message) else { break };
                    send(node, tx, &message[..len]).await;
                    // A reply overtakes the rest of the queue.
                    if !self.replies.is_empty() {
                        self.queued.signal(());
                        break;
                    }
                }
                None
            }
        }
    }
}

/// Writes one message. A disabled endpoint (drivers that say so) waits for the next session, losing the message;
/// any other failure counts as a USB error in health.
async fn send<M: RawMutex, F: NorFlash, C: Clock>(
    node: &Mutex<M, Node<'_, F, C>>,
    tx: &mut impl EndpointIn,
    message: &[u8],
) {
    match write_message(tx, message).await {
        Ok(()) => {}
        Err(EndpointError::Disabled) => tx.wait_enabled().await,
        Err(EndpointError::BufferOverflow) => node.lock().await.record_usb_error(),
    }
}

/// embassy-usb's device callbacks, turned into the link's session ends and suspends. Register with
/// `Builder::handler`.
pub struct BusEvents<'l, M: RawMutex>(pub &'l Link<M>);

impl<M: RawMutex> Handler for BusEvents<'_, M> {
    fn enabled(&mut self, enabled: bool) {
        if !enabled {
            self.0.end_session();
        }
    }

    /// embassy-usb 0.6 calls only this on a bus reset (not `configured(false)`).
    fn reset(&mut self) {
        self.0.end_session();
    }

    fn configured(&mut self, configured: bool) {
        if !configured {
            self.0.end_session();
        }
    }

    fn suspended(&mut self, suspended: bool) {
        if suspended {
            self.0.suspend();
        }
    }
}
