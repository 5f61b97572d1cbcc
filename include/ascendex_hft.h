/*
 * ascendex_hft.h -- C ABI of ascendex-hft, a low-latency trading core for the AscendEX exchange.
 *
 * Link: libascendex_hft.a (cargo build --release --lib) plus -lpthread -ldl -lm -lrt -lutil -lgcc_s -lc
 * (the list `cargo rustc --release --lib -- --print native-static-libs` prints). C99.
 *
 * NUMBERS. Prices, quantities and fees never cross this ABI as floating point: each is an int64 mantissa with a
 * scale (number of decimals), value = mantissa / 10^scale. "60000.10" at scale 2 is 6000010. Every struct that
 * carries a number carries its scale; axh_format_decimal / axh_parse_decimal convert exactly. Three scales per
 * symbol (see axh_symbol_info): price_scale (prices), qty_scale (order sizes: place requests, order events, fills)
 * and book_qty_scale (market-data sizes: book levels, trades; finer than the lot). Fees use fee_scale. Balances
 * carry their asset's scale (axh_balance.scale).
 *
 * THREADING. An engine is used by one thread at a time: create and configure it on one thread, and run it on that
 * thread or hand it to another before axh_engine_run (never two calls at once; a second concurrent call fails with
 * AXH_E_STATE rather than corrupt it). axh_engine_run runs the event loop on the calling thread and every callback
 * runs on that thread, inline, in the order events arrive: a callback must not block or take long (the next
 * market-data message waits behind it). The only function that may be called from any thread at any time is
 * axh_engine_stop (it sets an atomic flag). Several engines may run on different threads (with different
 * client_id_tag values when they trade one account). The last-error message is per thread. Pin the loop with AXH_MODE_SPIN and axh_config.core.
 *
 * OWNERSHIP. axh_engine_new copies everything from the config (the caller may free it right after); the API
 * secret is copied once into memory that is wiped when the engine is freed, and is never logged or printed.
 * Pointers a callback receives (ctx, update, book, trade, event, fill, balance, and strings in them) are valid only
 * until that callback returns: copy what you need. Using a ctx or book after its callback returns fails with
 * AXH_E_STATE. Strings the library returns (axh_version, axh_order_status_name) are static; axh_last_error's
 * string is valid until the next failing call on the same thread.
 *
 * ERRORS. Functions returning int return AXH_OK (0) or a negative AXH_E_* code and set a message readable with
 * axh_last_error() on the calling thread. No function panics or unwinds into C; an internal error is reported as
 * AXH_E_PANIC.
 */
#ifndef ASCENDEX_HFT_H
#define ASCENDEX_HFT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Additions that change no existing function or struct (new functions, new structs) keep the version: ABI 1 gained
 * axh_balance, axh_engine_on_balance, axh_ctx_asset_count, axh_ctx_balance and axh_ctx_balance_at that way. */
#define AXH_ABI_VERSION 1

/* Status codes. */
#define AXH_OK 0
#define AXH_E_NULL (-1)      /* a required pointer was NULL */
#define AXH_E_ARG (-2)       /* invalid argument or config value */
#define AXH_E_STATE (-3)     /* not allowed now: engine running or already run, ctx/book used outside its callback */
#define AXH_E_TLS (-4)       /* CA file unreadable, TLS configuration failed */
#define AXH_E_NETWORK (-5)   /* a start-up request or the event loop failed on the network */
#define AXH_E_EXCHANGE (-6)  /* the exchange answered a start-up call with an error */
#define AXH_E_AUTH (-7)      /* authentication failed: key, secret or clock */
#define AXH_E_REFUSED (-8)   /* order action refused before sending: rules, risk/rate limits, no credentials */
#define AXH_E_PIN (-9)       /* cannot pin the loop to the configured core */
#define AXH_E_BUFFER (-10)   /* caller's buffer too small */
#define AXH_E_NOT_FOUND (-11)/* no such order handle, symbol id or timer id */
#define AXH_E_PANIC (-12)    /* internal error caught at the boundary; free the engine */

