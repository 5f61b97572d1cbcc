"""Conformance of tools/sim against ccxt 4.5.63 (the exchange's authorized SDK), async REST + ccxt.pro WS.

Starts a fresh simulator binary on an ephemeral port, drives ccxt against it over TLS (cafile = the
simulator's CA), and asserts what ccxt returns against the simulator's own state (GET /_sim/state).
Prints "N passed, N failed"; exits 1 on any failure.
"""

import asyncio
import json
import os
import re
import ssl
import subprocess
import sys
import time
import traceback
import urllib.request

import ccxt.pro as ccxtpro

SIM = sys.argv[1]
RESULTS = []


def start_sim():
    p = subprocess.Popen([SIM, "--listen", "127.0.0.1:0", "--rate", "300", "--seed", "7"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    info = {}
    deadline = time.time() + 30
    while time.time() < deadline:
        line = p.stdout.readline()
        if not line:
            break
        m = re.match(r"(REST URL|WS URL|CA file|account group):\s+(\S+)", line)
        if m:
            info[m.group(1)] = m.group(2)
        m = re.match(r"(ASCENDEX_API_KEY|ASCENDEX_API_SECRET)=(\S+)", line)
        if m:
            info[m.group(1)] = m.group(2)
        if line.startswith("running"):
            return p, info
    p.kill()
    raise RuntimeError("simulator did not start: %r" % info)


class Sim:
    def __init__(self, info):
        self.rest = info["REST URL"]
        self.ctx = ssl.create_default_context(cafile=info["CA file"])

    def call(self, method, path, body=b""):
        req = urllib.request.Request(self.rest + path, data=body if method == "POST" else None, method=method)
        with urllib.request.urlopen(req, context=self.ctx) as r:
            return json.loads(r.read())["data"]

    def state(self):
        return self.call("GET", "/_sim/state")

    def pause(self):
        self.call("POST", "/_sim/pause", b"")

    def resume(self):
        self.call("POST", "/_sim/resume", b"")

    def order(self, oid):
        return next((o for o in self.state()["orders"] if o["orderId"] == oid), None)


async def check(name, coro):
    try:
        await asyncio.wait_for(coro, 30)
        RESULTS.append((name, True, ""))
        print("PASS", name, flush=True)
    except Exception as e:  # noqa: BLE001 - every failure is reported, none stops the run
        RESULTS.append((name, False, repr(e)))
        print("FAIL", name, repr(e), flush=True)
        traceback.print_exc()


def eq(a, b, what):
    if a != b:
        raise AssertionError("%s: %r != %r" % (what, a, b))


def num(s):
    return float(s)


async def main():
    proc, info = start_sim()
    sim = Sim(info)
    hostport = info["REST URL"].split("//", 1)[1]
    ex = ccxtpro.ascendex({
        "apiKey": info["ASCENDEX_API_KEY"],
        "secret": info["ASCENDEX_API_SECRET"],
        "enableRateLimit": False,
        "cafile": info["CA file"],
        "streaming": {"keepAlive": 5000},
        "urls": {"api": {
            "rest": info["REST URL"],
            "ws": {"public": "wss://%s/api/pro/v2/stream" % hostport,
                   "private": "wss://%s/{accountGroup}/api/pro/v2/stream" % hostport},
        }},
    })
    S = "BTC/USDT"
    ctx = {}
    try:
        async def load_markets():
            mk = await ex.load_markets()
            st = sim.state()
            eq(sorted(s for s in mk if mk[s]["spot"]), sorted(st["books"].keys()), "spot markets")
            eq(mk[S]["precision"]["price"], 0.01, "BTC/USDT tick")
            eq(mk[S]["precision"]["amount"], 0.00001, "BTC/USDT lot")
            eq(mk[S]["active"], True, "active")
            eq("ASD" in ex.currencies, True, "ASD currency")
        await check("load_markets", load_markets())

        sim.pause()
        await asyncio.sleep(0.2)

        async def fetch_ticker():
            t = await ex.fetch_ticker(S)
            b = sim.state()["books"][S]
            eq(t["bid"], num(b["bids"][0][0]), "bid")
            eq(t["ask"], num(b["asks"][0][0]), "ask")
            eq(t["askVolume"], num(b["asks"][0][1]), "ask volume")
        await check("fetch_ticker", fetch_ticker())

        async def fetch_order_book():
            ob = await ex.fetch_order_book(S)
            b = sim.state()["books"][S]
            eq(ob["nonce"], b["seqnum"], "nonce = seqnum")
            eq([[num(p), num(q)] for p, q in b["bids"]], ob["bids"], "bids")
            eq([[num(p), num(q)] for p, q in b["asks"]], ob["asks"], "asks")
        await check("fetch_order_book", fetch_order_book())

        async def fetch_trades():
            tr = await ex.fetch_trades(S, limit=5)
            eq(len(tr), 5, "count")
            for t in tr:
                eq(t["side"] in ("buy", "sell"), True, "side")
                eq(t["price"] > 0 and t["amount"] > 0, True, "price/amount")
            eq(sorted(t["timestamp"] for t in tr), [t["timestamp"] for t in tr], "ascending")
        await check("fetch_trades", fetch_trades())

        async def fetch_ohlcv():
            for tf, ms in (("1m", 60000), ("1h", 3600000), ("1d", 86400000)):
                c = await ex.fetch_ohlcv(S, tf, limit=5)
                eq(len(c), 5, tf + " count")
                eq(all(c[i + 1][0] - c[i][0] == ms for i in range(4)), True, tf + " spacing")
                eq(all(k[2] >= max(k[1], k[4]) and k[3] <= min(k[1], k[4]) for k in c), True, tf + " hloc")
            m = await ex.fetch_ohlcv(S, "1M", limit=3)
            eq(len(m), 3, "1M count")
            eq(all(time.gmtime(k[0] / 1000).tm_mday == 1 for k in m), True, "1M starts on the 1st")
        await check("fetch_ohlcv", fetch_ohlcv())

        async def fetch_balance():
            bal = await ex.fetch_balance()
            st = {b["asset"]: b for b in sim.state()["balances"]}
            for a in ("USDT", "BTC", "ETH"):
                eq(bal[a]["total"], num(st[a]["total"]), a + " total")
                eq(bal[a]["free"], num(st[a]["available"]), a + " free")
        await check("fetch_balance", fetch_balance())

        book = sim.state()["books"][S]
        best_bid, best_ask = num(book["bids"][0][0]), num(book["asks"][0][0])
        low = round(best_bid * 0.95, 2)

        async def create_limit():
            o = await ex.create_order(S, "limit", "buy", 0.001, low, {"clientOrderId": "cnfclid001"})
            so = sim.order(o["id"])
            eq(so is not None, True, "order known to the simulator")
            eq(so["status"], "New", "status")
            eq(num(so["price"]), low, "price")
            eq(so["orderQty"], "0.001", "qty")
            eq(o["id"].endswith("cnfclid001"[-9:]), True, "order id from the client id")
            ctx["limit"] = o["id"]
        await check("create_order limit", create_limit())

        async def fetch_open_orders():
            oo = await ex.fetch_open_orders(S)
            ids = sorted(o["id"] for o in oo)
            st = sorted(o["orderId"] for o in sim.state()["orders"] if o["status"] in ("New", "PartiallyFilled"))
            eq(ids, st, "open order ids")
            eq(all(o["status"] == "open" for o in oo), True, "status open")
        await check("fetch_open_orders", fetch_open_orders())

        async def fetch_order():
            o = await ex.fetch_order(ctx["limit"], S)
            eq(o["id"], ctx["limit"], "id")
            eq(o["status"], "open", "status")
            eq(o["price"], low, "price")
            eq(o["amount"], 0.001, "amount")
        await check("fetch_order", fetch_order())

        async def cancel_order():
            await ex.cancel_order(ctx["limit"], S)
            eq(sim.order(ctx["limit"])["status"], "Canceled", "simulator status")
            o = await ex.fetch_order(ctx["limit"], S)
            eq(o["status"], "canceled", "ccxt status")
        await check("cancel_order", cancel_order())

        async def create_market():
            o = await ex.create_order(S, "market", "buy", 0.001)
            so = sim.order(o["id"])
            eq(so["status"], "Filled", "filled")
            eq(so["avgPx"], book["asks"][0][0], "filled at the best ask")
            f = await ex.fetch_order(o["id"], S)
            eq(f["status"], "closed", "ccxt status")
            eq(f["filled"], 0.001, "filled qty")
        await check("create_order market", create_market())

        async def create_post_only():
            ask = num(sim.state()["books"][S]["asks"][0][0])
            o = await ex.create_order(S, "limit", "buy", 0.001, ask, {"postOnly": True})
            so = sim.order(o["id"])
            eq(so["status"], "Rejected", "post-only that would take")
            eq(so["errorCode"], "PostOnlyWouldTake", "error code")
            eq(so["cumFilledQty"], "0", "nothing filled")
            o2 = await ex.create_order(S, "limit", "buy", 0.001, low, {"postOnly": True})
            eq(sim.order(o2["id"])["status"], "New", "post-only resting")
            eq(sim.order(o2["id"])["execInst"], "Post", "execInst")
        await check("create_order post-only", create_post_only())

        async def create_ioc():
            o = await ex.create_order(S, "limit", "buy", 0.001, low, {"timeInForce": "IOC"})
            so = sim.order(o["id"])
            eq(so["status"], "Canceled", "IOC without liquidity")
            ask = num(sim.state()["books"][S]["asks"][0][0])
            o2 = await ex.create_order(S, "limit", "buy", 0.001, ask, {"timeInForce": "IOC"})
            eq(sim.order(o2["id"])["status"], "Filled", "IOC with liquidity")
        await check("create_order IOC", create_ioc())

        async def cancel_all():
            await ex.create_order(S, "limit", "buy", 0.001, low)
            await ex.create_order(S, "limit", "buy", 0.002, low)
            eq(len([o for o in sim.state()["orders"] if o["status"] == "New"]) >= 2, True, "open before")
            await ex.cancel_all_orders(S)
            eq([o for o in sim.state()["orders"] if o["status"] == "New"], [], "open after")
        await check("cancel_all_orders", cancel_all())

        async def fetch_closed_orders():
            co = await ex.fetch_closed_orders(S)
            st = {o["orderId"]: o for o in sim.state()["orders"] if o["status"] in ("Filled", "Canceled", "Rejected")}
            eq(sorted(o["id"] for o in co), sorted(st), "closed order ids")
            for o in co:
                eq(o["filled"], num(st[o["id"]]["cumFilledQty"]), "filled of " + o["id"])
        await check("fetch_closed_orders", fetch_closed_orders())

        async def fetch_time_and_tickers():
            t = await ex.fetch_time()
            eq(abs(t - time.time() * 1000) < 5000, True, "server time")
            ts = await ex.fetch_tickers([S, "ETH/USDT"])
            eq(sorted(ts), [S, "ETH/USDT"], "tickers")
            b = sim.state()["books"]["ETH/USDT"]
            eq(ts["ETH/USDT"]["bid"], num(b["bids"][0][0]), "ETH bid")
        await check("fetch_time + fetch_tickers", fetch_time_and_tickers())

        async def fetch_trading_fees():
            fees = await ex.fetch_trading_fees()
            eq(fees[S]["maker"], 0.001, "maker")
            eq(fees[S]["taker"], 0.001, "taker")
        await check("fetch_trading_fees", fetch_trading_fees())

        sim.resume()

        async def watch_order_book():
            ob = await ex.watch_order_book(S)
            eq(ob["bids"][0][0] < ob["asks"][0][0], True, "not crossed")
            for _ in range(5):
                ob = await ex.watch_order_book(S)
            sim.pause()
            await asyncio.sleep(0.5)
            b = sim.state()["books"][S]
            mine = ex.orderbooks[S]
            eq(mine["nonce"], b["seqnum"], "nonce caught up with the simulator")
            eq([list(x) for x in mine["bids"][:20]], [[num(p), num(q)] for p, q in b["bids"][:20]], "bids")
            eq([list(x) for x in mine["asks"][:20]], [[num(p), num(q)] for p, q in b["asks"][:20]], "asks")
            sim.resume()
        await check("watch_order_book", watch_order_book())

        async def watch_trades():
            tr = await ex.watch_trades(S)
            eq(len(tr) > 0, True, "some trades")
            eq(all(t["symbol"] == S and t["price"] > 0 for t in tr), True, "fields")
        await check("watch_trades", watch_trades())

        async def watch_ohlcv():
            c = await ex.watch_ohlcv(S, "1m")
            eq(len(c) > 0, True, "candles")
            k = c[-1]
            eq(k[0] % 60000, 0, "bar start on the minute")
            eq(k[2] >= k[3], True, "high >= low")
        await check("watch_ohlcv", watch_ohlcv())

        async def watch_orders_and_balance():
            wo = asyncio.ensure_future(ex.watch_orders(S))
            await asyncio.sleep(1.0)
            o = await ex.create_order(S, "limit", "buy", 0.001, low)
            orders = await asyncio.wait_for(wo, 10)
            eq(any(x["id"] == o["id"] and x["status"] == "open" for x in orders), True, "order push")
            wb = asyncio.ensure_future(ex.watch_balance())
            await asyncio.sleep(0.3)
            await ex.cancel_order(o["id"], S)
            bal = await asyncio.wait_for(wb, 10)
            st = {b["asset"]: b for b in sim.state()["balances"]}
            eq(bal["USDT"]["free"], num(st["USDT"]["available"]), "USDT free after the cancel")
            eq(bal["BTC"]["total"], num(st["BTC"]["total"]), "BTC total")
        await check("watch_orders + watch_balance", watch_orders_and_balance())

        async def auth_variants():
            v = sim.state()["authVariants"]
            eq(any(x.startswith("rest:") and x.endswith(":raw") for x in v), True, "REST signs with the raw secret")
            eq(any(x == "ws:v2/stream:base64" for x in v), True, "WS signs with the base64-decoded secret")
            print("doc variants used by ccxt:", sim.state()["docVariants"])
        await check("signing variants", auth_variants())
    finally:
        await ex.close()
        try:
            proc.stdin.close()
            proc.wait(timeout=10)
        except Exception:  # noqa: BLE001
            proc.kill()
    passed = sum(1 for r in RESULTS if r[1])
    failed = len(RESULTS) - passed
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
