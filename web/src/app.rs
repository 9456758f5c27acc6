//! The page: shared state (a context of signals), the connection driver, and the layout of the views.

use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use stapes_protocol::{Endpoint, Header, InfoEp, NodeSettings, SettingsGet, StreamStart};
use wasm_bindgen::prelude::*;
use web_sys::{Usb, UsbDevice};

use crate::link::{Event, Link, explain_open_failure};
use crate::live::Live;
use crate::session::{Session, decode, js_error};
use crate::sim::fake_usb;
use crate::views::{Counters, DeviceCard, FileAnalysis, FirmwareSlot, LiveView, Recorder, SettingsPanel};

/// Frames kept until the live view sets its history length from the stream's frame rate.
pub const HISTORY: usize = 600;
/// localStorage key of the simulated node's flash.
const SIM_FLASH_KEY: &str = "stapes.sim.flash";
/// localStorage key of the USB serial number of the real node last connected: after a reload the page reconnects
/// to that node, not to whichever permitted node comes first.
const NODE_SERIAL_KEY: &str = "stapes.node.serial";
/// Waits before the retries of an `open()` refused with `SecurityError` (ms). Right after a plug the OS may not have
/// given the device node its permissions yet, so Chromium's open fails as "Access denied" for a moment
/// (pybricks/support#2372, Chromium 140 on Linux and Android: a short delay before `open()` fixed it). A lasting
/// refusal (no udev rule) costs the user these waits before the message.
const OPEN_RETRY_MS: [i32; 4] = [100, 200, 400, 800];
/// How long a `NetworkError` on the stream waits for the browser's `disconnect` before it counts as a stall: Chrome
/// on Windows rejects a stalled transfer with the same `NetworkError` as one cut by an unplug (see
/// `web/sim/fake-usb.js`, `PLATFORMS`), and the removal notice may arrive after the failed transfer.
const UNPLUG_SETTLE_MS: i32 = 200;

/// `info`, owned.
#[derive(Clone, Debug, PartialEq)]
pub struct DeviceInfo {
    pub firmware_version: String,
    pub git_hash: String,
    pub build_date: String,
    pub board: String,
    pub serial: u64,
    pub core_version: String,
    pub protocol_hash: u32,
    pub preset: Option<String>,
    pub preset_streaming: bool,
    pub config_hash: u32,
    pub settings_origin: String,
    pub pipeline_capacity: u32,
}

/// Which USB the page talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The browser's `navigator.usb`.
    Real,
    /// The simulated node behind `web/sim/fake-usb.js`.
    Simulated,
}

/// The page's shared state (every field is a cheap `Copy` handle).
#[derive(Clone, Copy)]
pub struct Dash {
    pub link: RwSignal<Link>,
    pub source: RwSignal<Source>,
    pub info: RwSignal<Option<DeviceInfo>>,
    pub node_settings: RwSignal<Option<NodeSettings>>,
    pub notice: RwSignal<Option<String>>,
    /// Bumped when new stream data arrived (views that poll `live` re-render on it).
    pub arrivals: RwSignal<u64>,
    pub session: StoredValue<Option<Rc<Session>>, LocalStorage>,
    pub live: StoredValue<Rc<RefCell<Live>>, LocalStorage>,
    real_usb: StoredValue<Option<Usb>, LocalStorage>,
    sim_usb: StoredValue<Option<Usb>, LocalStorage>,
    /// Reconnect by itself when a permitted node comes back (set after a successful connect).
    auto_reconnect: RwSignal<bool>,
    /// A connect is under way (from `open()` to the stream's start): another one would call `open()` during it,
    /// which Chromium refuses (`InvalidStateError`), and its error would stick while the first one streams.
    connecting: StoredValue<bool, LocalStorage>,
    /// USB serial number of the real node to reconnect to (the last one connected, kept across reloads).
    serial: StoredValue<Option<String>, LocalStorage>,
}

