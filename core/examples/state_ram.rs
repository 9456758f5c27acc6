//! Prints the streaming state RAM of every preset: caller-owned storage plus the pipeline struct itself.

use stapes_core::{Pipeline, preset};

fn main() {
    println!("{:<14} {:>10} {:>10} {:>10}", "preset", "storage B", "struct B", "total KiB");
    for name in stapes_core::preset::NAMES {
        let mut c = preset(name).unwrap();
        c.normalize = stapes_core::config::Normalize::None;
        let storage = Pipeline::<&mut [f32]>::storage_len(&c).unwrap() * 4;
        let st = size_of::<Pipeline<&mut [f32]>>();
        println!("{name:<14} {storage:>10} {st:>10} {:>10.1}", (storage + st) as f64 / 1024.0);
    }
}
