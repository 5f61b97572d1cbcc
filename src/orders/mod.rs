//! The in-flight order tracker: fixed-capacity slab, state machine, fills, balances.
