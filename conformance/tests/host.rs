//! Host conformance run: prints one `name=hash` line per preset and writes them to `target/conformance/host.txt`
//! (or to `$STAPES_CONFORMANCE_OUT`), where `cargo xtask conformance` compares them with wasm32 and Cortex-M33.

use std::path::PathBuf;

#[test]
fn host_hashes() {
    let mut lines = String::new();
    let mut names: Vec<String> = Vec::new();
    stapes_conformance::run(&mut |name, hash| {
        assert!(
            !name.is_empty() && !name.contains(['=', '#']) && !name.contains(char::is_whitespace),
            "preset name {name:?} breaks the `name=hash` line format"
        );
        assert!(!names.iter().any(|n| n == name), "preset {name:?} reported twice");
        names.push(name.to_owned());
        lines.push_str(&format!("{name}={hash:016x}\n"));
    });
    assert!(!names.is_empty(), "stapes_conformance::run reported no preset");
    print!("{lines}");

    let out = out_path();
    std::fs::create_dir_all(out.parent().expect("output path has a parent")).expect("create output directory");
    std::fs::write(&out, lines).unwrap_or_else(|e| panic!("write {}: {e}", out.display()));
}

/// `$STAPES_CONFORMANCE_OUT`, else `<target dir>/conformance/host.txt`.
fn out_path() -> PathBuf {
    if let Some(path) = std::env::var_os("STAPES_CONFORMANCE_OUT") {
        return path.into();
    }
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().expect("CARGO_TARGET_TMPDIR is inside the target directory").join("conformance/host.txt")
}
