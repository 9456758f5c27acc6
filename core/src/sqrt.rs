//! Square root. IEEE 754 requires it correctly rounded, so every implementation returns the same bits; this
//! picks the fast one per target: the FPU's `vsqrt.f32` on hard-float Arm (libm's portable routine there is a
//! bit-by-bit loop, hundreds of instructions), LLVM's `sqrt` (SSE, wasm `f32.sqrt`, vectorisable) with `std`,
//! and libm elsewhere.

// The FPU instruction as a two-instruction function: inline `asm!` cannot name FPU registers on this target
// without the unstable `vfp2` target feature.
#[cfg(all(target_arch = "arm", target_abi = "eabihf"))]
core::arch::global_asm!(
    ".syntax unified",
    ".thumb",
    ".fpu fpv5-sp-d16",
    ".section .text.stapes_vsqrt_f32,\"ax\",%progbits",
    ".global stapes_vsqrt_f32",
    ".type stapes_vsqrt_f32,%function",
    ".thumb_func",
    "stapes_vsqrt_f32:",
    "vsqrt.f32 s0, s0",
    "bx lr",
);

#[cfg(all(target_arch = "arm", target_abi = "eabihf"))]
unsafe extern "C" {
    fn stapes_vsqrt_f32(x: f32) -> f32;
}

/// `√x`, correctly rounded.
#[inline(always)]
pub fn sqrt(x: f32) -> f32 {
    #[cfg(all(target_arch = "arm", target_abi = "eabihf"))]
    {
        // SAFETY: `stapes_vsqrt_f32` (below) reads s0 and writes s0, as the hard-float C ABI passes an f32.
        unsafe { stapes_vsqrt_f32(x) }
    }
    #[cfg(all(not(all(target_arch = "arm", target_abi = "eabihf")), feature = "std"))]
    {
        x.sqrt()
    }
    #[cfg(all(not(all(target_arch = "arm", target_abi = "eabihf")), not(feature = "std")))]
    {
        libm::sqrtf(x)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn agrees_with_libm_bit_for_bit() {
        let mut bits = 0u32;
        while bits < 0x7f80_0000 {
            let x = f32::from_bits(bits);
            assert_eq!(super::sqrt(x).to_bits(), libm::sqrtf(x).to_bits(), "{x:e}");
            bits += 7919;
        }
        assert!(super::sqrt(-1.0).is_nan());
    }
}
