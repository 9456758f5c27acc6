//! The page logic compiled to wasm32 and run under `wasm-bindgen-test` (Node): the simulated node answering the real
//! protocol, stream decoding with drop counting, the connection state machine and the export formats.
#![cfg(target_arch = "wasm32")]

use stapes_protocol::{
    FeaturesTopic, Info, InfoEp, PROTOCOL_HASH, SettingsGet, StreamStart, StreamStop, Topic, decode_body,
    encode_request,
};
use stapes_web::export::{Recording, from_npy, to_npy};
use stapes_web::link::{Event, Link};
use stapes_web::live::{Kind, Live};
use stapes_web::sim::SimNode;
use wasm_bindgen_test::wasm_bindgen_test;

fn request<E: stapes_protocol::Endpoint>(node: &mut SimNode, seq: u32, body: &E::Request<'_>) -> Vec<u8> {
    let mut out = [0u8; 512];
    let n = encode_request::<E>(seq, body, &mut out).unwrap();
    let response = node.request(&out[..n]);
    let (header, _) = stapes_protocol::Header::split(&response).unwrap();
    assert_eq!((header.key, header.seq), (E::KEY, seq), "{} answered with an error", E::PATH);
    response
}

#[wasm_bindgen_test]
fn simulated_node_streams_the_cores_features() {
    let mut node = SimNode::new("test.flash", None);
    let info = request::<InfoEp>(&mut node, 1, &());
    let info: Info<'_> = decode_body(&info[8..]).unwrap();
    assert_eq!((info.board, info.protocol_hash), ("simulated", PROTOCOL_HASH));
    let settings = request::<SettingsGet>(&mut node, 2, &());
    let settings: stapes_protocol::NodeSettings = decode_body(&settings[8..]).unwrap();
    request::<StreamStart>(&mut node, 3, &());

    // One second of a 1 kHz tone, fed in odd-sized blocks.
    let x: Vec<f32> =
        (0..16_000).map(|i| 0.25 * (i as f32 * core::f32::consts::TAU * 1000.0 / 16_000.0).sin()).collect();
    let mut live = Live::new(1000);
    // `stream/start` was answered above (the page calls this when its read loop reads the answer).
    live.started();
    for block in x.chunks(333) {
        node.push_audio(block);
        while let Some(message) = node.next_message() {
            live.on_message(&message, None).unwrap();
        }
    }
    request::<StreamStop>(&mut node, 4, &());
    while let Some(message) = node.next_message() {
        live.on_message(&message, None).unwrap();
    }
    let expected = stapes_core::extract(&settings.config, &x).unwrap();
    assert_eq!(live.features.dropped, 0);
    assert_eq!(live.frames.len(), expected.n_frames);
    let got: Vec<u32> = live.frames.iter().flatten().map(|v| v.to_bits()).collect();
    let want: Vec<u32> = expected.data.iter().map(|v| v.to_bits()).collect();
    assert_eq!(got, want, "the stream differs from stapes_core::extract");
}

#[wasm_bindgen_test]
fn drops_are_counted_from_sequence_numbers() {
    let mut live = Live::new(8);
    live.started();
    let mut out = [0u8; 64];
    for seq in [0u32, 1, 4] {
        let frame = stapes_protocol::FeatureFrame { index: 0, timestamp_us: 0, features: (&[1.0f32][..]).into() };
        let n = stapes_protocol::encode_topic::<FeaturesTopic>(seq, &frame, &mut out).unwrap();
        assert_eq!(live.on_message(&out[..n], None), Ok(Some(Kind::Features)));
    }
    assert_eq!((live.features.received, live.features.dropped), (3, 2));
    assert_ne!(FeaturesTopic::KEY, stapes_protocol::ERROR_KEY);
}

#[wasm_bindgen_test]
fn connection_states() {
    let s = Link::NoDevice.on(&Event::Open).on(&Event::Ready).on(&Event::Frame);
    assert_eq!(s, Link::Streaming);
    assert_eq!(s.on(&Event::Unplugged), Link::NoDevice);
}

#[wasm_bindgen_test]
fn npy_round_trip() {
    let rec = Recording { n_features: 2, data: vec![1.0, 2.0, 3.0, 4.0] };
    assert_eq!(from_npy(&to_npy(&rec)).unwrap(), rec);
}
