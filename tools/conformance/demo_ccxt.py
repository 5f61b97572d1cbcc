"""`ascendex demo --compare-ccxt` end to end, bounded: runs the demo for a few seconds with --json and checks that the
ccxt comparison is there and sane (the ccxt client ran, recorded samples, and both sides have positive latencies).

usage: demo_ccxt.py [SECONDS_OF_DEMO] [TIME_LIMIT_S]
       demo_ccxt.py --self-test     (the checks against made-up good and bad output)
Run from the repository root with the venv's python (tools/conformance/run does both): the demo finds ccxt through
tools/conformance/.venv/bin/python. Exits 1 with the reason on any failure.
"""

import json
import subprocess
import sys
import tempfile
import time

CCXT_PROBE = "ccxt_4.5.63_watch_order_book"


def fail(msg, out="", err=""):
    print("demo --compare-ccxt: FAILED: " + msg, file=sys.stderr)
    if out:
        print("--- stdout (last 20 lines)\n" + "\n".join(out.splitlines()[-20:]), file=sys.stderr)
    if err:
        print("--- stderr (last 20 lines)\n" + "\n".join(err.splitlines()[-20:]), file=sys.stderr)
    sys.exit(1)


def positive(v):
    return isinstance(v, int) and not isinstance(v, bool) and v > 0


def check(lines):
    """The reasons the demo's JSON lines do not hold a sane ccxt comparison (empty when they do)."""
    why = []
    ccxt = [l for l in lines if l.get("type") == "latency" and l.get("probe") == CCXT_PROBE]
    cmp_ = [l for l in lines if l.get("type") == "latency_comparison" and str(l.get("baseline", "")).startswith("ccxt")]
    if len(ccxt) != 1:
        return ["expected one latency line for %s, found %d" % (CCXT_PROBE, len(ccxt))]
    c = ccxt[0]
    if not positive(c.get("count")):
        why.append("ccxt sample count is %r" % c.get("count"))
    p50, p99, mx = c.get("p50_ns"), c.get("p99_ns"), c.get("max_ns")
    if not positive(p50):
        why.append("ccxt p50 is %r" % p50)
    elif not (positive(p99) and positive(mx) and p50 <= p99 <= mx):
        why.append("ccxt percentiles out of order: p50 %r p99 %r max %r" % (p50, p99, mx))
    elif p50 > 10 * 10**9:
        why.append("ccxt p50 of %d ns is over 10 s: not a latency" % p50)
    if len(cmp_) != 1:
        why.append("expected one latency_comparison line, found %d" % len(cmp_))
        return why
    k = cmp_[0]
    if k.get("baseline_count") != c.get("count"):
        why.append("comparison baseline_count %r differs from the ccxt count %r" % (k.get("baseline_count"), c.get("count")))
    for f in ("ours_count", "ours_p50_ns", "baseline_p50_ns"):
        if not positive(k.get(f)):
            why.append("comparison %s is %r" % (f, k.get(f)))
    r = k.get("ratio_p50")
    if not (isinstance(r, (int, float)) and r > 0):
        why.append("comparison ratio_p50 is %r" % r)
    return why


def self_test():
    """`check` accepts a sane comparison and refuses each way it can be missing or wrong."""
    good = [
        {"type": "latency", "probe": "wire_to_callback", "count": 900, "p50_ns": 2000, "p99_ns": 9000, "max_ns": 20000},
        {"type": "latency", "probe": CCXT_PROBE, "count": 800, "p50_ns": 400000, "p99_ns": 900000, "max_ns": 2000000},
        {"type": "latency_comparison", "probe": "end_to_end", "ours": "ascendex-hft", "baseline": "ccxt 4.5.63",
         "ours_count": 900, "baseline_count": 800, "ours_p50_ns": 5000, "baseline_p50_ns": 400000, "ratio_p50": 80.0},
    ]
    assert check(good) == [], check(good)

    def with_(i, **kw):
        v = [dict(l) for l in good]
        v[i].update(kw)
        return v

    bad = {
        "no ccxt line": good[:1] + good[2:],
        "no comparison": good[:2],
        "zero samples": with_(1, count=0),
        "null p50": with_(1, p50_ns=None),
        "zero p50": with_(1, p50_ns=0),
        "p50 above p99": with_(1, p50_ns=950000),
        "seconds, not a latency": with_(1, p50_ns=20 * 10**9, p99_ns=30 * 10**9, max_ns=40 * 10**9),
        "counts disagree": with_(2, baseline_count=7),
        "ours empty": with_(2, ours_count=0),
        "no ratio": with_(2, ratio_p50=None),
    }
    for name, lines in bad.items():
        assert check(lines), "check accepted: " + name
    print("demo --compare-ccxt: check self-test ok (%d refusals)" % len(bad))


def main():
    if sys.argv[1:2] == ["--self-test"]:
        self_test()
        return
    seconds = sys.argv[1] if len(sys.argv) > 1 else "3"
    limit = float(sys.argv[2]) if len(sys.argv) > 2 else 30.0
    with tempfile.TemporaryDirectory(prefix="demo-ccxt-") as report:
        cmd = ["cargo", "run", "--release", "-q", "--", "demo", "--seconds", seconds, "--compare-ccxt",
               "--json", "--report-dir", report]
        t0 = time.monotonic()
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=limit)
        except subprocess.TimeoutExpired as e:
            def text(b):
                return b.decode(errors="replace") if isinstance(b, bytes) else (b or "")
            fail("did not finish within %.0f s" % limit, text(e.stdout), text(e.stderr))
        took = time.monotonic() - t0
    if p.returncode != 0:
        fail("exit status %d" % p.returncode, p.stdout, p.stderr)
    lines = []
    for raw in p.stdout.splitlines():
        try:
            v = json.loads(raw)
        except ValueError:
            fail("stdout line is not JSON: %r" % raw[:200], p.stdout, p.stderr)
        if isinstance(v, dict):
            lines.append(v)
    why = check(lines)
    if why:
        fail("; ".join(why), p.stdout, p.stderr)
    c = next(l for l in lines if l.get("probe") == CCXT_PROBE)
    k = next(l for l in lines if l.get("type") == "latency_comparison" and str(l.get("baseline", "")).startswith("ccxt"))
    print("demo --compare-ccxt: ok in %.1f s: ccxt %d samples p50 %.1f us; ascendex-hft %d samples p50 %.1f us; "
          "ratio p50 %sx" % (took, c["count"], c["p50_ns"] / 1000, k["ours_count"], k["ours_p50_ns"] / 1000,
                            k["ratio_p50"]))


if __name__ == "__main__":
    main()
