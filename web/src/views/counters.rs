//! Stream counters: frames/s, dropped frames (from sequence numbers), frames rendered vs received, node health.

use leptos::prelude::*;

use crate::app::Dash;
use crate::live::Rate;

/// Counters, refreshed twice a second.
#[component]
pub fn Counters() -> impl IntoView {
    let dash = expect_context::<Dash>();
    let (text, set_text) = signal(Vec::<(&'static str, String)>::new());
    let rate = StoredValue::new_local(Rate::default());
    let refresh = move || {
        let now = web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now());
        let live = dash.live.get_value();
        let live = live.borrow();
        let received = live.features.received;
        let mut per_second = 0.0;
        rate.update_value(|r| {
            r.record(now, received);
            per_second = r.per_second();
        });
        let mut rows = vec![
            ("frames/s", format!("{per_second:.0}")),
            ("received", received.to_string()),
            ("dropped", live.features.dropped.to_string()),
            ("rendered", live.rendered.to_string()),
        ];
        if let Some(h) = live.health {
            let cpu = if h.frame_cycles_last == 0 {
                "n/a (simulated)".to_owned()
            } else {
                format!("{} cycles ({:.1} µs at 150 MHz)", h.frame_cycles_last, f64::from(h.frame_cycles_last) / 150.0)
            };
            rows.push(("node CPU/frame", cpu));
            rows.push(("node dropped msgs", h.dropped_messages.to_string()));
            rows.push(("node queue", format!("{}/{} B", h.queue_fill, h.queue_capacity)));
        }
        set_text.set(rows);
    };
    let handle = set_interval_with_handle(refresh, std::time::Duration::from_millis(500)).ok();
    on_cleanup(move || {
        if let Some(h) = handle {
            h.clear();
        }
    });
    view! {
        <section id="counters" class="panel">
            <h2>"Stream"</h2>
            <dl>
                {move || {
                    text.get()
                        .into_iter()
                        .map(|(k, v)| view! { <dt>{k}</dt><dd data-counter=k>{v}</dd> })
                        .collect_view()
                }}
            </dl>
        </section>
    }
}
