//! Flash layout of the Pico 2: the firmware image from the start, the settings store in the last 64 KiB.
//!
//! `memory.x` stops FLASH where [`SETTINGS`] begins (a test checks the two agree), so a growing image fails to link
//! instead of overwriting the settings, and a UF2 of the image never touches them: reflashing keeps the settings.

use core::ops::Range;

/// The Pico 2's QSPI flash (W25Q32RV): 4 MiB.
pub const FLASH_SIZE: u32 = 4 * 1024 * 1024;
/// Erase unit of the flash, and sequential-storage's page size.
pub const SECTOR: u32 = 4096;
/// Program unit of the flash (and of UF2 payloads).
pub const PAGE: u32 = 256;
/// Address at which the flash is mapped (XIP); UF2 block addresses are absolute.
pub const XIP_BASE: u32 = 0x1000_0000;

/// Size of the settings store: 16 sectors, so sequential-storage's wear levelling spreads erases over 16.
pub const SETTINGS_SIZE: u32 = 64 * 1024;
/// The settings store, as offsets from the start of flash (what `embassy_rp::flash::Flash` and the node's
/// sequential-storage map take). Absolute addresses: add [`XIP_BASE`].
pub const SETTINGS: Range<u32> = FLASH_SIZE - SETTINGS_SIZE..FLASH_SIZE;
/// Largest image the linker accepts (`memory.x` FLASH length): everything below the settings.
pub const IMAGE_MAX: u32 = SETTINGS.start;

const _: () = assert!(SETTINGS.start.is_multiple_of(SECTOR) && SETTINGS_SIZE.is_multiple_of(SECTOR));
const _: () = assert!(SETTINGS_SIZE / SECTOR >= 2, "sequential-storage needs at least two pages");

#[cfg(test)]
mod tests {
    use super::*;

    /// The `LENGTH` of a region in `memory.x`, in bytes (`K` suffix understood).
    fn region_length(region: &str) -> u32 {
        let memory_x = include_str!("../memory.x");
        let line = memory_x
            .lines()
            .find(|l| l.trim_start().starts_with(region) && l.contains("LENGTH"))
            .unwrap_or_else(|| panic!("memory.x has no {region} region"));
        let length = line.split("LENGTH").nth(1).unwrap().trim_start_matches([' ', '=']).trim();
        match length.strip_suffix('K') {
            Some(k) => k.parse::<u32>().unwrap() * 1024,
            None => length.parse().unwrap(),
        }
    }

    #[test]
    fn memory_x_flash_ends_where_settings_begin() {
        assert_eq!(region_length("FLASH"), IMAGE_MAX);
        assert_eq!(IMAGE_MAX + SETTINGS_SIZE, FLASH_SIZE);
    }

    #[test]
    fn settings_are_the_last_sixteen_sectors() {
        assert_eq!(SETTINGS, 0x3F_0000..0x40_0000);
        assert_eq!((SETTINGS.end - SETTINGS.start) / SECTOR, 16);
    }
}
