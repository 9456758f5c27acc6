//! File analysis: drop (or pick) a WAV file, choose a preset, see its features computed here by the core (the same
//! code as the node and Python), export them as `.npy`. Needs no node and no WebUSB.

use leptos::html::Canvas;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use crate::export::{self, Recording};
use crate::wav::{self, Wav};

/// The file-analysis panel.
#[component]
pub fn FileAnalysis() -> impl IntoView {
    let (preset, set_preset) = signal("whisper-80".to_owned());
    let (status, set_status) = signal(String::new());
    let audio = StoredValue::new_local(None::<(String, Wav)>);
    let (loaded, set_loaded) = signal(0u32);
    let features = StoredValue::new_local(None::<Recording>);
    let canvas = NodeRef::<Canvas>::new();

    // Audio resampled to a preset's rate, kept for the file it came from: (file number, rate, samples).
    let resampled = StoredValue::new_local(None::<(u32, u32, Vec<f32>)>);

    // Recompute when the file or the preset changes.
    Effect::new(move |_| {
        let file_number = loaded.get();
        let name = preset.get();
        let Some((file, wav)) = audio.get_value() else { return };
        let Some(config) = stapes_core::preset(&name) else { return };
        // The preset's own rate: a file at another rate is resampled to it (the core's resampler, the same samples
        // as `stapes.extract(y, preset, sr=...)` gives in Python), never analysed at the wrong rate.
        let (from, to) = (wav.sample_rate, config.sample_rate);
        let seconds = wav.samples.len() as f64 / f64::from(from);
        let signal = if from == to {
            wav.samples.clone()
        } else if let Some((_, _, y)) = resampled.get_value().filter(|(n, r, _)| (*n, *r) == (file_number, to)) {
            y
        } else {
            match stapes_core::resample::resample(&wav.samples, from, to) {
                Ok(y) => {
                    resampled.set_value(Some((file_number, to, y.clone())));
                    y
                }
                Err(e) => {
                    features.set_value(None);
                    return set_status.set(format!(
                        "{file}: {from} Hz cannot be resampled to {name}'s {to} Hz ({e}); convert the file to a rate \
                         between 8 and 48 kHz first"
                    ));
                }
            }
        };
        let rate = if from == to { format!("{from} Hz") } else { format!("{from} Hz, resampled to {to} Hz") };
        match stapes_core::extract(&config, &signal) {
            Ok(f) => {
                let rec = Recording { n_features: f.n_features, data: f.data };
                set_status.set(format!(
                    "{file}: {seconds:.2} s at {rate} ({} ch) → {} frames × {} features ({name})",
                    wav.channels,
                    rec.n_frames(),
                    rec.n_features
                ));
                if let Some(canvas) = canvas.get_untracked() {
                    crate::heatmap::draw(&canvas, rec.n_features, &rec.data);
                }
                features.set_value(Some(rec));
            }
            Err(e) => {
                features.set_value(None);
                set_status.set(format!("{file}: {name} at {rate}: {e}"));
            }
        }
    });

    let open = move |file: web_sys::File| {
        let name = file.name();
        spawn_local(async move {
            let Ok(buffer) = wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await else {
                return set_status.set(format!("{name}: could not be read"));
            };
            match wav::decode(&js_sys::Uint8Array::new(&buffer).to_vec()) {
                Ok(wav) => {
                    audio.set_value(Some((name, wav)));
                    set_loaded.update(|n| *n += 1);
                }
                Err(e) => set_status.set(format!("{name}: {e}")),
            }
        });
    };
    let on_pick = move |e: web_sys::Event| {
        let input = e.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
        if let Some(file) = input.and_then(|i| i.files()).and_then(|f| f.get(0)) {
            open(file);
        }
    };
    let on_drop = move |e: web_sys::DragEvent| {
        e.prevent_default();
        if let Some(file) = e.data_transfer().and_then(|d| d.files()).and_then(|f| f.get(0)) {
            open(file);
        }
    };
    let export = move |_| {
        if let Some(rec) = features.get_value() {
            crate::download::save("stapes-file-features.npy", "application/octet-stream", &export::to_npy(&rec));
        }
    };

    view! {
        <section id="files" class="panel" on:dragover=|e: web_sys::DragEvent| e.prevent_default() on:drop=on_drop>
            <h2>"File analysis"</h2>
            <p>"Drop a WAV file here, or pick one. It stays in this browser."</p>
            <div class="controls">
                <input type="file" accept=".wav,audio/wav" on:change=on_pick />
                <select on:change=move |e| set_preset.set(event_target_value(&e))>
                    {stapes_core::preset::NAMES
                        .map(|n| view! { <option value=n selected=move || preset.get() == n>{n}</option> })
                        .collect_view()}
                </select>
                <button id="files-export" on:click=export>"Export .npy"</button>
            </div>
            <p id="files-status">{status}</p>
            <canvas node_ref=canvas id="file-features" width="600" height="80"></canvas>
        </section>
    }
}
