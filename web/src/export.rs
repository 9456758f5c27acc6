//! Recording formats: `.npy` (float32, frames × features, what `numpy.load` and the Python wheel's output compare
//! against), CSV, and a JSON sidecar (config, firmware, timestamps). `.npy` is read back for re-import.

use std::fmt::Write;

/// A recorded block of features, frame-major (`n_frames × n_features`).
#[derive(Clone, Debug, PartialEq)]
pub struct Recording {
    /// Values per frame.
    pub n_features: usize,
    /// Frame-major values.
    pub data: Vec<f32>,
}

impl Recording {
    /// Frames held.
    pub fn n_frames(&self) -> usize {
        self.data.len().checked_div(self.n_features).unwrap_or(0)
    }
}

/// NumPy's format 1.0 file of the recording (frames × features): magic, header dict padded so the data starts on a
/// 64-byte boundary, then the data.
pub fn to_npy(rec: &Recording) -> Vec<u8> {
    npy(&format!("({}, {})", rec.n_frames(), rec.n_features), &rec.data)
}

/// A 1-D float32 `.npy` (raw audio).
pub fn to_npy_1d(values: &[f32]) -> Vec<u8> {
    npy(&format!("({},)", values.len()), values)
}

fn npy(shape: &str, data: &[f32]) -> Vec<u8> {
    let dict = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}");
    let unpadded = 10 + dict.len() + 1;
    let header_len = unpadded.next_multiple_of(64) - 10;
    let mut out = Vec::with_capacity(10 + header_len + data.len() * 4);
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&(header_len as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out.resize(10 + header_len - 1, b' ');
    out.push(b'\n');
    for v in data {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// Reads a 2-D little-endian float32 C-order `.npy` (what [`to_npy`] writes, or `np.save` of such an array).
pub fn from_npy(bytes: &[u8]) -> Result<Recording, String> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err("not a .npy file (no \\x93NUMPY magic)".to_owned());
    }
    let (header_len, start) = match bytes[6] {
        1 => (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10),
        2 | 3 if bytes.len() >= 12 => (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12),
        v => return Err(format!(".npy version {v} is not supported")),
    };
    let header = bytes.get(start..start + header_len).ok_or(".npy header is truncated")?;
    let header = std::str::from_utf8(header).map_err(|_| ".npy header is not text")?;
    if !header.contains("'descr': '<f4'") {
        return Err("only little-endian float32 ('<f4') recordings can be imported".to_owned());
    }
    if header.contains("'fortran_order': True") {
        return Err("Fortran-order arrays are not supported".to_owned());
    }
    let shape =
        header.split("'shape': (").nth(1).and_then(|s| s.split(')').next()).ok_or(".npy header has no shape")?;
    let dims: Vec<usize> = shape
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().map_err(|_| format!("bad dimension `{s}` in the .npy shape")))
        .collect::<Result<_, _>>()?;
    let [n_frames, n_features] = dims[..] else {
        return Err(format!("expected a 2-D array (frames × features), got shape ({shape})"));
    };
    let body = &bytes[start + header_len..];
    let want = n_frames.checked_mul(n_features).and_then(|n| n.checked_mul(4)).ok_or(".npy shape overflows")?;
    if body.len() != want {
        return Err(format!(".npy data is {} bytes, the shape needs {want}", body.len()));
    }
    let data = body.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
    Ok(Recording { n_features, data })
}

/// One frame per line, features separated by commas, with a header `f0,f1,...`. Values print with Rust's shortest
/// round-trip formatting, so parsing them back gives the same f32 bits.
pub fn to_csv(rec: &Recording) -> String {
    let mut out = String::new();
    let names: Vec<String> = (0..rec.n_features).map(|i| format!("f{i}")).collect();
    out.push_str(&names.join(","));
    out.push('\n');
    for frame in rec.data.chunks(rec.n_features.max(1)) {
        for (i, v) in frame.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{v}");
        }
        out.push('\n');
    }
    out
}

