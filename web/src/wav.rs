//! WAV files for file analysis: RIFF/WAVE with PCM 8/16/24/32-bit or IEEE float 32/64, any channel count (mixed
//! down to mono by averaging), samples scaled to [-1, 1].

/// A decoded file.
#[derive(Clone, Debug, PartialEq)]
pub struct Wav {
    /// Frames per second.
    pub sample_rate: u32,
    /// Channels in the file (the samples are their mean).
    pub channels: u16,
    /// Mono samples in [-1, 1].
    pub samples: Vec<f32>,
}

/// Decodes a WAV file; the error says what is wrong with it.
pub fn decode(bytes: &[u8]) -> Result<Wav, String> {
    if bytes.len() < 12 || &bytes[..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err("not a WAV file (no RIFF/WAVE header)".to_owned());
    }
    let mut format: Option<(u16, u16, u32, u16)> = None;
    let mut pos = 12;
    while pos + 8 <= bytes.len() {
        let id = &bytes[pos..pos + 4];
        let len = u32::from_le_bytes([bytes[pos + 4], bytes[pos + 5], bytes[pos + 6], bytes[pos + 7]]) as usize;
        let body = &bytes[pos + 8..(pos + 8).saturating_add(len).min(bytes.len())];
        match id {
            b"fmt " => {
                if body.len() < 16 {
                    return Err("WAV fmt chunk is too short".to_owned());
                }
                let u16_at = |i: usize| u16::from_le_bytes([body[i], body[i + 1]]);
                let mut tag = u16_at(0);
                if tag == 0xFFFE && body.len() >= 26 {
                    // WAVE_FORMAT_EXTENSIBLE: the real tag starts the sub-format GUID.
                    tag = u16_at(24);
                }
                let rate = u32::from_le_bytes([body[4], body[5], body[6], body[7]]);
                format = Some((tag, u16_at(2), rate, u16_at(14)));
            }
            b"data" => {
                let (tag, channels, sample_rate, bits) = format.ok_or("WAV data chunk before its fmt chunk")?;
                if channels == 0 || sample_rate == 0 {
                    return Err("WAV fmt chunk says 0 channels or 0 Hz".to_owned());
                }
                let width = usize::from(bits / 8);
                let convert: fn(&[u8]) -> f32 = match (tag, bits) {
                    (1, 8) => |b| (f32::from(b[0]) - 128.0) / 128.0,
                    (1, 16) => |b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0,
                    (1, 24) => |b| (i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8) as f32 / 8_388_608.0,
                    (1, 32) => |b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f32 / 2_147_483_648.0,
                    (3, 32) => |b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]),
                    (3, 64) => |b| f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) as f32,
                    _ => return Err(format!("unsupported WAV encoding (format tag {tag}, {bits} bits)")),
                };
                let frame = width * usize::from(channels);
                let samples = body
                    .chunks_exact(frame)
                    .map(|f| f.chunks_exact(width).map(convert).sum::<f32>() / f32::from(channels))
                    .collect();
                return Ok(Wav { sample_rate, channels, samples });
            }
            _ => {}
        }
        pos += 8 + len + (len & 1);
    }
    Err("WAV file has no data chunk".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav(tag: u16, channels: u16, bits: u16, data: &[u8]) -> Vec<u8> {
        let mut out = b"RIFF\0\0\0\0WAVE".to_vec();
        out.extend_from_slice(b"LIST\x03\0\0\0abc\0"); // an odd-sized chunk to skip, with its pad byte
        out.extend_from_slice(b"fmt \x10\0\0\0");
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&channels.to_le_bytes());
        out.extend_from_slice(&16_000u32.to_le_bytes());
        out.extend_from_slice(&(16_000 * u32::from(channels * bits / 8)).to_le_bytes());
        out.extend_from_slice(&(channels * bits / 8).to_le_bytes());
        out.extend_from_slice(&bits.to_le_bytes());
        out.extend_from_slice(b"data");
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(data);
        out
    }

    #[test]
    fn pcm16_stereo_mixes_down() {
        let data: Vec<u8> = [16384i16, 0, -32768, -32768].iter().flat_map(|s| s.to_le_bytes()).collect();
        let w = decode(&wav(1, 2, 16, &data)).unwrap();
        assert_eq!((w.sample_rate, w.channels), (16_000, 2));
        assert_eq!(w.samples, [0.25, -1.0]);
    }

    #[test]
    fn float_and_24_bit() {
        let data: Vec<u8> = [0.5f32, -0.125].iter().flat_map(|s| s.to_le_bytes()).collect();
        assert_eq!(decode(&wav(3, 1, 32, &data)).unwrap().samples, [0.5, -0.125]);
        let data = [0x00, 0x00, 0x40, 0x00, 0x00, 0xC0]; // 0x400000, -0x400000
        assert_eq!(decode(&wav(1, 1, 24, &data)).unwrap().samples, [0.5, -0.5]);
    }

    #[test]
    fn bad_files_say_why() {
        assert!(decode(b"ID3\x03").unwrap_err().contains("RIFF"));
        assert!(decode(&wav(2, 1, 4, &[0; 8])).unwrap_err().contains("format tag 2"));
        let mut truncated = wav(1, 1, 16, &[1, 2, 3, 4]);
        truncated.truncate(truncated.len() - 12);
        assert!(decode(&truncated).unwrap_err().contains("no data chunk"));
    }
}
