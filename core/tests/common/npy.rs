//! Minimal reader for the golden `.npy` files in `core/tests/golden/`.
//!
//! Supports exactly what `tools/golden/make_golden.py` writes: little-endian
//! float32 (`descr '<f4'`), C order (`fortran_order False`), format v1, v2 or
//! v3. No external crates.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::Path;

/// Directory holding the golden files (with trailing slash).
pub const GOLDEN_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/");

const MAGIC: &[u8] = b"\x93NUMPY";

/// Parse an in-memory `.npy` file into `(shape, data)` (data in C order).
pub fn parse_npy(bytes: &[u8]) -> Result<(Vec<usize>, Vec<f32>), String> {
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err("not an .npy file (bad magic)".into());
    }
    let major = bytes[6];
    let (header_len, header_start) = match major {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 => {
            if bytes.len() < 12 {
                return Err("truncated v2/v3 header".into());
            }
            (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12)
        }
        v => return Err(format!("unsupported .npy format version {v}.{}", bytes[7])),
    };
    let data_start = header_start + header_len;
    if bytes.len() < data_start {
        return Err(format!("truncated header: need {data_start} bytes, file has {}", bytes.len()));
    }
    let header =
        std::str::from_utf8(&bytes[header_start..data_start]).map_err(|_| "header is not UTF-8".to_string())?;

    let descr = dict_value(header, "descr")?;
    let descr = descr.trim_matches(|c| c == '\'' || c == '"');
    if descr != "<f4" {
        return Err(format!("dtype {descr:?} not supported (need '<f4', little-endian float32)"));
    }
    match dict_value(header, "fortran_order")? {
        "False" => {}
        "True" => return Err("fortran_order True not supported (need C order)".into()),
        v => return Err(format!("bad fortran_order value {v:?}")),
    }
    let shape = parse_shape(dict_value(header, "shape")?)?;

    let count: usize = shape.iter().product();
    let payload = &bytes[data_start..];
    if payload.len() != count * 4 {
        return Err(format!("payload is {} bytes, shape {:?} needs {} bytes", payload.len(), shape, count * 4));
    }
    let data = payload.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    Ok((shape, data))
}

/// The raw text of `key`'s value in the header dict (up to the next top-level ',' or '}').
fn dict_value<'a>(header: &'a str, key: &str) -> Result<&'a str, String> {
    let pos = header
        .find(&format!("'{key}'"))
        .or_else(|| header.find(&format!("\"{key}\"")))
        .ok_or_else(|| format!("header has no {key:?} key: {header:?}"))?;
    let rest = &header[pos + key.len() + 2..];
    let rest = rest.trim_start();
    let rest = rest.strip_prefix(':').ok_or_else(|| format!("no ':' after {key:?} in {header:?}"))?.trim_start();
    let end = if rest.starts_with('(') {
        rest.find(')').map(|i| i + 1).ok_or_else(|| format!("unterminated shape tuple in {header:?}"))?
    } else {
        rest.find([',', '}']).ok_or_else(|| format!("unterminated {key:?} value in {header:?}"))?
    };
    Ok(rest[..end].trim())
}

fn parse_shape(s: &str) -> Result<Vec<usize>, String> {
    let inner =
        s.strip_prefix('(').and_then(|s| s.strip_suffix(')')).ok_or_else(|| format!("shape {s:?} is not a tuple"))?;
    inner
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| t.parse::<usize>().map_err(|_| format!("bad shape dimension {t:?} in {s:?}")))
        .collect()
}

/// Read an `.npy` file; panics with a message naming the file on any error.
pub fn read_npy(path: &Path) -> (Vec<usize>, Vec<f32>) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("cannot read golden file {}: {e}", path.display()));
    parse_npy(&bytes).unwrap_or_else(|e| panic!("bad golden file {}: {e}", path.display()))
}

/// Load `core/tests/golden/<name>` (".npy" is appended if missing).
pub fn golden(name: &str) -> (Vec<usize>, Vec<f32>) {
    let file = if name.ends_with(".npy") { name.to_string() } else { format!("{name}.npy") };
    read_npy(Path::new(&format!("{GOLDEN_DIR}{file}")))
}

/// Expand an `(nnz, 3)` `[row, col, value]` triplet array to a dense row-major `rows x cols` matrix.
pub fn densify(name: &str, triplets: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    assert!(triplets.len().is_multiple_of(3), "{name}: sparse data length {} is not a multiple of 3", triplets.len());
    let mut dense = vec![0.0f32; rows * cols];
    for t in triplets.chunks_exact(3) {
        let (r, c) = (t[0], t[1]);
        assert!(
            r >= 0.0 && c >= 0.0 && r.fract() == 0.0 && c.fract() == 0.0 && (r as usize) < rows && (c as usize) < cols,
            "{name}: bad sparse index ({r}, {c}) for dense shape {rows}x{cols}"
        );
        dense[r as usize * cols + c as usize] = t[2];
    }
    dense
}

/// Load a `*.sparse.npy` filter matrix as a dense `rows x cols` matrix (dense shape from `files.txt`).
pub fn golden_sparse_dense(name: &str) -> (Vec<usize>, Vec<f32>) {
    let file = if name.ends_with(".npy") { name.to_string() } else { format!("{name}.npy") };
    let entry = golden_list()
        .into_iter()
        .find(|e| e.file == file)
        .unwrap_or_else(|| panic!("{file} is not listed in {GOLDEN_DIR}files.txt"));
    let dense_shape =
        entry.dense_shape.unwrap_or_else(|| panic!("{file} is not a sparse file (no dense= in files.txt)"));
    let (shape, data) = golden(&file);
    assert!(shape.len() == 2 && shape[1] == 3, "{file}: sparse array must be (nnz, 3), got {shape:?}");
    let dense = densify(&file, &data, dense_shape[0], dense_shape[1]);
    (dense_shape, dense)
}

/// One line of `files.txt`: `name shape [dense=RxC]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoldenEntry {
    pub file: String,
    pub shape: Vec<usize>,
    pub dense_shape: Option<Vec<usize>>,
}

fn parse_dims(file: &str, s: &str) -> Vec<usize> {
    s.split('x').map(|d| d.parse().unwrap_or_else(|_| panic!("files.txt: bad shape {s:?} for {file}"))).collect()
}

/// Parse `core/tests/golden/files.txt`.
pub fn golden_list() -> Vec<GoldenEntry> {
    let path = format!("{GOLDEN_DIR}files.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let mut it = line.split_whitespace();
            let file = it.next().unwrap().to_string();
            let shape = parse_dims(&file, it.next().unwrap_or_else(|| panic!("files.txt: no shape for {file}")));
            let dense_shape = it.next().map(|d| {
                let d = d.strip_prefix("dense=").unwrap_or_else(|| panic!("files.txt: bad token {d:?} for {file}"));
                parse_dims(&file, d)
            });
            GoldenEntry { file, shape, dense_shape }
        })
        .collect()
}
