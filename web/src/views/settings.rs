//! Settings: preset picker, the main fields and the whole config as JSON, validated live by the node's own check
//! (the core's `validate()` plus what the node can run); the mel filterbank they give; the diff against the node;
//! write (persisted, read back), reset, export and import of the config JSON (what `stapes.Config.from_json` reads).

use leptos::html::Canvas;
use leptos::prelude::*;
use leptos::task::spawn_local;
use stapes_core::Config;
use stapes_protocol::{NodeSettings, SettingsGet, SettingsReset, SettingsSet, StreamStart};
use wasm_bindgen::JsCast;

use crate::app::Dash;
use crate::session::{CallError, decode};

/// A numeric field of the config: label, getter, setter.
struct Field {
    label: &'static str,
    get: fn(&Config) -> Option<f64>,
    set: fn(&mut Config, f64),
}

const FIELDS: [Field; 8] = [
    Field { label: "sample_rate", get: |c| Some(c.sample_rate.into()), set: |c, v| c.sample_rate = v as u32 },
    Field { label: "frames.n_fft", get: |c| Some(c.frames.n_fft.into()), set: |c, v| c.frames.n_fft = v as u32 },
    Field {
        label: "frames.win_length",
        get: |c| Some(c.frames.win_length.into()),
        set: |c, v| c.frames.win_length = v as u32,
    },
    Field {
        label: "frames.hop_length",
        get: |c| Some(c.frames.hop_length.into()),
        set: |c, v| c.frames.hop_length = v as u32,
    },
    Field {
        label: "mel.n_mels",
        get: |c| c.mel.map(|m| m.n_mels.into()),
        set: |c, v| {
            if let Some(m) = &mut c.mel {
                m.n_mels = v as u32
            }
        },
    },
    Field {
        label: "mel.fmin",
        get: |c| c.mel.map(|m| m.fmin.into()),
        set: |c, v| {
            if let Some(m) = &mut c.mel {
                m.fmin = v as f32
            }
        },
    },
    Field {
        label: "mel.fmax",
        get: |c| c.mel.map(|m| m.fmax.into()),
        set: |c, v| {
            if let Some(m) = &mut c.mel {
                m.fmax = v as f32
            }
        },
    },
    Field {
        label: "mfcc.n_mfcc",
        get: |c| c.mfcc.map(|m| m.n_mfcc.into()),
        set: |c, v| {
            if let Some(m) = &mut c.mfcc {
                m.n_mfcc = v as u32
            }
        },
    },
];

/// Differences between two configs as `path: node → form` lines (their JSON trees compared leaf by leaf).
pub fn diff(node: &Config, form: &Config) -> Vec<String> {
    fn walk(path: &str, a: &serde_json::Value, b: &serde_json::Value, out: &mut Vec<String>) {
        match (a, b) {
            (serde_json::Value::Object(x), serde_json::Value::Object(y)) => {
                let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
                keys.sort();
                keys.dedup();
                for k in keys {
                    let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                    let null = serde_json::Value::Null;
                    walk(&p, x.get(k).unwrap_or(&null), y.get(k).unwrap_or(&null), out);
                }
            }
            _ if a != b => out.push(format!("{path}: {a} → {b}")),
            _ => {}
        }
    }
    let mut out = Vec::new();
    let (a, b) = (serde_json::to_value(node), serde_json::to_value(form));
    if let (Ok(a), Ok(b)) = (a, b) {
        walk("", &a, &b, &mut out);
    }
    out
}

