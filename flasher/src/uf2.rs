//! UF2 files for the RP2350: write one from a flat image, parse and validate one before anything is erased, and
//! turn it into the 4 KiB sectors a PICOBOOT client erases and writes.
//!
//! A UF2 file is a run of 512-byte blocks, each carrying 256 bytes for one flash address (format:
//! <https://github.com/microsoft/uf2>; RP2350 family ids and the ignore-block extension: pico-sdk `boot/uf2.h`).

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::fmt;
use core::ops::Range;

/// Bytes per UF2 block.
pub const BLOCK_LEN: usize = 512;
/// Payload bytes per block: one flash page, the only size the RP2350 bootrom accepts.
pub const PAYLOAD_LEN: usize = 256;
/// Flash program granularity of the RP2350 (a page).
pub const PAGE_LEN: u32 = 256;
/// Flash erase granularity of the RP2350 (a sector).
pub const SECTOR_LEN: u32 = 4096;
/// Where flash is mapped (XIP base).
pub const FLASH_BASE: u32 = 0x1000_0000;
/// Flash size of a Pico 2 (W25Q32, 4 MiB).
pub const FLASH_LEN: u32 = 4 * 1024 * 1024;

const MAGIC_START0: u32 = 0x0A32_4655;
const MAGIC_START1: u32 = 0x9E5D_5157;
const MAGIC_END: u32 = 0x0AB1_6F30;

/// Block flag: a comment block, not meant for main flash (skipped).
pub const FLAG_NOT_MAIN_FLASH: u32 = 0x0000_0001;
/// Block flag: the block is part of a file container (a different UF2 use, refused).
pub const FLAG_FILE_CONTAINER: u32 = 0x0000_1000;
/// Block flag: the file-size word holds a family id.
pub const FLAG_FAMILY_ID_PRESENT: u32 = 0x0000_2000;
/// Block flag: extension tags follow the payload.
pub const FLAG_EXTENSION_FLAGS_PRESENT: u32 = 0x0000_8000;
/// Extension tag (size byte 4 included) telling RP2 bootroms never to write this block.
const EXTENSION_RP2_IGNORE_BLOCK: u32 = 0x9957_E304;

/// UF2 family ids the RP2350 bootrom knows (pico-sdk `boot/uf2.h`).
pub mod family {
    /// RP2040 (Pico 1) image.
    pub const RP2040: u32 = 0xe48b_ff56;
    /// Written to flash ignoring partitions (picotool's RP2350-E10 workaround block, which this crate never writes).
    pub const ABSOLUTE: u32 = 0xe48b_ff57;
    /// Generic data.
    pub const DATA: u32 = 0xe48b_ff58;
    /// RP2350 Arm Secure image: what the bootrom boots, and the only family the stapes node accepts.
    pub const RP2350_ARM_S: u32 = 0xe48b_ff59;
    /// RP2350 RISC-V image.
    pub const RP2350_RISCV: u32 = 0xe48b_ff5a;
    /// RP2350 Arm Non-secure image.
    pub const RP2350_ARM_NS: u32 = 0xe48b_ff5b;

    /// A human name for a family id, for error messages.
    pub fn name(id: u32) -> &'static str {
        match id {
            RP2040 => "RP2040 (Pico 1)",
            ABSOLUTE => "absolute",
            DATA => "data",
            RP2350_ARM_S => "RP2350 Arm Secure",
            RP2350_RISCV => "RP2350 RISC-V",
            RP2350_ARM_NS => "RP2350 Arm Non-secure",
            0xe48b_ff55 => "CYW43 Wi-Fi firmware",
            _ => "unknown",
        }
    }
}

