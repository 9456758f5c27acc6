//! Any bytes as a request give a well-formed response — the endpoint's answer or a `WireError` — and the node keeps
//! working: random bytes, random bodies under every real key, and mutations of valid requests.

mod common;

use std::cell::{Cell, RefCell};

use common::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use stapes_node::protocol::{
    ENDPOINTS, ERROR_KEY, Header, InfoEp, MAX_REQUEST_LEN, NodeSettings, SettingsSet, WireError, decode_body,
    encode_request,
};
use stapes_node::{Memory, Node, settings};

/// Checks the response to `request` and returns whether it was an error.
fn check_response(node: &mut TestNode<'_, '_, '_>, request: &[u8]) -> bool {
    let (msg, _) = raw(node, request);
    let (header, body) = Header::split(&msg).expect("every request gets a response with a header");
    let sent = Header::split(request).ok();
    assert_eq!(header.seq, sent.map_or(0, |(h, _)| h.seq), "the response echoes the sequence number");
    if header.key == ERROR_KEY {
        let e: WireError<'_> = decode_body(body).expect("the error decodes");
        if request.len() < 8 {
            assert_eq!(e, WireError::Malformed);
        }
        if request.len() > MAX_REQUEST_LEN {
            assert!(matches!(e, WireError::Oversized { .. }));
        }
        return true;
    }
    assert_eq!(Some(header.key), sent.map(|(h, _)| h.key), "a success answers under the request's key");
    false
}

fn still_works(node: &mut TestNode<'_, '_, '_>) {
    ok::<InfoEp>(node, &(), |i| assert_eq!(i.board, "host-test"));
}

#[test]
fn arbitrary_requests_never_break_the_node() {
    let mut memory = Box::new(Memory::new());
    let mut flash = Flash::new();
    let clock = TestClock::default();
    let node = embassy_futures::block_on(Node::boot(&mut memory, &mut flash, RANGE, &clock, IDENTITY));
    // The runner takes `Fn` closures; the one node lives through every case.
    let node = RefCell::new(node);
    let runner = || TestRunner::new(Config { cases: 3000, failure_persistence: None, ..Config::default() });

    // Raw bytes, any length up to past the limit.
    runner()
        .run(&proptest::collection::vec(any::<u8>(), 0..700), |bytes| {
            check_response(&mut node.borrow_mut(), &bytes);
            Ok(())
        })
        .unwrap();

    // A real key and sequence number, then random body bytes: most are refused, some decode.
    let keys: Vec<u32> = ENDPOINTS.iter().map(|(_, k)| k.0).collect();
    let (errors, successes) = (Cell::new(0), Cell::new(0));
    runner()
        .run(
            &(proptest::sample::select(keys), any::<u32>(), proptest::collection::vec(any::<u8>(), 0..200)),
            |(k, seq, body)| {
                let mut req = k.to_le_bytes().to_vec();
                req.extend(seq.to_le_bytes());
                req.extend(body);
                let counter = if check_response(&mut node.borrow_mut(), &req) { &errors } else { &successes };
                counter.set(counter.get() + 1);
                Ok(())
            },
        )
        .unwrap();
    let (errors, successes) = (errors.get(), successes.get());
    assert!(errors > 0 && successes > 0, "{errors} errors, {successes} successes");
    still_works(&mut node.borrow_mut());

    // One-byte mutations and truncations of a valid settings/set.
    let mut valid = [0u8; 512];
    let len =
        encode_request::<SettingsSet>(5, &NodeSettings { gain: 2.0, ..settings::defaults() }, &mut valid).unwrap();
    let valid = valid[..len].to_vec();
    runner()
        .run(&(0..valid.len(), any::<u8>(), 0..=valid.len()), |(at, byte, keep)| {
            let mut req = valid.clone();
            req[at] = byte;
            req.truncate(keep.max(at + 1));
            check_response(&mut node.borrow_mut(), &req);
            Ok(())
        })
        .unwrap();
    still_works(&mut node.borrow_mut());
}