impl Dash {
    fn new() -> Dash {
        Dash {
            link: RwSignal::new(Link::NoDevice),
            source: RwSignal::new(Source::Simulated),
            info: RwSignal::new(None),
            node_settings: RwSignal::new(None),
            notice: RwSignal::new(None),
            arrivals: RwSignal::new(0),
            session: StoredValue::new_local(None),
            live: StoredValue::new_local(Rc::new(RefCell::new(Live::new(HISTORY)))),
            real_usb: StoredValue::new_local(None),
            sim_usb: StoredValue::new_local(None),
            auto_reconnect: RwSignal::new(false),
            connecting: StoredValue::new_local(false),
            serial: StoredValue::new_local(local_storage().and_then(|s| s.get_item(NODE_SERIAL_KEY).ok().flatten())),
        }
    }

    /// Applies a connection event.
    pub fn event(&self, event: Event) {
        self.link.update(|l| *l = l.on(&event));
    }

    fn usb(&self, source: Source) -> Option<Usb> {
        match source {
            Source::Real => self.real_usb.get_value(),
            Source::Simulated => self.sim_usb.get_value(),
        }
    }

    /// The open session, if any.
    pub fn session(&self) -> Option<Rc<Session>> {
        self.session.get_value()
    }

    /// Opens `device`, asks `info` and the settings, and starts the stream. Ignored while another connect is under
    /// way (see `connecting`).
    pub fn connect(self, device: UsbDevice) {
        if self.connecting.get_value() {
            return;
        }
        self.connecting.set_value(true);
        spawn_local(async move {
            self.open_and_start(device).await;
            self.connecting.set_value(false);
        });
    }

    async fn open_and_start(self, device: UsbDevice) {
        if let Some(old) = self.session.get_value() {
            // Gone from `session` first, so its read loop takes the cancelled read for what it is.
            self.session.set_value(None);
            old.close().await;
        }
        // Until this page's `stream/start` is answered, stream messages are not its own (a node may stream for
        // another tab, or since before a reload).
        self.live.get_value().borrow_mut().restart();
        self.event(Event::Open);
        let session = match self.open(&device).await {
            Ok(s) => Rc::new(s),
            Err(e) => {
                let (name, message) = js_error(&e);
                if name == "NotFoundError" {
                    // usb_device.cc `OnConnectionError`: the device went away while it opened.
                    return self.event(Event::Unplugged);
                }
                return self.event(Event::Failed(explain_open_failure(&name, &message)));
            }
        };
        self.session.set_value(Some(session.clone()));
        spawn_local(read_loop(self, session.clone()));
        if let Err(e) = self.handshake(&session).await {
            return self.event(Event::Failed(e));
        }
        if self.source.get_untracked() == Source::Real {
            let serial = device.serial_number();
            if let (Some(storage), Some(serial)) = (local_storage(), &serial) {
                // Without storage the page still reconnects to this node until it is closed.
                let _ = storage.set_item(NODE_SERIAL_KEY, serial);
            }
            self.serial.set_value(serial);
        }
        self.auto_reconnect.set(true);
    }

    /// [`Session::open`], retried while it is refused with `SecurityError` right after the device appeared (see
    /// `OPEN_RETRY_MS`); then the last error.
    async fn open(&self, device: &UsbDevice) -> Result<Session, JsValue> {
        let mut waits = OPEN_RETRY_MS.into_iter();
        loop {
            match Session::open(device.clone()).await {
                Err(e) if js_error(&e).0 == "SecurityError" => match waits.next() {
                    Some(ms) => crate::update::driver::sleep(ms).await,
                    None => return Err(e),
                },
                other => return other,
            }
        }
    }

