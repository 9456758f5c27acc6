//! The firmware panel: the bundled stapes firmware (or a UF2 from disk), first install on a Pico 2 in BOOTSEL mode,
//! the update of a running node, progress with time left, cancel between sectors, and retry after any failure.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos::wasm_bindgen::JsCast;
use stapes_flasher::uf2::Uf2;
use stapes_protocol::{RebootMode, SystemReboot};
use web_sys::UsbDevice;

use crate::app::{Dash, Source};
use crate::link::Link;
use crate::session::decode;
use crate::update::{Build, Event, Step, describe, driver, progress_text};

/// How long a node restarting into its bootloader may take to enumerate before the page asks for a click.
const BOOTLOADER_WAIT_MS: f64 = 8000.0;
/// How long the new firmware may take to enumerate after REBOOT2.
const NODE_WAIT_MS: f64 = 5000.0;

/// The image to flash: its name, its build when known (the bundled one), and the validated UF2.
#[derive(Clone)]
struct Image {
    name: String,
    build: Option<Build>,
    uf2: Arc<Uf2>,
}

/// The panel's state, shared by its handlers (all `Copy` handles).
#[derive(Clone, Copy)]
struct Flow {
    dash: Dash,
    step: RwSignal<Step>,
    image: RwSignal<Option<Image>>,
    progress: RwSignal<String>,
    cancel: StoredValue<Rc<Cell<bool>>, LocalStorage>,
    /// USB serial number of the board being updated, when known: only that node's `info` confirms the update, and
    /// only that node is reconnected (another permitted node may be plugged in).
    board: RwSignal<Option<String>>,
}

impl Flow {
    fn event(&self, event: Event) {
        self.step.update(|s| *s = s.on(event));
    }

    /// Flashes onto a permitted bootloader, or asks the browser for one (this must follow a click); without one the
    /// step shows the BOOTSEL instructions.
    async fn install(self) {
        self.board.set(None);
        let Some(usb) = driver::usb() else {
            return self.event(Event::Failed("This browser has no WebUSB: use Chrome, Edge or Opera.".into()));
        };
        let device = match driver::find_bootloader(&usb, 0.0).await {
            Ok(Some(device)) => Ok(Some(device)),
            Ok(None) => driver::request_bootloader(&usb).await,
            Err(e) => Err(e),
        };
        match device {
            Ok(Some(device)) => self.flash(device).await,
            Ok(None) => self.event(Event::BootloaderMissing),
            Err(e) => self.event(Event::Failed(format!("the bootloader could not be requested ({e})"))),
        }
    }

    /// Restarts the connected node into its bootloader, then flashes it (one click more if the browser has not
    /// allowed the bootloader yet).
    async fn update_node(self) {
        let Some(session) = self.dash.session() else { return };
        let Some(usb) = driver::usb() else { return };
        self.board.set(session.device().serial_number());
        self.event(Event::RebootSent);
        // The node answers before it restarts; if it is gone first, the bootloader shows up all the same.
        if let Ok(message) = session.call::<SystemReboot>(&RebootMode::Bootloader).await
            && let Err(e) = decode::<SystemReboot>(&message)
        {
            return self.event(Event::Failed(format!("the node refused to restart into its bootloader: {e}")));
        }
        match driver::find_bootloader(&usb, BOOTLOADER_WAIT_MS).await {
            Ok(Some(device)) => self.flash(device).await,
            Ok(None) => self.event(Event::BootloaderMissing),
            Err(e) => self.event(Event::Failed(e)),
        }
    }

    async fn flash(self, device: UsbDevice) {
        if self.board.get_untracked().is_none() {
            self.board.set(device.serial_number().filter(|s| driver::is_node_serial(s)));
        }
        let Some(image) = self.image.get_untracked() else {
            return self.event(Event::Failed("no valid firmware image is loaded".into()));
        };
        let cancel = self.cancel.get_value();
        cancel.set(false);
        let total = image.uf2.sectors().len() as u32 * stapes_flasher::uf2::SECTOR_LEN;
        self.event(Event::Progress { done: 0, total });
        self.progress.set(progress_text(0, total, 0.0));
        let start = driver::now_ms();
        let result = driver::flash(device, &image.uf2, cancel, |p| {
            self.event(Event::Progress { done: p.done, total: p.total });
            self.progress.set(progress_text(p.done, p.total, driver::now_ms() - start));
        })
        .await;
        match result {
            Ok(()) => {
                self.event(Event::Flashed);
                self.reconnect().await;
            }
            Err(e) => self.event(Event::FlashFailed(e)),
        }
    }

