//! The firmware panel's logic compiled to wasm32 (`wasm-bindgen-test`, Node): UF2 validation as the page runs it,
//! and the update steps from a running node and after a failure.
#![cfg(target_arch = "wasm32")]

use stapes_flasher::FlashError;
use stapes_flasher::uf2::{self, FLASH_BASE, family};
use stapes_web::update::{Build, Event, Step, check, protected};
use wasm_bindgen_test::wasm_bindgen_test;

fn image(len: u32) -> Vec<u8> {
    (0..len).map(|i| (i ^ (i >> 7)) as u8).collect()
}

#[wasm_bindgen_test]
fn uf2_checks_in_the_page() {
    let good = uf2::write(FLASH_BASE, &image(20_000), family::RP2350_ARM_S).unwrap();
    assert_eq!(check(&good).unwrap().sectors().len(), 5);
    let riscv = uf2::write(FLASH_BASE, &image(20_000), family::RP2350_RISCV).unwrap();
    assert!(check(&riscv).unwrap_err().starts_with("refused before erasing anything"));
    let settings = uf2::write(protected().start, &image(256), family::RP2350_ARM_S).unwrap();
    assert!(check(&settings).unwrap_err().contains("settings"));
}

#[wasm_bindgen_test]
fn update_steps() {
    let build = Build { version: "0.1.0".into(), git_hash: "abc".into() };
    let s = Step::Idle.on(Event::RebootSent).on(Event::Progress { done: 0, total: 4096 });
    let failed = s.on(Event::FlashFailed(FlashError::Stalled { command: "WRITE", addr: Some(FLASH_BASE) }));
    assert_eq!(failed.label(), "failed");
    let s = failed.on(Event::Progress { done: 4096, total: 4096 }).on(Event::Flashed);
    let done = s.on(Event::NodeInfo { running: build.clone(), flashed: Some(build) });
    assert_eq!(done, Step::Done { version: "0.1.0 (abc)".into() });
}
