//! The live view: a scrolling spectrogram (or MFCC heatmap) on a canvas, drawn once per animation frame with every
//! frame that arrived since, and the RMS/peak meter in dBFS. One canvas column per frame: the history length and
//! the time zoom set how many of the newest frames are drawn, so the canvas is redrawn whole when that count changes.

use std::cell::RefCell;
use std::rc::Rc;

use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, ImageData};

use crate::app::Dash;
use crate::colormap::{Colormap, to_db};
use crate::timeline::{HISTORY_SECONDS, Timeline, ZOOMS, band_at, frames_back};

/// The spectrogram, its colour window, and the level meter.
#[component]
pub fn LiveView() -> impl IntoView {
    let dash = expect_context::<Dash>();
    let canvas = NodeRef::<Canvas>::new();
    let (floor, set_floor) = signal(-60.0f32);
    let (ceiling, set_ceiling) = signal(40.0f32);
    let (paused, set_paused) = signal(false);
    let (auto, set_auto) = signal(false);
    let (timeline, set_timeline) = signal(Timeline::default());
    // `live.pushed` at the last draw: the cursor counts back from the newest frame drawn, not the newest received.
    let drawn_at = StoredValue::new(0u64);
    let colormap = Rc::new(Colormap::viridis());

    // The ring keeps the history length at the stream's frame rate (the scalar plots share it).
    Effect::new(move |_| {
        let timeline = timeline.get();
        let rate = dash.node_settings.with(|s| s.as_ref().map(|s| (s.config.sample_rate, s.config.frames.hop_length)));
        if let Some((sample_rate, hop)) = rate {
            dash.live.get_value().borrow_mut().set_capacity(timeline.ring(sample_rate, hop));
        }
    });

    // Redraw on every animation frame while mounted.
    let draw = {
        let colormap = colormap.clone();
        move || {
            let Some(canvas) = canvas.get_untracked() else { return };
            let settings = dash.node_settings.get_untracked();
            let Some(settings) = settings else { return };
            let config = &settings.config;
            let live = dash.live.get_value();
            let mut live = live.borrow_mut();
            let height = config.n_features();
            let shown = timeline.get_untracked().shown(config.sample_rate, config.frames.hop_length);
            // A new column count (history, zoom or hop changed) or band count: redraw every frame shown (also when
            // paused: the ring is frozen then, so zooming shows the frozen frames).
            let whole = canvas.width() as usize != shown || canvas.height() as usize != height;
            let n = live.undrawn;
            if n == 0 && !whole {
                return;
            }
            live.undrawn = 0;
            if whole {
                canvas.set_width(shown as u32);
            }
            let Some(ctx) = context(&canvas, height) else { return };
            let take = if whole { live.frames.len() } else { n }.min(shown);
            let mfcc = config.mfcc.is_some();
            let values = |frame: &[f32]| -> Vec<f32> {
                if mfcc { frame.to_vec() } else { frame.iter().map(|&v| to_db(v, config)).collect() }
            };
            let new: Vec<Vec<f32>> =
                live.frames.iter().skip(live.frames.len().saturating_sub(take)).map(|f| values(f)).collect();
            let (lo, hi) = if auto.get_untracked() || mfcc {
                let lo = new.iter().flatten().copied().fold(f32::INFINITY, f32::min);
                let hi = new.iter().flatten().copied().fold(f32::NEG_INFINITY, f32::max);
                (lo, hi.max(lo + 1e-3))
            } else {
                (floor.get_untracked(), ceiling.get_untracked())
            };
            let cols = new.len();
            let mut pixels = vec![0u8; cols * height * 4];
            for (x, frame) in new.iter().enumerate() {
                for (k, &v) in frame.iter().enumerate().take(height) {
                    // Low bands at the bottom.
                    let y = height - 1 - k;
                    let [r, g, b] = colormap.rgb(v, lo, hi);
                    let p = (y * cols + x) * 4;
                    pixels[p..p + 4].copy_from_slice(&[r, g, b, 255]);
                }
            }
            let width = canvas.width() as f64;
            if !whole {
                let _ = ctx.draw_image_with_html_canvas_element(&canvas, -(cols as f64), 0.0);
            }
            if let Ok(image) = ImageData::new_with_u8_clamped_array(Clamped(&pixels), cols as u32) {
                let _ = ctx.put_image_data(&image, width as i32 - cols as i32, 0);
            }
            live.rendered += n.min(shown) as u64;
            drawn_at.set_value(live.pushed);
        }
    };
    animation_loop(draw);

    let level = move || {
        dash.arrivals.get();
        dash.live.get_value().borrow().level
    };
    let meter_width = move || level().map_or(0.0, |l| ((l.rms_db + 60.0) / 60.0).clamp(0.0, 1.0) * 100.0);
    let meter_text = move || match level() {
        Some(l) => match l.peak_db {
            Some(peak) => format!("RMS {:.1} dBFS, peak {peak:.1} dBFS", l.rms_db),
            None => format!("RMS {:.1} dBFS", l.rms_db),
        },
        None => "level: turn on the audio stream or the rms scalar".to_owned(),
    };
    let what = move || match dash.node_settings.get() {
        Some(s) if s.config.mfcc.is_some() => {
            format!("MFCC heatmap ({} coefficients, auto scale)", s.config.n_features())
        }
        Some(s) if s.config.mel.is_some() => {
            format!("log-mel spectrogram ({} bands, dB of power)", s.config.n_features())
        }
        Some(s) => format!("log spectrogram ({} linear bins, dB of power)", s.config.n_features()),
        None => "no stream".to_owned(),
    };
    // The cursor: the value under the mouse (newest frame drawn at the right edge, lowest band at the bottom), read
    // against the canvas' own column and row counts so it agrees with what is drawn, also while paused.
    let (cursor, set_cursor) = signal(String::new());
    let read_cursor = move |e: web_sys::MouseEvent| {
        let (Some(canvas), Some(settings)) = (canvas.get_untracked(), dash.node_settings.get_untracked()) else {
            return;
        };
        let rect = canvas.get_bounding_client_rect();
        if rect.width() <= 0.0 || rect.height() <= 0.0 {
            return;
        }
        let fx = (e.client_x() - rect.left()) / rect.width();
        let fy = (e.client_y() - rect.top()) / rect.height();
        let (Some(back), Some(band)) =
            (frames_back(fx, canvas.width() as usize), band_at(fy, canvas.height() as usize))
        else {
            return set_cursor.set(String::new());
        };
        let live = dash.live.get_value();
        let live = live.borrow();
        let since = usize::try_from(live.pushed.saturating_sub(drawn_at.get_value())).unwrap_or(usize::MAX);
        let index = live.frames.len().checked_sub(since.saturating_add(back).saturating_add(1));
        let Some(frame) = index.and_then(|i| live.frames.get(i)) else {
            return set_cursor.set(String::new());
        };
        let Some(&value) = frame.get(band) else { return };
        let hop_ms = f64::from(settings.config.frames.hop_length) * 1000.0 / f64::from(settings.config.sample_rate);
        let shown = if settings.config.mfcc.is_some() {
            format!("{value:.3}")
        } else {
            format!("{:.1} dB (raw {value:.4})", to_db(value, &settings.config))
        };
        set_cursor.set(format!(
            "{:.0} ms ago, {} {band}: {shown}",
            back as f64 * hop_ms,
            if settings.config.mfcc.is_some() { "coefficient" } else { "band" }
        ));
    };
    view! {
        <section id="live" class="panel">
            <h2>"Live"</h2>
            <p class="what">{what}</p>
            <canvas node_ref=canvas id="spectrogram" width="1" height="64" on:mousemove=read_cursor
                on:mouseleave=move |_| set_cursor.set(String::new())></canvas>
            <p class="cursor">{cursor}</p>
            <super::scalars::ScalarPlot timeline />
            <div class="controls">
                <label>"floor dB "
                    <input type="range" min="-140" max="0" prop:value=move || floor.get().to_string()
                        on:input=move |e| set_floor.set(event_target_value(&e).parse().unwrap_or(-60.0)) />
                    {move || format!("{:.0}", floor.get())}
                </label>
                <label>"ceiling dB "
                    <input type="range" min="-100" max="80" prop:value=move || ceiling.get().to_string()
                        on:input=move |e| set_ceiling.set(event_target_value(&e).parse().unwrap_or(40.0)) />
                    {move || format!("{:.0}", ceiling.get())}
                </label>
                <label><input type="checkbox" prop:checked=auto
                    on:change=move |e| set_auto.set(event_target_checked(&e)) />" auto scale"</label>
                <label>"history "
                    <select id="history" on:change=move |e| {
                        let seconds = event_target_value(&e).parse().unwrap_or(Timeline::default().seconds);
                        set_timeline.update(|t| t.seconds = seconds);
                    }>
                        {HISTORY_SECONDS.map(|s| view! {
                            <option value=s.to_string() selected=move || timeline.get().seconds == s>{format!("{s} s")}</option>
                        })}
                    </select>
                </label>
                <label>"zoom "
                    <select id="zoom" on:change=move |e| {
                        let zoom = event_target_value(&e).parse().unwrap_or(1);
                        set_timeline.update(|t| t.zoom = zoom);
                    }>
                        {ZOOMS.map(|z| view! {
                            <option value=z.to_string() selected=move || timeline.get().zoom == z>{format!("{z}×")}</option>
                        })}
                    </select>
                </label>
                <button on:click=move |_| {
                    set_paused.update(|p| *p = !*p);
                    dash.live.get_value().borrow_mut().set_frozen(paused.get_untracked());
                    // Resumed on an empty ring: redraw the canvas whole (blank) rather than scroll the old frames.
                    // Pausing keeps the canvas as drawn.
                    if let Some(canvas) = canvas.get_untracked().filter(|_| !paused.get_untracked()) {
                        canvas.set_width(0);
                    }
                }>
                    {move || if paused.get() { "Resume" } else { "Pause" }}
                </button>
            </div>
            <div class="meter" title=meter_text>
                <div class="meter-bar" style:width=move || format!("{:.1}%", meter_width())></div>
            </div>
            <p class="meter-text">{meter_text}</p>
        </section>
    }
}

/// The canvas' 2D context, with its height set to `rows` (clearing it) when the feature count changed.
fn context(canvas: &web_sys::HtmlCanvasElement, rows: usize) -> Option<CanvasRenderingContext2d> {
    if canvas.height() as usize != rows {
        canvas.set_height(rows as u32);
    }
    canvas.get_context("2d").ok()??.dyn_into().ok()
}

/// A closure that schedules itself.
type Frame = Rc<RefCell<Option<Closure<dyn FnMut()>>>>;

/// Calls `f` on every animation frame, for the life of the page (the live view is never unmounted).
fn animation_loop(f: impl Fn() + 'static) {
    let step: Frame = Rc::new(RefCell::new(None));
    let next = step.clone();
    *step.borrow_mut() = Some(Closure::new(move || {
        f();
        if let (Some(window), Some(cb)) = (web_sys::window(), next.borrow().as_ref()) {
            let _ = window.request_animation_frame(cb.as_ref().unchecked_ref());
        }
    }));
    if let (Some(window), Some(cb)) = (web_sys::window(), step.borrow().as_ref()) {
        let _ = window.request_animation_frame(cb.as_ref().unchecked_ref());
    }
}
