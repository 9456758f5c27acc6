use stapes_core::{Pipeline, preset};
fn main() {
    let c = preset("yamnet").unwrap();
    let mut p = Pipeline::new_owned(&c).unwrap();
    let x: Vec<f32> = (0..160 * 2000).map(|i| ((i * 7919) % 1000) as f32 / 1000.0 - 0.5).collect();
    let mut acc = 0.0;
    for hop in x.chunks(160) {
        p.push(hop, &mut |f| acc += f.features[0]).unwrap();
    }
    println!("{acc}");
}
