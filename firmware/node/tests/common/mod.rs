//! A host for the node in tests: a RAM flash, a settable clock, and requests and topic messages through the real
//! encoding.

#![allow(dead_code)] // each test binary uses its own part of this

use std::cell::Cell;

use stapes_node::protocol::{
    ERROR_KEY, Endpoint, Header, MAX_MESSAGE_LEN, MAX_RESPONSE_LEN, Topic, WireError, decode_body, encode_request,
};
use stapes_node::{Clock, Identity, Node, RamFlash, Reply, SECTOR};

/// Flash of the tests: four sectors, all of it the settings range.
pub type Flash = RamFlash<{ 4 * SECTOR }>;
pub const RANGE: core::ops::Range<u32> = 0..(4 * SECTOR) as u32;

pub const IDENTITY: Identity = Identity {
    firmware_version: "0.1.0-test",
    git_hash: "0123456789abcdef",
    build_date: "2026-11-25T00:00:00Z",
    board: "host-test",
    serial: 0xe660_1234_5678_9abc,
};

/// A clock the test moves.
#[derive(Default)]
pub struct TestClock(pub Cell<u64>);

impl Clock for TestClock {
    fn now_us(&self) -> u64 {
        self.0.get()
    }
}

pub type TestNode<'m, 'f, 'c> = Node<'m, &'f mut Flash, &'c TestClock>;

/// Sends request `req` of endpoint `E` and returns the whole response message and the reply.
pub fn call<E: Endpoint>(node: &mut TestNode<'_, '_, '_>, seq: u32, req: &E::Request<'_>) -> (Vec<u8>, Reply) {
    let mut request = [0u8; 512];
    let len = encode_request::<E>(seq, req, &mut request).unwrap();
    raw(node, &request[..len])
}

/// Sends raw bytes as a request, with a response buffer of exactly `MAX_RESPONSE_LEN` (the firmware's).
pub fn raw(node: &mut TestNode<'_, '_, '_>, request: &[u8]) -> (Vec<u8>, Reply) {
    let mut response = [0u8; MAX_RESPONSE_LEN];
    let reply = embassy_futures::block_on(node.handle(request, &mut response));
    (response[..reply.len].to_vec(), reply)
}

/// The response body of `E`, or the node's error.
pub fn answer<'a, E: Endpoint>(message: &'a [u8], seq: u32) -> Result<E::Response<'a>, WireError<'a>> {
    let (header, body) = Header::split(message).unwrap();
    assert_eq!(header.seq, seq, "a response echoes the request's sequence number");
    if header.key == ERROR_KEY {
        return Err(decode_body(body).expect("error body decodes"));
    }
    assert_eq!(header.key, E::KEY, "response key");
    Ok(decode_body(body).expect("response body decodes"))
}

/// Calls `E` and expects success.
pub fn ok<E: Endpoint>(node: &mut TestNode<'_, '_, '_>, req: &E::Request<'_>, f: impl FnOnce(E::Response<'_>)) {
    let (msg, _) = call::<E>(node, 7, req);
    f(answer::<E>(&msg, 7).unwrap_or_else(|e| panic!("{} failed: {e:?}", E::PATH)));
}

/// Every queued topic message.
pub fn drain(node: &mut TestNode<'_, '_, '_>) -> Vec<Vec<u8>> {
    let mut out = vec![];
    let mut buf = vec![0u8; MAX_MESSAGE_LEN];
    while let Some(len) = node.next_message(&mut buf) {
        out.push(buf[..len].to_vec());
    }
    out
}

/// The topic messages of `T` among `messages`, as (sequence number, body bytes).
pub fn of_topic<T: Topic>(messages: &[Vec<u8>]) -> Vec<(u32, &[u8])> {
    messages
        .iter()
        .filter_map(|m| {
            let (h, body) = Header::split(m).unwrap();
            (h.key == T::KEY).then_some((h.seq, body))
        })
        .collect()
}

/// A deterministic test signal in [-1, 1]: a chirp, a tone and noise.
pub fn signal(n: usize, sample_rate: f32) -> Vec<f32> {
    let mut s = 0x2545_f491_4f6c_dd1du64;
    (0..n)
        .map(|i| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let t = i as f32 / sample_rate;
            let noise = (s >> 40) as f32 / 16_777_216.0 - 0.5;
            0.4 * (2.0 * std::f32::consts::PI * (200.0 + 300.0 * t) * t).sin()
                + 0.2 * (2.0 * std::f32::consts::PI * 1000.0 * t).sin()
                + 0.1 * noise
        })
        .collect()
}
