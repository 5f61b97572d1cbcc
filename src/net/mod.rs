//! Transports: TLS over mio, HTTP/1.1, WebSocket, timers.
