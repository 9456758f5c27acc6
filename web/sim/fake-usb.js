// A fake `navigator.usb` with simulated stapes nodes behind it, so the page's real WebUSB code path (web-sys calls
// by name) runs unchanged against the node library compiled into the page's wasm. The page creates it with a
// factory of `SimNode`s; the Playwright tests drive `plug()`/`unplug()` through `window.stapesSim`, and build a
// second, stricter bus for the page's real-USB path with `window.stapesSim.bus(options)`. A plug is a power-on: a
// fresh node boots from the flash it saved to localStorage.
//
// Between the page and the node is a full-speed bus: transfers travel as 64-byte packets, and the node frames them
// with the firmware's own code (`SimNode.packet_out`/`packet_in`), so a request is answered only once its transfer
// has ended with a short or zero-length packet, as on a board.
//
// The device is as strict as Chromium's `USBDevice` (third_party/blink/renderer/modules/webusb/usb_device.cc), whose
// checks every behaviour below names: a page that passes here does not trip over them with a board. Where the
// backends differ (services/device/usb/usb_device_handle_{usbfs,win,mac}.cc, Android), `platform` picks one.
//
// Options (`createFakeUsb(makeNode, options)`, or `stapesSim.bus(options)`; the page's own simulated node reads
// `globalThis.stapesFakeUsb`, which a test may set before the page loads):
//   nodes: [{ serial: "0123456789ABCDEF", permitted: true }]  // the nodes plugged in at start (default: one)
//   platform: "linux" | "windows" | "mac" | "android"         // see `PLATFORMS`
//   disconnectFirst: false        // the `disconnect` event before the pending transfers' rejections (see `_unplug`)
//   slowEnumerationMs: 0          // open() rejects SecurityError this long after a plug (see `open`)
//   openError: null               // "SecurityError": open() always refused (Linux without the udev rule, ...)
//   claimError: null              // "NetworkError": another program holds the interface
//   openDelayMs: 0                // how long open() takes (another open() meanwhile is refused)
//   streamingBefore: false        // a node another tab left streaming (see `_streamElsewhere`)
//   answerDelayMs: 0              // how long the node takes to see a request (its IN data flows meanwhile)

const CONFIGURATION = Object.freeze({
  configurationValue: 1,
  configurationName: null,
  interfaces: [
    {
      interfaceNumber: 0,
      claimed: false,
      alternate: {
        alternateSetting: 0,
        interfaceClass: 0xff,
        interfaceSubclass: 0,
        interfaceProtocol: 0,
        interfaceName: null,
        endpoints: [
          { endpointNumber: 1, direction: "in", type: "bulk", packetSize: 64 },
          { endpointNumber: 1, direction: "out", type: "bulk", packetSize: 64 },
        ],
      },
    },
  ],
});

/// How often the simulated node's audio clock advances (it generates the audio of the real time elapsed).
const TICK_MS = 10;
/// wMaxPacketSize of both bulk endpoints (full speed).
const PACKET = 64;
/// How long the node may wait for the rest of a request before the fake reports it on the console (a page that
/// forgot a zero-length packet leaves the node waiting forever, and the page's call with it).
const STUCK_MS = 1000;
/// The serial of the page's own simulated node (its `info` serial, `web/src/sim.rs` IDENTITY, in the firmware's
/// format: 16 upper-case hex digits, `firmware/rp2350/src/usb.rs` serial_number).
const SIM_SERIAL = "5354415045530001";

// Blink's messages (usb_device.cc, the `k…` constants at the top of the file).
const DISCONNECTED = "The device was disconnected.";
const STATE_CHANGE = "An operation that changes the device state is in progress.";
const OPEN_REQUIRED = "The device must be opened first.";
const NOT_CLAIMED = "The specified endpoint is not part of a claimed and selected alternate interface.";

