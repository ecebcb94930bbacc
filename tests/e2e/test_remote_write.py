#!/usr/bin/env python3
"""End-to-end tests of the remote-write path with real peers: Prometheus 2.42 (scraping itself and
a small target, external labels replica=A, cluster=e2e) remote-writes to promha, which drops the
replica label and forwards to a real VictoriaMetrics single node (Debian victoria-metrics).
Checks go through the storage's and Prometheus's query APIs. Usage: test_remote_write.py SCENARIO
Exit 0 on success; failures print what was expected and the tails of the process logs."""
import http.server
import json
import math
import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, free_port, http_get, http_post, metric, wait_for, which  # noqa: E402

FIXTURES = os.path.join(harness.ROOT, "..", "shared", "fixtures")
STALE_NAN = "0x7ff0000000000002"


class Target:
    """A scrape target on a free port serving one gauge; close() makes its series go stale."""

    def __init__(self):
        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                body = b"# TYPE e2e_target_value gauge\ne2e_target_value 42.5\n"
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.addr = f"127.0.0.1:{self.srv.server_address[1]}"
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


class VictoriaMetrics:
    """A VictoriaMetrics single node; stop() and start() keep its port and data directory."""

    def __init__(self, h):
        self.h, self.port, self.data = h, free_port(), h.path("vm-data")
        self.url = f"http://127.0.0.1:{self.port}"
        self.write_url = self.url + "/api/v1/write"
        self.proc = None
        self.start()

    def start(self):
        self.proc = self.h.start("victoria-metrics", [
            which("victoria-metrics"), f"-httpListenAddr=127.0.0.1:{self.port}",
            f"-storageDataPath={self.data}", "-retentionPeriod=100y", "-search.disableCache",
            "-search.latencyOffset=0s", "-loggerLevel=WARN"])
        wait_for(lambda: http_get(self.url + "/health")[0] == 200, 30, what="victoria-metrics up")

    def stop(self):
        # SIGTERM: VictoriaMetrics flushes what it acknowledged before it exits. (SIGKILL could
        # lose its last second of acknowledged rows, which would be the storage's loss, not a
        # sample that promha failed to deliver.)
        self.proc.stop(timeout=30)

    def export(self, match, start=None, end=None):
        """Raw samples: {labels-json: [(ts_ms, value_text), ...]} (duplicates removed)."""
        q = {"match[]": match}
        if start is not None:
            q["start"] = f"{start:.3f}"
        if end is not None:
            q["end"] = f"{end:.3f}"
        _, body = http_get(self.url + "/api/v1/export?" + urllib.parse.urlencode(q), timeout=10)
        out = {}
        for line in body.decode().splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            key = json.dumps(row["metric"], sort_keys=True)
            pts = out.setdefault(key, set())
            pts.update(zip(row["timestamps"], [repr(v) for v in row["values"]]))
        return {k: sorted(v) for k, v in out.items()}

    def series(self, match):
        _, body = http_get(self.url + "/api/v1/series?" + urllib.parse.urlencode({"match[]": match}))
        return json.loads(body)["data"]


def start_prometheus(h, promha_port, target, extra_queue=""):
    port = free_port()
    cfg = h.path("prometheus.yml")
    with open(cfg, "w") as f:
        f.write(f"""global:
  scrape_interval: 1s
  external_labels: {{replica: A, cluster: e2e}}
scrape_configs:
  - job_name: prometheus
    static_configs: [{{targets: ['127.0.0.1:{port}']}}]
  - job_name: target
    static_configs: [{{targets: ['{target.addr}']}}]
remote_write:
  - url: http://127.0.0.1:{promha_port}/api/v1/write
    queue_config: {{batch_send_deadline: 1s, max_backoff: 2s{extra_queue}}}
""")
    proc = h.start("prometheus", [which("prometheus"), f"--config.file={cfg}",
                                  f"--storage.tsdb.path={h.path('prom-data')}",
                                  f"--web.listen-address=127.0.0.1:{port}"])
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: http_get(url + "/-/ready")[0] == 200, 30, what="prometheus ready")
    return {"url": url, "proc": proc, "port": port}


def promha_config(vm, queue="{batch_send_deadline: 500ms}"):
    return f"""remote_write:
  - url: {vm.write_url}
    name: vm
    write_relabel_configs:
      - {{action: labeldrop, regex: replica}}
    queue_config: {queue}
"""


def prom_query(prom, query, at):
    q = urllib.parse.urlencode({"query": query, "time": f"{at:.3f}"})
    _, body = http_get(prom["url"] + "/api/v1/query?" + q, timeout=10)
    return json.loads(body)["data"]["result"]