    async fn handshake(&self, session: &Session) -> Result<(), String> {
        let message = session.call::<InfoEp>(&()).await.map_err(|e| e.to_string())?;
        let info = decode::<InfoEp>(&message).map_err(|e| e.to_string())?;
        self.info.set(Some(DeviceInfo {
            firmware_version: info.firmware_version.to_owned(),
            git_hash: info.git_hash.to_owned(),
            build_date: info.build_date.to_owned(),
            board: info.board.to_owned(),
            serial: info.serial,
            core_version: info.core_version.to_owned(),
            protocol_hash: info.protocol_hash,
            preset: info.preset.map(str::to_owned),
            preset_streaming: info.preset_streaming,
            config_hash: info.config_hash,
            settings_origin: format!("{:?}", info.settings_origin),
            pipeline_capacity: info.pipeline_capacity,
        }));
        if info.protocol_hash != stapes_protocol::PROTOCOL_HASH {
            // Nothing else can be decoded safely: stop here, the card offers the firmware update.
            self.event(Event::Ready);
            return Ok(());
        }
        self.event(Event::Ready);
        self.refresh_settings(session).await?;
        self.start_stream(session).await
    }

    /// Reads the node's settings into `node_settings`.
    pub async fn refresh_settings(&self, session: &Session) -> Result<(), String> {
        let message = session.call::<SettingsGet>(&()).await.map_err(|e| e.to_string())?;
        let settings = decode::<SettingsGet>(&message).map_err(|e| e.to_string())?;
        self.node_settings.set(Some(settings));
        Ok(())
    }

    /// Subscribes to the stream (fresh sequence numbers from the node's answer on: the read loop calls
    /// [`Live::started`] when it reads it).
    pub async fn start_stream(&self, session: &Session) -> Result<(), String> {
        self.live.get_value().borrow_mut().restart();
        let message = session.call::<StreamStart>(&()).await.map_err(|e| e.to_string())?;
        decode::<StreamStart>(&message).map_err(|e| e.to_string())
    }

    /// Looks at the chosen USB: connects to a permitted node (auto-reconnect, or the simulated one), or says what
    /// the user must do.
    pub fn scan(self) {
        let source = self.source.get_untracked();
        let Some(usb) = self.usb(source) else {
            return self.event(Event::Scan { permitted: 0, bootloader: false });
        };
        spawn_local(async move {
            let devices = match usb.get_devices().await {
                Ok(d) => d,
                Err(e) => return self.event(Event::Failed(js_error(&e).1)),
            };
            let devices: Vec<UsbDevice> = devices.iter().collect();
            let bootloader = devices.iter().any(is_bootloader);
            let nodes: Vec<&UsbDevice> = devices.iter().filter(|d| is_node(d)).collect();
            self.event(Event::Scan { permitted: nodes.len(), bootloader });
            let wants = source == Source::Simulated || self.auto_reconnect.get_untracked();
            // A real node is matched by serial: the one last connected, not the first permitted one (another
            // node the page may open is not the user's choice). The first one only when none was ever connected.
            let remembered = self.serial.get_value().filter(|_| source == Source::Real);
            let node = match &remembered {
                Some(serial) => nodes.iter().find(|d| d.serial_number().as_deref() == Some(serial.as_str())),
                None => nodes.first(),
            };
            if let (Some(device), true) = (node, wants)
                && self.session.get_value().is_none()
            {
                self.connect((*device).clone());
            }
        });
    }

    /// Switches between the real and the simulated USB.
    pub fn use_source(self, source: Source) {
        self.use_source_with(source, false);
    }

    /// Switches between the real and the simulated USB; `reconnect`: connect by itself to a permitted node (a
    /// reload, where the browser kept the permission).
    fn use_source_with(self, source: Source, reconnect: bool) {
        if let Some(session) = self.session.get_value() {
            self.session.set_value(None);
            spawn_local(async move { session.close().await });
        }
        self.auto_reconnect.set(reconnect);
        self.info.set(None);
        self.node_settings.set(None);
        self.source.set(source);
        self.link.set(Link::NoDevice);
        self.scan();
    }