/// How each backend reports what the page can see differently.
///   stall: what a STALL handshake on a bulk endpoint becomes.
///     Linux: usb_device_handle_usbfs.cc `ConvertTransferResult` maps EPIPE to STALLED, a `status: "stall"` result.
///     macOS: usb_device_handle_mac.cc `ConvertTransferStatus` maps kIOUSBPipeStalled to STALLED, the same.
///     Windows: usb_device_handle_win.cc `UsbDeviceHandleWin::TransferComplete` maps every WinUSB error but
///     ERROR_REQUEST_ABORTED to TRANSFER_ERROR (before that exception was added, every error, aborts included), and
///     Blink's `CheckFatalTransferStatus` rejects TRANSFER_ERROR with NetworkError "A transfer error has
///     occurred." A stall and an unplug look the same there until the `disconnect` event (or its absence).
///   unplugged: how a transfer pending at an unplug ends. Linux: the URB is reaped with ENODEV, which
///     `ConvertTransferResult` leaves as TRANSFER_ERROR (NetworkError). macOS: IOKit aborts it, kIOReturnAborted is
///     CANCELLED (AbortError "The transfer was cancelled."), often before the `disconnect` event. Windows: the
///     error is TRANSFER_ERROR, or CANCELLED for ERROR_REQUEST_ABORTED in newer Chromium.
///   replugPermitted: whether a replugged node is still in getDevices(). Chromium keeps a permission for a device
///     with a serial number (whatwg/usb#269: a device without one loses it on replug); on Android it does not
///     reconnect by itself at all (GrapheneOS/grapheneos.org#169: "On Android, Chromium does not support automatic
///     reconnection"; the OS grants USB access per attach, whatwg/usb#111), so the page must ask again.
const PLATFORMS = {
  linux: { stall: "status", unplugged: "NetworkError", replugPermitted: true },
  windows: { stall: "NetworkError", unplugged: "NetworkError", replugPermitted: true },
  mac: { stall: "status", unplugged: "AbortError", replugPermitted: true },
  android: { stall: "status", unplugged: "NetworkError", replugPermitted: false },
};

const TRANSFER_ERROR = () => new DOMException("A transfer error has occurred.", "NetworkError");
const CANCELLED = () => new DOMException("The transfer was cancelled.", "AbortError");

/// The packets a host controller puts on the bus for one OUT transfer: the bytes in `PACKET`-sized pieces, nothing
/// added; an empty transfer is one zero-length packet. Chromium adds no zero-length packet after a transfer that
/// fills its last packet: Blink's `USBDevice::transferOut` (third_party/blink/renderer/modules/webusb/usb_device.cc)
/// passes the bytes to `GenericTransferOut` unchanged, and the Linux backend (services/device/usb/
/// usb_device_handle_usbfs.cc, `UsbDeviceHandleUsbfs::GenericTransfer`) submits the URB without
/// `USBDEVFS_URB_ZERO_PACKET`.
function outPackets(bytes) {
  if (bytes.length === 0) return [bytes];
  const packets = [];
  for (let at = 0; at < bytes.length; at += PACKET) packets.push(bytes.subarray(at, at + PACKET));
  return packets;
}

const reject = (name, message) => Promise.reject(new DOMException(message, name));
const later = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

class FakeUsbDevice {
  constructor(node, serial, bus) {
    this._node = node;
    this._bus = bus;
    this._gone = false;
    this._changing = false;
    this._claimed = new Set();
    this._halted = false;
    this._waiters = [];
    this._timer = null;
    this._stuck = null;
    this._pluggedAt = performance.now();
    this.vendorId = 0x1209;
    this.productId = 0x0001;
    this.manufacturerName = "stapes";
    this.productName = "stapes node (simulated)";
    this.serialNumber = serial;
    this.opened = false;
    this.configuration = null;
    this.configurations = [CONFIGURATION];
    if (bus.options.streamingBefore) this._streamElsewhere();
  }

  /// A node another tab (or a page before a reload) opened and left streaming: closing a tab does not stop the
  /// node. Its audio keeps running and its queue fills while nobody reads; the tab's last read was cut off when it
  /// closed (usb_device_handle_usbfs.cc cancels the URBs of a closed handle: the packets the controller had taken
  /// for it are gone), so the next reader starts with the tail of a message.
  _streamElsewhere() {
    this._node.start_stream_elsewhere();
    this._timer = setInterval(() => this._node.tick(), TICK_MS);
    this._cut = true;
  }

  // usb_device.cc `EnsureNoDeviceChangeInProgress`: a device that is gone rejects NotFoundError; open(), close(),
  // selectConfiguration() in progress reject everything that checks it with InvalidStateError.
  _deviceChange() {
    if (this._gone) return reject("NotFoundError", DISCONNECTED);
    if (this._changing) return reject("InvalidStateError", STATE_CHANGE);
    return null;
  }

  // usb_device.cc `EnsureDeviceConfigured`.
  _configured() {
    const error = this._deviceChange();
    if (error) return error;
    if (!this.opened) return reject("InvalidStateError", OPEN_REQUIRED);
    if (!this.configuration) return reject("InvalidStateError", "The device must have a configuration selected.");
    return null;
  }

