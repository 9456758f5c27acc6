//! The host goes away mid-stream (bus reset, deconfiguration, suspend, unplug) and comes back: the node's side of
//! it. Nothing of the old session may reach the new one — no queued frames, no end-of-stream frames, no stream
//! still running — and the new session streams from sequence number 0.

mod common;

use common::*;
use stapes_node::protocol::{FeatureFrame, FeaturesTopic, InfoEp, StreamStart, decode_body};
use stapes_node::{Memory, Node};

#[test]
fn a_bus_reset_mid_stream_leaves_nothing_of_the_old_session_for_the_next_host() {
    let mut memory = Box::new(Memory::new());
    let mut flash = Flash::new();
    let clock = TestClock::default();
    let mut node = embassy_futures::block_on(Node::boot(&mut memory, &mut flash, RANGE, &clock, IDENTITY));
    ok::<StreamStart>(&mut node, &(), |()| {});
    let x = signal(16_000, 16_000.0);
    // Half a second streamed, a few frames sent, the rest still queued when the bus resets.
    node.push_audio(&x[..8_000]);
    assert!(!drain(&mut node).is_empty());
    node.push_audio(&x[8_000..12_000]);

    assert!(node.host_gone(), "a stream was running");
    assert!(!node.is_streaming());
    assert!(drain(&mut node).is_empty(), "the old session's frames are gone, end padding included");
    // Audio keeps coming from the microphone; with no stream it queues nothing.
    node.push_audio(&x[12_000..]);
    assert!(drain(&mut node).is_empty());
    ok::<InfoEp>(&mut node, &(), |i| assert!(!i.streaming));
    assert!(!node.host_gone(), "nothing was running the second time");

    // The next host starts its own stream: numbered from 0, frames from the start of its audio.
    ok::<StreamStart>(&mut node, &(), |()| {});
    node.push_audio(&x[..1_600]);
    let frames = of_topic::<FeaturesTopic>(&drain(&mut node))
        .into_iter()
        .map(|(seq, body)| (seq, decode_body::<FeatureFrame<'_>>(body).unwrap().index))
        .collect::<Vec<_>>();
    assert_eq!(frames.first(), Some(&(0, 0)));
}