/// Why a UF2 could not be written or was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uf2Error {
    /// The file holds no bytes.
    Empty,
    /// The length is not a whole number of 512-byte blocks: the download was cut short.
    Truncated { len: usize },
    /// A magic number is wrong: not a UF2 file, or a corrupted block.
    BadMagic { block: usize, offset: usize, found: u32 },
    /// The payload is not one 256-byte page.
    BadPayloadSize { block: usize, size: u32 },
    /// A block carries no family id.
    NoFamily { block: usize },
    /// The block is for another chip or image kind.
    WrongFamily { block: usize, found: u32 },
    /// A file-container block (a UF2 carrying files, not a flash image).
    FileContainer { block: usize },
    /// Blocks disagree on the total number of blocks.
    InconsistentCount { block: usize, expected: u32, found: u32 },
    /// A block number is not below the total.
    BlockNumberOutOfRange { block: usize, number: u32, count: u32 },
    /// Two blocks carry the same block number.
    DuplicateBlock { block: usize, number: u32 },
    /// Some block numbers never appear: the file is incomplete.
    MissingBlocks { first_missing: u32, count: u32 },
    /// Two blocks write the same address.
    DuplicateAddress { block: usize, addr: u32 },
    /// An address is not page-aligned.
    Misaligned { block: usize, addr: u32 },
    /// An address lies outside the 4 MiB flash.
    OutOfFlash { block: usize, addr: u32 },
    /// No block to flash (every block was skipped).
    NoPayload,
    /// Writing: the image does not fit in flash at that base, or the base is not page-aligned.
    ImageOutOfFlash { base: u32, len: usize },
}

impl fmt::Display for Uf2Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Empty => write!(f, "the UF2 file is empty"),
            Self::Truncated { len } => write!(
                f,
                "the UF2 file is truncated: {len} bytes is not a whole number of 512-byte blocks \
                 (block {} is cut short after {} bytes); download it again",
                len / BLOCK_LEN,
                len % BLOCK_LEN
            ),
            Self::BadMagic { block, offset, found } => write!(
                f,
                "not a valid UF2 file: block {block} has {found:#010x} at byte {offset} where a UF2 magic number \
                 belongs (corrupted or not a UF2)"
            ),
            Self::BadPayloadSize { block, size } => {
                write!(f, "block {block} carries {size} bytes; the RP2350 needs 256-byte blocks")
            }
            Self::NoFamily { block } => write!(
                f,
                "block {block} has no family id; the node needs a UF2 for the RP2350 Arm Secure family (0xe48bff59)"
            ),
            Self::WrongFamily { block, found } => write!(
                f,
                "this UF2 is for the {} family ({found:#010x}, block {block}); the stapes node is an RP2350 and \
                 needs an RP2350 Arm Secure image (0xe48bff59)",
                family::name(found)
            ),
            Self::FileContainer { block } => {
                write!(f, "block {block} is a file-container block: this UF2 carries files, not a flash image")
            }
            Self::InconsistentCount { block, expected, found } => write!(
                f,
                "block {block} says the file has {found} blocks where earlier blocks say {expected}: the file is \
                 corrupted or two files were joined"
            ),
            Self::BlockNumberOutOfRange { block, number, count } => {
                write!(f, "block {block} is numbered {number} in a file of {count} blocks: the file is corrupted")
            }
            Self::DuplicateBlock { block, number } => {
                write!(f, "block {block} repeats block number {number}: the file is corrupted")
            }
            Self::MissingBlocks { first_missing, count } => {
                write!(f, "the UF2 file is incomplete: block {first_missing} of {count} is missing; download it again")
            }
            Self::DuplicateAddress { block, addr } => {
                write!(f, "block {block} writes {addr:#010x} again: the file is corrupted")
            }
            Self::Misaligned { block, addr } => {
                write!(f, "block {block} targets {addr:#010x}, which is not on a 256-byte flash page")
            }
            Self::OutOfFlash { block, addr } => {
                write!(f, "block {block} targets {addr:#010x}, outside the 4 MiB flash (0x10000000..0x10400000)")
            }
            Self::NoPayload => write!(f, "the UF2 file holds nothing to flash"),
            Self::ImageOutOfFlash { base, len } => write!(
                f,
                "an image of {len} bytes at {base:#010x} does not fit the page-aligned 4 MiB flash at 0x10000000"
            ),
        }
    }
}

impl core::error::Error for Uf2Error {}