/// The settings panel.
#[component]
pub fn SettingsPanel() -> impl IntoView {
    let dash = expect_context::<Dash>();
    let (json, set_json) = signal(String::new());
    let (status, set_status) = signal(String::new());
    let (busy, set_busy) = signal(false);
    // The node's stream options (not part of the core config), following the node like the JSON does.
    let streams = RwSignal::new(stapes_node::settings::defaults().streams);
    let plot = NodeRef::<Canvas>::new();

    // The form follows the node until the user edits it.
    Effect::new(move |_| {
        if let Some(s) = dash.node_settings.get() {
            set_json.set(s.config.to_json());
            streams.set(s.streams);
        }
    });
    // Parsed without validation, so the fields stay editable while the config is invalid.
    let parsed =
        Memo::new(move |_| serde_json::from_str::<Config>(&json.get()).map_err(|e| format!("config JSON: {e}")));
    let settings = move || -> Result<NodeSettings, String> {
        let config = parsed.get()?;
        let mut s = dash.node_settings.get().unwrap_or_else(stapes_node::settings::defaults);
        s.config = config;
        s.streams = streams.get();
        stapes_node::settings::check(&s).map_err(|r| format!("{}: {r}", r.field()))?;
        Ok(s)
    };
    let validity = move || match settings() {
        Ok(_) => "valid".to_owned(),
        Err(e) => e,
    };
    let changes = move || match (dash.node_settings.get(), parsed.get()) {
        (Some(node), Ok(form)) => diff(&node.config, &form),
        _ => Vec::new(),
    };
    Effect::new(move |_| {
        if let (Some(canvas), Ok(config)) = (plot.get(), parsed.get()) {
            draw_filterbank(&canvas, &config);
        }
    });

    let edit = move |f: fn(&mut Config, f64), value: String| {
        let Ok(mut config) = parsed.get_untracked() else { return };
        match value.trim().parse::<f64>() {
            Ok(v) => {
                f(&mut config, v);
                set_json.set(config.to_json());
            }
            Err(_) => set_status.set(format!("`{value}` is not a number")),
        }
    };
    let pick_preset = move |name: String| {
        if let Some(config) = stapes_core::preset(&name) {
            // The node streams: presets with utterance normalisation run in their streaming form.
            set_json.set(config.streamable().to_json());
        }
    };
    let write = move |_| {
        let Some(session) = dash.session() else { return set_status.set("not connected".to_owned()) };
        let wanted = match settings() {
            Ok(s) => s,
            Err(e) => return set_status.set(format!("refused: {e}")),
        };
        set_busy.set(true);
        spawn_local(async move {
            let result = async {
                let reply = session.call::<SettingsSet>(&wanted).await?;
                let applied = decode::<SettingsSet>(&reply)?;
                let back = session.call::<SettingsGet>(&()).await?;
                let back = decode::<SettingsGet>(&back)?;
                if back != wanted {
                    return Err(CallError::Transport("the node read back other settings than were written".into()));
                }
                dash.node_settings.set(Some(back));
                if applied.stream_stopped {
                    dash.live.get_value().borrow_mut().restart();
                    decode::<StreamStart>(&session.call::<StreamStart>(&()).await?)?;
                }
                Ok::<_, CallError>(applied.config_hash)
            }
            .await;
            set_busy.set(false);
            match result {
                Ok(hash) => set_status.set(format!("written and read back (config hash {hash:08x})")),
                Err(e) => set_status.set(format!("refused: {e}")),
            }
        });
    };
    let reset = move |_| {
        let Some(session) = dash.session() else { return set_status.set("not connected".to_owned()) };
        spawn_local(async move {
            let result = async {
                let applied = decode::<SettingsReset>(&session.call::<SettingsReset>(&()).await?)?;
                let back = decode::<SettingsGet>(&session.call::<SettingsGet>(&()).await?)?;
                dash.node_settings.set(Some(back));
                if applied.stream_stopped {
                    dash.live.get_value().borrow_mut().restart();
                    decode::<StreamStart>(&session.call::<StreamStart>(&()).await?)?;
                }
                Ok::<_, CallError>(())
            }
            .await;
            match result {
                Ok(()) => set_status.set("reset to the node's defaults".to_owned()),
                Err(e) => set_status.set(format!("reset failed: {e}")),
            }
        });
    };
    let export = move |_| {
        if let Ok(config) = parsed.get_untracked() {
            crate::download::save("stapes-config.json", "application/json", config.to_json().as_bytes());
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
            match wasm_bindgen_futures::JsFuture::from(file.text()).await.ok().and_then(|t| t.as_string()) {
                Some(text) => match Config::from_json(text.as_bytes()) {
                    Ok(config) => set_json.set(config.to_json()),
                    Err(e) => set_status.set(format!("import: {e}")),
                },
                None => set_status.set("import: the file could not be read".to_owned()),
            }
        });
    };

    view! {
        <section id="settings" class="panel">
            <h2>"Settings"</h2>
            <label>"preset "
                <select on:change=move |e| pick_preset(event_target_value(&e))>
                    <option value="">"—"</option>
                    {stapes_core::preset::NAMES.map(|n| view! { <option value=n>{n}</option> }).collect_view()}
                </select>
            </label>
            <div class="fields">
                {FIELDS.iter().map(|field| {
                    let value = move || parsed.get().ok().and_then(|c| (field.get)(&c)).map(|v| v.to_string());
                    view! {
                        <label>{field.label}" "
                            <input name=field.label prop:value=move || value().unwrap_or_default()
                                prop:disabled=move || value().is_none()
                                on:change=move |e| edit(field.set, event_target_value(&e)) />
                        </label>
                    }
                }).collect_view()}
            </div>
            <div class="controls streams">
                "streams: "
                {[("features", 0usize), ("scalars", 1), ("audio", 2), ("health", 3)].map(|(name, i)| {
                    let get = move |s: &stapes_protocol::Streams| [s.features, s.scalars, s.audio, s.health][i];
                    view! {
                        <label>
                            <input type="checkbox" name=format!("streams.{name}")
                                prop:checked=move || streams.with(get)
                                on:change=move |e| {
                                    let on = event_target_checked(&e);
                                    streams.update(|s| match i {
                                        0 => s.features = on,
                                        1 => s.scalars = on,
                                        2 => s.audio = on,
                                        _ => s.health = on,
                                    });
                                } />
                            {name}
                        </label>
                    }
                }).collect_view()}
            </div>
            <textarea id="config-json" rows="8" prop:value=json
                on:input=move |e| set_json.set(event_target_value(&e))></textarea>
            <p class="validity" class:invalid=move || settings().is_err()>{validity}</p>
            <canvas node_ref=plot id="filterbank" width="512" height="120"></canvas>
            <ul class="diff">{move || changes().into_iter().map(|d| view! { <li>{d}</li> }).collect_view()}</ul>
            <div class="controls">
                <button id="write" on:click=write prop:disabled=move || busy.get() || settings().is_err()>
                    "Write to node"
                </button>
                <button on:click=reset>"Reset to defaults"</button>
                <button on:click=export>"Export JSON"</button>
                <label class="file">"Import JSON "<input type="file" accept=".json" on:change=import /></label>
            </div>
            <p class="status" id="settings-status">{status}</p>
        </section>
    }
}

