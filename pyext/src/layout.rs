//! Output layout: Python gets librosa's feature-major `(n_features, n_frames)`, C-contiguous. Offline extraction
//! writes it directly; the streaming pipeline emits frame-major rows, transposed here.

use std::mem::MaybeUninit;

use numpy::ndarray::{Array2, Array3};
use numpy::{IntoPyArray, PyArray2, PyArray3};
use pyo3::prelude::*;

/// Square tiles for the transpose: a tile of each side fits in L1 together.
const TILE: usize = 32;

/// The transpose of `src` (`rows × cols`, row-major) as a new `cols × rows` vector.
///
/// Blocks of `TILE` source rows stay in L1 while each destination row gets `TILE` consecutive values.
pub fn transpose(src: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    assert_eq!(src.len(), rows * cols);
    let mut dst = vec![0.0; src.len()];
    if cols == 0 {
        return dst;
    }
    for (block, r0) in src.chunks(TILE * cols).zip((0..rows).step_by(TILE)) {
        for (c, dst_row) in dst.chunks_exact_mut(rows).enumerate() {
            let out = &mut dst_row[r0..r0 + block.len() / cols];
            for (d, src_row) in out.iter_mut().zip(block.chunks_exact(cols)) {
                *d = src_row[c];
            }
        }
    }
    dst
}

/// Fresh room for an output of `len` values that the core writes in full. It is left uninitialised: zeroing it
/// first would write it all twice. On Linux, outputs of 4 MiB and more are advised into transparent huge pages
/// before the core first writes them, as numpy does for its own large arrays: one page fault per 2 MiB instead of
/// one per 4 KiB (what each saves: `bench/RESULTS.md`).
pub(crate) struct Room(Vec<f32>, usize);

impl Room {
    pub(crate) fn new(len: usize) -> Self {
        let v = Vec::with_capacity(len);
        #[cfg(target_os = "linux")]
        if len * size_of::<f32>() >= 4 << 20 {
            const PAGE: usize = 4096;
            let start = (v.as_ptr() as usize).next_multiple_of(PAGE);
            let end = (v.as_ptr() as usize + len * size_of::<f32>()) / PAGE * PAGE;
            // SAFETY: the range lies inside `v`'s allocation; MADV_HUGEPAGE is only advice (it changes no
            // contents, and a kernel without transparent huge pages refuses it harmlessly).
            unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE) };
        }
        Room(v, len)
    }

    /// The `len` values, to be written.
    pub(crate) fn slots(&mut self) -> &mut [MaybeUninit<f32>] {
        &mut self.0.spare_capacity_mut()[..self.1]
    }

    /// The values once written.
    ///
    /// # Safety
    /// Every value of [`slots`](Self::slots) has been written.
    pub(crate) unsafe fn into_vec(mut self) -> Vec<f32> {
        // SAFETY: the capacity holds `len` values, all initialised (the caller's promise).
        unsafe { self.0.set_len(self.1) };
        self.0
    }
}

/// Feature-major values (`rows × cols`) as a numpy array, without copying.
pub(crate) fn array2(py: Python<'_>, data: Vec<f32>, rows: usize, cols: usize) -> Bound<'_, PyArray2<f32>> {
    Array2::from_shape_vec((rows, cols), data).expect("the caller passes rows × cols values").into_pyarray(py)
}

/// A batch of feature-major matrices (`batch × rows × cols`) as a numpy array, without copying.
pub(crate) fn array3(py: Python<'_>, data: Vec<f32>, shape: (usize, usize, usize)) -> Bound<'_, PyArray3<f32>> {
    Array3::from_shape_vec(shape, data).expect("the caller passes batch × rows × cols values").into_pyarray(py)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transposes_every_shape_around_the_tile_size() {
        for (rows, cols) in [(0, 5), (1, 1), (3, 70), (33, 64), (100, 7), (65, 33)] {
            let src: Vec<f32> = (0..rows * cols).map(|i| i as f32).collect();
            let t = transpose(&src, rows, cols);
            for r in 0..rows {
                for c in 0..cols {
                    assert_eq!(t[c * rows + r], src[r * cols + c]);
                }
            }
        }
    }
}