  // usb_device.cc `EnsureEndpointAvailable`: only endpoints of a claimed interface take transfers.
  _endpoint() {
    return this._configured() || (this._claimed.has(0) ? null : reject("NotFoundError", NOT_CLAIMED));
  }

  async _change(ms, body) {
    this._changing = true;
    try {
      if (ms > 0) await later(ms);
      if (this._gone) throw new DOMException(DISCONNECTED, "NotFoundError");
      return body();
    } finally {
      this._changing = false;
    }
  }

  open() {
    const error = this._deviceChange();
    if (error) return error;
    if (this.opened) return Promise.resolve();
    const { openError, slowEnumerationMs = 0, openDelayMs = 0 } = this._bus.options;
    return this._change(openDelayMs, () => {
      // usb_device.cc `AsyncOpen`: every failure of the backend to open is ACCESS_DENIED, SecurityError "Access
      // denied." (whatwg/usb#256: "any failure to open the device is treated as a permission error"): Linux without
      // a udev rule, Android without the OS permission, macOS while another program holds the device.
      if (openError === "SecurityError") throw new DOMException("Access denied.", "SecurityError");
      // Right after a plug the OS may not have set the device node's permissions yet (udev runs after the kernel
      // announces it): Chromium then fails to open it, SecurityError. Reported with Chromium 140 on Linux and
      // Android (pybricks/support#2372), where a 100 ms delay before open() fixed it.
      if (performance.now() - this._pluggedAt < slowEnumerationMs) {
        throw new DOMException("Access denied.", "SecurityError");
      }
      this.opened = true;
      if (this._cut) {
        this._cut = false;
        this._node.packet_in();
        this._node.packet_in();
      }
      clearInterval(this._timer);
      this._timer = setInterval(() => this._pump(), TICK_MS);
    });
  }

  close() {
    const error = this._deviceChange();
    if (error) return error;
    if (!this.opened) return Promise.resolve();
    return this._change(0, () => {
      // usb_device.cc `OnDeviceOpenedOrClosed(false)`: claims and the configuration choice are forgotten; the
      // backend cancels the pending transfers (CANCELLED: AbortError).
      this.opened = false;
      this._claimed.clear();
      clearInterval(this._timer);
      clearTimeout(this._stuck);
      this._fail(CANCELLED());
    });
  }

  selectConfiguration(value) {
    const error = this._deviceChange();
    if (error) return error;
    if (!this.opened) return reject("InvalidStateError", OPEN_REQUIRED);
    if (value !== 1) return reject("NotFoundError", "The configuration value provided is not supported by the device.");
    if (this.configuration) return Promise.resolve();
    return this._change(0, () => {
      this.configuration = CONFIGURATION;
    });
  }

  claimInterface(number) {
    const error = this._configured();
    if (error) return error;
    if (number !== 0) {
      return reject("NotFoundError", "The interface number provided is not supported by the device in its current configuration.");
    }
    // usb_device.cc `AsyncClaimInterface`: the backend's failure (another program, or another tab on macOS and
    // Windows, holds the interface) is NetworkError "Unable to claim interface."
    if (this._bus.options.claimError === "NetworkError") return reject("NetworkError", "Unable to claim interface.");
    this._claimed.add(number);
    return Promise.resolve();
  }

  releaseInterface(number) {
    const error = this._configured();
    if (error) return error;
    this._claimed.delete(number);
    return Promise.resolve();
  }

  reset() {
    return this._deviceChange() || (this.opened ? Promise.resolve() : reject("InvalidStateError", OPEN_REQUIRED));
  }

  clearHalt() {
    const error = this._endpoint();
    if (error) return error;
    this._halted = false;
    return Promise.resolve();
  }

  async forget() {}

  transferOut(endpoint, data) {
    // `data` is a view into wasm memory: copy it now, before the caller's next allocation moves or reuses it.
    const view = ArrayBuffer.isView(data) ? data : new Uint8Array(data);
    const bytes = new Uint8Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
    const error = this._endpoint();
    if (error) return error;
    // Transfers queued in one go reach the node in the order they were made, as on one endpoint of a real device.
    const deliver = () => {
      if (this._gone) return;
      for (const packet of outPackets(bytes)) this._node.packet_out(packet);
      this._watchRequest();
      this._pump();
    };
    const delay = this._bus.options.answerDelayMs ?? 0;
    return new Promise((resolve, reject) => {
      queueMicrotask(() => {
        if (this._gone) return reject(TRANSFER_ERROR());
        // The transfer completes when the device has taken the packets; a busy node handles the request later,
        // its IN endpoint sending what it had queued meanwhile.
        if (delay > 0) this._requests = (this._requests ?? Promise.resolve()).then(() => later(delay)).then(deliver);
        else deliver();
        resolve({ status: "ok", bytesWritten: bytes.length });
      });
    });
  }

