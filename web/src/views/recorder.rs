//! Record and export: the next N seconds of features (and raw audio when the node streams it) to `.npy`, CSV and a
//! JSON sidecar; re-import of a `.npy`; and the parity check, which recomputes the recorded frames in the browser
//! from the recorded audio and shows the device vs browser difference (expected: exactly zero).

use leptos::prelude::*;
use leptos::task::spawn_local;
use stapes_protocol::{NodeSettings, SettingsSet, StreamStart, StreamStop};
use wasm_bindgen::JsCast;

use crate::app::Dash;
use crate::download;
use crate::export::{self, Recording, Sidecar};
use crate::live::{Take, parity};
use crate::session::{CallError, decode};

/// A finished (or imported) recording and what the sidecar says about it.
#[derive(Clone)]
struct Saved {
    rec: Recording,
    /// Raw audio (`sample / 32768`) from the stream's first sample, when the node streamed audio.
    audio: Vec<f32>,
    firmware: String,
    ended_ms: f64,
}

/// What the recorder is doing.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Idle,
    Recording,
    Parity,
}

/// The record / export / parity panel.
#[component]
pub fn Recorder() -> impl IntoView {
    let dash = expect_context::<Dash>();
    let (seconds, set_seconds) = signal(2.0f64);
    let (mode, set_mode) = signal(Mode::Idle);
    let (status, set_status) = signal(String::new());
    let (result, set_result) = signal(String::new());
    let recording = StoredValue::new_local(None::<Saved>);
    let (ready, set_ready) = signal(false);
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    Effect::new(move |_| {
        if let (true, Some(canvas)) = (ready.get(), canvas.get()) {
            recording.with_value(|r| {
                if let Some(saved) = r {
                    crate::heatmap::draw(&canvas, saved.rec.n_features, &saved.rec.data);
                }
            });
        }
    });

    let frames_wanted = move |settings: &NodeSettings| {
        let c = &settings.config;
        ((seconds.get_untracked() * f64::from(c.sample_rate) / f64::from(c.frames.hop_length)).round() as usize).max(1)
    };
    let begin = move |parity_run: bool| {
        let (Some(session), Some(settings)) = (dash.session(), dash.node_settings.get_untracked()) else {
            return set_status.set("connect a node first".to_owned());
        };
        let want = frames_wanted(&settings);
        set_ready.set(false);
        set_result.set(String::new());
        set_mode.set(if parity_run { Mode::Parity } else { Mode::Recording });
        set_status.set(format!("recording {want} frames…"));
        spawn_local(async move {
            let result = async {
                if parity_run {
                    // The browser needs the audio from the first sample of a fresh stream.
                    let mut settings = settings.clone();
                    if !settings.streams.audio {
                        settings.streams.audio = true;
                        decode::<SettingsSet>(&session.call::<SettingsSet>(&settings).await?)?;
                        dash.node_settings.set(Some(settings.clone()));
                    }
                    decode::<StreamStop>(&session.call::<StreamStop>(&()).await?)?;
                    dash.live.get_value().borrow_mut().take = Some(Take::new(settings.config.n_features(), want));
                    dash.live.get_value().borrow_mut().restart();
                    decode::<StreamStart>(&session.call::<StreamStart>(&()).await?)?;
                } else {
                    dash.live.get_value().borrow_mut().take = Some(Take::new(settings.config.n_features(), want));
                }
                Ok::<_, CallError>(())
            }
            .await;
            if let Err(e) = result {
                set_mode.set(Mode::Idle);
                set_status.set(format!("could not start: {e}"));
            }
        });
        recording.set_value(None);
    };

    // Finish when the take is complete (checked as data arrives).
    Effect::new(move |_| {
        dash.arrivals.get();
        let current = mode.get_untracked();
        if current == Mode::Idle {
            return;
        }
        let live = dash.live.get_value();
        let done = live.borrow().take.as_ref().is_some_and(Take::is_done);
        if !done {
            return;
        }
        let Some(take) = live.borrow_mut().take.take() else { return };
        set_mode.set(Mode::Idle);
        let Some(settings) = dash.node_settings.get_untracked() else { return };
        if current == Mode::Parity {
            match parity(&settings.config, &take) {
                Ok(p) => set_result.set(format!(
                    "parity: {} frames compared, {} bit-identical, max |device − browser| = {}",
                    p.frames, p.identical, p.max_abs_diff
                )),
                Err(e) => set_result.set(format!("parity: {e}")),
            }
        }
        let firmware = dash.info.get_untracked().map_or("unknown".to_owned(), |i| i.firmware_version);
        let audio = if take.first_sample == Some(0) { take.samples } else { Vec::new() };
        let rec = Recording { n_features: take.n_features, data: take.features };
        set_status.set(format!("recorded {} frames × {} features", rec.n_frames(), rec.n_features));
        recording.set_value(Some(Saved { rec, audio, firmware, ended_ms: js_sys::Date::now() }));
        set_ready.set(true);
    });

    let save = move |format: &'static str| {
        let Some(Saved { rec, audio, firmware, ended_ms: ended }) = recording.get_value() else { return };
        let Some(settings) = dash.node_settings.get_untracked() else { return };
        match format {
            "npy" => download::save("stapes-features.npy", "application/octet-stream", &export::to_npy(&rec)),
            "audio" => download::save("stapes-audio.npy", "application/octet-stream", &export::to_npy_1d(&audio)),
            "csv" => download::save("stapes-features.csv", "text/csv", export::to_csv(&rec).as_bytes()),
            _ => {
                let hop_ms =
                    f64::from(settings.config.frames.hop_length) * 1000.0 / f64::from(settings.config.sample_rate);
                let meta = Sidecar {
                    config_json: &settings.config.to_json(),
                    firmware: &firmware,
                    started_ms: ended - rec.n_frames() as f64 * hop_ms,
                    ended_ms: ended,
                    dropped: dash.live.get_value().borrow().features.dropped,
                };
                match export::sidecar(&rec, &meta) {
                    Ok(json) => download::save("stapes-features.json", "application/json", json.as_bytes()),
                    Err(e) => set_status.set(e),
                }
            }
        }
    };
    let import = move |e: web_sys::Event| {
        let Some(file) = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .and_then(|i| i.files())
            .and_then(|f| f.get(0))
        else {
            return;
        };
        spawn_local(async move {
            let Ok(buffer) = wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await else {
                return set_status.set("import: the file could not be read".to_owned());
            };
            let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
            match export::from_npy(&bytes) {
                Ok(rec) => {
                    set_status.set(format!("imported {} frames × {} features", rec.n_frames(), rec.n_features));
                    let firmware = "imported".to_owned();
                    recording.set_value(Some(Saved {
                        rec,
                        audio: Vec::new(),
                        firmware,
                        ended_ms: js_sys::Date::now(),
                    }));
                    set_ready.set(true);
                }
                Err(e) => set_status.set(format!("import: {e}")),
            }
        });
    };

    view! {
        <section id="recorder" class="panel">
            <h2>"Record"</h2>
            <div class="controls">
                <label>"seconds "
                    <input type="number" min="0.1" max="60" step="0.1" prop:value=move || seconds.get().to_string()
                        on:change=move |e| set_seconds.set(event_target_value(&e).parse().unwrap_or(2.0)) />
                </label>
                <button id="record" on:click=move |_| begin(false) prop:disabled=move || mode.get() != Mode::Idle>
                    "Record"
                </button>
                <button id="parity" on:click=move |_| begin(true) prop:disabled=move || mode.get() != Mode::Idle>
                    "Parity check"
                </button>
            </div>
            <p id="recorder-status">{status}</p>
            <p id="parity-result">{result}</p>
            <Show when=move || ready.get()>
                <div class="controls">
                    <button id="save-npy" on:click=move |_| save("npy")>".npy"</button>
                    <button id="save-csv" on:click=move |_| save("csv")>"CSV"</button>
                    <button id="save-json" on:click=move |_| save("json")>"JSON sidecar"</button>
                    <Show when=move || { ready.get(); recording.with_value(|r| r.as_ref().is_some_and(|s| !s.audio.is_empty())) }>
                        <button id="save-audio" on:click=move |_| save("audio")>"raw audio .npy"</button>
                    </Show>
                </div>
            </Show>
            <label class="file">"Re-import .npy " <input type="file" accept=".npy" on:change=import /></label>
            <canvas node_ref=canvas id="recording" width="600" height="64"></canvas>
        </section>
    }
}
