"""Wire-to-callback latency of a ccxt 4.5.63 `watch_order_book` client reading the simulator, measured the way the
demo measures its own: the simulator's "simNs" stamp (unix ns, set just before the write) against the wall clock
when `await ex.watch_order_book(...)` hands the updated book to the caller.

usage: ccxt_wire.py REST_URL CA_FILE SECONDS OUT_FILE [SYMBOL]
Writes one latency in ns per line to OUT_FILE and a one-line JSON summary to stdout.
"""

import asyncio
import json
import sys
import time

import ccxt.pro as ccxtpro


class Stamped(ccxtpro.ascendex):
    """Remembers the stamp of the last depth message each symbol received."""

    last_stamp = {}

    def handle_message(self, client, message):
        if isinstance(message, dict) and str(message.get("m", "")).startswith("depth"):
            ns = message.get("simNs")
            if ns is not None:
                self.last_stamp[message.get("symbol")] = int(ns)
        return super().handle_message(client, message)


async def main():
    rest, ca, seconds, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
    symbol = sys.argv[5] if len(sys.argv) > 5 else "BTC/USDT"
    hostport = rest.split("//", 1)[1].rstrip("/")
    ex = Stamped({
        "enableRateLimit": False,
        "cafile": ca,
        "urls": {"api": {
            "rest": rest,
            "ws": {"public": "wss://%s/api/pro/v2/stream" % hostport,
                   "private": "wss://%s/{accountGroup}/api/pro/v2/stream" % hostport},
        }},
    })
    samples = []
    seen = None
    try:
        await ex.load_markets()
        end = time.time() + seconds
        while time.time() < end:
            await ex.watch_order_book(symbol)
            now = time.time_ns()
            stamp = ex.last_stamp.get(symbol)
            # Count each stamped message once: several may be folded into one wake-up.
            if stamp is not None and stamp != seen:
                seen = stamp
                samples.append(now - stamp)
    finally:
        await ex.close()
    with open(out, "w") as f:
        f.write("\n".join(str(s) for s in samples))
    s = sorted(samples)
    q = lambda p: s[min(len(s) - 1, int(p * len(s)))] if s else 0
    print(json.dumps({"type": "ccxt", "samples": len(s), "p50": q(0.5), "p90": q(0.9), "p99": q(0.99)}))


if __name__ == "__main__":
    asyncio.run(main())
