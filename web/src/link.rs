//! The connection state machine the page shows: what the user can do next depends only on this state.

/// Where the page stands with its node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Link {
    /// No permitted node is plugged in (the user can pick one or use the simulated node).
    NoDevice,
    /// A node is plugged in but the page has no permission yet: the user must click "Connect" (a browser rule).
    NeedsPermission,
    /// Opening the device, claiming the interface, asking for `info`.
    Connecting,
    /// `info` answered; no stream subscribed.
    Connected,
    /// Frames are arriving.
    Streaming,
    /// The device is a Pico 2 in BOOTSEL mode (RP2350 boot ROM): only a firmware update can talk to it.
    Bootloader,
    /// Something failed; the message says what to do.
    Error(String),
}

/// What happened, from the browser or from the node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The page looked at `navigator.usb` (at load, or after a connect/disconnect event).
    Scan {
        /// Nodes the page may open without asking.
        permitted: usize,
        /// A permitted device is in BOOTSEL mode.
        bootloader: bool,
    },
    /// The user asked to connect (the chooser, or the simulated node).
    Open,
    /// `info` came back.
    Ready,
    /// The first frame of a subscribed stream arrived.
    Frame,
    /// The stream was stopped on purpose.
    Stopped,
    /// The device went away (unplug, reboot).
    Unplugged,
    /// A failure with an actionable message.
    Failed(String),
}

impl Link {
    /// The state after `event`. Events that make no sense in a state leave it unchanged (a late frame after a stop,
    /// a scan while connected).
    pub fn on(&self, event: &Event) -> Link {
        use Link::*;
        match (self, event) {
            (_, Event::Failed(message)) => Error(message.clone()),
            (_, Event::Unplugged) => NoDevice,
            (NoDevice | NeedsPermission | Error(_) | Bootloader, Event::Scan { bootloader: true, .. }) => Bootloader,
            (NoDevice | NeedsPermission | Error(_) | Bootloader, Event::Scan { permitted, .. }) => {
                if *permitted > 0 {
                    NeedsPermission
                } else {
                    NoDevice
                }
            }
            (NoDevice | NeedsPermission | Error(_) | Bootloader | Connected, Event::Open) => Connecting,
            (Connecting, Event::Ready) => Connected,
            (Connected | Streaming, Event::Frame) => Streaming,
            (Streaming, Event::Stopped) => Connected,
            (state, _) => state.clone(),
        }
    }

    /// Whether the page holds an open device (requests can be sent).
    pub fn is_open(&self) -> bool {
        matches!(self, Link::Connected | Link::Streaming)
    }

    /// A short label for the status badge.
    pub fn label(&self) -> &'static str {
        match self {
            Link::NoDevice => "no device",
            Link::NeedsPermission => "needs permission",
            Link::Connecting => "connecting",
            Link::Connected => "connected",
            Link::Streaming => "streaming",
            Link::Bootloader => "bootloader",
            Link::Error(_) => "error",
        }
    }
}

/// The message for a failed `open()`/`claimInterface()`, by the DOMException name the browser gives, with what to
/// try next. Blink rejects every failure of the OS to open a device as `SecurityError: Access denied.`
/// (`USBDevice::AsyncOpen`, third_party/blink/renderer/modules/webusb/usb_device.cc; whatwg/usb#256): the page has
/// permission, the OS refused. A `NotFoundError` from `open()` is a device that went away (`OnConnectionError`),
/// which the caller shows as an unplug.
pub fn explain_open_failure(name: &str, message: &str) -> String {
    match name {
        "SecurityError" => format!(
            "Access to the node was denied ({message}). On Linux, install the udev rule firmware/60-stapes.rules \
             (it lets you open vendor {UDEV_VENDOR} devices) and replug the node; on Android, allow the browser to \
             use it when asked; on macOS and Windows, close other tabs or programs (picotool) that hold it. Then \
             click “Connect a node…”."
        ),
        "NetworkError" | "InvalidStateError" => {
            "The node is busy: close other tabs or programs using it, then reconnect.".to_owned()
        }
        "NotFoundError" => "The node was disconnected: plug it back in.".to_owned(),
        _ => format!(
            "Could not open the node ({name}: {message}). On Linux, allow access with the udev rule \
             firmware/60-stapes.rules: SUBSYSTEM==\"usb\", ATTRS{{idVendor}}==\"{UDEV_VENDOR}\", \
             ATTRS{{idProduct}}==\"0001\", TAG+=\"uaccess\""
        ),
    }
}

/// The node's USB vendor id as udev spells it (the pid.codes test VID of `firmware/60-stapes.rules`).
const UDEV_VENDOR: &str = "1209";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plug_connect_stream_unplug() {
        let s = Link::NoDevice.on(&Event::Scan { permitted: 1, bootloader: false });
        assert_eq!(s, Link::NeedsPermission);
        let s = s.on(&Event::Open).on(&Event::Ready);
        assert_eq!(s, Link::Connected);
        let s = s.on(&Event::Frame);
        assert_eq!(s, Link::Streaming);
        assert_eq!(s.on(&Event::Scan { permitted: 1, bootloader: false }), Link::Streaming);
        assert_eq!(s.on(&Event::Stopped), Link::Connected);
        assert_eq!(s.on(&Event::Unplugged), Link::NoDevice);
    }

    #[test]
    fn bootloader_and_errors() {
        assert_eq!(Link::NoDevice.on(&Event::Scan { permitted: 1, bootloader: true }), Link::Bootloader);
        let e = Link::Connecting.on(&Event::Failed("busy".into()));
        assert_eq!(e, Link::Error("busy".into()));
        assert_eq!(e.on(&Event::Open), Link::Connecting);
        // A frame before `info` answered does not skip the handshake.
        assert_eq!(Link::Connecting.on(&Event::Frame), Link::Connecting);
        assert_eq!(Link::NoDevice.on(&Event::Stopped), Link::NoDevice);
    }

    #[test]
    fn failure_messages_are_actionable() {
        assert!(explain_open_failure("NetworkError", "x").contains("other tabs"));
        assert!(explain_open_failure("AbortError", "x").contains("udev"));
        // Denied by the OS: the udev rule of the node's vendor, not the bootloader's, and no secure-context story.
        let denied = explain_open_failure("SecurityError", "Access denied.");
        assert!(denied.contains("60-stapes.rules") && denied.contains("1209"), "{denied}");
        assert!(!denied.contains("secure context") && !denied.contains("2e8a"), "{denied}");
        assert!(explain_open_failure("AbortError", "x").contains("\"1209\""));
        assert!(explain_open_failure("NotFoundError", "x").contains("disconnected"));
    }
}
