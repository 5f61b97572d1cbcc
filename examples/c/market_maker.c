/*
 * A small quoting example against the ascendex-hft C ABI: prints the balances at start-up, book tops, trades, fills
 * and balance changes, places one post-only buy a few ticks below the best bid on the first book update after the
 * session started, cancels it once it rests, and stops after N seconds (from a second thread, through
 * axh_engine_stop) or, with --exit-when-done, once the order is finished. With --take the one order is instead a
 * small market buy, so its fill moves the balances.
 *
 * Build (from the repository root):
 *   cargo build --release --lib
 *   cc -std=c99 -O2 -Wall -Wextra -Iinclude examples/c/market_maker.c target/release/libascendex_hft.a \
 *      -lpthread -ldl -lm -lrt -lutil -lgcc_s -lc -o market_maker
 * Run against the simulator (`cargo run --release -p ascendex-sim -- --no-stdin` prints its URLs, CA file and demo
 * credentials, as does `ascendex sim`):
 *   ASCENDEX_API_KEY=... ASCENDEX_API_SECRET=... ./market_maker --rest-url https://127.0.0.1:PORT \
 *      --ws-url wss://127.0.0.1:PORT/api/pro/v1/stream --ca-file /tmp/.../ca.pem --symbol BTC/USDT --seconds 10
 * Options may also come from AXH_REST_URL, AXH_WS_URL, AXH_CA_FILE, AXH_SYMBOL. Without credentials it only
 * watches the market.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ascendex_hft.h"

typedef struct app {
    axh_engine *engine;
    const char *symbol;
    int seconds;
    int offset_ticks;
    int exit_when_done;
    int take;            /* --take: a market buy instead of the post-only quote */
    long books, trades, orders, fills, balances;
    int started;         /* on_start ran: connected, authenticated, books live */
    int placed;          /* 1 once the order is placed (or refused) */
    int cancel_sent;
    int done;            /* our order reached a final state */
    uint64_t handle;
} app;

static const char *dec(int64_t m, uint8_t scale, char *buf) {
    if (axh_format_decimal(m, scale, buf, AXH_DECIMAL_BUF) < 0) {
        snprintf(buf, AXH_DECIMAL_BUF, "?");
    }
    return buf;
}

static const char *ev_name(int kind) {
    switch (kind) {
    case AXH_EV_ACK: return "ack";
    case AXH_EV_NEW: return "new";
    case AXH_EV_CANCELED: return "canceled";
    case AXH_EV_REJECTED: return "rejected";
    case AXH_EV_UNKNOWN: return "unknown";
    default: return "?";
    }
}

static void on_start(void *user, axh_ctx *ctx) {
    app *a = user;
    axh_symbol_info si;
    char t[AXH_DECIMAL_BUF], l[AXH_DECIMAL_BUF];
    if (axh_ctx_symbol_info(ctx, 0, &si) == AXH_OK) {
        printf("start %s tick=%s lot=%s price_scale=%u qty_scale=%u book_qty_scale=%u\n", si.name,
               dec(si.tick, si.price_scale, t), dec(si.lot, si.qty_scale, l), si.price_scale, si.qty_scale,
               si.book_qty_scale);
    }
    /* Every asset of the configured symbols, by id; figures are known only with credentials. */
    int n = axh_ctx_asset_count(ctx);
    for (int i = 0; i < n; i++) {
        axh_balance b;
        int rc = axh_ctx_balance_at(ctx, (uint16_t)i, &b);
        if (rc == AXH_OK) {
            printf("start balance %s total=%s available=%s scale=%u\n", b.name, dec(b.total, b.scale, t),
                   dec(b.available, b.scale, l), b.scale);
        } else {
            printf("start balance id=%d unknown rc=%d: %s\n", i, rc, axh_last_error());
        }
    }
    a->started = 1;
    fflush(stdout);
}

static void on_balance(void *user, axh_ctx *ctx, const axh_balance *b) {
    app *a = user;
    char t[AXH_DECIMAL_BUF], v[AXH_DECIMAL_BUF];
    (void)ctx;
    a->balances++;
    printf("balance %s total=%s available=%s scale=%u fills=%ld\n", b->name, dec(b->total, b->scale, t),
           dec(b->available, b->scale, v), b->scale, a->fills);
    fflush(stdout);
}