    /// The browser's device chooser (a user gesture must lead here).
    pub fn choose_device(self) {
        let Some(usb) = self.real_usb.get_value() else {
            return self.notice.set(Some(no_webusb_message()));
        };
        spawn_local(async move {
            let filters: Vec<web_sys::UsbDeviceFilter> = [(0x1209u16, 0x0001u16), (0x2e8a, 0x000f)]
                .into_iter()
                .map(|(vendor, product)| {
                    let filter = web_sys::UsbDeviceFilter::new();
                    filter.set_vendor_id(vendor);
                    filter.set_product_id(product);
                    filter
                })
                .collect();
            let options = web_sys::UsbDeviceRequestOptions::new(&filters);
            match usb.request_device(&options).await {
                Ok(device) if is_bootloader(&device) => self.event(Event::Scan { permitted: 1, bootloader: true }),
                Ok(device) => {
                    self.source.set(Source::Real);
                    self.connect(device);
                }
                Err(e) => {
                    let (name, message) = js_error(&e);
                    if name != "NotFoundError" {
                        self.event(Event::Failed(explain_open_failure(&name, &message)));
                    }
                }
            }
        });
    }

    /// The device went away: drop its session and show it. A device without a session (a bootloader, a node
    /// waiting for permission, or one whose read already ended) leaves its badge to a fresh look at what is left.
    fn unplugged(self, device: &UsbDevice) {
        let Some(session) = self.session.get_value().filter(|s| s.device() == device) else {
            return self.scan();
        };
        session.abandon();
        self.session.set_value(None);
        self.event(Event::Unplugged);
    }