    /// Connects to the node once it enumerates (the confirming `info` is watched in the panel); a node the page may
    /// not open yet needs a click.
    async fn reconnect(self) {
        let Some(usb) = driver::usb() else { return };
        let board = self.board.get_untracked();
        let node = match driver::find_node(&usb, NODE_WAIT_MS, board.as_deref()).await {
            Ok(node) => node,
            Err(e) => return self.event(Event::Failed(e)),
        };
        let Some(node) = node else { return self.event(Event::NodeMissing) };
        // A node that was connected before reconnects by itself (the page's auto-reconnect): give it the moment.
        driver::sleep(500).await;
        let dash = self.dash;
        let busy = matches!(dash.link.get_untracked(), Link::Connecting | Link::Connected | Link::Streaming);
        if dash.source.get_untracked() == Source::Real && busy {
            return;
        }
        if dash.source.get_untracked() != Source::Real {
            dash.use_source(Source::Real);
        }
        dash.connect(node);
    }

    /// Loads and validates a UF2 from disk; a refused file replaces nothing but the choice (nothing to flash).
    async fn choose_file(self, file: web_sys::File) {
        let name = file.name();
        match driver::from_file(&file).await {
            Ok(uf2) => {
                self.image.set(Some(Image { name, build: None, uf2: Arc::new(uf2) }));
                self.step.set(Step::Idle);
            }
            Err(e) => {
                self.image.set(None);
                self.event(Event::Failed(format!("{name}: {e}")));
            }
        }
    }
}

