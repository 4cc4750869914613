"""Availability probe: one HTTP(S) request every INTERVAL seconds, each on a new connection.

  probe.py URL DURATION [--interval 0.1] [--timeout 0.5] [--out CSV] [--json]
  probe.py --analyze CSV [--json]

Probing writes CSV (to --out, else stdout): start,ok,latency,status,detail where `start` is
the request's start (Unix seconds), ok is 1 for a 2xx/3xx answer, status the HTTP status (0
when there was none) and detail the answering backend (X-LB, else X-Worker header) or, for a
failure, its kind (HTTP503, TimeoutError, ConnectionRefusedError...). Requests start on a
fixed schedule; a request slower than the interval delays the next one (no bursts). With
--json (when probing with --out, or with --analyze) the analysis is printed as JSON, else
as text.

An outage window starts at the start of a failed request and ends at the start of the
next successful one; a window still open at the end of the probe ends when the last
request ended and is marked open.
"""
import argparse
import csv
import http.client
import json
import ssl
import sys
import time
import urllib.parse

FIELDS = ["start", "ok", "latency", "status", "detail"]


def one_request(url, timeout, ctx):
    started = time.time()
    try:
        if url.scheme == "https":
            conn = http.client.HTTPSConnection(url.hostname, url.port or 443, timeout=timeout, context=ctx)
        else:
            conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=timeout)
        path = url.path or "/"
        if url.query:
            path += "?" + url.query
        conn.request("GET", path, headers={"Connection": "close"})
        resp = conn.getresponse()
        resp.read()
        conn.close()
        ok = 200 <= resp.status < 400
        detail = (resp.getheader("X-LB") or resp.getheader("X-Worker") or "-") if ok else "HTTP%d" % resp.status
        status = resp.status
    except Exception as exc:  # any failure to get an answer is a failed request
        ok, status, detail = False, 0, type(exc).__name__
    return [("%.3f" % started), int(ok), ("%.3f" % (time.time() - started)), status, detail]


def probe(args):
    url = urllib.parse.urlsplit(args.url)
    ctx = ssl._create_unverified_context()  # the lab's certificate is self-signed
    out = open(args.out, "w", newline="") if args.out else sys.stdout
    writer = csv.writer(out)
    writer.writerow(FIELDS)
    end = time.time() + args.duration
    next_start = time.time()
    rows = []
    while next_start < end:
        delay = next_start - time.time()
        if delay > 0:
            time.sleep(delay)
        row = one_request(url, args.timeout, ctx)
        writer.writerow(row)
        out.flush()
        rows.append(row)
        next_start = max(next_start + args.interval, time.time())
    if args.out:
        out.close()
        report(analyze(parse(rows)), args.json)


def parse(rows):
    return [
        {"start": float(r[0]), "ok": int(r[1]) == 1, "latency": float(r[2]), "status": int(r[3]), "detail": r[4]}
        for r in rows
    ]


def analyze(reqs):
    outages, current = [], None
    for i, r in enumerate(reqs):
        if not r["ok"]:
            if current is None:
                current = {"start": r["start"], "failed": 0, "kinds": {}}
            current["failed"] += 1
            current["kinds"][r["detail"]] = current["kinds"].get(r["detail"], 0) + 1
        elif current is not None:
            current.update(end=r["start"], open=False)
            outages.append(current)
            current = None
    if current is not None:
        last = reqs[-1]
        current.update(end=last["start"] + last["latency"], open=True)
        outages.append(current)
    for o in outages:
        o["duration"] = round(o["end"] - o["start"], 3)
    served = {}
    for r in reqs:
        if r["ok"]:
            served[r["detail"]] = served.get(r["detail"], 0) + 1
    return {
        "requests": len(reqs),
        "ok": sum(1 for r in reqs if r["ok"]),
        "failed": sum(1 for r in reqs if not r["ok"]),
        "first_start": reqs[0]["start"] if reqs else None,
        "last_start": reqs[-1]["start"] if reqs else None,
        "outages": outages,
        "longest_outage": max((o["duration"] for o in outages), default=0.0),
        "total_outage": round(sum(o["duration"] for o in outages), 3),
        "served_by": served,
    }


def report(result, as_json):
    if as_json:
        print(json.dumps(result, sort_keys=True))
        return
    print("requests %d, ok %d, failed %d" % (result["requests"], result["ok"], result["failed"]))
    for o in result["outages"]:
        kinds = ", ".join("%s x%d" % kv for kv in sorted(o["kinds"].items()))
        print("outage from %.3f for %.2f s%s: %d failed (%s)"
              % (o["start"], o["duration"], " (still open)" if o["open"] else "", o["failed"], kinds))
    print("longest outage %.2f s; served by %s" % (result["longest_outage"], result["served_by"]))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--analyze":
        ap = argparse.ArgumentParser(prog="probe.py --analyze")
        ap.add_argument("csv")
        ap.add_argument("--json", action="store_true")
        args = ap.parse_args(sys.argv[2:])
        with open(args.csv, newline="") as f:
            rows = [r for r in csv.reader(f)][1:]
        report(analyze(parse(rows)), args.json)
        return
    ap = argparse.ArgumentParser(prog="probe.py")
    ap.add_argument("url")
    ap.add_argument("duration", type=float)
    ap.add_argument("--interval", type=float, default=0.1)
    ap.add_argument("--timeout", type=float, default=0.5)
    ap.add_argument("--out")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    probe(args)


if __name__ == "__main__":
    main()