    /// After a `NetworkError` on the stream: whether `device` is still plugged in (then it was a stall, which Chrome
    /// on Windows reports so), judged after giving the browser `UNPLUG_SETTLE_MS` to report an unplug.
    async fn still_plugged(self, device: &UsbDevice) -> bool {
        crate::update::driver::sleep(UNPLUG_SETTLE_MS).await;
        let Some(usb) = self.usb(self.source.get_untracked()) else { return false };
        match usb.get_devices().await {
            Ok(devices) => devices.iter().any(|d| &d == device),
            Err(_) => false,
        }
    }
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// Android's Chrome loses the permission of a node on every re-enumeration (the OS grants USB access per attach;
/// GrapheneOS/grapheneos.org#169: "On Android, Chromium does not support automatic reconnection").
fn is_android() -> bool {
    web_sys::window().and_then(|w| w.navigator().user_agent().ok()).is_some_and(|ua| ua.contains("Android"))
}

/// A stapes node (not its bootloader).
fn is_node(device: &UsbDevice) -> bool {
    device.vendor_id() == 0x1209 && device.product_id() == 0x0001
}

/// A Pico 2 in BOOTSEL mode (RP2350 boot ROM).
fn is_bootloader(device: &UsbDevice) -> bool {
    device.vendor_id() == 0x2e8a && device.product_id() == 0x000f
}

fn no_webusb_message() -> String {
    let secure = web_sys::window().is_some_and(|w| w.is_secure_context());
    if secure {
        "This browser has no WebUSB (use Chrome, Edge or another Chromium browser for a real node). The simulated \
         node and file analysis work here."
            .to_owned()
    } else {
        "WebUSB needs a secure context: open the page over https or as http://127.0.0.1. The simulated node works."
            .to_owned()
    }
}

/// Reads transfers until the device goes away: responses to their calls, topic messages into `live`.
async fn read_loop(dash: Dash, session: Rc<Session>) {
    let gone = || dash.session.get_value().is_none_or(|s| !Rc::ptr_eq(&s, &session));
    loop {
        let message = match session.receive().await {
            Ok(Some(m)) => m,
            // A stall (Linux, macOS): clear the halt and read on.
            Ok(None) if session.clear_stall().await.is_ok() => continue,
            Ok(None) => {
                if !gone() {
                    session.abandon();
                    dash.session.set_value(None);
                    dash.event(Event::Unplugged);
                }
                return;
            }
            Err(e) => {
                if gone() {
                    return;
                }
                let (name, message) = js_error(&e);
                // A stall on Windows, or an unplug: what follows tells (the device stays listed after a stall).
                if name == "NetworkError"
                    && dash.still_plugged(session.device()).await
                    && !gone()
                    && session.clear_stall().await.is_ok()
                {
                    continue;
                }
                if gone() {
                    return;
                }
                session.abandon();
                dash.session.set_value(None);
                // NotFoundError: usb_device.cc `OnConnectionError`; AbortError: macOS aborts the pending read of
                // an unplugged device (usb_device_handle_mac.cc: kIOReturnAborted is CANCELLED), often before the
                // `disconnect` event. Both are an unplug, not an error to show.
                if matches!(name.as_str(), "NetworkError" | "NotFoundError" | "AbortError") {
                    dash.event(Event::Unplugged);
                } else {
                    dash.event(Event::Failed(format!("reading from the node failed ({name}: {message})")));
                }
                return;
            }
        };
        // The answer to `stream/start`: what follows is the new subscription (read in order, so nothing of the old
        // stream before it and nothing of the new one after it is misfiled).
        let started = Header::split(&message).is_ok_and(|(h, _)| h.key == StreamStart::KEY);
        if session.answer(message.clone()) {
            if started {
                dash.live.get_value().borrow_mut().started();
            }
            continue;
        }
        let rms = dash.node_settings.with_untracked(|s| s.as_ref().and_then(rms_index));
        let live = dash.live.get_value();
        let kind = live.borrow_mut().on_message(&message, rms);
        match kind {
            Ok(Some(crate::live::Kind::Features)) => {
                if dash.link.get_untracked() != Link::Streaming {
                    dash.event(Event::Frame);
                }
                dash.arrivals.update(|n| *n += 1);
            }
            Ok(_) => dash.arrivals.update(|n| *n += 1),
            Err(e) => dash.notice.set(Some(format!("stream: {e}"))),
        }
    }
}

/// Position of `rms` among the scalars the settings select.
fn rms_index(settings: &NodeSettings) -> Option<usize> {
    settings.config.scalars.position("rms")
}

/// Creates the simulated node's fake USB (a fresh `SimNode` per plug), exposed as `window.stapesSim` for tests.
fn make_sim_usb() -> Option<Usb> {
    let sim = fake_usb(SIM_FLASH_KEY);
    let window = web_sys::window()?;
    js_sys::Reflect::set(&window, &"stapesSim".into(), &sim).ok()?;
    let usb = js_sys::Reflect::get(&sim, &"usb".into()).ok()?;
    Some(usb.unchecked_into())
}

/// `navigator.usb` when the browser has WebUSB.
fn real_usb() -> Option<Usb> {
    let navigator = web_sys::window()?.navigator();
    let usb = js_sys::Reflect::get(&navigator, &"usb".into()).ok()?;
    (!usb.is_undefined()).then(|| usb.unchecked_into())
}

/// Listens to `connect`/`disconnect` on `usb`.
fn watch(dash: Dash, usb: &Usb, source: Source) {
    let on_connect = Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| {
        if dash.source.get_untracked() == source {
            dash.scan();
        }
    });
    let on_disconnect = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
        let device: JsValue = js_sys::Reflect::get(&e, &"device".into()).unwrap_or(JsValue::NULL);
        if dash.source.get_untracked() == source && !device.is_null() {
            dash.unplugged(device.unchecked_ref());
        }
    });
    let target: &web_sys::EventTarget = usb.unchecked_ref();
    let _ = target.add_event_listener_with_callback("connect", on_connect.as_ref().unchecked_ref());
    let _ = target.add_event_listener_with_callback("disconnect", on_disconnect.as_ref().unchecked_ref());
    on_connect.forget();
    on_disconnect.forget();
}

