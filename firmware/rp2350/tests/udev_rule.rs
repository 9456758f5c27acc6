//! The Linux udev rule (`firmware/*.rules`) does what its header promises: its number sorts before systemd's
//! `73-seat-late.rules` (where the "uaccess" tag becomes an ACL), no rule line puts GROUP and uaccess together (a GROUP
//! refused by udev must not take the user's access with it), both devices get a uaccess line, `udevadm verify`
//! accepts it where this udev has that command, and the README and flasher name the file that exists.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use stapes_firmware::usb::{PID, VID};

/// The number of systemd's `73-seat-late.rules`: a uaccess tag must be set by a file that sorts before it.
const SEAT_LATE: u32 = 73;

/// The repository's `firmware/` directory.
fn firmware_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The one `.rules` file in `firmware/`.
fn rule_file() -> PathBuf {
    let rules: Vec<PathBuf> = fs::read_dir(firmware_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rules"))
        .collect();
    assert_eq!(rules.len(), 1, "expected exactly one udev rule file in firmware/: {rules:?}");
    rules.into_iter().next().unwrap()
}

/// The rule lines of a rules file: comments and blank lines dropped, backslash continuations joined.
fn rule_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if current.is_empty() && (trimmed.is_empty() || trimmed.starts_with('#')) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(head) => {
                current.push_str(head);
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                lines.push(std::mem::take(&mut current));
            }
        }
    }
    assert!(current.is_empty(), "the rule file ends inside a continued line: {current}");
    lines
}

#[test]
fn the_rule_sorts_before_seat_late_so_uaccess_takes_effect() {
    let path = rule_file();
    let name = path.file_name().unwrap().to_str().unwrap();
    let number: u32 = name
        .split_once('-')
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or_else(|| panic!("{name}: a udev rule file name starts with its number, as in 60-picotool.rules"));
    assert!(
        number < SEAT_LATE,
        "{name}: numbered {number}, so its uaccess tag comes after 73-seat-late.rules and does nothing"
    );
}

#[test]
fn no_line_puts_group_and_uaccess_together_and_both_devices_get_uaccess() {
    let text = fs::read_to_string(rule_file()).unwrap();
    let lines = rule_lines(&text);
    for line in &lines {
        assert!(
            !(line.contains("GROUP") && line.contains("uaccess")),
            "a rule with GROUP and uaccess loses the uaccess when udev refuses the group: {line}"
        );
    }
    let vendor = |v: u16| format!("ATTRS{{idVendor}}==\"{v:04x}\"");
    let product = |p: u16| format!("ATTRS{{idProduct}}==\"{p:04x}\"");
    // The node, and the RP2350 boot ROM the page flashes through.
    for (v, p) in [(VID, PID), (0x2e8a, 0x000f)] {
        let uaccess = lines.iter().any(|l| {
            l.contains("SUBSYSTEM==\"usb\"")
                && l.contains(&vendor(v))
                && l.contains(&product(p))
                && l.contains("TAG+=\"uaccess\"")
        });
        assert!(uaccess, "no uaccess rule for {v:04x}:{p:04x}");
    }
}

#[test]
fn the_readme_and_the_flasher_name_the_rule_file_that_exists() {
    let name = rule_file().file_name().unwrap().to_str().unwrap().to_owned();
    let root = firmware_dir().join("..");
    for source in ["README.md", "flasher/src/web.rs", "firmware/rp2350/src/usb.rs"] {
        let text = fs::read_to_string(root.join(source)).unwrap();
        let named: Vec<&str> = text
            .split(|c: char| c.is_whitespace() || c == '`' || c == '|' || c == ',' || c == ')')
            .filter(|w| w.starts_with("firmware/") && w.ends_with(".rules"))
            .collect();
        assert!(!named.is_empty(), "{source} no longer names the udev rule");
        for n in named {
            assert_eq!(n, format!("firmware/{name}"), "{source} names a rule file that does not exist");
        }
    }
}

#[test]
fn udevadm_verify_accepts_the_rule_where_available() {
    // `udevadm verify` exists from systemd 254 on; on older systems (Debian 12 ships 252) and without udev this
    // check cannot run, and says so.
    let available = Command::new("udevadm").args(["verify", "--help"]).output().is_ok_and(|o| o.status.success());
    if !available {
        eprintln!("udevadm verify is not available here: the rule's syntax was not checked by udev");
        return;
    }
    let out = Command::new("udevadm").arg("verify").arg(rule_file()).output().unwrap();
    assert!(
        out.status.success(),
        "udevadm verify refused the rule:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
