//! Time, from whatever the platform has: `embassy_time::Instant` on the device, `performance.now()` in the browser,
//! a counter in tests.

/// A monotonic microsecond clock.
pub trait Clock {
    /// Microseconds since an arbitrary fixed origin (the node only takes differences).
    fn now_us(&self) -> u64;
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now_us(&self) -> u64 {
        (**self).now_us()
    }
}