/// The whole dashboard.
#[component]
pub fn App() -> impl IntoView {
    let dash = Dash::new();
    provide_context(dash);
    let real = real_usb();
    if let Some(usb) = &real {
        watch(dash, usb, Source::Real);
    } else {
        dash.notice.set(Some(no_webusb_message()));
    }
    dash.real_usb.set_value(real);
    let sim = make_sim_usb();
    if let Some(usb) = &sim {
        watch(dash, usb, Source::Simulated);
    }
    dash.sim_usb.set_value(sim);
    // A permitted real node wins; otherwise the page opens on the simulated node.
    spawn_local(async move {
        let real_node = match dash.real_usb.get_value() {
            Some(usb) => usb.get_devices().await.ok().is_some_and(|d| d.iter().any(|d| is_node(&d))),
            None => false,
        };
        // A permitted node after a reload reconnects by itself (the browser kept the permission).
        dash.use_source_with(if real_node { Source::Real } else { Source::Simulated }, real_node);
    });

    let status = move || dash.link.get().label();
    let error = move || match dash.link.get() {
        Link::Error(message) => Some(message),
        _ => None,
    };
    let hint = move || match dash.link.get() {
        Link::NeedsPermission => Some("A node is plugged in: click “Connect a node…” to allow this page to use it."),
        Link::NoDevice if dash.source.get() == Source::Real && is_android() => Some(
            "Plug in a node, or use the simulated node. Android asks again after every unplug: click “Connect a \
             node…” when it is back.",
        ),
        Link::NoDevice if dash.source.get() == Source::Real => {
            Some("Plug in a node, or use the simulated node. It reconnects by itself after an unplug.")
        }
        Link::Bootloader => Some("A Pico 2 is in BOOTSEL mode: flash the stapes firmware (below)."),
        _ => None,
    };
    let pick_signal = move |name: String| {
        // The fake USB's test hook picks the plugged simulated node's test signal.
        let sim = web_sys::window().and_then(|w| js_sys::Reflect::get(&w, &"stapesSim".into()).ok());
        let set = sim.as_ref().and_then(|s| js_sys::Reflect::get(s, &"setSignal".into()).ok());
        if let (Some(sim), Some(set)) = (sim, set.and_then(|f| f.dyn_into::<js_sys::Function>().ok())) {
            let Ok(promise) = set.call1(&sim, &name.into()) else { return };
            spawn_local(async move {
                if let Err(e) = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&promise)).await {
                    dash.notice.set(Some(format!("microphone: {}", js_error(&e).1)));
                }
            });
        }
    };
    view! {
        <header class="bar">
            <h1>"stapes"</h1>
            <span class="status" data-state=status>{status}</span>
            <button
                class:active=move || dash.source.get() == Source::Simulated
                on:click=move |_| dash.use_source(Source::Simulated)
            >
                "Simulated node"
            </button>
            <Show when=move || dash.source.get() == Source::Simulated>
                <select id="sim-signal" title="test signal of the simulated node"
                    on:change=move |e| pick_signal(event_target_value(&e))>
                    {crate::signals::Signal::ALL
                        .map(|s| view! { <option value=s.name()>{s.name()}</option> })
                        .collect_view()}
                    <option value="microphone">"microphone"</option>
                </select>
            </Show>
            <button on:click=move |_| dash.choose_device()>"Connect a node…"</button>
        </header>
        <p class="error" role="alert">{error}</p>
        <p class="hint">{hint}</p>
        <p class="notice">{move || dash.notice.get()}</p>
        <main>
            <DeviceCard />
            <Counters />
            <LiveView />
            <Recorder />
            <SettingsPanel />
            <FileAnalysis />
            <FirmwareSlot />
        </main>
    }
}
