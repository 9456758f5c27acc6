//! On the MCU: puts `memory.x` on the linker search path and links with cortex-m-rt's `link.x`. On every target:
//! the build identity the node reports in `info` (git hash and commit date, for reproducible builds) and the WebUSB
//! landing page (`STAPES_LANDING_URL`, default `http://127.0.0.1:8080`, where `cargo xtask dashboard` serves).

use std::process::Command;
use std::{env, fs, path::PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=STAPES_LANDING_URL");
    // A new commit changes HEAD (or the branch ref it points to).
    for head in ["../../.git/HEAD", "../../.git/refs/heads"] {
        println!("cargo:rerun-if-changed={head}");
    }

    let url = env::var("STAPES_LANDING_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".to_owned());
    println!("cargo:rustc-env=STAPES_LANDING_URL={url}");
    let hash = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=STAPES_GIT_HASH={hash}");
    let date = git(&["log", "-1", "--format=%cs"]).unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=STAPES_BUILD_DATE={date}");

    if env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("none") {
        return;
    }
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::copy("memory.x", out.join("memory.x")).expect("copy memory.x to OUT_DIR");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rustc-link-arg-bins=--nmagic");
    println!("cargo:rustc-link-arg-bins=-Tlink.x");
}

/// The trimmed stdout of `git args`, or `None` outside a git checkout.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_owned())
}