/* axh_config.mode */
#define AXH_MODE_BLOCK 0u    /* sleep in poll() between events: tests, laptops */
#define AXH_MODE_SPIN 1u     /* busy-poll (optionally pinned to axh_config.core): lowest latency, burns a core */

/* axh_config.flags */
#define AXH_FLAG_DEPTH_REALTIME 1u      /* depth-realtime: channel instead of the 300 ms depth: channel */
#define AXH_FLAG_KEEP_ORDERS_ON_STOP 2u /* leave open orders when the engine stops (default: cancel them) */
#define AXH_FLAG_BASE64_SECRET 4u       /* HMAC key is the base64-decoded secret (default: its raw bytes) */

/* Sides. */
#define AXH_BUY 0
#define AXH_SELL 1
#define AXH_BID 0
#define AXH_ASK 1

/* Order types (axh_order_req.order_type accepts AXH_LIMIT and AXH_MARKET). */
#define AXH_LIMIT 0
#define AXH_MARKET 1
#define AXH_STOP_LIMIT 2
#define AXH_STOP_MARKET 3

/* Time in force. */
#define AXH_GTC 0
#define AXH_IOC 1
#define AXH_FOK 2

/* axh_order_event.kind. Executions are reported by the fill callback (with the order's status), not here. */
#define AXH_EV_ACK 0       /* the exchange received the request */
#define AXH_EV_NEW 1       /* resting on the book */
#define AXH_EV_CANCELED 2
#define AXH_EV_REJECTED 3  /* refused by the exchange (code, reason) or by our own checks */
#define AXH_EV_UNKNOWN 4   /* no answer in time: being resolved with a status query */

/* Order status (axh_order_event.status); axh_order_status_name gives the name. */
#define AXH_ST_PENDING_NEW 0
#define AXH_ST_NEW 1
#define AXH_ST_PARTIALLY_FILLED 2
#define AXH_ST_PENDING_CANCEL 3
#define AXH_ST_UNKNOWN 4
#define AXH_ST_FILLED 5
#define AXH_ST_CANCELED 6
#define AXH_ST_REJECTED 7

#define AXH_ID_LEN 48      /* id fields, NUL included (ids are at most 40 characters) */
#define AXH_REASON_LEN 128
#define AXH_NAME_LEN 32
#define AXH_MAX_TIMERS 16  /* timer ids are 0 .. AXH_MAX_TIMERS-1 */
#define AXH_DECIMAL_BUF 48 /* enough for any axh_format_decimal output */

typedef struct axh_engine axh_engine; /* opaque; axh_engine_new / axh_engine_free */
typedef struct axh_ctx axh_ctx;       /* opaque; valid only during the callback that received it */
typedef struct axh_book axh_book;     /* opaque; valid only during the book callback that received it */

/* Engine configuration: call axh_config_init first, then set fields. Strings are copied by axh_engine_new. */
typedef struct axh_config {
    uint32_t struct_size;         /* set by axh_config_init */
    uint32_t mode;                /* AXH_MODE_BLOCK (default) or AXH_MODE_SPIN */
    int32_t core;                 /* AXH_MODE_SPIN only: core to pin the loop to; -1 (default) for none */
    uint32_t flags;               /* AXH_FLAG_* */
    const char *rest_url;         /* required, e.g. "https://ascendex.com" */
    const char *ws_url;           /* NULL: wss://HOST/api/pro/v1/stream from rest_url */
    const char *ca_file;          /* NULL, or a PEM file of extra trusted roots (a simulator, a gateway) */
    const char *const *symbols;   /* e.g. {"BTC/USDT"}; symbol ids are positions in this array */
    size_t n_symbols;
    const char *api_key;          /* both NULL: market data only */
    const char *api_secret;
    int64_t account_group;        /* > 0 skips the account-info lookup; 0: look it up */
    uint32_t shutdown_grace_ms;   /* how long a stop waits for open orders to be cancelled; default 3000 */
    char client_id_tag;           /* letter or digit marking this engine's client ids; 0: default. Engines trading
                                     one account at the same time need different tags. */
    uint8_t reserved[3];
} axh_config;

/* A book update. Prices at price_scale; sizes at qty_scale (= the symbol's book_qty_scale). The best bid/ask
 * fields are 0 when has_bid / has_ask is 0. */
