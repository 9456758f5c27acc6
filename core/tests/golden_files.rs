//! Sanity checks of the golden reference data itself (see core/tests/golden/README.md):
//! every file listed in files.txt / manifest.json loads with the listed shape.

mod common;

use common::npy::{self, GOLDEN_DIR};

#[test]
fn every_listed_file_loads_with_its_shape() {
    let list = npy::golden_list();
    assert!(!list.is_empty(), "files.txt is empty");
    for e in &list {
        let (shape, data) = npy::golden(&e.file);
        assert_eq!(shape, e.shape, "{}: shape in file vs files.txt", e.file);
        assert_eq!(data.len(), shape.iter().product::<usize>(), "{}", e.file);
        assert!(data.iter().all(|v| v.is_finite()), "{}: non-finite value", e.file);
        if let Some(dense) = &e.dense_shape {
            assert!(e.file.ends_with(".sparse.npy"), "{}: dense= on a non-sparse file", e.file);
            assert_eq!(shape.len(), 2, "{}", e.file);
            assert_eq!(shape[1], 3, "{}: sparse files are (nnz, 3)", e.file);
            assert_eq!(dense.len(), 2, "{}", e.file);
            let (dshape, d) = npy::golden_sparse_dense(&e.file);
            assert_eq!(&dshape, dense);
            let nnz = d.iter().filter(|v| **v != 0.0).count();
            assert_eq!(nnz, shape[0], "{}: duplicate or zero-valued triplets", e.file);
        } else {
            assert!(!e.file.ends_with(".sparse.npy"), "{}: sparse file without dense=", e.file);
        }
    }
}

#[test]
fn manifest_and_directory_agree_with_files_txt() {
    let list = npy::golden_list();
    let manifest = std::fs::read_to_string(format!("{GOLDEN_DIR}manifest.json")).expect("read manifest.json");
    for e in &list {
        assert!(manifest.contains(&format!("\"file\": \"{}\"", e.file)), "{} missing from manifest.json", e.file);
    }
    assert_eq!(manifest.matches("\"file\": ").count(), list.len(), "manifest.json and files.txt list different counts");
    for entry in std::fs::read_dir(GOLDEN_DIR).expect("read golden dir") {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".npy") {
            assert!(list.iter().any(|e| e.file == name), "{name} is in {GOLDEN_DIR} but not in files.txt");
        }
    }
}

#[test]
fn signals_are_on_the_int16_grid() {
    for (name, len) in
        [("sig_speech16", 16000), ("sig_music16", 16000), ("sig_speech22", 22050), ("sig_music22", 22050)]
    {
        let (shape, x) = npy::golden(name);
        assert_eq!(shape, vec![len], "{name}");
        let peak = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        assert!((0.5..=0.9).contains(&peak), "{name}: peak {peak}");
        assert!(x.iter().all(|v| (v * 32768.0).fract() == 0.0), "{name}: sample off the int16 grid");
    }
}

fn npy_bytes(major: u8, header: &str, data: &[f32]) -> Vec<u8> {
    let mut out = b"\x93NUMPY".to_vec();
    out.push(major);
    out.push(0);
    if major == 1 {
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    }
    out.extend_from_slice(header.as_bytes());
    for v in data {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

#[test]
fn npy_parser_versions_and_errors() {
    let data = [1.0f32, -2.5, 3.25, 0.0, 5.0, 6.0];
    let h = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }          \n";
    assert_eq!(npy::parse_npy(&npy_bytes(1, h, &data)).unwrap(), (vec![2, 3], data.to_vec()));
    assert_eq!(npy::parse_npy(&npy_bytes(2, h, &data)).unwrap(), (vec![2, 3], data.to_vec()));
    let h1 = "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }\n";
    assert_eq!(npy::parse_npy(&npy_bytes(1, h1, &data)).unwrap().0, vec![6]);
    let h0 = "{'descr': '<f4', 'fortran_order': False, 'shape': (), }\n";
    assert_eq!(npy::parse_npy(&npy_bytes(1, h0, &data[..1])).unwrap().0, Vec::<usize>::new());

    let bad = [
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }\n",
        "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }\n",
        "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }\n",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), }\n",
        "{'descr': '<f4', 'fortran_order': False}\n",
    ];
    for h in bad {
        assert!(npy::parse_npy(&npy_bytes(1, h, &data)).is_err(), "accepted {h:?}");
    }
    assert!(npy::parse_npy(b"not numpy").is_err());
}
