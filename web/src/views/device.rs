//! The device card: everything `info` says, with warnings when the node speaks another protocol or runs another
//! core than this page.

use leptos::prelude::*;

use crate::app::Dash;

/// The `stapes-core` version compiled into this page.
const CORE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Facts about the connected node.
#[component]
pub fn DeviceCard() -> impl IntoView {
    let dash = expect_context::<Dash>();
    let card = move || {
        dash.info.get().map(|info| {
            let protocol_ok = info.protocol_hash == stapes_protocol::PROTOCOL_HASH;
            let core_ok = info.core_version == CORE_VERSION;
            let preset = match (&info.preset, info.preset_streaming) {
                (Some(p), false) => p.clone(),
                (Some(p), true) => format!("{p} (streaming form)"),
                (None, _) => "custom".to_owned(),
            };
            view! {
                <section id="device" class="panel">
                    <h2>"Device"</h2>
                    <dl>
                        <dt>"board"</dt><dd class="board">{info.board.clone()}</dd>
                        <dt>"serial"</dt><dd>{format!("{:016X}", info.serial)}</dd>
                        <dt>"firmware"</dt>
                        <dd>{format!("{} ({}, {})", info.firmware_version, info.git_hash, info.build_date)}</dd>
                        <dt>"core"</dt><dd>{info.core_version.clone()}</dd>
                        <dt>"protocol"</dt><dd>{format!("{:08x}", info.protocol_hash)}</dd>
                        <dt>"settings"</dt>
                        <dd>{format!("{preset}, hash {:08x}, {}", info.config_hash, info.settings_origin)}</dd>
                        <dt>"pipeline capacity"</dt><dd>{format!("{} f32", info.pipeline_capacity)}</dd>
                    </dl>
                    {(!protocol_ok).then(|| view! {
                        <p class="warn">{format!(
                            "The node speaks protocol {:08x}, this page {:08x}: update the firmware.",
                            info.protocol_hash, stapes_protocol::PROTOCOL_HASH
                        )}</p>
                    })}
                    {(!core_ok).then(|| view! {
                        <p class="warn">{format!(
                            "The node runs stapes-core {}, this page {CORE_VERSION}: features may differ.",
                            info.core_version
                        )}</p>
                    })}
                </section>
            }
        })
    };
    view! { {card} }
}