typedef struct axh_book_update {
    uint64_t seqnum;
    uint64_t ts_ms;        /* exchange timestamp */
    uint64_t rx_ns;        /* engine clock when the bytes arrived (axh_ctx_now_ns scale) */
    int64_t bid_price;
    int64_t bid_qty;
    int64_t ask_price;
    int64_t ask_qty;
    uint16_t symbol;
    uint8_t price_scale;
    uint8_t qty_scale;
    uint8_t has_bid;
    uint8_t has_ask;
    uint8_t snapshot;      /* 1: the book was rebuilt from a snapshot */
    uint8_t top_changed;   /* 1: best bid or ask moved */
} axh_book_update;

typedef struct axh_level {
    int64_t price;
    int64_t qty;
} axh_level;

typedef struct axh_trade {
    int64_t price;         /* at price_scale */
    int64_t qty;           /* at qty_scale (= the symbol's book_qty_scale) */
    uint64_t ts_ms;
    uint64_t seqnum;
    uint16_t symbol;
    uint8_t price_scale;
    uint8_t qty_scale;
    uint8_t taker_side;    /* AXH_BUY / AXH_SELL */
    uint8_t reserved[3];
} axh_trade;

typedef struct axh_order_event {
    uint64_t handle;       /* for axh_ctx_cancel; never 0 */
    int64_t price;         /* at price_scale */
    int64_t qty;           /* at qty_scale */
    int64_t filled_qty;    /* cumulative, at qty_scale */
    int64_t avg_price;     /* of filled_qty, at price_scale; 0 when nothing filled */
    int64_t fee;           /* cumulative, at fee_scale */
    int64_t code;          /* the exchange's error code; 0 when none */
    uint16_t symbol;
    uint8_t kind;          /* AXH_EV_* */
    uint8_t status;        /* AXH_ST_* */
    uint8_t side;          /* AXH_BUY / AXH_SELL */
    uint8_t order_type;    /* AXH_LIMIT, AXH_MARKET, ... */
    uint8_t post_only;
    uint8_t price_scale;
    uint8_t qty_scale;
    uint8_t fee_scale;
    uint8_t reserved[6];
    char order_id[AXH_ID_LEN];   /* the exchange's id (may be predicted before the ack); NUL-terminated */
    char client_id[AXH_ID_LEN];
    char reason[AXH_REASON_LEN]; /* e.g. "PostOnlyWouldTake"; empty when none */
} axh_order_event;

/* One execution, with its own quantity, price and fee (never cumulative). An order that fills gets no separate
 * order event for it: its fills carry the order's handle, cumulative filled_qty and status (AXH_ST_FILLED on the
 * last one, AXH_ST_PARTIALLY_FILLED before). */
typedef struct axh_fill {
    uint64_t handle;       /* the order's handle, as in its order events; 0 if this engine never saw the order */
    int64_t price;         /* at price_scale */
    int64_t qty;           /* at qty_scale */
    int64_t fee;           /* at fee_scale */
    int64_t ts_ms;
    int64_t filled_qty;    /* the order's cumulative filled quantity, this execution included */
    uint16_t symbol;
    uint8_t side;
    uint8_t price_scale;
    uint8_t qty_scale;
    uint8_t fee_scale;
    uint8_t status;        /* AXH_ST_* of the order after this execution; AXH_ST_UNKNOWN when handle is 0 */
    uint8_t reserved;
    char order_id[AXH_ID_LEN];
    char client_id[AXH_ID_LEN];
} axh_fill;

/* An order to place: price at the symbol's price_scale, qty at its qty_scale. Quantized to the trading rules
 * (tick, lot) before it is sent; refused (AXH_E_REFUSED) if it still breaks a rule. Zero-initialise it. */
typedef struct axh_order_req {
    int64_t price;         /* ignored for AXH_MARKET */
    int64_t qty;
    uint16_t symbol;
    uint8_t side;          /* AXH_BUY / AXH_SELL */
    uint8_t order_type;    /* AXH_LIMIT / AXH_MARKET */
    uint8_t tif;           /* AXH_GTC / AXH_IOC / AXH_FOK */
    uint8_t post_only;     /* 1: rejected instead of taking liquidity */
    uint8_t reserved[2];
} axh_order_req;