/* The smallest quantity (at qty_scale) the rules accept at `price`. */
static int64_t min_order_qty(const axh_symbol_info *si, int64_t price) {
    int64_t q = si->min_qty > si->lot ? si->min_qty : si->lot;
    if (price > 0 && si->min_notional > 0) {
        int64_t need = (si->min_notional + price - 1) / price; /* notional scale = price scale + qty scale */
        if (need > q) q = need;
    }
    if (si->lot > 0) q = (q + si->lot - 1) / si->lot * si->lot;
    return q;
}

/* --take: a market buy of twice the smallest accepted size at the ask (the margin keeps the notional above the
 * minimum if the price moves before it executes). */
static void place_take(app *a, axh_ctx *ctx, const axh_book_update *u, const axh_symbol_info *si) {
    char q[AXH_DECIMAL_BUF];
    axh_order_req req;
    memset(&req, 0, sizeof req);
    req.symbol = u->symbol;
    req.side = AXH_BUY;
    req.order_type = AXH_MARKET;
    req.tif = AXH_GTC;
    req.qty = 2 * min_order_qty(si, u->ask_price);
    int rc = axh_ctx_place(ctx, &req, &a->handle);
    if (rc == AXH_OK) {
        printf("place %s buy %s market handle=%llu\n", si->name, dec(req.qty, si->qty_scale, q),
               (unsigned long long)a->handle);
    } else {
        printf("place refused rc=%d: %s\n", rc, axh_last_error());
        a->done = 1;
    }
}

static void place_quote(app *a, axh_ctx *ctx, const axh_book_update *u) {
    axh_symbol_info si;
    char p[AXH_DECIMAL_BUF], q[AXH_DECIMAL_BUF];
    a->placed = 1;
    if (axh_ctx_symbol_info(ctx, u->symbol, &si) != AXH_OK) {
        printf("error symbol_info: %s\n", axh_last_error());
        return;
    }
    if (a->take) {
        place_take(a, ctx, u, &si);
        return;
    }
    axh_order_req req;
    memset(&req, 0, sizeof req);
    req.symbol = u->symbol;
    req.side = AXH_BUY;
    req.order_type = AXH_LIMIT;
    req.tif = AXH_GTC;
    req.post_only = 1;
    req.price = u->bid_price - (int64_t)a->offset_ticks * si.tick;
    if (req.price <= 0) req.price = si.tick;
    req.qty = min_order_qty(&si, req.price);
    int rc = axh_ctx_place(ctx, &req, &a->handle);
    if (rc == AXH_OK) {
        printf("place %s buy %s@%s post_only handle=%llu\n", si.name, dec(req.qty, si.qty_scale, q),
               dec(req.price, si.price_scale, p), (unsigned long long)a->handle);
    } else {
        printf("place refused rc=%d: %s\n", rc, axh_last_error());
        a->done = 1;
    }
}

static void on_book(void *user, axh_ctx *ctx, const axh_book_update *u, const axh_book *book) {
    app *a = user;
    char bp[AXH_DECIMAL_BUF], bq[AXH_DECIMAL_BUF], ap[AXH_DECIMAL_BUF], aq[AXH_DECIMAL_BUF];
    a->books++;
    if (a->books <= 5 || a->books % 500 == 0) {
        printf("book %s seq=%llu bid=%s@%s ask=%s@%s%s\n", a->symbol, (unsigned long long)u->seqnum,
               u->has_bid ? dec(u->bid_price, u->price_scale, bp) : "-",
               u->has_bid ? dec(u->bid_qty, u->qty_scale, bq) : "-",
               u->has_ask ? dec(u->ask_price, u->price_scale, ap) : "-",
               u->has_ask ? dec(u->ask_qty, u->qty_scale, aq) : "-", u->snapshot ? " snapshot" : "");
    }
    if (a->books == 1) {
        axh_level lv[3];
        size_t n = 0;
        for (int side = AXH_BID; side <= AXH_ASK; side++) {
            if (axh_book_levels(book, side, lv, 3, &n) != AXH_OK) {
                printf("error book_levels: %s\n", axh_last_error());
                continue;
            }
            for (size_t i = 0; i < n; i++) {
                printf("level %s %zu %s@%s\n", side == AXH_BID ? "bid" : "ask", i,
                       dec(lv[i].price, u->price_scale, bp), dec(lv[i].qty, u->qty_scale, bq));
            }
        }
    }
    /* Quote once the session is fully up (on_start), on the next book update with a bid (and an ask to take). */
    if (a->started && !a->placed && u->has_bid && (u->has_ask || !a->take)) place_quote(a, ctx, u);
    if (a->done && a->exit_when_done) axh_ctx_stop(ctx);
    fflush(stdout);
}

