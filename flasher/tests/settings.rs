//! Settings survive firmware updates: the node's settings store (`stapes_firmware::layout::SETTINGS`) lies beyond
//! anything a stapes UF2 can erase, and a flasher protecting it refuses an image that would reach it.

#[allow(dead_code)] // the fault injection is for tests/flash.rs
mod fake;

use std::ops::{ControlFlow, Range};

use fake::{FakeBootrom, block_on};
use stapes_firmware::layout::{FLASH_SIZE, IMAGE_MAX, SECTOR, SETTINGS, XIP_BASE};
use stapes_flasher::uf2::{self, FLASH_BASE, FLASH_LEN, SECTOR_LEN, Uf2, family};
use stapes_flasher::{FlashError, Flasher};

/// The settings store in absolute (XIP) addresses, as the flasher sees flash.
fn settings() -> Range<u32> {
    XIP_BASE + SETTINGS.start..XIP_BASE + SETTINGS.end
}

fn image(len: u32) -> Vec<u8> {
    (0..len).map(|i| (i ^ (i >> 9)) as u8).collect()
}

#[test]
fn the_node_layout_is_the_flasher_layout() {
    assert_eq!((XIP_BASE, FLASH_SIZE, SECTOR), (FLASH_BASE, FLASH_LEN, SECTOR_LEN));
    // Whole sectors: erasing the image's last sector can never touch the first settings sector.
    assert!(SETTINGS.start.is_multiple_of(SECTOR_LEN) && SETTINGS.end.is_multiple_of(SECTOR_LEN));
}

#[test]
fn the_largest_image_leaves_the_settings_untouched() {
    // The largest image `memory.x` lets the linker produce, as `cargo xtask firmware` writes it.
    let file = uf2::write(XIP_BASE, &image(IMAGE_MAX), family::RP2350_ARM_S).unwrap();
    let parsed = Uf2::parse(&file).unwrap();
    assert!(parsed.erase_range().end <= settings().start, "{:x?} reaches {:x?}", parsed.erase_range(), settings());
    let mut flasher = Flasher::new(FakeBootrom::new()).protect(settings());
    block_on(flasher.flash(&parsed, |_| ControlFlow::Continue(()))).unwrap();
    let device = flasher.into_transport();
    let len = (SETTINGS.end - SETTINGS.start) as usize;
    assert_eq!(device.at(settings().start, len), FakeBootrom::new().at(settings().start, len));
    assert_eq!(device.at(XIP_BASE, IMAGE_MAX as usize), &image(IMAGE_MAX)[..]);
}

#[test]
fn no_block_the_uf2_writer_emits_lands_in_the_settings_even_where_flash_wraps() {
    // Dragged onto the ROM's drive, every block is written, whatever its flags, at its address modulo the chip
    // size: the 16 MiB flash window wraps onto a 4 MiB chip. So every block's target, wrapped, must miss the settings.
    for len in [1, 256, 10_000, IMAGE_MAX / 2, IMAGE_MAX] {
        let file = uf2::write(XIP_BASE, &image(len), family::RP2350_ARM_S).unwrap();
        for (k, block) in file.chunks_exact(uf2::BLOCK_LEN).enumerate() {
            let addr = u32::from_le_bytes(block[12..16].try_into().unwrap());
            let offset = addr.wrapping_sub(XIP_BASE) % FLASH_SIZE;
            assert!(
                !SETTINGS.contains(&offset),
                "image of {len} bytes: block {k} targets {addr:#010x}, in the settings"
            );
        }
    }
}

#[test]
fn one_page_more_is_refused_before_anything_is_erased() {
    let file = uf2::write(XIP_BASE, &image(IMAGE_MAX + 1), family::RP2350_ARM_S).unwrap();
    let mut flasher = Flasher::new(FakeBootrom::new()).protect(settings());
    let err = block_on(flasher.flash_file(&file, |_| ControlFlow::Continue(()))).unwrap_err();
    let image = XIP_BASE..XIP_BASE + IMAGE_MAX + SECTOR_LEN;
    assert_eq!(err, FlashError::WouldErase { protected: settings(), image });
    assert!(err.to_string().contains("settings"), "{err}");
    assert!(flasher.into_transport().log.is_empty());
}