/// Writes a UF2 of `image` placed at `base` for `family_id`: 256-byte pages, the last one padded with 0xFF, and
/// nothing else.
///
/// In particular no RP2350-E10 "absolute" block. picotool adds one (a page at 0x10ffff00, the end of the 16 MiB flash
/// window) only on request (`main.cpp: uf2_convert_command::execute()`, `--abs-block`); it matters only for
/// drag-and-drop onto a flash with a partition table, which the node has none of. And the A2 ROM, dragging and
/// dropping onto unpartitioned flash, writes that block: the window wraps onto a 4 MiB chip, so it would land in the
/// last sector, inside the node's settings.
pub fn write(base: u32, image: &[u8], family_id: u32) -> Result<Vec<u8>, Uf2Error> {
    let out_of_flash = Uf2Error::ImageOutOfFlash { base, len: image.len() };
    let end = u64::from(base) + image.len() as u64;
    if image.is_empty()
        || !base.is_multiple_of(PAGE_LEN)
        || base < FLASH_BASE
        || end > u64::from(FLASH_BASE + FLASH_LEN)
    {
        return Err(out_of_flash);
    }
    let pages = image.len().div_ceil(PAYLOAD_LEN);
    let mut out = Vec::with_capacity(pages * BLOCK_LEN);
    for (i, chunk) in image.chunks(PAYLOAD_LEN).enumerate() {
        let mut page = [0xFF; PAYLOAD_LEN];
        page[..chunk.len()].copy_from_slice(chunk);
        let addr = base + (i * PAYLOAD_LEN) as u32;
        push_block(&mut out, FLAG_FAMILY_ID_PRESENT, addr, i as u32, pages as u32, family_id, &page);
    }
    Ok(out)
}

/// Appends one block; `data` is the payload (256 bytes) followed by any extension tags.
fn push_block(out: &mut Vec<u8>, flags: u32, addr: u32, number: u32, count: u32, family_id: u32, data: &[u8]) {
    debug_assert!(data.len() <= BLOCK_LEN - 32 - 4);
    let start = out.len();
    let header = [MAGIC_START0, MAGIC_START1, flags, addr, PAYLOAD_LEN as u32, number, count, family_id];
    for word in header {
        out.extend_from_slice(&word.to_le_bytes());
    }
    out.extend_from_slice(data);
    out.resize(start + BLOCK_LEN - 4, 0);
    out.extend_from_slice(&MAGIC_END.to_le_bytes());
}

/// A validated RP2350 Arm Secure UF2: every page it writes, by address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uf2 {
    pages: BTreeMap<u32, [u8; PAYLOAD_LEN]>,
    skipped: usize,
}

/// One 4 KiB flash sector to erase and write: the UF2's pages, 0xFF where the UF2 has none.
#[derive(Clone, PartialEq, Eq)]
pub struct Sector {
    /// Sector-aligned flash address.
    pub addr: u32,
    /// The sector's new contents.
    pub data: Box<[u8; SECTOR_LEN as usize]>,
}

impl fmt::Debug for Sector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sector({:#010x})", self.addr)
    }
}

/// Reads a little-endian word of block `block` at `offset`.
fn word(block: &[u8], offset: usize) -> u32 {
    u32::from_le_bytes([block[offset], block[offset + 1], block[offset + 2], block[offset + 3]])
}

/// True if the block's extension tags (after the payload, 4-aligned, zero-terminated) include RP2_IGNORE_BLOCK.
fn has_ignore_tag(block: &[u8], payload_len: usize) -> bool {
    let mut at = 32 + payload_len.next_multiple_of(4);
    while at + 4 <= BLOCK_LEN - 4 {
        let tag = word(block, at);
        if tag == 0 {
            return false;
        }
        if tag == EXTENSION_RP2_IGNORE_BLOCK {
            return true;
        }
        let size = (tag & 0xFF) as usize;
        if size < 4 {
            return false;
        }
        at += size.next_multiple_of(4);
    }
    false
}

