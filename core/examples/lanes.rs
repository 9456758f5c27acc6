//! Prints which lane type this CPU runs offline extraction in, how it was chosen, and each lane type's measured
//! time per frame: `cargo run --release -p stapes-core --example lanes` (`STAPES_LANES=baseline` pins it).

fn main() {
    let c = stapes_core::lane::choice::lane_choice();
    println!("lanes: {} ({}), measured in {:.2} ms", c.lanes, c.how.name(), c.measured_in.as_secs_f64() * 1e3);
    for t in &c.timings {
        println!("  {:<9} {:>7.1} ns/frame", t.lanes, t.ns_per_frame);
    }
    if let Some(note) = c.note {
        println!("note: {note}");
    }
}