/// The firmware panel (always there: first install needs no node; highlighted when the node needs an update).
#[component]
pub fn FirmwareSlot() -> impl IntoView {
    let dash = expect_context::<Dash>();
    let update = Flow {
        dash,
        step: RwSignal::new(Step::Idle),
        image: RwSignal::new(None),
        progress: RwSignal::new(String::new()),
        cancel: StoredValue::new_local(Rc::new(Cell::new(false))),
        board: RwSignal::new(None),
    };
    let bundle_note = RwSignal::new(String::from("loading the bundled firmware…"));
    let bundle = RwSignal::new(None::<Image>);
    let needed = move || {
        dash.link.get() == Link::Bootloader
            || dash.info.get().is_some_and(|i| i.protocol_hash != stapes_protocol::PROTOCOL_HASH)
    };
    spawn_local(async move {
        match driver::bundled().await {
            Ok((manifest, uf2)) => {
                let name = format!("stapes-node {} ({})", manifest.build.version, manifest.build.git_hash);
                bundle_note.set(describe(&name, &uf2));
                let image = Image { name, build: Some(manifest.build), uf2: Arc::new(uf2) };
                bundle.set(Some(image.clone()));
                // A file picked from disk meanwhile stays chosen.
                update.image.update(|chosen| {
                    chosen.get_or_insert(image);
                });
            }
            Err(e) => bundle_note.set(e),
        }
    });
    // The node answering after the flash confirms (or not) the version.
    Effect::new(move || {
        let (link, info) = (dash.link.get(), dash.info.get());
        let (Some(info), true, Source::Real) = (info, link.is_open(), dash.source.get()) else { return };
        // Another node's `info` (a second board, the one connected before) says nothing about this update.
        if update.board.get_untracked().is_some_and(|board| board != format!("{:016X}", info.serial)) {
            return;
        }
        let running = Build { version: info.firmware_version, git_hash: info.git_hash };
        let flashed = update.image.get_untracked().and_then(|i| i.build);
        update.event(Event::NodeInfo { running, flashed });
    });

    let busy = move || update.step.get().busy();
    let on_install = move |_| spawn_local(update.install());
    let on_update = move |_| spawn_local(update.update_node());
    let on_cancel = move |_| update.cancel.get_value().set(true);
    let on_file = move |e: web_sys::Event| {
        let Some(input) = e.target().map(|t| t.unchecked_into::<web_sys::HtmlInputElement>()) else { return };
        if let Some(file) = input.files().and_then(|f| f.get(0)) {
            spawn_local(update.choose_file(file));
        }
        // The same file may be picked again after a fix.
        input.set_value("");
    };
    let can_update = move || {
        !busy() && dash.source.get() == Source::Real && dash.link.get().is_open() && update.image.get().is_some()
    };
    let retryable = move || matches!(update.step.get(), Step::Failed { .. } | Step::Cancelled { .. });
    let flashing = move || match update.step.get() {
        Step::Flashing { done, total } => Some((done, total)),
        _ => None,
    };
    let other_than_bundle = move || match (bundle.get(), update.image.get()) {
        (Some(b), Some(i)) => !Arc::ptr_eq(&b.uf2, &i.uf2),
        (Some(_), None) => true,
        (None, _) => false,
    };
    let image_line = move || match update.image.get() {
        Some(image) => describe(&image.name, &image.uf2),
        None => "no valid image loaded".to_owned(),
    };
    view! {
        <section id="firmware" class="panel" class:needed=needed>
            <h2>"Firmware"</h2>
            <Show when=needed>
                <p class="warn">
                    {move || if dash.link.get() == Link::Bootloader {
                        "A Pico 2 waits in its bootloader: install the stapes firmware."
                    } else {
                        "This node needs the firmware that matches this page."
                    }}
                </p>
            </Show>
            <p class="bundle">"Bundled: " {move || bundle_note.get()}</p>
            <p class="image">"To flash: " <span id="firmware-image">{image_line}</span></p>
            <label class="file">
                "Use a UF2 from disk: "
                <input id="firmware-file" type="file" accept=".uf2" on:change=on_file prop:disabled=busy />
            </label>
            <Show when=move || other_than_bundle() && !busy()>
                <button id="firmware-bundled" on:click=move |_| update.image.set(bundle.get())>
                    "Use the bundled firmware"
                </button>
            </Show>
            <details open=move || needed() || update.step.get() == Step::NeedsBootloader>
                <summary>"First install on a new Pico 2"</summary>
                <ol>
                    <li>"Unplug the Pico 2. Hold its BOOTSEL button while plugging it in, then let go."</li>
                    <li>"Click “Install on a Pico 2 in BOOTSEL mode…” and pick “RP2350 Boot”."</li>
                    <li>"When it is flashed, the board restarts as a stapes node: allow it with “Connect a node…”."</li>
                </ol>
            </details>
            <div class="actions">
                <button id="firmware-install" on:click=on_install prop:disabled=move || busy() || update.image.get().is_none()>
                    {move || if retryable() { "Retry on the bootloader…" } else { "Install on a Pico 2 in BOOTSEL mode…" }}
                </button>
                <button id="firmware-update" on:click=on_update prop:disabled=move || !can_update()>
                    "Update the connected node"
                </button>
                <Show when=move || update.step.get() == Step::NeedsBootloader>
                    <button id="firmware-allow" on:click=on_install>"Allow the bootloader…"</button>
                </Show>
                <Show when=move || update.step.get() == Step::NeedsNodePermission>
                    <button on:click=move |_| dash.choose_device()>"Connect a node…"</button>
                </Show>
                <Show when=move || flashing().is_some()>
                    <button id="firmware-cancel" on:click=on_cancel>"Cancel"</button>
                </Show>
            </div>
            <Show when=move || flashing().is_some()>
                <progress
                    id="firmware-progress"
                    max=move || flashing().map_or(1, |(_, t)| t)
                    value=move || flashing().map_or(0, |(d, _)| d)
                ></progress>
                <span id="firmware-progress-text">{move || update.progress.get()}</span>
            </Show>
            <p id="firmware-status" data-step=move || update.step.get().label() role="status">
                {move || update.step.get().message()}
            </p>
        </section>
    }
}