impl Uf2 {
    /// Parses and validates a UF2 for the stapes node. Refuses (with the block and the reason) anything that is not
    /// a complete, consistent RP2350 Arm Secure image inside the 4 MiB flash. Comment blocks (not-main-flash) and
    /// blocks tagged RP2_IGNORE_BLOCK, such as picotool's RP2350-E10 workaround block, are skipped.
    pub fn parse(bytes: &[u8]) -> Result<Self, Uf2Error> {
        if bytes.is_empty() {
            return Err(Uf2Error::Empty);
        }
        if !bytes.len().is_multiple_of(BLOCK_LEN) {
            return Err(Uf2Error::Truncated { len: bytes.len() });
        }
        let mut pages = BTreeMap::new();
        let mut numbers = Vec::new();
        let mut count = None;
        let mut skipped = 0;
        for (i, b) in bytes.chunks_exact(BLOCK_LEN).enumerate() {
            for (offset, magic) in [(0, MAGIC_START0), (4, MAGIC_START1), (BLOCK_LEN - 4, MAGIC_END)] {
                let found = word(b, offset);
                if found != magic {
                    return Err(Uf2Error::BadMagic { block: i, offset, found });
                }
            }
            let [flags, addr, size, number, total, family_id] = core::array::from_fn(|k| word(b, 8 + 4 * k));
            if size > 476 {
                return Err(Uf2Error::BadPayloadSize { block: i, size });
            }
            let ignored = flags & FLAG_EXTENSION_FLAGS_PRESENT != 0 && has_ignore_tag(b, size as usize);
            if flags & FLAG_NOT_MAIN_FLASH != 0 || ignored {
                skipped += 1;
                continue;
            }
            if flags & FLAG_FILE_CONTAINER != 0 {
                return Err(Uf2Error::FileContainer { block: i });
            }
            if flags & FLAG_FAMILY_ID_PRESENT == 0 {
                return Err(Uf2Error::NoFamily { block: i });
            }
            if family_id != family::RP2350_ARM_S {
                return Err(Uf2Error::WrongFamily { block: i, found: family_id });
            }
            if size as usize != PAYLOAD_LEN {
                return Err(Uf2Error::BadPayloadSize { block: i, size });
            }
            match count {
                None => count = Some(total),
                Some(expected) if expected != total => {
                    return Err(Uf2Error::InconsistentCount { block: i, expected, found: total });
                }
                Some(_) => {}
            }
            if number >= total {
                return Err(Uf2Error::BlockNumberOutOfRange { block: i, number, count: total });
            }
            if !addr.is_multiple_of(PAGE_LEN) {
                return Err(Uf2Error::Misaligned { block: i, addr });
            }
            if !(FLASH_BASE..FLASH_BASE + FLASH_LEN).contains(&addr) {
                return Err(Uf2Error::OutOfFlash { block: i, addr });
            }
            let mut page = [0; PAYLOAD_LEN];
            page.copy_from_slice(&b[32..32 + PAYLOAD_LEN]);
            if pages.insert(addr, page).is_some() {
                return Err(Uf2Error::DuplicateAddress { block: i, addr });
            }
            numbers.push((number, i));
        }
        let Some(count) = count else { return Err(Uf2Error::NoPayload) };
        numbers.sort_unstable();
        for pair in numbers.windows(2) {
            if pair[0].0 == pair[1].0 {
                return Err(Uf2Error::DuplicateBlock { block: pair[0].1.max(pair[1].1), number: pair[1].0 });
            }
        }
        // Numbers are distinct and below `count`, so a short list means some are missing: find the first.
        if numbers.len() != count as usize {
            let first_missing = numbers
                .iter()
                .enumerate()
                .find(|&(k, &(n, _))| n != k as u32)
                .map_or(numbers.len() as u32, |(k, _)| k as u32);
            return Err(Uf2Error::MissingBlocks { first_missing, count });
        }
        Ok(Self { pages, skipped })
    }

    /// The number of bytes of payload (256 per page written).
    pub fn payload_len(&self) -> usize {
        self.pages.len() * PAYLOAD_LEN
    }

    /// How many blocks were skipped as comments or ignore-tagged (the RP2350-E10 block).
    pub fn skipped_blocks(&self) -> usize {
        self.skipped
    }

    /// Every page the UF2 writes, by address, in address order.
    pub fn pages(&self) -> impl Iterator<Item = (u32, &[u8; PAYLOAD_LEN])> {
        self.pages.iter().map(|(&a, p)| (a, p))
    }