typedef struct axh_symbol_info {
    int64_t tick;          /* price step, at price_scale */
    int64_t lot;           /* order size step, at qty_scale */
    int64_t min_qty;       /* at qty_scale */
    int64_t max_qty;
    int64_t min_notional;  /* price*qty at notional_scale (= price_scale + qty_scale), saturated to int64 */
    int64_t max_notional;
    uint16_t symbol;
    uint8_t price_scale;
    uint8_t qty_scale;     /* order sizes */
    uint8_t book_qty_scale;/* market-data sizes (book, trades) */
    uint8_t notional_scale;
    uint8_t reserved[2];
    char name[AXH_NAME_LEN];
} axh_symbol_info;

/* An asset's balance (spot/cash account). total and available are exact at `scale` (value = mantissa / 10^scale);
 * available is what open orders do not lock. `asset` is the asset's id, stable for the engine's life
 * (0 .. axh_ctx_asset_count-1: the bases and quotes of the configured symbols); `name` is its code ("USDT"),
 * NUL-terminated, name_len bytes without the NUL. 56 bytes; layout pinned by tests/ffi_c.rs. */
typedef struct axh_balance {
    int64_t total;         /* at scale */
    int64_t available;     /* at scale */
    uint16_t asset;
    uint8_t scale;
    uint8_t name_len;
    uint8_t reserved[4];
    char name[AXH_NAME_LEN];
} axh_balance;

/* Callbacks. All run on the thread inside axh_engine_run; `user` is the pointer given at registration. */
typedef void (*axh_start_fn)(void *user, axh_ctx *ctx);
typedef void (*axh_book_fn)(void *user, axh_ctx *ctx, const axh_book_update *update, const axh_book *book);
typedef void (*axh_book_status_fn)(void *user, axh_ctx *ctx, uint16_t symbol, int live, const char *reason);
typedef void (*axh_trade_fn)(void *user, axh_ctx *ctx, const axh_trade *trade);
typedef void (*axh_order_fn)(void *user, axh_ctx *ctx, const axh_order_event *event);
typedef void (*axh_fill_fn)(void *user, axh_ctx *ctx, const axh_fill *fill);
typedef void (*axh_balance_fn)(void *user, axh_ctx *ctx, const axh_balance *balance);
typedef void (*axh_timer_fn)(void *user, axh_ctx *ctx, uint32_t timer_id);

/* ---- Library ---------------------------------------------------------------------------------------------- */

const char *axh_version(void);              /* e.g. "0.1.0"; static */
uint32_t axh_abi_version(void);             /* compare with AXH_ABI_VERSION */
const char *axh_last_error(void);           /* message of the last failing call on this thread; "" if none */
int axh_last_error_code(void);              /* its AXH_E_* code; AXH_OK if none */
const char *axh_order_status_name(int status); /* "New", "Filled", ...; "?" if out of range; static */

/* Writes mantissa/10^scale with exactly `scale` decimals and a NUL into buf (scale 0..18). Returns the length
 * without the NUL (>= 0), or AXH_E_NULL / AXH_E_ARG / AXH_E_BUFFER. AXH_DECIMAL_BUF bytes always suffice. */
int axh_format_decimal(int64_t mantissa, uint8_t scale, char *buf, size_t buf_len);
/* Parses "60000.1" (optional leading '-') exactly at `scale`; digits beyond the scale must be zeros. */
int axh_parse_decimal(const char *s, uint8_t scale, int64_t *out);

/* ---- Engine ----------------------------------------------------------------------------------------------- */

void axh_config_init(axh_config *cfg);

/* Checks the config and loads the CA file; no network traffic. NULL on error (axh_last_error says why). */
axh_engine *axh_engine_new(const axh_config *cfg);

/* Register callbacks before axh_engine_run (AXH_E_STATE afterwards). A NULL function unregisters. Registering a
 * trade callback subscribes to the trade stream. */
