//! The loadable segments of a 32-bit little-endian ELF (the firmware): enough to lay out its flash image and to
//! count its static RAM, without binutils.

/// One `PT_LOAD` program header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Segment {
    /// Where it runs.
    pub(crate) vaddr: u32,
    /// Where it is stored (flash for `.data`'s initial values).
    pub(crate) paddr: u32,
    /// Offset of its bytes in the file.
    pub(crate) offset: u32,
    /// Bytes stored in the file.
    pub(crate) filesz: u32,
    /// Bytes it occupies when running (`.bss` has no file bytes).
    pub(crate) memsz: u32,
}

const PT_LOAD: u32 = 1;

/// The `PT_LOAD` segments of `elf`.
pub(crate) fn load_segments(elf: &[u8]) -> Result<Vec<Segment>, String> {
    if elf.get(..4) != Some(b"\x7fELF") {
        return Err("not an ELF file".into());
    }
    if elf.get(4..6) != Some(&[1, 1]) {
        return Err("not a 32-bit little-endian ELF".into());
    }
    let u16_at = |at: usize| elf.get(at..at + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let u32_at = |at: usize| elf.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    let truncated = || "truncated ELF header".to_owned();
    let phoff = u32_at(0x1C).ok_or_else(truncated)? as usize;
    let phentsize = u16_at(0x2A).ok_or_else(truncated)? as usize;
    let phnum = u16_at(0x2C).ok_or_else(truncated)? as usize;
    let mut segments = Vec::new();
    for i in 0..phnum {
        let at = phoff + i * phentsize;
        let field = |n: usize| u32_at(at + 4 * n).ok_or_else(|| format!("program header {i} is truncated"));
        if field(0)? != PT_LOAD {
            continue;
        }
        let segment =
            Segment { offset: field(1)?, vaddr: field(2)?, paddr: field(3)?, filesz: field(4)?, memsz: field(5)? };
        if elf.len() < segment.offset as usize + segment.filesz as usize {
            return Err(format!("segment {i} runs past the end of the file"));
        }
        segments.push(segment);
    }
    Ok(segments)
}

/// The bytes stored in `flash` (start..end addresses), as one image from `flash.start`: every segment with file
/// bytes placed at its load address, gaps filled with 0xFF (erased flash). Fails if a segment lies outside.
pub(crate) fn flash_image(elf: &[u8], segments: &[Segment], flash: std::ops::Range<u32>) -> Result<Vec<u8>, String> {
    let mut image = Vec::new();
    for s in segments.iter().filter(|s| s.filesz > 0) {
        let end = s.paddr.checked_add(s.filesz).ok_or("segment wraps the address space")?;
        if s.paddr < flash.start || end > flash.end {
            return Err(format!(
                "segment at {:#010x}..{end:#010x} is outside flash {:#010x}..{:#010x}",
                s.paddr, flash.start, flash.end
            ));
        }
        let (from, to) = ((s.paddr - flash.start) as usize, (end - flash.start) as usize);
        if image.len() < to {
            image.resize(to, 0xFF);
        }
        image[from..to].copy_from_slice(&elf[s.offset as usize..s.offset as usize + s.filesz as usize]);
    }
    Ok(image)
}

/// Offset of the first word-aligned RP2350 boot block (an IMAGE_DEF: `PICOBIN_BLOCK_MARKER_START` …
/// `PICOBIN_BLOCK_MARKER_END`) in `image`, if any.
pub(crate) fn boot_block(image: &[u8]) -> Option<usize> {
    const MARKER_START: [u8; 4] = 0xFFFF_DED3u32.to_le_bytes();
    const MARKER_END: [u8; 4] = 0xAB12_3579u32.to_le_bytes();
    let start = image.chunks_exact(4).position(|w| w == MARKER_START)? * 4;
    image[start..].chunks_exact(4).any(|w| w == MARKER_END).then_some(start)
}

/// Bytes of RAM (`ram` addresses) the segments occupy when running: `.data`, `.bss` and `.uninit`.
pub(crate) fn static_ram(segments: &[Segment], ram: std::ops::Range<u32>) -> u64 {
    segments.iter().filter(|s| ram.contains(&s.vaddr)).map(|s| u64::from(s.memsz)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal ELF32 with the given (vaddr, paddr, filesz, memsz) segments, each filled with its index + 1.
    fn elf(segments: &[(u32, u32, u32, u32)]) -> Vec<u8> {
        let phoff = 52usize;
        let mut out = vec![0u8; phoff + 32 * segments.len()];
        out[..6].copy_from_slice(b"\x7fELF\x01\x01");
        out[0x1C..0x20].copy_from_slice(&(phoff as u32).to_le_bytes());
        out[0x2A..0x2C].copy_from_slice(&32u16.to_le_bytes());
        out[0x2C..0x2E].copy_from_slice(&(segments.len() as u16).to_le_bytes());
        for (i, &(vaddr, paddr, filesz, memsz)) in segments.iter().enumerate() {
            let offset = out.len() as u32;
            out.extend(std::iter::repeat_n(i as u8 + 1, filesz as usize));
            let words = [PT_LOAD, offset, vaddr, paddr, filesz, memsz, 0, 4];
            for (n, w) in words.iter().enumerate() {
                let at = phoff + 32 * i + 4 * n;
                out[at..at + 4].copy_from_slice(&w.to_le_bytes());
            }
        }
        out
    }

    const FLASH: std::ops::Range<u32> = 0x1000_0000..0x1040_0000;
    const RAM: std::ops::Range<u32> = 0x2000_0000..0x2008_0000;

    #[test]
    fn image_places_text_and_data_at_load_addresses_and_fills_gaps() {
        // .text at the flash start, .data running in RAM but stored after a gap, .bss in RAM only.
        let bytes = elf(&[
            (0x1000_0000, 0x1000_0000, 6, 6),
            (0x2000_0000, 0x1000_0008, 4, 4),
            (0x2000_0004, 0x2000_0004, 0, 100),
        ]);
        let segments = load_segments(&bytes).unwrap();
        assert_eq!(segments.len(), 3);
        let image = flash_image(&bytes, &segments, FLASH).unwrap();
        assert_eq!(image, [1, 1, 1, 1, 1, 1, 0xFF, 0xFF, 2, 2, 2, 2]);
        assert_eq!(static_ram(&segments, RAM), 104);
    }

    #[test]
    fn boot_block_needs_both_markers_word_aligned() {
        let mut image = vec![0u8; 64];
        image[8..12].copy_from_slice(&0xFFFF_DED3u32.to_le_bytes());
        assert_eq!(boot_block(&image), None, "no end marker");
        image[24..28].copy_from_slice(&0xAB12_3579u32.to_le_bytes());
        assert_eq!(boot_block(&image), Some(8));
        let mut shifted = vec![0u8; 2];
        shifted.extend(&image);
        assert_eq!(boot_block(&shifted), None, "not word aligned");
    }

    #[test]
    fn segments_outside_flash_and_broken_files_are_refused() {
        let bytes = elf(&[(0x1040_0000, 0x1040_0000, 4, 4)]);
        let segments = load_segments(&bytes).unwrap();
        assert!(flash_image(&bytes, &segments, FLASH).unwrap_err().contains("outside flash"));
        assert_eq!(load_segments(b"MZ\0\0").unwrap_err(), "not an ELF file");
        let mut cut = elf(&[(0x1000_0000, 0x1000_0000, 64, 64)]);
        cut.truncate(cut.len() - 1);
        assert!(load_segments(&cut).unwrap_err().contains("past the end"));
    }
}
