#!/usr/bin/env python3
"""Soak test of promha (issue 7), loopback only and bounded in time.

Alert phase: one promha with 3 in-process Alertmanager sinks; a load worker (a subprocess, so that
it does not share this interpreter's GIL with the sinks) POSTs --rate alerts/s across --alerts
distinct label sets in batches of 64, like Prometheus, while a fault script kills and restarts
sink 1, makes sink 2 answer 500 and black-holes sink 3, and promha is reloaded 10 times
(alternately SIGHUP and POST /-/reload; four reloads change the targets' time-out by 1 ms, so that
promha replaces the senders). Then every sink must hold the latest version of every alert,
promha's counters must balance, RSS stays bounded, no thread leak, no crash, exit 0 on SIGTERM.

Remote-write phase: promha forwards to an in-process storage sink (snappy + protobuf decoded
here, in pure Python); a load worker writes samples with known identities and re-sends what promha
answers 503 with Prometheus's backoff; the sink goes away for an outage mid-run; 10 reloads, six
of them changing write_relabel_configs (which replaces the endpoint and hands its queue over).
Every sample promha acknowledged must arrive at least once, each series in order; duplicates are
counted.

Usage: soak.py [--duration S | --quick] [--mode alerts|rw|both] [--rate N] ...  (see --help)
Prints a report and a final `soak: PASS` or `soak: FAIL (reasons)`; exit 1 on failure.
"""
import argparse
import collections
import http.client
import http.server
import json
import math
import os
import re
import signal
import socket
import struct
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "e2e"))
import harness  # noqa: E402
from harness import Harness, free_port, http_get, http_post, wait_for  # noqa: E402

ENDS_IN_S = 240  # endsAt = now + 4m, as Prometheus's ValidUntil with a 1m resend delay


def post_keepalive(conn, host, port, path, payload, headers, timeout):
    """POSTs on a reused connection (opened when None); returns (connection or None, status or
    "error"). A failed request closes the connection, so the next one opens a new one."""
    try:
        if conn is None:
            conn = http.client.HTTPConnection(host, port, timeout=timeout)
        conn.request("POST", path, payload, headers)
        r = conn.getresponse()
        r.read()
        return conn, r.status
    except (OSError, http.client.HTTPException):
        if conn is not None:
            conn.close()
        return None, "error"

def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % int((t % 1) * 1000)


# --- /metrics ---------------------------------------------------------------------------------

def scrape(url):
    """promha's /metrics exposition text."""
    return http_get(url + "/metrics", timeout=10)[1].decode()


def mval(text, name, **labels):
    """Sum of the samples of `name` whose labels include `labels`; None when there is none."""
    return harness.parse_metric(text, name, labels or None)


def z(v):
    return 0.0 if v is None else v


# --- process sampling -------------------------------------------------------------------------

class Sampler:
    """Samples VmRSS, Threads and open fds of a process every second, on a thread."""

    def __init__(self, pid):
        self.pid, self.samples, self.stop_ev = pid, [], threading.Event()
        self.t0 = time.monotonic()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def read(self):
        with open(f"/proc/{self.pid}/status") as f:
            st = dict(line.split(":", 1) for line in f if ":" in line)
        rss_kib = int(st["VmRSS"].split()[0])
        threads = int(st["Threads"])
        fds = len(os.listdir(f"/proc/{self.pid}/fd"))
        return rss_kib, threads, fds

    def cpu_seconds(self):
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def _run(self):
        while not self.stop_ev.wait(1.0):
            try:
                self.samples.append((time.monotonic() - self.t0, *self.read()))
            except (OSError, KeyError, ValueError):
                return  # the process is gone

    def stop(self):
        self.stop_ev.set()
        self.thread.join()

    def peak_rss_mib(self):
        return max((s[1] for s in self.samples), default=0) / 1024

    def peak_threads(self):
        return max((s[2] for s in self.samples), default=0)


# --- sinks ------------------------------------------------------------------------------------