  /// Reports on the console (which the e2e test fails on) a request the node has been waiting to see the end of
  /// for `STUCK_MS`; the call that sent it waits as long.
  _watchRequest() {
    clearTimeout(this._stuck);
    const waiting = this._node.request_bytes_waiting();
    if (waiting === 0) return;
    this._stuck = setTimeout(() => {
      if (this._gone || !this.opened || this._node.request_bytes_waiting() !== waiting) return;
      console.error(
        `fake-usb: the node has waited ${STUCK_MS} ms for the end of a request (${waiting} bytes so far, in full ` +
          `${PACKET}-byte packets): a transfer whose length is a multiple of ${PACKET} must be followed by a ` +
          "zero-length packet (an empty transferOut)",
      );
    }, STUCK_MS);
  }

  transferIn(endpoint, length) {
    const error = this._endpoint();
    if (error) return error;
    return new Promise((resolve, reject) => {
      this._waiters.push({ resolve, reject, length, data: new Uint8Array(length), received: 0 });
      queueMicrotask(() => this._pump());
    });
  }

  async controlTransferOut() {
    const error = this._configured();
    if (error) return error;
    return { status: "ok", bytesWritten: 0 };
  }

  /// The node halts its bulk IN endpoint (a STALL handshake): the pending read ends as the platform reports a
  /// stall (`PLATFORMS`), and so does every read until the page clears the halt.
  stall() {
    this._halted = true;
    this._pump();
  }

  /// Advances the node's audio and moves the node's IN packets (answers first) into waiting `transferIn`s, as a
  /// host controller fills a transfer: it completes at a short (or zero-length) packet or when its buffer is full,
  /// and the packets after that go to the next transfer. So a message longer than the transfer arrives as a full
  /// transfer with status ok and its rest in the next one (a bulk URB of a multiple of the packet size completes
  /// when full; usbfs reports no error for data the device still has). A packet that does not fit the rest of a
  /// buffer that is not a multiple of the packet size is babble (the kernel's EOVERFLOW, which
  /// `ConvertTransferResult` in services/device/usb/usb_device_handle_usbfs.cc reports as BABBLE).
  _pump() {
    if (this._gone || !this.opened) return;
    this._node.tick();
    if (this._halted) {
      for (const waiter of this._waiters.splice(0)) {
        if (this._bus.platform.stall === "NetworkError") waiter.reject(TRANSFER_ERROR());
        else waiter.resolve({ status: "stall", data: new DataView(new ArrayBuffer(0)) });
      }
      return;
    }
    while (this._waiters.length > 0) {
      const packet = this._node.packet_in();
      if (packet === undefined) break;
      const waiter = this._waiters[0];
      const room = waiter.length - waiter.received;
      waiter.data.set(packet.subarray(0, room), waiter.received);
      waiter.received += Math.min(packet.length, room);
      let status = null;
      if (packet.length > room) status = "babble";
      else if (packet.length < PACKET || waiter.received === waiter.length) status = "ok";
      if (status === null) continue;
      this._waiters.shift();
      waiter.resolve({ status, data: new DataView(waiter.data.buffer, 0, waiter.received) });
    }
  }

  _fail(error) {
    for (const waiter of this._waiters.splice(0)) waiter.reject(error);
  }

  /// The cable is pulled. The pending transfers end as the platform reports it (`PLATFORMS.unplugged`); Blink's
  /// `OnConnectionError` (usb_device.cc) then rejects whatever is still pending with NotFoundError "The device was
  /// disconnected." and every later call the same. Which the page sees first, a rejected read or the `disconnect`
  /// event, depends on the order the browser process learns of it (the device service's removal notice and the
  /// failed URB travel separately): by default the read fails first and the event follows a task later; with
  /// `disconnectFirst` the event comes first and the read then ends with NotFoundError.
  _unplug(fireDisconnect) {
    const { unplugged } = this._bus.platform;
    this._gone = true;
    this.opened = false;
    clearInterval(this._timer);
    clearTimeout(this._stuck);
    this._node.free();
    if (this._bus.options.disconnectFirst) {
      fireDisconnect();
      setTimeout(() => this._fail(new DOMException(DISCONNECTED, "NotFoundError")), 0);
      return;
    }
    this._fail(unplugged === "AbortError" ? CANCELLED() : TRANSFER_ERROR());
    setTimeout(fireDisconnect, 0);
  }
}

