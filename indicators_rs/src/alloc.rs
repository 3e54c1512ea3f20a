//! The plugin's global allocator: Polars' own (buffers cross into Polars and are freed there), counted, so
//! a benchmark can read the peak memory one call of the plugin held, its output included.

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicUsize, Ordering};

use pyo3::prelude::*;
use pyo3_polars::PolarsAllocator;

/// [`PolarsAllocator`] with a count of the bytes the plugin holds and the most it has held.
pub struct CountingAllocator {
    inner: PolarsAllocator,
    held: AtomicUsize,
    peak: AtomicUsize,
}

impl CountingAllocator {
    pub const fn new() -> Self {
        Self {
            inner: PolarsAllocator::new(),
            held: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        }
    }

    fn grew(&self, bytes: usize) {
        let held = self.held.fetch_add(bytes, Ordering::Relaxed) + bytes;
        self.peak.fetch_max(held, Ordering::Relaxed);
    }

    fn shrank(&self, bytes: usize) {
        self.held.fetch_sub(bytes, Ordering::Relaxed);
    }
}

// SAFETY: every call is forwarded to Polars' allocator unchanged; the counters only observe.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { self.inner.alloc(layout) };
        if !ptr.is_null() {
            self.grew(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { self.inner.alloc_zeroed(layout) };
        if !ptr.is_null() {
            self.grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { self.inner.dealloc(ptr, layout) };
        self.shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { self.inner.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            self.shrank(layout.size());
            self.grew(new_size);
        }
        new
    }
}

#[global_allocator]
pub static ALLOC: CountingAllocator = CountingAllocator::new();

/// Bytes the plugin holds now (buffers it handed to Polars count until Polars frees them) and the most it
/// has held since the last reset; `reset` starts a new peak from what is held now.
#[pyfunction]
#[pyo3(signature = (reset = false))]
pub fn allocated_bytes(reset: bool) -> (usize, usize) {
    let held = ALLOC.held.load(Ordering::Relaxed);
    if reset {
        ALLOC.peak.store(held, Ordering::Relaxed);
    }
    (held, ALLOC.peak.load(Ordering::Relaxed))
}
