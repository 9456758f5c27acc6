// A fake RP2350 bootrom (BOOTSEL mode) for the dashboard's tests: a USBDevice-shaped object speaking PICOBOOT over
// an in-memory 4 MiB NOR flash, with one-shot fault injection. The same device as the Rust fake in
// `flasher/tests/fake/mod.rs`; `flasher/js/check-fake.mjs` runs the real Rust flasher (wasm) against this file.
//
// A classic script (Playwright `addInitScript`) and a CommonJS module (Node). It defines `globalThis.StapesFakePicoboot`:
//
//   const { FakePicoboot, createDevice, Status } = StapesFakePicoboot;
//   const boot = new FakePicoboot();                  // { productId: 0x0003 } for "a different chip"
//   new FakePicoboot({ bootselFlags: 1 });           // after the node's reboot into BOOTSEL: PICOBOOT alone
//   boot.inject({ kind: 'stall', id: 0x05, nth: 1, status: Status.UNKNOWN_ERROR }); // a failed write
//   boot.inject({ kind: 'corruptWrite', nth: 0 });    // a bit flips: verification must catch it
//   boot.inject({ kind: 'disconnect', nth: 5 });      // cable pulled when the 6th command arrives
//   boot.inject({ kind: 'hang', id: 0x05, nth: 1 });  // the 2nd WRITE never finishes, until an interface reset
//   const device = createDevice(boot);               // hand this to the page's fake navigator.usb
//   boot.payload(0x10000000, 4096);                  // what flash holds now; boot.log: commands received
//   boot.mismatch(uf2Bytes);                         // null if flash holds every page of the UF2
//   boot.reconnect();                                // plugged back in with BOOTSEL held
//
// Built from the A2 boot ROM's source (raspberrypi/pico-bootrom-rp2350) and as strict as it where a client could tell
// the difference; each behaviour cites the function it copies. Notably the flash-abort latch: set whenever the host
// configures the device (so on every plug-in) and by an interface reset during a command; while it is set, ERASE and
// WRITE change nothing yet succeed and READ returns zeros; only EXIT_XIP clears it.
//
// Faults fire once; a retry then succeeds. `boot.ondisconnect` / `boot.onreboot` are called when the device goes
// away (a disconnect fault, or REBOOT2 after its acknowledgement): the page's navigator.usb fires its events there.
(function (root) {
  'use strict';

  const FLASH_BASE = 0x10000000;
  const FLASH_LEN = 4 * 1024 * 1024;
  const SECTOR = 4096;
  const PAGE = 256;
  const MAGIC = 0x431fd10b;
  const IF_RESET = 0x41;
  const IF_CMD_STATUS = 0x42;
  const CMD = { EXCLUSIVE_ACCESS: 0x01, FLASH_ERASE: 0x03, READ: 0x84, WRITE: 0x05, EXIT_XIP: 0x06, REBOOT2: 0x0a };
  const ARG_LEN = { 0x01: 1, 0x03: 8, 0x84: 8, 0x05: 8, 0x06: 0, 0x0a: 16 };
  const STATUS_LEN = 16;
  const PACKET = 64; // full-speed bulk packet
  // REBOOT2 BOOTSEL flag (pico-sdk boot/picoboot_constants.h: BOOTSEL_FLAG_DISABLE_MSD_INTERFACE).
  const DISABLE_MSD = 0x01;
  const Status = {
    OK: 0, UNKNOWN_CMD: 1, INVALID_CMD_LENGTH: 2, INVALID_TRANSFER_LENGTH: 3, INVALID_ADDRESS: 4, BAD_ALIGNMENT: 5,
    INTERLEAVED_WRITE: 6, REBOOTING: 7, UNKNOWN_ERROR: 8, INVALID_STATE: 9, NOT_PERMITTED: 10, INVALID_ARG: 11,
  };
  // The RP2350 bootrom's descriptors (nsboot_usb_client.c: boot_device_config): mass storage on interface 0,
  // PICOBOOT (vendor class, OUT 0x03, IN 0x84) on interface 1.
  const MSD = { number: 0, cls: 0x08, in: 1, out: 2 };
  const PICOBOOT = { number: 1, cls: 0xff, in: 4, out: 3 };
  // Rebooted into BOOTSEL with the drive disabled (what the node does): nsboot_usb_client.c: nsboot_usb_device_init()
  // copies PICOBOOT's descriptor, same endpoints, into a one-interface configuration as interface 0.
  const PICOBOOT_ALONE = { ...PICOBOOT, number: 0 };

  /** The old image the flash holds before any update: a pattern, not 0xFF, so a missed erase shows. */
  function oldFlash() {
    const flash = new Uint8Array(FLASH_LEN);
    for (let i = 0; i < FLASH_LEN; i++) flash[i] = ((Math.imul(i, 31) >>> 3) & 0xff) ^ 0x5a;
    return flash;
  }

  /** The bootrom's PICOBOOT state machine, synchronous: each call is one USB transfer. */
  class FakePicoboot {
    constructor({ productId = 0x000f, flash = oldFlash(), bootselFlags = 0 } = {}) {
      this.productId = productId;
      // nsboot_usb_device_init(): `bootsel_flags & 3`, both bits set counts as neither.
      this.bootselFlags = (bootselFlags & 3) === 3 ? 0 : bootselFlags & 3;
      this.flash = flash;
      this.log = [];
      this.rebooted = false;
      this.exclusive = 0;
      this.faults = [];
      this.phase = { kind: 'command' };
      this.halted = false;
      this.disconnected = false;
      this.last = { token: 0, status: Status.OK, cmdId: 0 };
      this.seen = [];
      this.writes = 0;
      this.flashAborted = false;
      this.acksOut = []; // lengths of the host's OUT acknowledgements
      this.timeouts = []; // every timeout the host armed (check-fake.mjs records them), in ms
      this.ondisconnect = null;
      this.onreboot = null;
      this.configure(); // the host configures a device when it enumerates it
    }

    /** PICOBOOT alone as interface 0 (the node rebooted into BOOTSEL with the drive disabled). */
    get picobootAlone() {
      return (this.bootselFlags & DISABLE_MSD) !== 0;
    }

    /**
     * SET_CONFIGURATION (enumeration, or a program selecting the configuration again).
     * nsboot_usb_client.c: usb_device_on_configure_cb() aborts flash on every (de)configuration, then resets the
     * PICOBOOT interface (_picoboot_reset()).
     */
    configure() {
      this.flashAborted = true;
      this.interfaceReset();
    }

    /**
     * nsboot_usb_client.c: _picoboot_reset(): soft-resets both endpoints (cancels their transfers, clears their
     * halts), aborts flash if a command is in progress, zeroes the command status and resets the task queues, which
     * "also clears exclusive access".
     */
    interfaceReset() {
      if (this.last.inProgress) this.flashAborted = true;
      this.halted = false;
      this.phase = { kind: 'command' };
      this.last = { token: 0, status: Status.OK, cmdId: 0, inProgress: false };
      this.exclusive = 0;
    }

    inject(fault) {
      this.faults.push(fault);
    }

    reconnect() {
      this.disconnected = false;
      this.rebooted = false;
      this.configure();
    }

    /** A copy of `len` flash bytes at flash address `addr`. */
    payload(addr, len) {
      const at = addr - FLASH_BASE;
      return this.flash.slice(at, at + len);
    }

    /**
     * Checks that flash holds every page of a UF2 file (`Uint8Array`) at its address, skipping blocks flagged
     * not-main-flash or tagged RP2_IGNORE_BLOCK (the RP2350-E10 block). Returns null, or the first flash address
     * that differs.
     */
    mismatch(uf2) {
      const v = new DataView(uf2.buffer, uf2.byteOffset, uf2.byteLength);
      for (let at = 0; at + 512 <= uf2.length; at += 512) {
        const flags = v.getUint32(at + 8, true);
        const addr = v.getUint32(at + 12, true);
        const size = v.getUint32(at + 16, true);
        const ignored = (flags & 0x8000) !== 0 && v.getUint32(at + 32 + size, true) === 0x9957e304;
        if ((flags & 1) !== 0 || ignored) continue;
        const page = this.payload(addr, size);
        for (let i = 0; i < size; i++) if (page[i] !== uf2[at + 32 + i]) return addr + i;
      }
      return null;
    }

    takeFault(pick) {
      const i = this.faults.findIndex(pick);
      return i < 0 ? null : this.faults.splice(i, 1)[0];
    }

    /**
     * Halts both endpoints with `status` (nsboot_usb_client.c: _picoboot_cmd_packet_internal(), label `halt`, and
     * atc_chunk_task_done(), which also ends the command's in-progress state).
     */
    fail(status) {
      this.halted = true;
      this.last.status = status;
      this.last.inProgress = false;
      this.phase = { kind: 'command' };
    }

    /** picoboot_ack(): the command is no longer in progress once its acknowledgement starts. */
    ackIn() {
      this.last.inProgress = false;
      this.phase = { kind: 'ackIn' };
    }

    vanish() {
      this.disconnected = true;
      if (this.ondisconnect) this.ondisconnect();
    }

    /**
     * nsboot_async_task.c: _execute_task(): erase needs 4 KiB alignment, flash read and write a 256-byte-aligned
     * address (checked per 256-byte chunk, so a misaligned READ is refused too). Unlike the ROM (any address in the
     * 16 MiB window) the fake knows only its 4 MiB.
     */
    static checkRange(addr, size, align) {
      if (addr < FLASH_BASE || addr + size > FLASH_BASE + FLASH_LEN) return Status.INVALID_ADDRESS;
      if (addr % align !== 0 || size % align !== 0) return Status.BAD_ALIGNMENT;
      return Status.OK;
    }

    command(block) {
      const v = new DataView(block.buffer, block.byteOffset, block.byteLength);
      const id = block.length === 32 ? block[8] : -1;
      if (block.length !== 32 || v.getUint32(0, true) !== MAGIC || ARG_LEN[id] !== block[9]) {
        this.fail(Status.UNKNOWN_CMD);
        return 'ok';
      }
      const token = v.getUint32(4, true);
      const transferLength = v.getUint32(12, true);
      const a0 = v.getUint32(16, true);
      const a1 = v.getUint32(20, true);
      const expectLength = id === CMD.READ || id === CMD.WRITE ? a1 : 0;
      if (transferLength !== expectLength) {
        this.fail(Status.INVALID_TRANSFER_LENGTH);
        return 'ok';
      }
      const nth = this.seen.length;
      if (this.takeFault((f) => f.kind === 'disconnect' && f.nth === nth)) {
        this.vanish();
        return 'disconnected';
      }
      const nthOfId = this.seen.filter((s) => s === id).length;
      this.seen.push(id);
      const entry = { id, token };
      if (id === CMD.EXCLUSIVE_ACCESS) entry.mode = block[16];
      if (id === CMD.FLASH_ERASE || id === CMD.READ || id === CMD.WRITE) Object.assign(entry, { addr: a0, size: a1 });
      if (id === CMD.REBOOT2) Object.assign(entry, { flags: a0, delayMs: a1 });
      this.log.push(entry);
      // _picoboot_cmd_packet_internal(): a command that passes the checks is in progress until its acknowledgement
      // starts (picoboot_ack()); REBOOT2 is acknowledged at once.
      this.last = { token, status: Status.OK, cmdId: id, inProgress: id !== CMD.REBOOT2 };
      const stall = this.takeFault((f) => f.kind === 'stall' && f.id === id && f.nth === nthOfId);
      if (stall) {
        this.fail(stall.status);
        return 'ok';
      }
      if (this.takeFault((f) => f.kind === 'hang' && f.id === id && f.nth === nthOfId)) {
        this.phase = { kind: 'hung' };
        return 'ok';
      }
      let status = Status.OK;
      if (id === CMD.FLASH_ERASE) status = FakePicoboot.checkRange(a0, a1, SECTOR);
      if (id === CMD.WRITE || id === CMD.READ) status = FakePicoboot.checkRange(a0, a1, PAGE);
      if (status !== Status.OK) {
        this.fail(status);
        return 'ok';
      }
      if (id === CMD.EXCLUSIVE_ACCESS) this.exclusive = block[16];
      // nsboot_async_task.c: _do_flash_exit_xip(): "On RP2350 this just clears the flash abort".
      if (id === CMD.EXIT_XIP) this.flashAborted = false;
      // varm_generic_flash.c: s_varm_api_flash_range_erase() loops while !s_varm_flash_was_aborted(): aborted, it
      // erases nothing and returns success.
      if (id === CMD.FLASH_ERASE && !this.flashAborted) this.flash.fill(0xff, a0 - FLASH_BASE, a0 - FLASH_BASE + a1);
      if (id === CMD.WRITE) this.phase = { kind: 'dataOut', addr: a0, size: a1 };
      else if (id === CMD.READ) this.phase = { kind: 'dataIn', addr: a0, size: a1 };
      else if (id === CMD.REBOOT2) this.phase = { kind: 'ackIn' };
      else this.ackIn();
      return 'ok';
    }

    /** Bulk OUT: returns 'ok', 'stall', 'disconnected' or 'hang' (never answered). */
    out(data) {
      if (this.disconnected) return 'disconnected';
      if (this.halted) return 'stall';
      const p = this.phase;
      if (p.kind === 'command') return this.command(data);
      if (p.kind === 'hung') return 'hang';
      if (p.kind === 'dataOut' && data.length === p.size) {
        // s_varm_api_flash_range_program() stops at once while aborted: nothing is programmed.
        if (!this.flashAborted) {
          const at = p.addr - FLASH_BASE;
          for (let i = 0; i < data.length; i++) this.flash[at + i] &= data[i]; // NOR: programming only clears bits
          const nth = this.writes++;
          if (this.takeFault((f) => f.kind === 'corruptWrite' && f.nth === nth)) this.flash[at + 100] ^= 0x04;
        }
        this.ackIn();
        return 'ok';
      }
      // picoboot_ack() starts usb_start_empty_transfer() on the OUT endpoint: a one-packet transfer that takes any
      // single packet (usb_device.c: usb_current_packet_only_transfer_type); a second packet would be a command.
      if (p.kind === 'ackOut' && data.length <= PACKET) {
        this.acksOut.push(data.length);
        this.phase = { kind: 'command' };
        return 'ok';
      }
      this.fail(Status.INVALID_TRANSFER_LENGTH);
      return 'stall';
    }

    /** Bulk IN of at most `length` bytes: `{ status: 'ok', data }`, or a status 'stall', 'disconnected', 'hang'. */
    in(length) {
      if (this.disconnected) return { status: 'disconnected' };
      if (this.halted) return { status: 'stall' };
      const p = this.phase;
      if (p.kind === 'hung') return { status: 'hang' };
      if (p.kind === 'dataIn' && length >= p.size) {
        this.last.inProgress = false;
        this.phase = { kind: 'ackOut' };
        // s_varm_flash_abort() forces the flash data input (SD1) low: while aborted every byte reads as zero.
        return { status: 'ok', data: this.flashAborted ? new Uint8Array(p.size) : this.payload(p.addr, p.size) };
      }
      if (p.kind === 'ackIn') {
        this.phase = { kind: 'command' };
        const last = this.log[this.log.length - 1];
        if (last && last.id === CMD.REBOOT2) {
          this.rebooted = true;
          this.vanish();
          if (this.onreboot) this.onreboot(last);
        }
        return { status: 'ok', data: new Uint8Array(0) };
      }
      this.fail(Status.INVALID_STATE);
      return { status: 'stall' };
    }

    /** Vendor control OUT to the PICOBOOT interface (picoboot_setup_request_handler(): IF_RESET only). */
    controlOut(request) {
      if (this.disconnected) return 'disconnected';
      if (request !== IF_RESET) return 'stall';
      this.interfaceReset();
      return 'ok';
    }

    /**
     * Vendor control IN from the PICOBOOT interface. picoboot_setup_request_handler() answers IF_CMD_STATUS only when
     * `wLength == sizeof(_picoboot_current_cmd_status)` (16); any other request or length is unhandled and stalls.
     */
    controlIn(request, length) {
      if (this.disconnected) return { status: 'disconnected' };
      if (request !== IF_CMD_STATUS || length !== STATUS_LEN) return { status: 'stall' };
      const reply = new Uint8Array(STATUS_LEN);
      const v = new DataView(reply.buffer);
      v.setUint32(0, this.last.token, true);
      v.setUint32(4, this.last.status, true);
      reply[8] = this.last.cmdId;
      reply[9] = this.last.inProgress ? 1 : 0;
      return { status: 'ok', data: reply };
    }

    /**
     * CLEAR_FEATURE(ENDPOINT_HALT) on a PICOBOOT endpoint (usb_device.c, USB_REQUEST_CLEAR_FEATURE) hard-resets it
     * (usb_reset_endpoint()): its transfer is cancelled, its halt cleared, and the OUT endpoint waits for a command
     * again. The command's in-progress state is left as it was. Returns 'ok' or 'disconnected'.
     */
    clearHalt() {
      if (this.disconnected) return 'disconnected';
      this.halted = false;
      this.phase = { kind: 'command' };
      return 'ok';
    }
  }

  function domError(name, message) {
    if (typeof DOMException === 'function') return new DOMException(message, name);
    const e = new Error(message);
    e.name = name;
    return e;
  }

  /** Copies a BufferSource now: WebUSB callers pass views into wasm memory, which may move after the call. */
  function bytesOf(data) {
    if (data === undefined || data === null) return new Uint8Array(0);
    if (data instanceof ArrayBuffer) return new Uint8Array(data.slice(0));
    return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  }

  function endpoint(number, direction) {
    return { endpointNumber: number, direction, type: 'bulk', packetSize: 64 };
  }

  function usbInterface(d) {
    const alternate = {
      alternateSetting: 0, interfaceClass: d.cls, interfaceSubclass: 0, interfaceProtocol: d.cls === 0x08 ? 0x50 : 0,
      interfaceName: null, endpoints: [endpoint(d.in, 'in'), endpoint(d.out, 'out')],
    };
    return { interfaceNumber: d.number, alternate, alternates: [alternate], claimed: false };
  }

  /**
   * A USBDevice-shaped object over `boot` (a FakePicoboot). `options.delayMs` delays every transfer (so a progress
   * bar visibly moves); 0 resolves at once. `options.platform: 'windows'` reports a stall as Chrome on Windows does:
   * services/device/usb/usb_device_handle_win.cc `UsbDeviceHandleWin::TransferComplete` turns every WinUSB error
   * (but ERROR_REQUEST_ABORTED in newer versions) into TRANSFER_ERROR, which Blink's `CheckFatalTransferStatus`
   * (third_party/blink/renderer/modules/webusb/usb_device.cc) rejects with NetworkError "A transfer error has
   * occurred.", the same as a transfer cut by an unplug; elsewhere a stall resolves with `status: 'stall'`
   * (usb_device_handle_usbfs.cc `ConvertTransferResult`: EPIPE is STALLED).
   */
  function createDevice(boot, { delayMs = 0, serialNumber = 'E0C9125B0D9B', platform = 'linux' } = {}) {
    const picoboot = boot.picobootAlone ? PICOBOOT_ALONE : PICOBOOT;
    const interfaces = boot.picobootAlone ? [usbInterface(PICOBOOT_ALONE)] : [usbInterface(MSD), usbInterface(PICOBOOT)];
    const configuration = { configurationValue: 1, configurationName: null, interfaces };
    const dev = {};
    let opened = false;
    let active = null;
    const claimed = new Set();
    const settle = (value) =>
      delayMs > 0 ? new Promise((resolve) => setTimeout(() => resolve(value), delayMs)) : Promise.resolve(value);
    const gone = () => Promise.reject(domError('NotFoundError', 'The device was disconnected.'));
    const ready = () => {
      if (boot.disconnected) return gone();
      if (!opened) return Promise.reject(domError('InvalidStateError', 'The device must be opened first.'));
      return null;
    };
    const readyOn = (ep, direction) => {
      const notReady = ready();
      if (notReady) return notReady;
      const want = direction === 'in' ? picoboot.in : picoboot.out;
      if (ep === want && claimed.has(picoboot.number)) return null;
      return Promise.reject(
        domError('NotFoundError', 'The specified endpoint is not part of a claimed and selected alternate interface.'),
      );
    };
    const controlReady = (setup) => {
      const notReady = ready();
      if (notReady) return notReady;
      if (setup.requestType !== 'vendor' || setup.recipient !== 'interface' || setup.index !== picoboot.number) {
        return settle({ status: 'stall' });
      }
      if (!claimed.has(picoboot.number)) {
        return Promise.reject(domError('InvalidStateError', 'The interface must be claimed first.'));
      }
      return null;
    };
    // A transfer the device never answers stays pending (Chromium has no transfer timeout).
    const never = () => new Promise(() => {});
    const stalled = () => Promise.reject(domError('NetworkError', 'A transfer error has occurred.'));
    const inResult = (r) => {
      if (r.status === 'disconnected') return gone();
      if (r.status === 'hang') return never();
      if (r.status === 'stall' && platform === 'windows') return stalled();
      if (r.status !== 'ok') return settle({ status: r.status, data: undefined });
      return settle({ status: 'ok', data: new DataView(r.data.buffer, r.data.byteOffset, r.data.byteLength) });
    };
    const outResult = (status, n) => {
      if (status === 'disconnected') return gone();
      if (status === 'hang') return never();
      if (status === 'stall' && platform === 'windows') return stalled();
      return settle({ status, bytesWritten: status === 'ok' ? n : 0 });
    };
    const props = {
      vendorId: 0x2e8a, productId: boot.productId, deviceClass: 0, deviceSubclass: 0, deviceProtocol: 0,
      deviceVersionMajor: 1, deviceVersionMinor: 0, deviceVersionSubminor: 0, usbVersionMajor: 2, usbVersionMinor: 1,
      usbVersionSubminor: 0, manufacturerName: 'Raspberry Pi', productName: boot.productId === 0x0003 ? 'RP2 Boot' : 'RP2350 Boot',
      serialNumber, configurations: [configuration],
    };
    for (const [k, v] of Object.entries(props)) Object.defineProperty(dev, k, { value: v, enumerable: true });
    Object.defineProperty(dev, 'opened', { get: () => opened, enumerable: true });
    Object.defineProperty(dev, 'configuration', { get: () => active, enumerable: true });
    Object.assign(dev, {
      open() {
        if (boot.disconnected) return gone();
        opened = true;
        return settle(undefined);
      },
      close() {
        opened = false;
        claimed.clear();
        for (const i of configuration.interfaces) i.claimed = false;
        return settle(undefined);
      },
      forget() {
        return dev.close();
      },
      reset() {
        // A port reset: the host enumerates and configures the device again, which arms the flash abort.
        const notReady = ready();
        if (notReady) return notReady;
        boot.configure();
        return settle(undefined);
      },
      selectConfiguration(value) {
        const notReady = ready();
        if (notReady) return notReady;
        if (value !== 1) return Promise.reject(domError('NotFoundError', 'The configuration value provided is not supported by the device.'));
        // Treated as a SET_CONFIGURATION every time (the strictest reading): the ROM arms its flash abort.
        boot.configure();
        active = configuration;
        return settle(undefined);
      },
      claimInterface(number) {
        const notReady = ready();
        if (notReady) return notReady;
        if (!active) return Promise.reject(domError('InvalidStateError', 'The device must have a configuration selected.'));
        const iface = configuration.interfaces.find((i) => i.interfaceNumber === number);
        if (!iface) return Promise.reject(domError('NotFoundError', 'The interface number provided is not supported by the device in its current configuration.'));
        if (iface.alternate.interfaceClass === 0x08) {
          return Promise.reject(domError('SecurityError', 'The requested interface implements a protected class.'));
        }
        claimed.add(number);
        iface.claimed = true;
        return settle(undefined);
      },
      releaseInterface(number) {
        const notReady = ready();
        if (notReady) return notReady;
        claimed.delete(number);
        const iface = configuration.interfaces.find((i) => i.interfaceNumber === number);
        if (iface) iface.claimed = false;
        return settle(undefined);
      },
      selectAlternateInterface(number, alternate) {
        return ready() || (alternate === 0 ? settle(undefined) : Promise.reject(domError('NotFoundError', 'No such alternate setting.')));
      },
      clearHalt(direction, ep) {
        const notReady = readyOn(ep, direction);
        if (notReady) return notReady;
        return boot.clearHalt() === 'disconnected' ? gone() : settle(undefined);
      },
      controlTransferOut(setup, data) {
        const notReady = controlReady(setup);
        if (notReady) return notReady;
        const bytes = bytesOf(data);
        return outResult(bytes.length === 0 ? boot.controlOut(setup.request) : 'stall', bytes.length);
      },
      controlTransferIn(setup, length) {
        return controlReady(setup) || inResult(boot.controlIn(setup.request, length));
      },
      transferOut(ep, data) {
        const bytes = bytesOf(data); // synchronously, before anything else can touch wasm memory
        return readyOn(ep, 'out') || outResult(boot.out(bytes), bytes.length);
      },
      transferIn(ep, length) {
        return readyOn(ep, 'in') || inResult(boot.in(length));
      },
      isochronousTransferIn() {
        return Promise.reject(domError('NotSupportedError', 'No isochronous endpoints.'));
      },
      isochronousTransferOut() {
        return Promise.reject(domError('NotSupportedError', 'No isochronous endpoints.'));
      },
    });
    // web-sys `dyn_into::<UsbDevice>()` checks `instanceof USBDevice`: give the fake the real prototype where one
    // exists (own properties above shadow its getters).
    if (typeof root.USBDevice === 'function') Object.setPrototypeOf(dev, root.USBDevice.prototype);
    return dev;
  }

  const api = { FakePicoboot, createDevice, Status, CMD, FLASH_BASE, FLASH_LEN, SECTOR, PICOBOOT_INTERFACE: PICOBOOT.number, DISABLE_MSD };
  root.StapesFakePicoboot = api;
  if (typeof module === 'object' && module.exports) module.exports = api;
})(typeof globalThis !== 'undefined' ? globalThis : this);