/// A fake `navigator.usb` with permitted simulated nodes plugged in; `makeNode(serial)` returns a fresh `SimNode`
/// whose `info` reports that serial. `usb` is the event target to use as `navigator.usb` (a test's stand-in that
/// the page already holds), or a new one.
export function createFakeUsb(makeNode, options = globalThis.stapesFakeUsb ?? {}, usb = new EventTarget()) {
  const bus = { options, platform: PLATFORMS[options.platform ?? "linux"] };
  const nodes = options.nodes ?? [{ serial: SIM_SERIAL }];
  // serial → { device (while plugged), permitted }
  const slots = new Map(nodes.map((n) => [n.serial, { device: null, permitted: n.permitted ?? true }]));
  let microphone = null;
  const stopMicrophone = () => {
    if (!microphone) return;
    microphone.stream.getTracks().forEach((t) => t.stop());
    microphone.context.close();
    microphone = null;
  };
  const first = () => [...slots.values()].find((s) => s.device)?.device ?? null;
  usb.onconnect = null;
  usb.ondisconnect = null;
  const others = new Set();
  usb.getDevices = async () => [
    ...[...slots.values()].filter((s) => s.device && s.permitted).map((s) => s.device),
    ...others,
  ];
  // The chooser: the test's `choose(serial)` picks what the user would click; without one the first plugged node.
  let choice = null;
  usb.requestDevice = async () => {
    const slot = choice ? slots.get(choice) : [...slots.values()].find((s) => s.device);
    if (!slot?.device) throw new DOMException("No device selected.", "NotFoundError");
    slot.permitted = true;
    return slot.device;
  };
  const fire = (type, dev) => {
    const event = new Event(type);
    Object.defineProperty(event, "device", { value: dev });
    usb.dispatchEvent(event);
    const handler = usb["on" + type];
    if (typeof handler === "function") handler.call(usb, event);
  };
  const slotOf = (serial) => slots.get(serial ?? nodes[0].serial);
  const sim = {
    usb,
    plug(serial) {
      const slot = slotOf(serial);
      if (!slot || slot.device) return;
      slot.device = new FakeUsbDevice(makeNode(serial ?? nodes[0].serial), serial ?? nodes[0].serial, bus);
      fire("connect", slot.device);
    },
    unplug(serial) {
      const slot = slotOf(serial);
      if (!slot?.device) return;
      const gone = slot.device;
      slot.device = null;
      if (!bus.platform.replugPermitted) slot.permitted = false;
      if (gone === microphone?.device) stopMicrophone();
      gone._unplug(() => fire("disconnect", gone));
    },
    /// Plugs in another kind of device (a Pico 2 in BOOTSEL mode from `fake-picoboot.js`), permitted.
    attach(device) {
      others.add(device);
      fire("connect", device);
    },
    /// Unplugs a device `attach` plugged in.
    detach(device) {
      if (others.delete(device)) fire("disconnect", device);
    },
    /// The plugged node with `serial` (the first node's by default), or null.
    device(serial) {
      return slotOf(serial)?.device ?? null;
    },
    /// What the user picks in the browser's chooser next.
    choose(serial) {
      choice = serial;
    },
    /// Another bus of simulated nodes (same node factory) with its own `options`, firing events on `target`.
    bus(busOptions, target) {
      return createFakeUsb(makeNode, busOptions ?? {}, target);
    },
    /// Picks the plugged node's audio: a test signal name, or "microphone" (Web Audio at the node's sample rate).
    async setSignal(name) {
      const device = first();
      if (!device) return false;
      stopMicrophone();
      if (name === "microphone") {
        const stream = await navigator.mediaDevices.getUserMedia({
          audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
        });
        const context = new AudioContext({ sampleRate: device._node.sample_rate() });
        const source = context.createMediaStreamSource(stream);
        // ScriptProcessorNode: deprecated but needs no separate worklet file; 1024 samples per callback.
        const tap = context.createScriptProcessor(1024, 1, 1);
        tap.onaudioprocess = (e) => {
          if (!device._gone && device.opened) device._node.push_audio(e.inputBuffer.getChannelData(0));
        };
        source.connect(tap);
        tap.connect(context.destination);
        microphone = { stream, context, device };
      }
      return device._node.set_signal(name);
    },
    get plugged() {
      return first() !== null;
    },
  };
  for (const [serial, slot] of slots) {
    slot.device = new FakeUsbDevice(makeNode(serial), serial, bus);
  }
  return sim;
}
