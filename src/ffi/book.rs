//! The book object inside a book callback: its levels, best first.

use super::*;

/// Copies up to `max` levels of one side (`AXH_BID`/`AXH_ASK`), best first, into `out`; `*count` receives how
/// many. The book holds its configured depth of exact levels.
///
/// # Safety
/// `book` is the book the current book callback received; `out` is NULL or holds `max` writable levels; `count`
/// is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn axh_book_levels(
    book: *const AxhBook,
    side: c_int,
    out: *mut AxhLevel,
    max: usize,
    count: *mut usize,
) -> c_int {
    status(|| {
        if book.is_null() || count.is_null() || (out.is_null() && max > 0) {
            return Err(FfiError::new(AXH_E_NULL, "book, out or count is NULL"));
        }
        if !bridge::book_is_live(book) {
            return Err(FfiError::new(
                AXH_E_STATE,
                "book is valid only during the book callback that received it",
            ));
        }
        let side = u8::try_from(side)
            .ok()
            .filter(|s| *s == AXH_BID || *s == AXH_ASK)
            .ok_or_else(|| FfiError::new(AXH_E_ARG, "side is AXH_BID or AXH_ASK"))?;
        // SAFETY: the live book of this thread's book callback (a `&Book` that outlives the callback).
        let b = unsafe { &*book.cast::<crate::book::Book>() };
        let levels = if max == 0 {
            &mut [][..]
        } else {
            // SAFETY: `out` holds `max` writable levels per the contract.
            unsafe { std::slice::from_raw_parts_mut(out, max) }
        };
        let n = bridge::book_levels(b, side, levels).unwrap_or(0);
        // SAFETY: non-NULL and writable per the contract.
        unsafe { count.write(n) };
        Ok(())
    })
}