def prom_raw(prom, selector, start, end):
    """Prometheus's own raw samples in (start, end]: {labels-json without replica: [(ts, v)]}."""
    window = int(end - start) + 1
    out = {}
    for r in prom_query(prom, f"{selector}[{window}s]", end):
        labels = {k: v for k, v in r["metric"].items() if k != "replica"}
        labels["cluster"] = "e2e"
        pts = [(int(round(float(t) * 1000)), v) for t, v in r["values"] if float(t) > start]
        out[json.dumps(labels, sort_keys=True)] = pts
    return out


def scenario_forward(h):
    """Series arrive in the storage without the replica label, with their values, and the
    staleness markers Prometheus writes when a target goes away arrive too."""
    vm = VictoriaMetrics(h)
    target = Target()
    p = h.promha("promha", promha_config(vm))
    prom = start_prometheus(h, p["port"], target)
    wait_for(lambda: vm.series('up{job="target"}'), 60, what="up{job=target} in the storage")
    for s in vm.series('{__name__=~"up|prometheus_build_info|e2e_target_value"}'):
        check("replica" not in s, f"replica label reached the storage: {s}")
        check(s.get("cluster") == "e2e", f"external label lost: {s}")
    # Values: the gauge is exact, and Prometheus's own view of it matches the storage's.
    wait_for(lambda: vm.export('e2e_target_value'), 30, what="e2e_target_value samples")
    pts = next(iter(vm.export("e2e_target_value").values()))
    check(all(v == "42.5" for _, v in pts), f"e2e_target_value values: {pts[:5]}")

    # The target goes away: Prometheus writes staleness markers, which must reach the storage.
    stop_at = time.time()
    target.close()

    def stale_in_storage():
        for _, pts in vm.export("e2e_target_value", start=stop_at - 5).items():
            if any(v != "42.5" for _, v in pts):
                return pts
        return None
    pts = wait_for(stale_in_storage, 60, what="a staleness marker for e2e_target_value in the storage")
    # VictoriaMetrics keeps Prometheus's staleness marker (its decimal.StaleNaN has the same bits,
    # 0x7ff0000000000002, and a plain NaN would not be taken for one) and exports it as null.
    check(pts[-1][1] == "None" and all(v == "42.5" for _, v in pts[:-1]),
          f"want 42.5 ... then one staleness marker, got {pts[-6:]}")
    # In Prometheus's query semantics the series ends at the marker: nothing 2 s later.
    later = time.time() + 2
    wait_for(lambda: time.time() > later, 5)
    check(prom_query(prom, "e2e_target_value", later) == [], "Prometheus still has the series")
    check(metric(p["url"], "promha_remote_write_samples_failed_total") == 0, "samples failed")
    check(metric(p["url"], "promha_remote_write_samples_forwarded_total") > 100, "little forwarded")
    status = json.loads(http_get(p["url"] + "/api/v1/status")[1])
    ep = status["remoteWrite"]["endpoints"][0]
    check(ep["url"] == vm.write_url and ep["name"] == "vm" and ep["state"] == "up", f"status: {ep}")


def scenario_storage_down(h):
    """The storage is down for 30 s: promha's bounded queue fills, promha answers 503, Prometheus
    keeps the samples in its WAL and retries; once the storage is back every sample arrives."""
    vm = VictoriaMetrics(h)
    target = Target()
    # A small queue (one shard of 2,000) fills within seconds of the outage.
    p = h.promha("promha", promha_config(
        vm, "{max_shards: 1, capacity: 2000, max_samples_per_send: 500, batch_send_deadline: 500ms,"
            " max_backoff: 1s}"))
    prom = start_prometheus(h, p["port"], target)
    wait_for(lambda: vm.series('up{job="prometheus"}'), 60, what="first samples in the storage")
    t_start = time.time()
    wait_for(lambda: time.time() > t_start + 5, 10)  # some healthy history first
    vm.stop()
    t_down = time.time()
    wait_for(lambda: (metric(p["url"], "promha_remote_write_requests_total", {"code": "503"}) or 0) > 0,
             30, what="promha answering 503 while the storage is down")
    wait_for(lambda: time.time() > t_down + 30, 40)  # the outage lasts 30 s
    vm.start()
    t_up = time.time()
    t_end = t_up - 1  # the window [t_start, t_end] spans the healthy start and the outage
    # Every sample Prometheus has for these series in the window is in the storage, with the same
    # value: Prometheus's `up`, a counter, a gauge whose value changes, and the target's series.
    for sel in ('up{job="prometheus"}', 'up{job="target"}', 'e2e_target_value',
                'prometheus_tsdb_head_samples_appended_total', 'scrape_duration_seconds'):
        want = prom_raw(prom, sel, t_start, t_end)
        check(want, f"Prometheus has no samples for {sel}")

        def caught_up(sel=sel, want=want):
            # Per series, samples arrive in order: one newer than the window means the window
            # is complete (Prometheus shards by series, promha's lanes keep a series in order).
            got = vm.export(sel, start=t_start + 0.001)
            return all(any(ts / 1000 > t_end for ts, _ in got.get(k, [])) for k in want)
        wait_for(caught_up, 120, interval=1, what=f"{sel} delivered past the outage")
        got = vm.export(sel, start=t_start + 0.001, end=t_end)
        for key, pts in want.items():
            have = dict(got.get(key, []))
            missing = [(ts, v) for ts, v in pts if ts not in have]
            check(not missing, f"{sel} {key}: {len(missing)} of {len(pts)} samples missing in the "
                               f"storage, first {missing[:3]} (outage {t_down:.0f}..{t_up:.0f})")
            # VictoriaMetrics keeps 12 significant decimal digits of a value.
            wrong = [(ts, v, have[ts]) for ts, v in pts
                     if not math.isclose(float(have[ts]), float(v), rel_tol=1e-9)]
            check(not wrong, f"{sel} {key}: values differ: {wrong[:3]}")
    check(metric(p["url"], "promha_remote_write_samples_failed_total") == 0, "samples failed")
    check(metric(p["url"], "promha_remote_write_retries_total") > 0, "no retries counted")
    check(metric(p["url"], "promha_remote_write_requests_rejected_total") > 0, "no 503 counted")
    target.close()


