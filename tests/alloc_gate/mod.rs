//! The counting allocator behind the zero-allocation tests (`mod alloc_gate;` plus the `#[global_allocator]` line).
//!
//! Only threads that switched `COUNTING` on are counted: the test harness's threads and in-process servers
//! (simulator, test TLS server) allocate freely while the engine thread is measured.
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

pub struct Counting;

thread_local! {
    pub static COUNTING: Cell<bool> = const { Cell::new(false) };
}

/// Allocations made by counting threads.
pub static ALLOCS: AtomicU64 = AtomicU64::new(0);

fn counting() -> bool {
    // `try_with`: the allocator may run while a thread's locals are being torn down.
    COUNTING.try_with(|c| c.get()).unwrap_or(false)
}

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if counting() {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if counting() {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}
