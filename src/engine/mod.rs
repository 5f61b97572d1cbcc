//! The event loop: connections, timers, reconnect and backoff, dispatch.