static void on_book_status(void *user, axh_ctx *ctx, uint16_t symbol, int live, const char *reason) {
    (void)user; (void)ctx;
    if (live) {
        printf("book_status symbol=%u live\n", symbol);
    } else {
        printf("book_status symbol=%u stale reason=%s\n", symbol, reason);
    }
    fflush(stdout);
}

static void on_trade(void *user, axh_ctx *ctx, const axh_trade *t) {
    app *a = user;
    char p[AXH_DECIMAL_BUF], q[AXH_DECIMAL_BUF];
    (void)ctx;
    if (++a->trades <= 3) {
        printf("trade %s %s %s@%s seq=%llu\n", a->symbol, t->taker_side == AXH_BUY ? "buy" : "sell",
               dec(t->qty, t->qty_scale, q), dec(t->price, t->price_scale, p), (unsigned long long)t->seqnum);
        fflush(stdout);
    }
}

static void on_order(void *user, axh_ctx *ctx, const axh_order_event *e) {
    app *a = user;
    char p[AXH_DECIMAL_BUF], q[AXH_DECIMAL_BUF], f[AXH_DECIMAL_BUF];
    a->orders++;
    printf("order %s status=%s id=%s client=%s %s %s@%s filled=%s code=%lld reason=%s\n", ev_name(e->kind),
           axh_order_status_name(e->status), e->order_id, e->client_id, e->side == AXH_BUY ? "buy" : "sell",
           dec(e->qty, e->qty_scale, q), dec(e->price, e->price_scale, p), dec(e->filled_qty, e->qty_scale, f),
           (long long)e->code, e->reason[0] ? e->reason : "-");
    if (e->handle == a->handle) {
        if (e->kind == AXH_EV_NEW && !a->cancel_sent && !a->take) {
            int rc = axh_ctx_cancel(ctx, e->handle);
            a->cancel_sent = 1;
            if (rc == AXH_OK) {
                printf("cancel handle=%llu\n", (unsigned long long)e->handle);
            } else {
                printf("cancel refused rc=%d: %s\n", rc, axh_last_error());
            }
        }
        if (e->status == AXH_ST_CANCELED || e->status == AXH_ST_REJECTED || e->status == AXH_ST_FILLED) {
            a->done = 1;
            if (a->exit_when_done) axh_ctx_stop(ctx);
        }
    }
    fflush(stdout);
}

static void on_fill(void *user, axh_ctx *ctx, const axh_fill *fl) {
    app *a = user;
    char p[AXH_DECIMAL_BUF], q[AXH_DECIMAL_BUF], fee[AXH_DECIMAL_BUF], cum[AXH_DECIMAL_BUF];
    a->fills++;
    printf("fill %s %s %s@%s fee=%s filled=%s status=%s id=%s\n", a->symbol, fl->side == AXH_BUY ? "buy" : "sell",
           dec(fl->qty, fl->qty_scale, q), dec(fl->price, fl->price_scale, p), dec(fl->fee, fl->fee_scale, fee),
           dec(fl->filled_qty, fl->qty_scale, cum), axh_order_status_name(fl->status), fl->order_id);
    if (fl->handle == a->handle && fl->status == AXH_ST_FILLED) {
        a->done = 1;
        if (a->exit_when_done) axh_ctx_stop(ctx);
    }
    fflush(stdout);
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int run_returned;

/* Stops the engine from another thread after `seconds` (axh_engine_stop is the one thread-safe call), unless the
 * run ended first. */
static void *stopper(void *arg) {
    app *a = arg;
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += a->seconds;
    pthread_mutex_lock(&mu);
    int timed_out = 0;
    while (!run_returned && !timed_out) {
        timed_out = pthread_cond_timedwait(&cv, &mu, &deadline) != 0;
    }
    if (!run_returned) axh_engine_stop(a->engine);
    pthread_mutex_unlock(&mu);
    return NULL;
}

static const char *arg_or_env(int argc, char **argv, const char *flag, const char *env, const char *dflt) {
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], flag) == 0) return argv[i + 1];
    }
    const char *v = getenv(env);
    return v && *v ? v : dflt;
}