/// Plots each mel band's weights over the FFT bins.
fn draw_filterbank(canvas: &web_sys::HtmlCanvasElement, config: &Config) {
    let Some(ctx) =
        canvas.get_context("2d").ok().flatten().and_then(|c| c.dyn_into::<web_sys::CanvasRenderingContext2d>().ok())
    else {
        return;
    };
    let (w, h) = (f64::from(canvas.width()), f64::from(canvas.height()));
    ctx.clear_rect(0.0, 0.0, w, h);
    let Some(mel) = config.mel else { return };
    if config.validate().is_err() {
        return;
    }
    let n_fft = config.frames.n_fft as usize;
    let bins = n_fft / 2 + 1;
    let matrix = stapes_core::mel::matrix(&mel, config.sample_rate, n_fft);
    let peak = matrix.iter().copied().fold(0.0f32, f32::max).max(f32::MIN_POSITIVE);
    for (m, row) in matrix.chunks_exact(bins).enumerate() {
        ctx.set_stroke_style_str(&format!("hsl({}, 70%, 50%)", (m * 137) % 360));
        ctx.begin_path();
        for (k, &v) in row.iter().enumerate() {
            let x = k as f64 / (bins - 1).max(1) as f64 * w;
            let y = h - f64::from(v / peak) * (h - 2.0);
            if k == 0 { ctx.move_to(x, y) } else { ctx.line_to(x, y) }
        }
        ctx.stroke();
    }
}
