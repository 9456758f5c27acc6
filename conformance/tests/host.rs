//! Host conformance run: prints one `name=hash` line per preset and writes them to `target/conformance/host.txt`
//! (or to `$STAPES_CONFORMANCE_OUT`), where `cargo xtask conformance` compares them with the other targets; and
//! checks them against the committed table `conformance/hashes.txt`, so that a change of bits between commits fails
//! with the presets named until it is re-blessed on purpose: `STAPES_BLESS=1 cargo test -p stapes-conformance
//! --test host` (then say in the commit which presets changed and why).

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
    std::fs::write(&out, &lines).unwrap_or_else(|e| panic!("write {}: {e}", out.display()));
    check_committed(&lines);
}

/// The committed table of every preset's hash.
const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/hashes.txt");

/// Fails naming every preset whose bits differ from the committed table (or that is new, or gone), unless
/// `STAPES_BLESS` is set, which rewrites the table.
fn check_committed(lines: &str) {
    let stored = std::fs::read_to_string(COMMITTED).unwrap_or_default();
    if stored == lines {
        return;
    }
    if std::env::var_os("STAPES_BLESS").is_some() {
        std::fs::write(COMMITTED, lines).unwrap_or_else(|e| panic!("write {COMMITTED}: {e}"));
        return;
    }
    let table = |text: &str| -> Vec<(String, String)> {
        text.lines().filter_map(|l| l.split_once('=')).map(|(n, h)| (n.to_owned(), h.to_owned())).collect()
    };
    let (old, new) = (table(&stored), table(lines));
    let hash = |t: &[(String, String)], name: &str| t.iter().find(|(n, _)| n == name).map(|(_, h)| h.clone());
    let mut changes: Vec<String> = Vec::new();
    for (name, h) in &new {
        match hash(&old, name) {
            Some(was) if &was != h => changes.push(format!("{name}: {was} -> {h}")),
            Some(_) => {}
            None => changes.push(format!("{name}: new ({h})")),
        }
    }
    for (name, _) in &old {
        if hash(&new, name).is_none() {
            changes.push(format!("{name}: gone"));
        }
    }
    if changes.is_empty() {
        changes.push("same hashes, different order or format".to_owned());
    }
    panic!(
        "the output bits differ from {COMMITTED}:\n  {}\nA change of bits is deliberate and named: if it is, rerun \
         with STAPES_BLESS=1 and say in the commit which presets changed and why.",
        changes.join("\n  ")
    );
}

/// `$STAPES_CONFORMANCE_OUT`, else `<target dir>/conformance/host.txt`.
fn out_path() -> PathBuf {
    if let Some(path) = std::env::var_os("STAPES_CONFORMANCE_OUT") {
        return path.into();
    }
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().expect("CARGO_TARGET_TMPDIR is inside the target directory").join("conformance/host.txt")
}
