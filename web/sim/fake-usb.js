// A fake `navigator.usb` with one stapes node behind it, so the page's real WebUSB code path (web-sys calls by
// name) runs unchanged against the simulated node. The page creates it with a factory of `SimNode`s (the node
// library compiled into the page's wasm); the Playwright tests drive `plug()`/`unplug()` through
// `window.stapesSim`. A plug is a power-on: a fresh node boots from the flash it saved to localStorage.
//
// Between the page and the node is a full-speed bus: transfers travel as 64-byte packets, and the node frames them
// with the firmware's own code (`SimNode.packet_out`/`packet_in`), so a request is answered only once its transfer
// has ended with a short or zero-length packet, as on a board.

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

class FakeUsbDevice {
  constructor(node) {
    this._node = node;
    this._gone = false;
    this._waiters = [];
    this._timer = null;
    this._stuck = null;
    this.vendorId = 0x1209;
    this.productId = 0x0001;
    this.manufacturerName = "stapes";
    this.productName = "stapes node (simulated)";
    this.serialNumber = "SIMULATED";
    this.opened = false;
    this.configuration = null;
    this.configurations = [CONFIGURATION];
  }

  _check() {
    if (this._gone) throw new DOMException("The device was disconnected.", "NotFoundError");
  }

  _checkOpen() {
    this._check();
    if (!this.opened) throw new DOMException("The device must be opened first.", "InvalidStateError");
  }

  async open() {
    this._check();
    if (!this.opened) {
      this.opened = true;
      this._timer = setInterval(() => this._pump(), TICK_MS);
    }
  }

  async close() {
    this.opened = false;
    clearInterval(this._timer);
    clearTimeout(this._stuck);
    this._fail(new DOMException("The transfer was cancelled.", "AbortError"));
  }

  async selectConfiguration(value) {
    this._checkOpen();
    if (value !== 1) throw new DOMException("The configuration value provided is not supported.", "NotFoundError");
    this.configuration = CONFIGURATION;
  }

  async claimInterface(number) {
    this._checkOpen();
    if (number !== 0) throw new DOMException("The interface number provided is not supported.", "NotFoundError");
  }

  async releaseInterface() {
    this._checkOpen();
  }

  async reset() {
    this._checkOpen();
  }

  async forget() {}

  transferOut(endpoint, data) {
    try {
      this._checkOpen();
    } catch (e) {
      return Promise.reject(e);
    }
    // `data` is a view into wasm memory: copy it now, before the caller's next allocation moves or reuses it.
    const view = ArrayBuffer.isView(data) ? data : new Uint8Array(data);
    const bytes = new Uint8Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
    // Transfers queued in one go reach the node in the order they were made, as on one endpoint of a real device.
    return new Promise((resolve, reject) => {
      queueMicrotask(() => {
        if (this._gone) return reject(new DOMException("A transfer error has occurred.", "NetworkError"));
        for (const packet of outPackets(bytes)) this._node.packet_out(packet);
        this._watchRequest();
        this._pump();
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
    try {
      this._checkOpen();
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise((resolve, reject) => {
      this._waiters.push({ resolve, reject, length, data: new Uint8Array(length), received: 0 });
      queueMicrotask(() => this._pump());
    });
  }

  async controlTransferOut() {
    this._checkOpen();
    return { status: "ok", bytesWritten: 0 };
  }

  /// Advances the node's audio and moves the node's IN packets (answers first) into waiting `transferIn`s, as a
  /// host controller fills a transfer: it completes at a short (or zero-length) packet or when its buffer is full,
  /// and the packets after that go to the next transfer. A packet that does not fit the rest of the buffer is
  /// babble (the kernel's EOVERFLOW, which `ConvertTransferResult` in services/device/usb/
  /// usb_device_handle_usbfs.cc reports as BABBLE).
  _pump() {
    if (this._gone || !this.opened) return;
    this._node.tick();
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

  _unplug() {
    this._gone = true;
    this.opened = false;
    clearInterval(this._timer);
    clearTimeout(this._stuck);
    this._fail(new DOMException("A transfer error has occurred.", "NetworkError"));
    this._node.free();
  }
}

/// A fake `navigator.usb` with one permitted simulated node plugged in; `makeNode()` returns a fresh `SimNode`.
export function createFakeUsb(makeNode) {
  const usb = new EventTarget();
  let device = null;
  let microphone = null;
  const stopMicrophone = () => {
    if (!microphone) return;
    microphone.stream.getTracks().forEach((t) => t.stop());
    microphone.context.close();
    microphone = null;
  };
  usb.onconnect = null;
  usb.ondisconnect = null;
  usb.getDevices = async () => (device ? [device] : []);
  usb.requestDevice = async () => {
    if (!device) throw new DOMException("No device selected.", "NotFoundError");
    return device;
  };
  const fire = (type, dev) => {
    const event = new Event(type);
    Object.defineProperty(event, "device", { value: dev });
    usb.dispatchEvent(event);
    const handler = usb["on" + type];
    if (typeof handler === "function") handler.call(usb, event);
  };
  const sim = {
    usb,
    plug() {
      if (device) return;
      device = new FakeUsbDevice(makeNode());
      fire("connect", device);
    },
    unplug() {
      if (!device) return;
      const gone = device;
      device = null;
      stopMicrophone();
      gone._unplug();
      fire("disconnect", gone);
    },
    /// Picks the plugged node's audio: a test signal name, or "microphone" (Web Audio at the node's sample rate).
    async setSignal(name) {
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
        const fed = device;
        tap.onaudioprocess = (e) => {
          if (!fed._gone && fed.opened) fed._node.push_audio(e.inputBuffer.getChannelData(0));
        };
        source.connect(tap);
        tap.connect(context.destination);
        microphone = { stream, context };
      }
      return device._node.set_signal(name);
    },
    get plugged() {
      return device !== null;
    },
  };
  device = new FakeUsbDevice(makeNode());
  return sim;
}