    /// The flash the update touches: from the first erased sector to the end of the last (erasing is per sector, so
    /// this, not the payload's span, is what must stay clear of the node's settings).
    pub fn erase_range(&self) -> Range<u32> {
        let first = self.pages.keys().next().map_or(FLASH_BASE, |&a| a - a % SECTOR_LEN);
        let last = self.pages.keys().next_back().map_or(FLASH_BASE, |&a| a - a % SECTOR_LEN + SECTOR_LEN);
        first..last
    }

    /// The sector plan: every 4 KiB sector holding at least one page, in address order, 0xFF elsewhere.
    pub fn sectors(&self) -> Vec<Sector> {
        let mut out: Vec<Sector> = Vec::new();
        for (&addr, page) in &self.pages {
            let sector = addr - addr % SECTOR_LEN;
            if out.last().is_none_or(|s| s.addr != sector) {
                out.push(Sector { addr: sector, data: Box::new([0xFF; SECTOR_LEN as usize]) });
            }
            let at = (addr - sector) as usize;
            if let Some(s) = out.last_mut() {
                s.data[at..at + PAYLOAD_LEN].copy_from_slice(page);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use alloc::string::ToString;

    use super::*;

    /// A deterministic test image (not all 0xFF, so padding is visible).
    fn image(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + i / 256) as u8).collect()
    }

    fn set_word(bytes: &mut [u8], block: usize, offset: usize, value: u32) {
        let at = block * BLOCK_LEN + offset;
        bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
    }

    #[test]
    fn round_trip_write_parse() {
        let img = image(10_000);
        let file = write(FLASH_BASE, &img, family::RP2350_ARM_S).unwrap();
        assert_eq!(file.len(), 40 * BLOCK_LEN); // 40 pages, no RP2350-E10 block
        let uf2 = Uf2::parse(&file).unwrap();
        assert_eq!(uf2.skipped_blocks(), 0);
        assert_eq!(uf2.payload_len(), 40 * PAYLOAD_LEN);
        assert_eq!(uf2.erase_range(), FLASH_BASE..FLASH_BASE + 3 * SECTOR_LEN);
        let sectors = uf2.sectors();
        assert_eq!(
            sectors.iter().map(|s| s.addr).collect::<Vec<_>>(),
            [FLASH_BASE, FLASH_BASE + 4096, FLASH_BASE + 8192]
        );
        let flat: Vec<u8> = sectors.iter().flat_map(|s| s.data.iter().copied()).collect();
        assert_eq!(&flat[..img.len()], &img[..]);
        assert!(flat[img.len()..].iter().all(|&b| b == 0xFF));
    }

    #[test]
    fn sparse_image_pads_sectors_with_ff() {
        // Two pages far apart: two sectors, each 0xFF except its page.
        let mut file = write(FLASH_BASE + 0x100, &[1; 256], family::RP2350_ARM_S).unwrap();
        let second = write(FLASH_BASE + 0x2_0000, &[2; 256], family::RP2350_ARM_S).unwrap();
        file.extend_from_slice(&second);
        set_word(&mut file, 0, 24, 2);
        set_word(&mut file, 1, 20, 1);
        set_word(&mut file, 1, 24, 2);
        let sectors = Uf2::parse(&file).unwrap().sectors();
        assert_eq!(sectors.len(), 2);
        assert_eq!((sectors[0].addr, sectors[1].addr), (FLASH_BASE, FLASH_BASE + 0x2_0000));
        assert!(sectors[0].data[..0x100].iter().all(|&b| b == 0xFF));
        assert!(sectors[0].data[0x100..0x200].iter().all(|&b| b == 1));
        assert!(sectors[0].data[0x200..].iter().all(|&b| b == 0xFF));
        assert!(sectors[1].data[..0x100].iter().all(|&b| b == 2));
    }

    #[test]
    fn truncated_file_is_refused() {
        let file = write(FLASH_BASE, &image(1000), family::RP2350_ARM_S).unwrap();
        let err = Uf2::parse(&file[..file.len() - 100]).unwrap_err();
        assert_eq!(err, Uf2Error::Truncated { len: file.len() - 100 });
        assert!(err.to_string().contains("truncated"), "{err}");
        // Cut on a block boundary: the count says more blocks exist.
        let err = Uf2::parse(&file[..file.len() - BLOCK_LEN]).unwrap_err();
        assert_eq!(err, Uf2Error::MissingBlocks { first_missing: 3, count: 4 });
        assert_eq!(Uf2::parse(&[]).unwrap_err(), Uf2Error::Empty);
    }

    #[test]
    fn corrupted_magic_is_refused() {
        for offset in [0, 4, BLOCK_LEN - 4] {
            let mut file = write(FLASH_BASE, &image(600), family::RP2350_ARM_S).unwrap();
            set_word(&mut file, 2, offset, 0xDEAD_BEEF);
            let err = Uf2::parse(&file).unwrap_err();
            assert_eq!(err, Uf2Error::BadMagic { block: 2, offset, found: 0xDEAD_BEEF });
        }
        let text = alloc::vec![b'x'; BLOCK_LEN];
        assert!(matches!(Uf2::parse(&text), Err(Uf2Error::BadMagic { block: 0, offset: 0, .. })));
    }

    #[test]
    fn wrong_family_is_refused_with_its_name() {
        let file = write(FLASH_BASE, &image(600), family::RP2040).unwrap();
        let err = Uf2::parse(&file).unwrap_err();
        assert_eq!(err, Uf2Error::WrongFamily { block: 0, found: family::RP2040 });
        assert!(err.to_string().contains("RP2040"), "{err}");
        for other in [family::RP2350_RISCV, family::RP2350_ARM_NS, family::DATA, 0x1234_5678] {
            let file = write(FLASH_BASE, &image(600), other).unwrap();
            assert_eq!(Uf2::parse(&file).unwrap_err(), Uf2Error::WrongFamily { block: 0, found: other });
        }
        let mut file = write(FLASH_BASE, &image(600), family::RP2350_ARM_S).unwrap();
        set_word(&mut file, 1, 8, 0);
        assert_eq!(Uf2::parse(&file).unwrap_err(), Uf2Error::NoFamily { block: 1 });
    }

    #[test]
    fn out_of_range_and_misaligned_addresses_are_refused() {
        let mut file = write(FLASH_BASE, &image(600), family::RP2350_ARM_S).unwrap();
        set_word(&mut file, 2, 12, FLASH_BASE + FLASH_LEN);
        assert_eq!(Uf2::parse(&file).unwrap_err(), Uf2Error::OutOfFlash { block: 2, addr: FLASH_BASE + FLASH_LEN });
        set_word(&mut file, 2, 12, 0x2000_0000); // SRAM
        assert_eq!(Uf2::parse(&file).unwrap_err(), Uf2Error::OutOfFlash { block: 2, addr: 0x2000_0000 });
        set_word(&mut file, 2, 12, FLASH_BASE + 0x280);
        assert_eq!(Uf2::parse(&file).unwrap_err(), Uf2Error::Misaligned { block: 2, addr: FLASH_BASE + 0x280 });
        assert_eq!(
            write(FLASH_BASE + FLASH_LEN - 256, &image(257), family::RP2350_ARM_S).unwrap_err(),
            Uf2Error::ImageOutOfFlash { base: FLASH_BASE + FLASH_LEN - 256, len: 257 }
        );
        assert!(write(FLASH_BASE + 1, &image(1), family::RP2350_ARM_S).is_err());
        assert!(write(FLASH_BASE, &[], family::RP2350_ARM_S).is_err());
    }

    #[test]
    fn numbering_errors_are_refused() {
        let file = write(FLASH_BASE, &image(1024), family::RP2350_ARM_S).unwrap();
        let mut dup = file.clone();
        set_word(&mut dup, 3, 20, 1);
        assert_eq!(Uf2::parse(&dup).unwrap_err(), Uf2Error::DuplicateBlock { block: 3, number: 1 });
        let mut count = file.clone();
        set_word(&mut count, 2, 24, 5);
        assert_eq!(Uf2::parse(&count).unwrap_err(), Uf2Error::InconsistentCount { block: 2, expected: 4, found: 5 });
        let mut range = file.clone();
        set_word(&mut range, 3, 20, 4);
        assert_eq!(Uf2::parse(&range).unwrap_err(), Uf2Error::BlockNumberOutOfRange { block: 3, number: 4, count: 4 });
        let mut addr = file.clone();
        set_word(&mut addr, 2, 12, FLASH_BASE);
        assert_eq!(Uf2::parse(&addr).unwrap_err(), Uf2Error::DuplicateAddress { block: 2, addr: FLASH_BASE });
        let mut size = file;
        set_word(&mut size, 1, 16, 128);
        assert_eq!(Uf2::parse(&size).unwrap_err(), Uf2Error::BadPayloadSize { block: 1, size: 128 });
    }

    /// picotool's RP2350-E10 block as its `elf2uf2.cpp: gen_abs_block()` lays it out: flags family + extension
    /// (0xa000), 0x10ffff00 (outside the 4 MiB: accepted because ignored), 256 bytes, block 0 of 2, absolute family,
    /// payload 0xEF, then the RP2_IGNORE_BLOCK tag.
    fn picotool_e10_block() -> Vec<u8> {
        let mut data = [0xEF; PAYLOAD_LEN + 4];
        data[PAYLOAD_LEN..].copy_from_slice(&EXTENSION_RP2_IGNORE_BLOCK.to_le_bytes());
        let flags = FLAG_FAMILY_ID_PRESENT | FLAG_EXTENSION_FLAGS_PRESENT;
        let mut block = Vec::new();
        push_block(&mut block, flags, 0x10ff_ff00, 0, 2, family::ABSOLUTE, &data);
        block
    }

    #[test]
    fn a_picotool_e10_block_is_skipped_wherever_it_is() {
        let pages = write(FLASH_BASE, &image(512), family::RP2350_ARM_S).unwrap();
        let e10 = picotool_e10_block();
        assert_eq!(word(&e10, 8), 0xa000);
        assert_eq!(&e10[32 + PAYLOAD_LEN..32 + PAYLOAD_LEN + 4], &[0x04, 0xe3, 0x57, 0x99]);
        let file = [&e10[..], &pages[..]].concat();
        assert_eq!(Uf2::parse(&file).unwrap().skipped_blocks(), 1);
        assert_eq!(
            Uf2::parse(&file).unwrap().pages().collect::<Vec<_>>(),
            Uf2::parse(&pages).unwrap().pages().collect::<Vec<_>>()
        );
        // At the end of the file: still skipped, same pages.
        let moved = [&pages[..], &e10[..]].concat();
        assert_eq!(Uf2::parse(&moved).unwrap(), Uf2::parse(&file).unwrap());
        // Without its ignore tag it is an ordinary absolute-family block, which the node refuses.
        let mut untagged = file.clone();
        set_word(&mut untagged, 0, 32 + PAYLOAD_LEN, 0);
        assert_eq!(Uf2::parse(&untagged).unwrap_err(), Uf2Error::WrongFamily { block: 0, found: family::ABSOLUTE });
        // A comment block (not main flash) is skipped too.
        let mut comment = file;
        set_word(&mut comment, 0, 8, FLAG_NOT_MAIN_FLASH);
        assert_eq!(Uf2::parse(&comment).unwrap().skipped_blocks(), 1);
        // A file of nothing but the E10 block has nothing to flash.
        assert_eq!(Uf2::parse(&e10).unwrap_err(), Uf2Error::NoPayload);
    }

    #[test]
    fn the_writer_emits_only_the_image_pages_for_every_family() {
        for id in [family::RP2350_ARM_S, family::RP2040, family::RP2350_RISCV, family::DATA] {
            let file = write(FLASH_BASE + 0x1000, &image(300), id).unwrap();
            assert_eq!(file.len(), 2 * BLOCK_LEN, "{id:#x}");
            for (k, block) in file.chunks_exact(BLOCK_LEN).enumerate() {
                assert_eq!(word(block, 8), FLAG_FAMILY_ID_PRESENT);
                assert_eq!(word(block, 12), FLASH_BASE + 0x1000 + 256 * k as u32);
                assert_eq!((word(block, 20), word(block, 24), word(block, 28)), (k as u32, 2, id));
            }
        }
    }
}