/// What the JSON sidecar records besides the data.
pub struct Sidecar<'a> {
    /// The config JSON (`Config::to_json`), embedded as an object.
    pub config_json: &'a str,
    /// The node's firmware version, or "simulated"/"file".
    pub firmware: &'a str,
    /// Milliseconds since the Unix epoch at the first and last recorded frame.
    pub started_ms: f64,
    /// See `started_ms`.
    pub ended_ms: f64,
    /// Sequence numbers lost during the recording.
    pub dropped: u64,
}

/// The sidecar next to a recording's `.npy`/CSV.
pub fn sidecar(rec: &Recording, meta: &Sidecar<'_>) -> Result<String, String> {
    let config: serde_json::Value =
        serde_json::from_str(meta.config_json).map_err(|e| format!("config JSON is invalid: {e}"))?;
    let value = serde_json::json!({
        "format": "stapes-recording/1",
        "layout": "frames x features, float32",
        "shape": [rec.n_frames(), rec.n_features],
        "config": config,
        "firmware": meta.firmware,
        "started_ms": meta.started_ms,
        "ended_ms": meta.ended_ms,
        "dropped_frames": meta.dropped,
    });
    serde_json::to_string_pretty(&value).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Recording {
        Recording { n_features: 3, data: vec![0.0, -1.5, 1e-7, 3.25, f32::MIN_POSITIVE, 42.0] }
    }

    #[test]
    fn npy_layout_and_round_trip() {
        let bytes = to_npy(&sample());
        assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00");
        let header_len = usize::from(u16::from_le_bytes([bytes[8], bytes[9]]));
        assert_eq!((10 + header_len) % 64, 0);
        assert_eq!(bytes[9 + header_len], b'\n');
        assert!(std::str::from_utf8(&bytes[10..10 + header_len]).unwrap().contains("'shape': (2, 3)"));
        assert_eq!(bytes.len(), 10 + header_len + 24);
        assert_eq!(from_npy(&bytes).unwrap(), sample());
    }

    #[test]
    fn one_dimensional_npy() {
        let bytes = to_npy_1d(&[0.5, -0.25, 1.0]);
        let header_len = usize::from(u16::from_le_bytes([bytes[8], bytes[9]]));
        assert_eq!((10 + header_len) % 64, 0);
        assert!(std::str::from_utf8(&bytes[10..10 + header_len]).unwrap().contains("'shape': (3,)"));
        assert_eq!(&bytes[10 + header_len..][..4], &0.5f32.to_le_bytes());
        // Not a frames × features recording.
        assert!(from_npy(&bytes).unwrap_err().contains("2-D"));
    }

    #[test]
    fn npy_refuses_other_arrays() {
        let mut bytes = to_npy(&sample());
        bytes.pop();
        assert!(from_npy(&bytes).unwrap_err().contains("the shape needs 24"));
        assert!(from_npy(b"PK\x03\x04 a zip").unwrap_err().contains("magic"));
        let mut wrong = to_npy(&sample());
        wrong[20..23].copy_from_slice(b"<f8");
        assert!(from_npy(&wrong).unwrap_err().contains("float32"));
    }

    #[test]
    fn csv_round_trips_bits() {
        let csv = to_csv(&sample());
        let mut lines = csv.lines();
        assert_eq!(lines.next(), Some("f0,f1,f2"));
        let parsed: Vec<f32> = lines.flat_map(|l| l.split(',').map(|v| v.parse::<f32>().unwrap())).collect();
        assert_eq!(parsed, sample().data);
    }

    #[test]
    fn sidecar_embeds_config() {
        let json = stapes_core::preset("yamnet").unwrap().to_json();
        let meta = Sidecar { config_json: &json, firmware: "simulated", started_ms: 1.0, ended_ms: 2.0, dropped: 3 };
        let text = sidecar(&sample(), &meta).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["shape"], serde_json::json!([2, 3]));
        assert_eq!(v["dropped_frames"], 3);
        let back = stapes_core::Config::from_json(v["config"].to_string().as_bytes()).unwrap();
        assert_eq!(back, stapes_core::preset("yamnet").unwrap());
        let bad = Sidecar { config_json: "{", ..meta };
        assert!(sidecar(&sample(), &bad).is_err());
    }
}
