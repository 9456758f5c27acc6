//! The page's requests over the simulated node's bus (`web/sim/fake-usb.js`), in Node (`wasm-bindgen-test`, ES
//! modules for the fake): the page's own `Session` writes each request, the fake carries it in 64-byte packets,
//! and the node reads it with the firmware's framing. Every request length the page can send, 8 to 512 bytes, must
//! be answered; a request that fills its last packet is answered only if the page ends it with a zero-length packet.
#![cfg(target_arch = "wasm32")]

use std::future::Future;
use std::pin::pin;

use futures::future::{Either, select};
use stapes_protocol::{Endpoint, HEADER_LEN, Header, Info, InfoEp, MAX_REQUEST_LEN, PROTOCOL_HASH, encode};
use stapes_web::session::{CallError, Session, decode};
use stapes_web::sim::fake_usb;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

// The fake is an ES module.
wasm_bindgen_test_configure!(run_in_node_experimental);

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &js_sys::Function, ms: i32) -> JsValue;
}

/// How long one request may take: the simulated node answers at once, so this is only ever reached by a request
/// the node never saw the end of.
const ANSWER_MS: i32 = 2000;

/// `future`, or a failure naming `what` if it has not finished after `ms` (a lost request must fail the test, not
/// hang it).
async fn within<T>(ms: i32, what: impl FnOnce() -> String, future: impl Future<Output = T>) -> T {
    let timer = JsFuture::from(js_sys::Promise::new(&mut |resolve, _| {
        set_timeout(&resolve, ms);
    }));
    match select(pin!(future), timer).await {
        Either::Left((value, _)) => value,
        Either::Right(_) => panic!("{}", what()),
    }
}

/// Opens the fake's node the way the page does, with the page's `Session`.
async fn open_simulated_node() -> Session {
    let sim = fake_usb("packets-test.flash");
    let usb = js_sys::Reflect::get(&sim, &"usb".into()).unwrap();
    let request_device: js_sys::Function = js_sys::Reflect::get(&usb, &"requestDevice".into()).unwrap().into();
    let device = JsFuture::from(js_sys::Promise::from(request_device.call0(&usb).unwrap())).await.unwrap();
    Session::open(device.unchecked_into()).await.unwrap()
}

/// Hands every IN transfer to its waiting call, as the page's read loop does.
async fn read_loop(session: &Session) {
    while let Ok(Some(message)) = session.receive().await {
        session.answer(message);
    }
}

/// An `info` request of exactly `len` bytes: the header and `len - 8` bytes of padding after its empty body.
fn padded_info(len: usize) -> impl FnOnce(u32, &mut [u8]) -> Result<usize, stapes_protocol::FrameError> {
    move |seq, out| {
        encode(Header { key: InfoEp::KEY, seq }, &(), out)?;
        for (i, byte) in out[HEADER_LEN..len].iter_mut().enumerate() {
            *byte = i as u8;
        }
        Ok(len)
    }
}

#[wasm_bindgen_test]
async fn every_request_length_from_8_to_512_bytes_is_answered_over_packets() {
    let session = open_simulated_node().await;
    let requests = async {
        for len in HEADER_LEN..=MAX_REQUEST_LEN {
            let what = || {
                let zlp = if len % 64 == 0 {
                    " (it fills its last 64-byte packet: was it ended by a zero-length packet?)"
                } else {
                    ""
                };
                format!("a request of {len} bytes got no answer within {ANSWER_MS} ms{zlp}")
            };
            let answer = within(ANSWER_MS, what, session.call_with("info", padded_info(len))).await;
            if len == HEADER_LEN {
                let answer = answer.unwrap_or_else(|e| panic!("the {len}-byte info request failed: {e}"));
                let info: Info<'_> = decode::<InfoEp>(&answer).unwrap();
                assert_eq!(info.protocol_hash, PROTOCOL_HASH);
            } else {
                // Padding after the empty body: the node read exactly this request, and refused it as malformed.
                let refused = CallError::Refused { field: None, message: "malformed request".to_owned() };
                assert_eq!(answer.and_then(|a| decode::<InfoEp>(&a).map(drop)), Err(refused), "{len} bytes");
            }
        }
    };
    match select(pin!(read_loop(&session)), pin!(requests)).await {
        Either::Left(_) => panic!("the read loop ended: the IN transfer failed"),
        Either::Right(((), _)) => {}
    }
    session.close().await;
}
