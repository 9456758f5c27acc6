//! Time plots of the per-frame scalars the config selects (rms, zcr, centroid, ...), each scaled to its own range
//! over the frames the live view's history and zoom show, redrawn at most 20 times a second.

use leptos::html::Canvas;
use leptos::prelude::*;
use stapes_core::config::Scalars;
use wasm_bindgen::JsCast;

use crate::app::Dash;
use crate::timeline::Timeline;

/// Line colours, one per scalar in `Scalars::NAMES` order.
const COLOURS: [&str; 7] = ["#2c7", "#d80", "#39f", "#c4c", "#d33", "#999", "#8b4"];

/// The scalar plots (shown when the stream carries scalars).
#[component]
pub fn ScalarPlot(
    /// The live view's window: the plot spans the same frames as the spectrogram above it.
    timeline: ReadSignal<Timeline>,
) -> impl IntoView {
    let dash = expect_context::<Dash>();
    let canvas = NodeRef::<Canvas>::new();
    let last_draw = StoredValue::new(0.0f64);
    let names = move || {
        let selected = dash.node_settings.with(|s| s.as_ref().map(|s| s.config.scalars.flags()));
        let flags = selected.unwrap_or_default();
        Scalars::NAMES
            .into_iter()
            .zip(COLOURS)
            .zip(flags)
            .filter(|(_, on)| *on)
            .map(|(pair, _)| pair)
            .collect::<Vec<_>>()
    };
    Effect::new(move |_| {
        dash.arrivals.get();
        let timeline = timeline.get();
        let now = js_sys::Date::now();
        if now - last_draw.get_value() < 50.0 {
            return;
        }
        last_draw.set_value(now);
        let Some(canvas) = canvas.get_untracked() else { return };
        let rate = dash
            .node_settings
            .with_untracked(|s| s.as_ref().map(|s| (s.config.sample_rate, s.config.frames.hop_length)));
        let Some((sample_rate, hop)) = rate else { return };
        let shown = timeline.shown(sample_rate, hop);
        let live = dash.live.get_value();
        let live = live.borrow();
        let history = &live.scalars_history;
        let newest: Vec<&[f32]> = history.iter().skip(history.len().saturating_sub(shown)).map(|f| &f[..]).collect();
        draw(&canvas, &newest, shown, &names_untracked(dash));
    });
    view! {
        <Show when=move || dash.node_settings.with(|s| s.as_ref().is_some_and(|s| s.streams.scalars))>
            <div class="scalars">
                <canvas node_ref=canvas id="scalars" width="1000" height="120"></canvas>
                <p class="legend">
                    {move || names().into_iter().map(|(n, c)| view! { <span style:color=c>{n}" "</span> }).collect_view()}
                </p>
            </div>
        </Show>
    }
}

fn names_untracked(dash: Dash) -> Vec<&'static str> {
    dash.node_settings.with_untracked(|s| s.as_ref().map_or(Vec::new(), |s| s.config.scalars.selected().collect()))
}

/// Draws `history` (the newest frames, at most `shown`) right-aligned over `shown` frame slots.
fn draw(canvas: &web_sys::HtmlCanvasElement, history: &[&[f32]], shown: usize, names: &[&str]) {
    let Some(ctx) =
        canvas.get_context("2d").ok().flatten().and_then(|c| c.dyn_into::<web_sys::CanvasRenderingContext2d>().ok())
    else {
        return;
    };
    let (w, h) = (f64::from(canvas.width()), f64::from(canvas.height()));
    ctx.clear_rect(0.0, 0.0, w, h);
    let start = shown.saturating_sub(history.len());
    for (k, name) in names.iter().enumerate() {
        let colour = Scalars::NAMES.iter().position(|n| n == name).map_or("#888", |i| COLOURS[i]);
        let values = history.iter().filter_map(|f| f.get(k).copied()).filter(|v| v.is_finite());
        let (lo, hi) = values.fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
        let span = f64::from(hi - lo).max(1e-12);
        ctx.set_stroke_style_str(colour);
        ctx.begin_path();
        for (x, frame) in history.iter().enumerate() {
            let Some(&v) = frame.get(k) else { continue };
            let y = h - 2.0 - f64::from(v - lo) / span * (h - 4.0);
            let px = (start + x) as f64 / shown.max(1) as f64 * w;
            if x == 0 { ctx.move_to(px, y) } else { ctx.line_to(px, y) }
        }
        ctx.stroke();
    }
}
