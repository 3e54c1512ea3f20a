//! Runtime choice of the fused multiply-add instruction for the kernels that use `f64::mul_add`.
//!
//! TA-Lib 0.8.1 ships an FMA build of those functions and picks it at run time; `f64::mul_add` gives the
//! same single-rounding result everywhere, but without the `fma` target feature it is a libm call per
//! operation. `fma_kernel!` compiles the body twice, once with `fma` enabled, and picks that copy when
//! the CPU has it; both copies compute the same bits.

/// Wraps `fn name(args) { body }` so the body runs as FMA machine code on CPUs that support it.
macro_rules! fma_kernel {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $body:block) => {
        $(#[$meta])*
        $vis fn $name($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                if std::arch::is_x86_feature_detected!("fma") {
                    #[target_feature(enable = "fma")]
                    unsafe fn with_fma($($arg: $ty),*) $body
                    // SAFETY: the CPU was just checked to support the `fma` target feature.
                    return unsafe { with_fma($($arg),*) };
                }
            }
            $body
        }
    };
}

pub(crate) use fma_kernel;