static int has_flag(int argc, char **argv, const char *flag) {
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], flag) == 0) return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    app a;
    memset(&a, 0, sizeof a);
    const char *rest = arg_or_env(argc, argv, "--rest-url", "AXH_REST_URL", NULL);
    const char *ws = arg_or_env(argc, argv, "--ws-url", "AXH_WS_URL", NULL);
    const char *ca = arg_or_env(argc, argv, "--ca-file", "AXH_CA_FILE", NULL);
    a.symbol = arg_or_env(argc, argv, "--symbol", "AXH_SYMBOL", "BTC/USDT");
    a.seconds = atoi(arg_or_env(argc, argv, "--seconds", "AXH_SECONDS", "10"));
    a.offset_ticks = atoi(arg_or_env(argc, argv, "--offset-ticks", "AXH_OFFSET_TICKS", "5"));
    a.exit_when_done = has_flag(argc, argv, "--exit-when-done");
    a.take = has_flag(argc, argv, "--take");
    if (!rest || a.seconds <= 0) {
        fprintf(stderr, "usage: %s --rest-url URL [--ws-url URL] [--ca-file PEM] [--symbol S] [--seconds N]\n"
                        "       [--offset-ticks N] [--take] [--exit-when-done]   (credentials: ASCENDEX_API_KEY/SECRET)\n",
                argv[0]);
        return 2;
    }
    if (axh_abi_version() != AXH_ABI_VERSION) {
        fprintf(stderr, "library ABI %u, header ABI %d\n", axh_abi_version(), AXH_ABI_VERSION);
        return 2;
    }
    printf("ascendex-hft %s\n", axh_version());

    const char *symbols[1] = {a.symbol};
    axh_config cfg;
    axh_config_init(&cfg);
    cfg.rest_url = rest;
    cfg.ws_url = ws;
    cfg.ca_file = ca;
    cfg.symbols = symbols;
    cfg.n_symbols = 1;
    cfg.api_key = getenv("ASCENDEX_API_KEY");
    cfg.api_secret = getenv("ASCENDEX_API_SECRET");
    a.engine = axh_engine_new(&cfg);
    if (!a.engine) {
        fprintf(stderr, "error %d: %s\n", axh_last_error_code(), axh_last_error());
        return 2;
    }
    if (axh_engine_on_start(a.engine, on_start, &a) != AXH_OK ||
        axh_engine_on_book(a.engine, on_book, &a) != AXH_OK ||
        axh_engine_on_book_status(a.engine, on_book_status, &a) != AXH_OK ||
        axh_engine_on_trade(a.engine, on_trade, &a) != AXH_OK ||
        axh_engine_on_order(a.engine, on_order, &a) != AXH_OK ||
        axh_engine_on_fill(a.engine, on_fill, &a) != AXH_OK ||
        axh_engine_on_balance(a.engine, on_balance, &a) != AXH_OK) {
        fprintf(stderr, "error registering callbacks: %s\n", axh_last_error());
        axh_engine_free(a.engine);
        return 1;
    }
    printf("callbacks registered\n");
    fflush(stdout);

    pthread_t th;
    if (pthread_create(&th, NULL, stopper, &a) != 0) {
        fprintf(stderr, "cannot start the stop thread\n");
        axh_engine_free(a.engine);
        return 1;
    }
    /* The limit is a backstop only: the stop thread ends the run. */
    int rc = axh_engine_run(a.engine, (int64_t)(a.seconds + 10) * 1000);
    if (rc != AXH_OK) fprintf(stderr, "run failed: error %d: %s\n", rc, axh_last_error());
    printf("stopped rc=%d books=%ld trades=%ld orders=%ld fills=%ld balances=%ld\n", rc, a.books, a.trades, a.orders,
           a.fills, a.balances);
    fflush(stdout);
    pthread_mutex_lock(&mu);
    run_returned = 1;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    pthread_join(th, NULL);
    if (axh_engine_free(a.engine) != AXH_OK) {
        fprintf(stderr, "free failed: %s\n", axh_last_error());
        return 1;
    }
    return rc == AXH_OK ? 0 : (rc == AXH_E_NETWORK || rc == AXH_E_TLS ? 4 : rc == AXH_E_AUTH ? 5 : 1);
}
