//! Where the firmware update (the flasher's PICOBOOT client, `flasher/`) plugs into the page.

use leptos::prelude::*;

use crate::app::Dash;
use crate::link::Link;

/// The firmware-update panel: shown when the node needs new firmware or sits in its bootloader. The flashing UI
/// itself belongs to the flasher (`flasher/`, `web/sim/fake-picoboot.js`) and mounts here.
#[component]
pub fn FirmwareSlot() -> impl IntoView {
    let dash = expect_context::<Dash>();
    let needed = move || {
        dash.link.get() == Link::Bootloader
            || dash.info.get().is_some_and(|i| i.protocol_hash != stapes_protocol::PROTOCOL_HASH)
    };
    view! {
        <Show when=needed>
            <section id="firmware" class="panel">
                <h2>"Firmware update"</h2>
                <p>"This node needs the firmware that matches this page."</p>
            </section>
        </Show>
    }
}
