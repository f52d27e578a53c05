//! What a call allocates, for the tests that claim a decoder reserves nothing a hostile header
//! asks for: [`PeakAlloc`], the system allocator counting per thread, and [`measure`].
//!
//! A test binary installs it once:
//!
//! ```text
//! #[global_allocator]
//! static ALLOC: neurice_testkit::alloc::PeakAlloc = neurice_testkit::alloc::PeakAlloc;
//! ```
//!
//! and measures a call with [`measure`], which panics when `PeakAlloc` is not the binary's
//! allocator (a measurement of nothing is not a pass). The counts are the calling thread's:
//! run the code under test on one thread (tests run in parallel threads of one process, so a
//! process-wide count would include the other tests).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// The system allocator, recording for the current thread the bytes it holds (allocated less
/// freed), their highest value, and the largest single request.
pub struct PeakAlloc;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn grew(by: isize, request: usize) {
    let _ = LIVE.try_with(|l| {
        let now = l.get() + by;
        l.set(now);
        let _ = PEAK.try_with(|p| p.set(p.get().max(now)));
    });
    let _ = LARGEST.try_with(|m| m.set(m.get().max(request)));
}

// SAFETY: every call is forwarded to `System` unchanged; the bookkeeping only touches
// thread-local cells without destructors (`try_with`: nothing during thread teardown).
unsafe impl GlobalAlloc for PeakAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size() as isize, layout.size());
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // not the default (alloc, then write zeros): large zeroed buffers stay untouched pages
        grew(layout.size() as isize, layout.size());
        System.alloc_zeroed(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        grew(-(layout.size() as isize), 0);
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        grew(new_size as isize - layout.size() as isize, new_size);
        System.realloc(ptr, layout, new_size)
    }
}

/// What a call allocated on the calling thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Allocated {
    /// The largest single request (allocation or reallocation), bytes.
    pub largest: usize,
    /// The most bytes held at once beyond what the thread held before the call.
    pub peak: usize,
}

/// Runs `f` on this thread and returns what it allocated. Panics if [`PeakAlloc`] is not the
/// test binary's global allocator.
pub fn measure<R>(f: impl FnOnce() -> R) -> (R, Allocated) {
    let reset = || {
        LARGEST.with(|m| m.set(0));
        let live = LIVE.with(|l| l.get());
        PEAK.with(|p| p.set(live));
        live
    };
    reset();
    let probe = std::hint::black_box(Vec::<u8>::with_capacity(4096));
    let seen = LARGEST.with(|m| m.get());
    drop(probe);
    assert!(
        seen >= 4096,
        "neurice_testkit::alloc::PeakAlloc is not this test binary's #[global_allocator]"
    );
    let base = reset();
    let r = f();
    let a = Allocated {
        largest: LARGEST.with(|m| m.get()),
        peak: (PEAK.with(|p| p.get()) - base).max(0) as usize,
    };
    (r, a)
}
