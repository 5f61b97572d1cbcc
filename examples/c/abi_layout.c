/*
 * Prints the header's struct sizes, field offsets and constants, one `name value` per line. tests/ffi_c.rs
 * compiles it and compares every line with the Rust side, so the hand-written header cannot drift from the library.
 */
#include <stddef.h>
#include <stdio.h>

#include "ascendex_hft.h"

#define SIZE(t) printf("sizeof %s %zu\n", #t, sizeof(t))
#define OFF(t, f) printf("offsetof %s.%s %zu\n", #t, #f, offsetof(t, f))
#define CONST(c) printf("const %s %lld\n", #c, (long long)(c))

int main(void) {
    SIZE(axh_config);
    OFF(axh_config, flags);
    OFF(axh_config, rest_url);
    OFF(axh_config, symbols);
    OFF(axh_config, n_symbols);
    OFF(axh_config, api_secret);
    OFF(axh_config, account_group);
    OFF(axh_config, shutdown_grace_ms);
    OFF(axh_config, client_id_tag);
    SIZE(axh_book_update);
    OFF(axh_book_update, rx_ns);
    OFF(axh_book_update, ask_qty);
    OFF(axh_book_update, symbol);
    OFF(axh_book_update, price_scale);
    OFF(axh_book_update, qty_scale);
    OFF(axh_book_update, has_ask);
    OFF(axh_book_update, top_changed);
    SIZE(axh_level);
    SIZE(axh_trade);
    OFF(axh_trade, seqnum);
    OFF(axh_trade, symbol);
    OFF(axh_trade, taker_side);
    SIZE(axh_order_event);
    OFF(axh_order_event, fee);
    OFF(axh_order_event, code);
    OFF(axh_order_event, symbol);
    OFF(axh_order_event, kind);
    OFF(axh_order_event, status);
    OFF(axh_order_event, fee_scale);
    OFF(axh_order_event, order_id);
    OFF(axh_order_event, client_id);
    OFF(axh_order_event, reason);
    SIZE(axh_fill);
    OFF(axh_fill, price);
    OFF(axh_fill, ts_ms);
    OFF(axh_fill, filled_qty);
    OFF(axh_fill, symbol);
    OFF(axh_fill, fee_scale);
    OFF(axh_fill, status);
    OFF(axh_fill, order_id);
    OFF(axh_fill, client_id);
    SIZE(axh_order_req);
    OFF(axh_order_req, symbol);
    OFF(axh_order_req, side);
    OFF(axh_order_req, post_only);
    SIZE(axh_symbol_info);
    OFF(axh_symbol_info, max_notional);
    OFF(axh_symbol_info, symbol);
    OFF(axh_symbol_info, notional_scale);
    OFF(axh_symbol_info, name);
    SIZE(axh_balance);
    OFF(axh_balance, available);
    OFF(axh_balance, asset);
    OFF(axh_balance, scale);
    OFF(axh_balance, name_len);
    OFF(axh_balance, name);
    CONST(AXH_ABI_VERSION);
    CONST(AXH_OK);
    CONST(AXH_E_NULL);
    CONST(AXH_E_ARG);
    CONST(AXH_E_STATE);
    CONST(AXH_E_TLS);
    CONST(AXH_E_NETWORK);
    CONST(AXH_E_EXCHANGE);
    CONST(AXH_E_AUTH);
    CONST(AXH_E_REFUSED);
    CONST(AXH_E_PIN);
    CONST(AXH_E_BUFFER);
    CONST(AXH_E_NOT_FOUND);
    CONST(AXH_E_PANIC);
    CONST(AXH_MODE_BLOCK);
    CONST(AXH_MODE_SPIN);
    CONST(AXH_FLAG_DEPTH_REALTIME);
    CONST(AXH_FLAG_KEEP_ORDERS_ON_STOP);
    CONST(AXH_FLAG_BASE64_SECRET);
    CONST(AXH_BUY);
    CONST(AXH_SELL);
    CONST(AXH_BID);
    CONST(AXH_ASK);
    CONST(AXH_LIMIT);
    CONST(AXH_MARKET);
    CONST(AXH_STOP_LIMIT);
    CONST(AXH_STOP_MARKET);
    CONST(AXH_GTC);
    CONST(AXH_IOC);
    CONST(AXH_FOK);
    CONST(AXH_EV_ACK);
    CONST(AXH_EV_NEW);
    CONST(AXH_EV_CANCELED);
    CONST(AXH_EV_REJECTED);
    CONST(AXH_EV_UNKNOWN);
    CONST(AXH_ST_PENDING_NEW);
    CONST(AXH_ST_NEW);
    CONST(AXH_ST_PARTIALLY_FILLED);
    CONST(AXH_ST_PENDING_CANCEL);
    CONST(AXH_ST_UNKNOWN);
    CONST(AXH_ST_FILLED);
    CONST(AXH_ST_CANCELED);
    CONST(AXH_ST_REJECTED);
    CONST(AXH_ID_LEN);
    CONST(AXH_REASON_LEN);
    CONST(AXH_NAME_LEN);
    CONST(AXH_MAX_TIMERS);
    return 0;
}