int axh_engine_on_start(axh_engine *engine, axh_start_fn f, void *user);        /* connected, books live */
int axh_engine_on_book(axh_engine *engine, axh_book_fn f, void *user);          /* every applied update */
int axh_engine_on_book_status(axh_engine *engine, axh_book_status_fn f, void *user); /* stale(reason), silent ("silent": the link went quiet), live */
int axh_engine_on_trade(axh_engine *engine, axh_trade_fn f, void *user);
int axh_engine_on_order(axh_engine *engine, axh_order_fn f, void *user);
int axh_engine_on_fill(axh_engine *engine, axh_fill_fn f, void *user);
int axh_engine_on_timer(axh_engine *engine, axh_timer_fn f, void *user);
/* With each balance snapshot (at start-up, before the start callback, and after a reconnect), once per asset the
 * exchange lists; then whenever an asset's figures change: a fill (right after its fill callback), an order locking
 * or releasing funds, a transfer. Only with credentials. No allocation per call: names come from a table built at
 * start. */
int axh_engine_on_balance(axh_engine *engine, axh_balance_fn f, void *user);

/* Connects (start-up REST calls, then WebSockets) and runs the loop on the calling thread until stopped
 * (axh_ctx_stop, axh_engine_stop) or for limit_ms (<= 0: no limit). Then cancels open orders (unless
 * AXH_FLAG_KEEP_ORDERS_ON_STOP), waiting up to shutdown_grace_ms, and closes the connections. Returns AXH_OK after
 * a stop or the limit. An engine runs once. */
int axh_engine_run(axh_engine *engine, int64_t limit_ms);

/* Thread-safe: asks the running loop to stop (it returns within one iteration, at most ~100 ms when blocking).
 * Called before axh_engine_run, that run returns at once. Must not race with axh_engine_free. */
int axh_engine_stop(axh_engine *engine);

/* Frees the engine (NULL is ignored). AXH_E_STATE while axh_engine_run is running. */
int axh_engine_free(axh_engine *engine);

/* ---- Inside callbacks (ctx / book valid only during the callback) ------------------------------------------ */

/* Places an order; *handle (may be NULL) receives its handle. Sent when the callback returns. AXH_E_REFUSED when
 * refused before sending. The order's fate arrives in order callbacks. */
int axh_ctx_place(axh_ctx *ctx, const axh_order_req *req, uint64_t *handle);
int axh_ctx_cancel(axh_ctx *ctx, uint64_t handle);            /* AXH_E_NOT_FOUND for an unknown/stale handle */
int axh_ctx_cancel_all(axh_ctx *ctx, int32_t symbol);         /* symbol < 0: every symbol */
int axh_ctx_stop(axh_ctx *ctx);                               /* stop after this callback */
uint64_t axh_ctx_now_ns(axh_ctx *ctx);                        /* engine clock (monotonic ns); 0 if ctx invalid */
int axh_ctx_set_timer(axh_ctx *ctx, uint32_t id, uint64_t delay_ns); /* fires axh_timer_fn once */
int axh_ctx_cancel_timer(axh_ctx *ctx, uint32_t id);
int axh_ctx_symbol_info(axh_ctx *ctx, uint16_t symbol, axh_symbol_info *out);

/* Balances as the engine holds them now (the figures the balance callback last reported). */
int axh_ctx_asset_count(axh_ctx *ctx);                        /* >= 0: asset ids are 0 .. count-1; or AXH_E_* */
/* By name ("USDT"): AXH_E_NOT_FOUND for an asset of no configured symbol, AXH_E_STATE when no figures are known
 * (no credentials). */
int axh_ctx_balance(axh_ctx *ctx, const char *asset, axh_balance *out);
/* By id: AXH_E_NOT_FOUND for id >= axh_ctx_asset_count, AXH_E_STATE when no figures are known. */
int axh_ctx_balance_at(axh_ctx *ctx, uint16_t asset, axh_balance *out);

/* Copies up to max levels of side (AXH_BID / AXH_ASK), best first, into out; *count receives how many. */
int axh_book_levels(const axh_book *book, int side, axh_level *out, size_t max, size_t *count);

#ifdef __cplusplus
}
#endif

#endif /* ASCENDEX_HFT_H */