def scenario_bad_input(h):
    """Captured requests are accepted; malformed ones get 400/413/415 with a reason."""
    vm = VictoriaMetrics(h)
    p = h.promha("promha", promha_config(vm))
    url = p["url"] + "/api/v1/write"

    def post(body, encoding="snappy"):
        req = urllib.request.Request(url, data=body, method="POST")
        req.add_header("Content-Type", "application/x-protobuf")
        if encoding:
            req.add_header("Content-Encoding", encoding)
        req.add_header("X-Prometheus-Remote-Write-Version", "0.1.0")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def fixture(name):
        with open(os.path.join(FIXTURES, name), "rb") as f:
            return f.read()

    for name in ("remote-write-2.42/rw-0001.body", "remote-write-2.42/rw-0002.body",
                 "remote-write-2.42/stale/rw-stale.body"):
        status, body = post(fixture(name))
        check(status == 204, f"{name}: {status} {body}")
    good = fixture("remote-write-2.42/rw-0001.body")
    # A snappy block is a varint length then literals: a 5-byte body that claims 1 GiB.
    lying = bytes([0x80, 0x80, 0x80, 0x80, 0x04]) + b"\x00"
    cases = [
        (good[: len(good) // 2], "snappy", 400, "snappy: corrupt input"),
        (b"\xff" * 11, "snappy", 400, "bad length header"),
        # (The listener words every 413 itself: "request body too large".)
        (lying, "snappy", 413, ""),
        (b"\x0a\x00\x0a\x10\x0a", "snappy", 400, "snappy"),
        # (gzip, deflate and br bodies are decoded by the listener itself: 400 when they are not.)
        (good, "zstd", 415, "unsupported Content-Encoding"),
        (good, "gzip", 400, ""),
        (b"x" * (9 << 20), "snappy", 413, ""),
    ]
    for body, enc, want, text in cases:
        status, resp = post(body, enc)
        check(status == want and text in resp,
              f"{body[:16]!r} ({enc}): got {status} {resp[:200]!r}, want {want} {text!r}")
    # Garbage protobuf inside valid snappy. Python has no snappy module here, but a block of one
    # literal is simple: [uncompressed length varint][tag: (length - 1) << 2][bytes].
    raw = b"\x0a\x10\x0a"
    block = bytes([len(raw), (len(raw) - 1) << 2]) + raw
    status, resp = post(block)
    check(status == 400 and "timeseries[0]: truncated or malformed protobuf" in resp,
          f"garbage protobuf: {status} {resp!r}")
    wait_for(lambda: vm.series('{__name__="fixture_requests_total"}'), 30,
             what="the fixture's series in the storage")
    for s in vm.series('{__name__=~"fixture_.*"}'):
        check("replica" not in s, f"replica label reached the storage: {s}")
    check(metric(p["url"], "promha_remote_write_requests_total", {"code": "400"}) >= 3, "400s counted")


SCENARIOS = {n[len("scenario_"):]: f for n, f in globals().items() if n.startswith("scenario_")}

if __name__ == "__main__":
    sys.exit(harness.run_scenarios(SCENARIOS))