class Sink:
    """An HTTP/1.1 server on a fixed loopback port, served by threads of this process, that a
    fault script can switch to answering 500 (`mode = "500"`), to a black hole (`hole()`: requests
    are accepted and never answered until `unhole()`, then the connection is closed), or kill
    (listening socket and every open connection closed: connection refused) and restart on the
    same port. harness.FaultSink binds port 0 and cannot restart on its port, hence this class.
    Subclasses implement accept(body) -> HTTP status, called for requests in the normal mode."""

    def __init__(self, name):
        self.name = name
        self.port = free_port()
        self.mode = "ok"
        self.lock = threading.Lock()
        self.conns = set()
        self.hole_over = threading.Event()
        self.hole_over.set()
        self.stats = collections.Counter()
        self.srv = None
        self.start()

    def start(self):
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                with outer.lock:
                    outer.conns.add(self.connection)

            def finish(self):
                try:
                    super().finish()
                finally:
                    with outer.lock:
                        outer.conns.discard(self.connection)

            def do_POST(self):  # noqa: N802
                mode = outer.mode
                if mode == "hole":
                    with outer.lock:
                        outer.stats["hole_requests"] += 1
                    outer.hole_over.wait(120)
                    self.close_connection = True
                    return
                want = int(self.headers.get("Content-Length", 0))
                try:
                    body = self.rfile.read(want)
                except OSError:
                    body = b""
                if len(body) < want:  # cut off by kill(): the client sees a connection error
                    with outer.lock:
                        outer.stats["truncated_requests"] += 1
                    self.close_connection = True
                    return
                if mode == "500":
                    with outer.lock:
                        outer.stats["answered_500"] += 1
                        outer.stats["items_500"] += outer.count_items(body)
                    status = 500
                    done = None
                else:
                    status, done = outer.accept(body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                self.wfile.flush()
                if done:
                    done()  # counted as accepted once the answer is written

            def do_GET(self):  # noqa: N802
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        class Server(http.server.ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                with outer.lock:  # e.g. a broken pipe when kill() cut the connection
                    outer.stats["handler_errors"] += 1
                    outer.stats["last_handler_error"] = repr(sys.exc_info()[1])

        deadline = time.monotonic() + 10
        while True:
            try:
                self.srv = Server(("127.0.0.1", self.port), Handler)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.srv.daemon_threads = True
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def kill(self):
        self.srv.shutdown()
        self.srv.server_close()
        with self.lock:
            conns = list(self.conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.stats["kills"] += 1

    def hole(self):
        self.hole_over.clear()
        self.mode = "hole"

    def unhole(self):
        self.mode = "ok"
        self.hole_over.set()

    def close(self):
        self.unhole()
        try:
            self.kill()
        except Exception:  # noqa: BLE001 - already killed
            pass

    def count_items(self, body):
        return 0

    def accept(self, body):
        raise NotImplementedError


class AlertSink(Sink):
    """A fake Alertmanager: POST /api/v2/alerts; keeps, per label set, the last received version
    (annotation `seq`) and counts versions that arrive after a newer one (order regressions)."""

    def __init__(self, name):
        self.last = {}
        super().__init__(name)
        self.url = f"http://127.0.0.1:{self.port}/api/v2/alerts"

    def count_items(self, body):
        return body.count(b'"labels"')

    def accept(self, body):
        alerts = json.loads(body)
        with self.lock:
            for a in alerts:
                key = tuple(sorted(a["labels"].items()))
                seq = int(a["annotations"]["seq"])
                prev = self.last.get(key)
                if prev is not None and seq < prev:
                    self.stats["regressions"] += 1
                self.last[key] = seq
            self.stats["requests_200"] += 1

        def done():
            with self.lock:
                self.stats["alerts_200"] += len(alerts)
        return 200, done


# --- snappy and protobuf, just enough for remote write ------------------------------------------

def uvarint(b, i):
    x = s = 0
    while True:
        c = b[i]
        i += 1
        x |= (c & 0x7F) << s
        if c < 0x80:
            return x, i
        s += 7


def put_uvarint(x):
    out = bytearray()
    while x >= 0x80:
        out.append((x & 0x7F) | 0x80)
        x >>= 7
    out.append(x)
    return bytes(out)


def snappy_decompress(b):
    """Decodes the snappy block format (google/snappy format_description.txt)."""
    n, i = uvarint(b, 0)
    out = bytearray()
    end = len(b)
    while i < end:
        tag = b[i]
        kind = tag & 3
        if kind == 0:
            ln = tag >> 2
            if ln < 60:
                ln += 1
                i += 1
            else:
                nb = ln - 59
                ln = int.from_bytes(b[i + 1:i + 1 + nb], "little") + 1
                i += 1 + nb
            out += b[i:i + ln]
            i += ln
            continue
        if kind == 1:
            ln = ((tag >> 2) & 7) + 4
            off = ((tag >> 5) << 8) | b[i + 1]
            i += 2
        elif kind == 2:
            ln = (tag >> 2) + 1
            off = b[i + 1] | (b[i + 2] << 8)
            i += 3
        else:
            ln = (tag >> 2) + 1
            off = int.from_bytes(b[i + 1:i + 5], "little")
            i += 5
        start = len(out) - off
        if off <= 0 or start < 0:
            raise ValueError("snappy: bad copy offset")
        if off >= ln:
            out += out[start:start + ln]
        else:  # overlapping copy: the pattern repeats
            pat = bytes(out[start:])
            out += (pat * (ln // off + 1))[:ln]
    if len(out) != n:
        raise ValueError(f"snappy: decoded {len(out)} bytes, header says {n}")
    return bytes(out)


def snappy_literal(raw):
    """A valid snappy block made of literals only (no compression)."""
    out = bytearray(put_uvarint(len(raw)))
    for at in range(0, len(raw), 65536):
        chunk = raw[at:at + 65536]
        n = len(chunk) - 1
        if n < 60:
            out.append(n << 2)
        elif n < 256:
            out += bytes([60 << 2, n])
        else:
            out += bytes([61 << 2]) + n.to_bytes(2, "little")
        out += chunk
    return bytes(out)


def _pb_len(field, payload):
    return put_uvarint(field << 3 | 2) + put_uvarint(len(payload)) + payload


def parse_write_request(b):
    """Yields (series id from label `s`, has replica label, [timestamps]) per TimeSeries."""
    i, n = 0, len(b)
    while i < n:
        key, i = uvarint(b, i)
        wt = key & 7
        if wt == 2:
            ln, i = uvarint(b, i)
            if key >> 3 == 1:
                yield _parse_series(b, i, i + ln)
            i += ln
        elif wt == 0:
            _, i = uvarint(b, i)
        elif wt == 1:
            i += 8
        elif wt == 5:
            i += 4
        else:
            raise ValueError(f"protobuf: wire type {wt}")


def _parse_series(b, i, end):
    sid, replica, tss = None, False, []
    while i < end:
        key, i = uvarint(b, i)
        wt = key & 7
        if wt != 2:
            raise ValueError("protobuf: unexpected field in TimeSeries")
        ln, i = uvarint(b, i)
        e = i + ln
        f = key >> 3
        if f == 1:  # Label {name = 1, value = 2}
            name = value = b""
            j = i
            while j < e:
                k, j = uvarint(b, j)
                vl, j = uvarint(b, j)
                if k >> 3 == 1:
                    name = b[j:j + vl]
                else:
                    value = b[j:j + vl]
                j += vl
            if name == b"s":
                sid = int(value)
            elif name == b"replica":
                replica = True
        elif f == 2:  # Sample {value = 1 (double), timestamp = 2 (int64)}
            j = i
            while j < e:
                k, j = uvarint(b, j)
                if k & 7 == 1:
                    j += 8
                else:
                    ts, j = uvarint(b, j)
                    tss.append(ts)
        i = e
    return sid, replica, tss


class StorageSink(Sink):
    """A remote-write storage: POST /api/v1/write, snappy + protobuf decoded; counts arrivals of
    every sample (series id, index = (timestamp - t0) / step) in a bytearray per series."""

    def __init__(self, name, t0_ms, step_ms):
        self.t0_ms, self.step_ms = t0_ms, step_ms
        self.counts = {}
        self.newest = {}  # series id -> newest sample index received
        self.dup_times = []
        super().__init__(name)
        self.url = f"http://127.0.0.1:{self.port}/api/v1/write"

    def accept(self, body):
        try:
            series = list(parse_write_request(snappy_decompress(body)))
        except (ValueError, IndexError) as e:
            with self.lock:
                self.stats["bad_bodies"] += 1
                self.stats["last_bad_body"] = str(e)
            return 400, None
        with self.lock:
            for sid, replica, tss in series:
                if sid is None:
                    self.stats["foreign_series"] += 1
                    continue
                if replica:
                    self.stats["series_with_replica"] += 1
                c = self.counts.get(sid)
                if c is None:
                    c = self.counts[sid] = bytearray()
                newest = self.newest.get(sid, -1)
                for ts in tss:
                    idx = (ts - self.t0_ms) // self.step_ms
                    if idx >= len(c):
                        c.extend(bytes(idx + 1 - len(c) + 64))
                    if c[idx] < 255:
                        c[idx] += 1
                    if c[idx] == 1:
                        if idx < newest:  # promha keeps a series in order, even across reloads
                            self.stats["out_of_order"] += 1
                    else:
                        if c[idx] == 2:
                            self.dup_times.append(time.monotonic())
                        if idx < newest:  # a Prometheus receiver: "out of order sample", 400
                            self.stats["dup_older_than_newest"] += 1
                    newest = max(newest, idx)
                    self.stats["samples_200"] += 1
                self.newest[sid] = newest
            self.stats["requests_200"] += 1
        return 204, None


# --- load workers (run as subprocesses: soak.py _worker KIND JSON) -----------------------------

def alert_labels(i):
    return {"alertname": f"SoakAlert{i % 20}", "id": str(i), "instance": f"host-{i % 100}:9100",
            "job": "soak", "severity": "critical" if i % 2 else "warning", "replica": "A"}


def alert_worker(a):
    """POSTs a["rate"] alerts/s for a["duration"] s; alert i is resolved from generation
    a["resolve_gen"] on when i % 10 == 0. Writes a JSON result to a["out"]."""
    n, bs, threads = a["alerts"], a["batch"], a["senders"]
    nb = math.ceil(n / bs)
    if nb % threads:
        raise SystemExit(f"{nb} batches do not split over {threads} senders")
    req_rate = a["rate"] * nb / n  # requests/s so that alerts/s averages a["rate"]
    host, port = a["host"], a["port"]
    duration, resolve_gen = a["duration"], a["resolve_gen"]
    t0 = time.monotonic()
    wall0 = time.time()
    resolved_at = wall0 + resolve_gen
    start = iso(wall0 - 60)
    latest = {}  # batch -> generation last answered 200
    lock = threading.Lock()
    stats = collections.Counter()
    lateness = [0.0]

    def body(g, b):
        now = time.time()
        alerts = []
        for i in range(b * bs, min((b + 1) * bs, n)):
            resolved = i % 10 == 0 and g >= resolve_gen
            alerts.append({"labels": alert_labels(i),
                           "annotations": {"summary": f"soak alert {i}", "seq": str(g)},
                           "startsAt": start,
                           "endsAt": iso(resolved_at if resolved else now + ENDS_IN_S),
                           "generatorURL": "http://prometheus-a:9090/graph?g0.expr=soak"})
        return json.dumps(alerts).encode(), len(alerts)

    def sender(j):
        conn = None
        cache_g, cache = -1, {}
        k = 0
        local = collections.Counter()
        my_late = 0.0
        while True:
            slot = j + k * threads
            k += 1
            due = slot / req_rate
            now = time.monotonic() - t0
            if due >= duration:
                break
            if due > now:
                time.sleep(due - now)
            else:
                my_late = max(my_late, now - due)
            g = int(time.monotonic() - t0)
            if g != cache_g:
                cache_g, cache = g, {}
            b = slot % nb
            if b not in cache:
                cache[b] = body(g, b)
            payload, count = cache[b]
            conn, status = post_keepalive(conn, host, port, "/api/v2/alerts", payload,
                                          {"Content-Type": "application/json"}, timeout=10)
            local["requests"] += 1
            local["alerts"] += count
            local[f"status_{status}"] += 1
            if status == 200:
                local["alerts_200"] += count
                with lock:
                    latest[b] = g
        if conn is not None:
            conn.close()
        with lock:
            stats.update(local)
            lateness[0] = max(lateness[0], my_late)

    ts = [threading.Thread(target=sender, args=(j,)) for j in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    elapsed = time.monotonic() - t0
    per_alert = {}
    for b, g in latest.items():
        for i in range(b * bs, min((b + 1) * bs, n)):
            per_alert[i] = {"seq": g, "resolved": i % 10 == 0 and g >= resolve_gen}
    with open(a["out"], "w") as f:
        json.dump({"elapsed": elapsed, "stats": stats, "max_lateness": lateness[0],
                   "latest": per_alert}, f)


def rw_worker(a):
    """Remote-write load: a["series"] series split over a["shards"] sequential senders (like
    Prometheus's shards); every step_ms one sample per series (a "scrape"), so a request carries
    series/shards samples. 503, 5xx and connection errors: the same request again after a
    backoff of 30 ms doubling to 5 s (Prometheus's defaults); other 4xx: dropped and counted.
    After the duration each shard still sends its backlog, for at most a["drain"] s."""
    series, shards, step_ms = a["series"], a["shards"], a["step_ms"]
    host, port, t0_ms = a["host"], a["port"], a["t0_ms"]
    scrapes = int(a["duration"] * 1000 // step_ms)
    t0 = time.monotonic()
    stats = collections.Counter()
    acked = {}
    lock = threading.Lock()
    headers = {"Content-Type": "application/x-protobuf", "Content-Encoding": "snappy",
               "X-Prometheus-Remote-Write-Version": "0.1.0", "User-Agent": "soak-rw/1"}

    def labels_pb(sid):
        pairs = [("__name__", "soak_rw_samples"), ("instance", f"host-{sid % 50}:9100"),
                 ("job", "soak"), ("replica", "A"), ("s", str(sid))]
        return b"".join(_pb_len(1, _pb_len(1, k.encode()) + _pb_len(2, v.encode()))
                        for k, v in pairs)

    def shard(j):
        mine = [(sid, labels_pb(sid)) for sid in range(j, series, shards)]
        local = collections.Counter()
        done = []
        pending = collections.deque()
        conn = None
        k_next = 0
        backoff = 0.03
        deadline = a["duration"] + a["drain"]
        while True:
            now = time.monotonic() - t0
            while k_next < scrapes and k_next * step_ms / 1000 <= now:
                ts = t0_ms + k_next * step_ms
                sample = _pb_len(2, b"\x09" + struct.pack("<d", float(k_next)) + b"\x10" +
                                 put_uvarint(ts))
                raw = b"".join(_pb_len(1, lab + sample) for _, lab in mine)
                pending.append((k_next, snappy_literal(raw)))
                k_next += 1
            local["max_backlog"] = max(local["max_backlog"], len(pending))
            if not pending:
                if k_next >= scrapes:
                    break
                time.sleep(max(0.0, k_next * step_ms / 1000 - now))
                continue
            if now > deadline:
                local["unsent_requests"] = len(pending)
                break
            k, payload = pending[0]
            conn, status = post_keepalive(conn, host, port, "/api/v1/write", payload, headers,
                                          timeout=30)
            local["requests"] += 1
            local[f"status_{status}"] += 1
            if status != "error" and 200 <= status < 300:
                pending.popleft()
                done.append(k)
                local["samples_acked"] += len(mine)
                backoff = 0.03
            elif status == "error" or status >= 500:
                local["retries"] += 1
                time.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            else:
                pending.popleft()
                local["samples_rejected_4xx"] += len(mine)
        if conn is not None:
            conn.close()
        with lock:
            backlog = local.pop("max_backlog")
            stats["max_backlog_requests"] = max(stats["max_backlog_requests"], backlog)
            stats.update(local)
            acked[j] = done

    ts = [threading.Thread(target=shard, args=(j,)) for j in range(shards)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    with open(a["out"], "w") as f:
        json.dump({"elapsed": time.monotonic() - t0, "scrapes": scrapes, "stats": stats,
                   "acked": acked}, f)


# --- the soak ---------------------------------------------------------------------------------

class Report:
    def __init__(self):
        self.failures = []
        self.notes = []

    def line(self, text=""):
        print(text, flush=True)

    def check(self, cond, what):
        if not cond:
            self.failures.append(what)
            self.line(f"  FAIL: {what}")
        return cond


class Timeline:
    """Runs (at_seconds, description, fn) events on a thread, relative to start(); logs them."""

    def __init__(self, rep, events):
        self.rep, self.events = rep, sorted(events, key=lambda e: e[0])
        self.log = []
        self.errors = []
        self.stop_ev = threading.Event()

    def start(self):
        self.t0 = time.monotonic()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        for at, what, fn in self.events:
            if self.stop_ev.wait(max(0.0, self.t0 + at - time.monotonic())):
                return
            t = time.monotonic() - self.t0
            try:
                detail = fn() or ""
            except Exception as e:  # noqa: BLE001 - reported as a failure
                detail = f"ERROR {type(e).__name__}: {e}"
                self.errors.append(f"{what}: {e}")
            self.log.append((t, what, detail))
            self.rep.line(f"  [{t:6.1f}s] {what}{(' - ' + detail) if detail else ''}")

    def join(self):
        self.thread.join()

    def stop(self):
        self.stop_ev.set()


def reload_events(p, write_config, duration, n=10, note=lambda i: ""):
    """n reloads spread over the run, alternately SIGHUP and POST /-/reload; each writes the config
    of reload i first (write_config(i) returns a string the loaded config then contains) and waits
    until /api/v1/status shows a newer successful reload with it."""

    def status():
        return json.loads(http_get(p["url"] + "/api/v1/status")[1])["config"]

    def reload(i):
        def fn():
            before = status()["lastReloadSuccessTime"]
            marker = write_config(i)
            if i % 2 == 0:
                p["proc"].signal(signal.SIGHUP)
                how = "SIGHUP"
            else:
                code, body = http_post(p["url"] + "/-/reload", b"", None, timeout=30)
                if code != 200:
                    raise RuntimeError(f"POST /-/reload: {code} {body[:200]!r}")
                how = "POST /-/reload"
            t0 = time.monotonic()
            st = wait_for(lambda: (lambda s: s if s["lastReloadSuccessTime"] != before and
                                   marker in s["yaml"] else None)(status()),
                          10, interval=0.05, what=f"reload {i + 1} applied")
            if not st["lastReloadSuccessful"]:
                raise RuntimeError(f"reload failed: {st['lastReloadError']}")
            return f"{how}, applied after {(time.monotonic() - t0) * 1000:.0f} ms"
        return fn

    # From 10% to 87% of the run: the first second of load is the reference for threads and fds.
    return [((0.1 + 0.085 * i) * duration, f"reload {i + 1}/{n}{note(i)}", reload(i))
            for i in range(n)]


# promha's listener keeps one thread per connection it has served at once, for reuse (a pool that
# grows to the peak number of concurrent connections, http/server.cpp ConnectionPool). The soak's
# own requests (/metrics, /api/v1/status, POST /-/reload: one connection each, so a closing one
# may overlap the next) may add up to this many to it. A leaked sender or endpoint would add 2 or
# 4 threads per replacing reload, i.e. 8 or more over the run.
CONTROL_CONNECTIONS = 3


def wait_threads_back(sampler, reference, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        _, threads, fds = sampler.read()
        if threads <= reference or time.monotonic() > deadline:
            return threads, fds
        time.sleep(0.2)


def report_process(rep, sampler, idle, start, after, cpu, max_rss):
    """idle: (rss KiB, threads, fds) before the load; start: 1 s into the load, before any reload
    or fault; after: once the load stopped and promha drained."""
    rss1, thr1, fd1 = after
    rep.line(f"  RSS: idle {idle[0] / 1024:.1f} MiB, 1 s into the load {start[0] / 1024:.1f} MiB, "
             f"peak {sampler.peak_rss_mib():.1f} MiB, after {rss1 / 1024:.1f} MiB "
             f"(bound {max_rss} MiB)")
    rep.line(f"  threads: idle {idle[1]}, 1 s into the load {start[1]}, peak "
             f"{sampler.peak_threads()}, after {thr1}; open fds: idle {idle[2]}, 1 s into the "
             f"load {start[2]}, after {fd1}; promha CPU {cpu:.1f} s")
    rep.check(sampler.peak_rss_mib() <= max_rss,
              f"peak RSS {sampler.peak_rss_mib():.1f} MiB above {max_rss} MiB")
    rep.check(thr1 <= start[1] + CONTROL_CONNECTIONS,
              f"thread leak: {start[1]} threads 1 s into the load, {thr1} after")
    rep.check(fd1 <= start[2] + CONTROL_CONNECTIONS,
              f"fd leak: {start[2]} open fds 1 s into the load, {fd1} after")


def ensure_alive(p):
    """Raises (the log tails are then printed) when promha is gone."""
    rc = p["proc"].p.poll()
    if rc is not None:
        raise RuntimeError(f"promha crashed or exited during the soak: exit status {rc}" +
                           (f" (signal {-rc})" if rc < 0 else ""))


def stop_promha(rep, p):
    rep.check(p["proc"].alive(), "promha died during the soak")
    t0 = time.monotonic()
    rc = p["proc"].stop(timeout=30)
    rep.line(f"  SIGTERM: exit status {rc} after {time.monotonic() - t0:.1f} s")
    rep.check(rc == 0, f"promha exit status {rc} on SIGTERM")


def run_worker(h, kind, args):
    out = h.path(f"{kind}-result.json")
    args = dict(args, out=out)
    proc = h.start(f"{kind}-load", [sys.executable, os.path.abspath(__file__), "_worker", kind,
                                    json.dumps(args)])
    return proc, out


def finish_worker(rep, proc, out, timeout):
    try:
        rc = proc.p.wait(timeout=timeout)
    except Exception:  # noqa: BLE001 - subprocess.TimeoutExpired
        proc.kill()
        rc = "killed (timeout)"
    if rc != 0:
        rep.check(False, f"{proc.name} worker exited {rc}: {proc.tail(10)}")
        return None
    with open(out) as f:
        return json.load(f)


def alert_soak(h, args, rep):
    d = args.duration
    rep.line(f"== alert soak: {d:.0f} s at {args.rate} alerts/s, {args.alerts} distinct alerts, "
             f"3 Alertmanager sinks ==")
    sinks = [AlertSink(f"am{i + 1}") for i in range(3)]
    cfg_path = h.path("promha-alerts.yml")

    def write_config(i):
        marker = f"soak_reload_{i}"
        # Reloads 3-4 and 7-8 also lengthen the time-out by 1 ms: a changed target, so promha
        # replaces its senders and the new ones adopt the queues (reloads 3, 5, 7 and 9).
        timeout = args.am_timeout_ms + (1 if i % 4 >= 2 and args.reload_targets else 0)
        text = f"""alerting:
  alert_relabel_configs:
    - {{action: labeldrop, regex: replica}}
    - {{action: labeldrop, regex: {marker}}}
  alertmanagers:
    - timeout: {timeout}ms
      static_configs:
        - targets: {json.dumps([f"127.0.0.1:{s.port}" for s in sinks])}
watch:
  alertmanager_cluster: {{enabled: false}}
"""
        with open(cfg_path + ".tmp", "w") as f:
            f.write(text)
        os.replace(cfg_path + ".tmp", cfg_path)
        return marker

    write_config(-1)
    with open(cfg_path) as f:
        p = h.promha("promha-alerts", f.read(), extra_args=["--web.enable-lifecycle"])
    cfg_path = p["config"]
    sampler = Sampler(p["proc"].pid)
    time.sleep(1)
    base = sampler.read()
    cpu0 = sampler.cpu_seconds()

    fault = min(10.0, d / 6)
    s1, s2, s3 = sinks
    events = reload_events(p, write_config, d, note=lambda i: " (targets changed: senders "
                           "replaced)" if args.reload_targets and i % 2 == 0 and i > 0 else "")
    events += [
        (0.13 * d, f"kill {s1.name}", s1.kill),
        (0.13 * d + fault, f"restart {s1.name} on port {s1.port}", s1.start),
        (0.37 * d, f"{s2.name} answers 500", lambda: setattr(s2, "mode", "500")),
        (0.37 * d + fault, f"{s2.name} answers 200 again", lambda: setattr(s2, "mode", "ok")),
        (0.60 * d, f"{s3.name} black hole", s3.hole),
        (0.60 * d + fault, f"{s3.name} answers again", s3.unhole),
    ]
    resolve_gen = int(0.8 * d)
    events.append((resolve_gen, "load: alerts with id % 10 == 0 resolved from now on",
                   lambda: None))
    tl = Timeline(rep, events)
    proc, out = run_worker(h, "alerts", {
        "host": "127.0.0.1", "port": p["port"], "rate": args.rate, "alerts": args.alerts,
        "batch": 64, "senders": 4, "duration": d, "resolve_gen": resolve_gen})
    tl.start()
    time.sleep(1)
    start = sampler.read()
    res = finish_worker(rep, proc, out, d + 60)
    tl.stop()
    tl.join()
    for s in sinks:
        s.unhole()
    ensure_alive(p)
    for e in tl.errors:
        rep.check(False, f"fault script: {e}")
    if res is None:
        return
    st = res["stats"]
    rate = st.get("alerts", 0) / res["elapsed"]
    rep.line(f"  load: {st.get('alerts', 0)} alerts in {st.get('requests', 0)} requests over "
             f"{res['elapsed']:.1f} s = {rate:.0f} alerts/s achieved (target {args.rate}); "
             f"answers: " + ", ".join(f"{k[7:]} x{v}" for k, v in sorted(st.items())
                                       if k.startswith("status_")) +
             f"; max lateness of a send {res['max_lateness'] * 1000:.0f} ms")
    rep.check(rate >= 0.95 * args.rate,
              f"load generator reached only {rate:.0f} of {args.rate} alerts/s")
    rep.check(st.get("status_200", 0) == st.get("requests", 0), "promha did not answer 200 to "
              "every alert request")

    # The expected final state: per label set (after `labeldrop replica`), the latest version.
    expected = {}
    for i_s, v in res["latest"].items():
        lab = alert_labels(int(i_s))
        del lab["replica"]
        expected[tuple(sorted(lab.items()))] = v
    valid = {k: v for k, v in expected.items() if not v["resolved"]}

    def lagging(s):
        with s.lock:
            return sum(1 for k, v in expected.items() if s.last.get(k, -1) < v["seq"])

    t_settle = time.monotonic()
    try:
        wait_for(lambda: all(lagging(s) == 0 for s in sinks) and
                 sum(z(mval(scrape(p["url"]), "promha_notifications_queue_length",
                            alertmanager=s.url)) for s in sinks) == 0,
                 args.settle, interval=0.2, what="every sink up to date and queues empty")
        rep.line(f"  settled {time.monotonic() - t_settle:.1f} s after the load stopped")
    except TimeoutError as e:
        rep.line(f"  not settled after {args.settle} s: {e}")
    m = scrape(p["url"])
    received = z(mval(m, "promha_alerts_received_total"))
    invalid = z(mval(m, "promha_alerts_invalid_total"))
    relabel_dropped = z(mval(m, "promha_alerts_relabel_dropped_total"))
    per_am = received - invalid - relabel_dropped
    rep.line(f"  promha: promha_alerts_received_total {received:.0f} (load generator got 200 for "
             f"{st.get('alerts_200', 0)}), invalid {invalid:.0f}, relabel-dropped "
             f"{relabel_dropped:.0f}: {per_am:.0f} alerts enqueued for each Alertmanager")
    rep.check(received == st.get("alerts_200", 0),
              f"promha_alerts_received_total {received:.0f} != alerts answered 200 "
              f"{st.get('alerts_200', 0)}")
    has_coalesced = mval(m, "promha_notifications_coalesced_total") is not None
    rep.line("  per Alertmanager (alerts; 'coalesced' = enqueued - sent - dropped - queued, "
             "see the note below):" if not has_coalesced else "  per Alertmanager (alerts):")
    rep.line("    sink  checked  missing  stale  resolved-ok  sent  sink-got  errors  sink-500  "
             "retries  dropped  queued  coalesced  regressions")
    for s in sinks:
        g = {k: z(mval(m, f"promha_notifications_{k}", alertmanager=s.url))
             for k in ("sent_total", "dropped_total", "queue_length", "errors_total",
                       "retries_total", "coalesced_total")}
        with s.lock:
            last = dict(s.last)
            stats = collections.Counter(s.stats)
        missing = sum(1 for k in valid if k not in last)
        stale = sum(1 for k, v in valid.items() if k in last and last[k] < v["seq"])
        resolved = [k for k, v in expected.items() if v["resolved"]]
        resolved_ok = sum(1 for k in resolved if last.get(k, -1) >= expected[k]["seq"])
        gap = per_am - g["sent_total"] - g["dropped_total"] - g["queue_length"]
        coalesced = g["coalesced_total"] if has_coalesced else gap
        rep.line(f"    {s.name:4}  {len(valid):7}  {missing:7}  {stale:5}  "
                 f"{resolved_ok:5}/{len(resolved):<5}  {g['sent_total']:.0f}  "
                 f"{stats['alerts_200']}  {g['errors_total']:.0f}  {stats['items_500']}  "
                 f"{g['retries_total']:.0f}  {g['dropped_total']:.0f}  {g['queue_length']:.0f}  "
                 f"{coalesced:.0f}  {stats['regressions']}")
        rep.line(f"          equation: enqueued {per_am:.0f} = sent {g['sent_total']:.0f} + "
                 f"dropped {g['dropped_total']:.0f} + queued {g['queue_length']:.0f} + "
                 f"coalesced {coalesced:.0f}" + ("" if has_coalesced else " (not exported)") +
                 f"; sink: {stats['requests_200']} requests answered 200, "
                 f"{stats['answered_500']} answered 500, {stats['hole_requests']} black-holed, "
                 f"{stats['kills']} kills, {stats['truncated_requests']} requests cut off by it")
        rep.check(missing == 0 and stale == 0,
                  f"{s.name}: {missing} valid alerts never arrived, {stale} not in their latest "
                  f"version")
        rep.check(resolved_ok == len(resolved),
                  f"{s.name}: {len(resolved) - resolved_ok} resolutions not delivered")
        rep.check(g["queue_length"] == 0, f"{s.name}: {g['queue_length']:.0f} still queued")
        if has_coalesced:
            rep.check(gap == g["coalesced_total"],
                      f"{s.name}: enqueued {per_am:.0f} != sent + dropped + queued + coalesced")
        else:
            rep.check(gap >= 0, f"{s.name}: sent + dropped + queued exceeds what was enqueued by "
                                f"{-gap:.0f}")
        # The sink may have processed a request whose answer the kill cut off: promha counts an
        # error and sends again, so the sink can only have more.
        rep.check(stats["alerts_200"] >= g["sent_total"],
                  f"{s.name}: promha counts {g['sent_total']:.0f} sent, the sink accepted "
                  f"{stats['alerts_200']}")
        rep.check(g["errors_total"] >= stats["items_500"],
                  f"{s.name}: {stats['items_500']} alerts answered 500, promha counts "
                  f"{g['errors_total']:.0f} errors")
    if not has_coalesced:
        rep.line("  note: promha exports no counter for coalesced alerts (a queued alert replaced "
                 "by its newer copy, notify::Queue::push, and a failed batch's alert superseded "
                 "on requeue, Queue::requeue), so the check is sent + dropped + queued <= "
                 "enqueued, with sent matched against what each sink accepted.")
    after = wait_threads_back(sampler, start[1])
    rss_after = sampler.read()[0]
    cpu = sampler.cpu_seconds() - cpu0
    sampler.stop()
    report_process(rep, sampler, base, start, (rss_after, *after), cpu, args.max_rss)
    stop_promha(rep, p)
    for s in sinks:
        s.close()


def rw_soak(h, args, rep):
    d = args.duration
    step_ms = 200
    series = max(4, int(args.rw_rate * step_ms / 1000))
    shards = 4
    series -= series % shards
    outage = min(20.0, d / 3)
    rep.line(f"== remote-write soak: {d:.0f} s, {series} series x 1 sample every {step_ms} ms = "
             f"{series * 1000 // step_ms} samples/s in {shards} sequential senders, storage "
             f"outage {outage:.0f} s ==")
    t0_ms = int(time.time() * 1000) // 1000 * 1000
    sink = StorageSink("storage", t0_ms, step_ms)
    cfg_path = [None]

    def config_text(i):
        # Reloads 1, 2, 5, 6, 9 and 10 change write_relabel_configs (a rule matching nothing):
        # promha then replaces the endpoint, whose queue the new one adopts; the others reload
        # an unchanged file.
        marker = "soak_rw_reload_%d" % max([-1] + [k for k in (0, 1, 4, 5, 8, 9) if k <= i])
        return marker, f"""remote_write:
  - url: {sink.url}
    name: soak-storage
    write_relabel_configs:
      - {{action: labeldrop, regex: replica}}
      - {{action: labeldrop, regex: {marker}}}
watch:
  alertmanager_cluster: {{enabled: false}}
"""

    def write_config(i):
        marker, text = config_text(i)
        with open(cfg_path[0] + ".tmp", "w") as f:
            f.write(text)
        os.replace(cfg_path[0] + ".tmp", cfg_path[0])
        return marker

    p = h.promha("promha-rw", config_text(-1)[1], extra_args=["--web.enable-lifecycle"])
    cfg_path[0] = p["config"]
    sampler = Sampler(p["proc"].pid)
    time.sleep(1)
    base = sampler.read()
    cpu0 = sampler.cpu_seconds()
    events = reload_events(p, write_config, d, note=lambda i: " (write_relabel_configs changed: "
                           "endpoint replaced)" if i in (0, 1, 4, 5, 8, 9) else "")
    events += [(0.3 * d, "storage down (listener and connections closed)", sink.kill),
               (0.3 * d + outage, f"storage back on port {sink.port}", sink.start)]
    tl = Timeline(rep, events)
    drain = max(60.0, args.settle)
    proc, out = run_worker(h, "rw", {
        "host": "127.0.0.1", "port": p["port"], "series": series, "shards": shards,
        "step_ms": step_ms, "t0_ms": t0_ms, "duration": d, "drain": drain})
    tl.start()
    time.sleep(1)
    start = sampler.read()
    res = finish_worker(rep, proc, out, d + drain + 30)
    tl.stop()
    tl.join()
    ensure_alive(p)
    for e in tl.errors:
        rep.check(False, f"fault script: {e}")
    if res is None:
        return
    st = res["stats"]
    acked = {int(j): ks for j, ks in res["acked"].items()}
    n_acked = st.get("samples_acked", 0)
    rep.line(f"  load: {res['scrapes']} scrapes x {series} series = "
             f"{res['scrapes'] * series} samples written in {res['elapsed']:.1f} s; "
             f"{st.get('requests', 0)} requests: " +
             ", ".join(f"{k[7:]} x{v}" for k, v in sorted(st.items()) if k.startswith("status_")) +
             f"; {st.get('retries', 0)} re-sent after backoff; largest backlog "
             f"{st.get('max_backlog_requests', 0)} requests; {n_acked} samples acknowledged")
    rep.check(n_acked == res["scrapes"] * series,
              f"{res['scrapes'] * series - n_acked} samples never acknowledged "
              f"({st.get('unsent_requests', 0)} requests unsent, "
              f"{st.get('samples_rejected_4xx', 0)} samples rejected with 4xx)")

    def delivered():
        missing = 0
        with sink.lock:
            for j, ks in acked.items():
                for sid in range(j, series, shards):
                    c = sink.counts.get(sid, b"")
                    missing += sum(1 for k in ks if k >= len(c) or c[k] == 0)
        return missing

    t_settle = time.monotonic()
    try:
        wait_for(lambda: delivered() == 0 and
                 z(mval(scrape(p["url"]), "promha_remote_write_queue_length")) == 0,
                 args.settle, interval=0.5, what="every acknowledged sample in the storage")
        rep.line(f"  settled {time.monotonic() - t_settle:.1f} s after the load stopped")
    except TimeoutError as e:
        rep.line(f"  not settled after {args.settle} s: {e}")
    missing = delivered()
    acked_set = {}
    for j, ks in acked.items():
        for sid in range(j, series, shards):
            acked_set[sid] = set(ks)
    dup = unexpected = total = 0
    with sink.lock:
        for sid, c in sink.counts.items():
            mine = acked_set.get(sid, set())
            for k, n in enumerate(c):
                if n:
                    total += n
                    dup += n - 1
                    if k not in mine:
                        unexpected += n
        sstats = collections.Counter(sink.stats)
    m = scrape(p["url"])
    url = {"url": sink.url}
    recv = z(mval(m, "promha_remote_write_samples_received_total"))
    dedup = z(mval(m, "promha_remote_write_samples_deduplicated_total"))
    fwd = z(mval(m, "promha_remote_write_samples_forwarded_total", **url))
    failed = z(mval(m, "promha_remote_write_samples_failed_total", **url))
    rdrop = z(mval(m, "promha_remote_write_samples_relabel_dropped_total", **url))
    queued = z(mval(m, "promha_remote_write_queue_length", **url))
    retries = z(mval(m, "promha_remote_write_retries_total", **url))
    rejected = z(mval(m, "promha_remote_write_requests_rejected_total", **url))
    codes = {}
    by_code = r'^promha_remote_write_requests_total\{[^}]*code="(\d+)"[^}]*\} (\S+)$'
    for code, v in re.findall(by_code, m, re.M):
        codes[code] = codes.get(code, 0) + float(v)
    rep.line(f"  storage: {total} sample arrivals ({sstats['samples_200']} counted), "
             f"{sstats['requests_200']} requests; acknowledged samples missing {missing}, "
             f"duplicates {dup} ({sstats['dup_older_than_newest']} of them older than their "
             f"series' newest sample), out of order {sstats['out_of_order']}, unexpected "
             f"{unexpected}; series still carrying replica "
             f"{sstats['series_with_replica']}; bad bodies {sstats['bad_bodies']}; requests "
             f"cut off by the outage {sstats['truncated_requests']}")
    if sink.dup_times:
        when = collections.Counter(int(t - tl.t0) for t in sink.dup_times)
        rep.line("  duplicates arrived at (s into the load: samples) " +
                 ", ".join(f"{t}: {n}" for t, n in sorted(when.items())))
    rep.line("  promha: requests by code " +
             ", ".join(f"{c}: {v:.0f}" for c, v in sorted(codes.items())) +
             f"; requests rejected (queue full) {rejected:.0f}; samples in retried sends "
             f"{retries:.0f}")
    rep.line(f"  equation: received {recv:.0f} = forwarded {fwd:.0f} + failed {failed:.0f} + "
             f"queued {queued:.0f} + relabel-dropped {rdrop:.0f} + deduplicated {dedup:.0f} "
             f"(= {fwd + failed + queued + rdrop + dedup:.0f})")
    rep.check(missing == 0, f"{missing} acknowledged samples never reached the storage")
    rep.check(unexpected == 0, f"{unexpected} samples reached the storage without being "
                               f"acknowledged")
    rep.check(sstats["series_with_replica"] == 0, "write_relabel_configs not applied")
    rep.check(sstats["out_of_order"] == 0,
              f"{sstats['out_of_order']} samples arrived after a newer sample of their series")
    rep.check(sstats["bad_bodies"] == 0, f"storage could not decode {sstats['bad_bodies']} "
                                         f"bodies: {sstats.get('last_bad_body')}")
    rep.check(recv == n_acked, f"promha received {recv:.0f} samples, the generator got 2xx for "
                               f"{n_acked}")
    rep.check(recv == fwd + failed + queued + rdrop + dedup, "remote-write counters do not balance")
    rep.check(failed == 0, f"{failed:.0f} samples failed")
    rep.check(codes.get("503", 0) == st.get("status_503", 0),
              f"promha counts {codes.get('503', 0):.0f} answers 503, the generator got "
              f"{st.get('status_503', 0)}")
    rep.check(total - dup == fwd, f"promha counts {fwd:.0f} samples forwarded, the storage got "
                                  f"{total - dup} distinct samples ({dup} duplicates)")
    after = wait_threads_back(sampler, start[1])
    rss_after = sampler.read()[0]
    cpu = sampler.cpu_seconds() - cpu0
    sampler.stop()
    report_process(rep, sampler, base, start, (rss_after, *after), cpu, args.max_rss)
    stop_promha(rep, p)
    sink.close()


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "_worker":
        {"alerts": alert_worker, "rw": rw_worker}[sys.argv[2]](json.loads(sys.argv[3]))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=60, help="seconds of load per phase (60)")
    ap.add_argument("--quick", action="store_true", help="15 s per phase")
    ap.add_argument("--mode", choices=("alerts", "rw", "both"), default="both")
    ap.add_argument("--rate", type=int, default=5000, help="alerts/s (5000)")
    ap.add_argument("--alerts", type=int, default=2000, help="distinct alerts (2000)")
    ap.add_argument("--am-timeout-ms", type=int, default=2000,
                    help="promha's Alertmanager timeout in ms (2000)")
    ap.add_argument("--no-reload-targets", dest="reload_targets", action="store_false",
                    help="alert reloads change only a relabel rule, never the targets")
    ap.add_argument("--rw-rate", type=int, default=10000, help="remote-write samples/s (10000)")
    ap.add_argument("--settle", type=float, default=30, help="seconds to drain after the load")
    ap.add_argument("--max-rss", type=float, default=200, help="RSS bound in MiB (200)")
    ap.add_argument("--keep-dir", action="store_true", help="keep configs and logs")
    args = ap.parse_args()
    if args.quick:
        args.duration = 15
    rep = Report()
    rep.line(f"promha soak: {harness.find_promha()}, load average "
             f"{os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs, {time.strftime('%F %T %Z')}")
    phases = {"alerts": [alert_soak], "rw": [rw_soak], "both": [alert_soak, rw_soak]}[args.mode]
    for phase in phases:
        h = Harness(f"soak-{phase.__name__}", keep_dir=args.keep_dir)
        try:
            phase(h, args, rep)
        except Exception as e:  # noqa: BLE001 - reported
            rep.check(False, f"{phase.__name__}: {type(e).__name__}: {e}")
            for pr in h.procs:
                rep.line(f"--- {pr.name} (pid {pr.pid}) log tail:\n{pr.tail()}")
        finally:
            if args.keep_dir:
                rep.line(f"  logs and configs kept in {h.dir}")
            h.close()
    if rep.failures:
        rep.line(f"soak: FAIL ({'; '.join(rep.failures)})")
        return 1
    rep.line("soak: PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
