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


def start_prometheus(h, promha_port, target, extra_queue="", replica="A", port=None):
    port = port or free_port()
    name = "prometheus" if replica == "A" else f"prometheus-{replica.lower()}"
    cfg = h.path(f"{name}.yml")
    with open(cfg, "w") as f:
        f.write(f"""global:
  scrape_interval: 1s
  external_labels: {{replica: {replica}, cluster: e2e}}
scrape_configs:
  - job_name: prometheus
    static_configs: [{{targets: ['127.0.0.1:{port}']}}]
  - job_name: target
    static_configs: [{{targets: ['{target.addr}']}}]
remote_write:
  - url: http://127.0.0.1:{promha_port}/api/v1/write
    queue_config: {{batch_send_deadline: 1s, max_backoff: 2s{extra_queue}}}
""")
    proc = h.start(name, [which("prometheus"), f"--config.file={cfg}",
                          f"--storage.tsdb.path={h.path(name + '-data')}",
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


def ha_pair(h, vm, target, failover_timeout="5s"):
    """promha A and B sharing one config (ha.replicas [A, B], --watch.local-name), each with its
    own Prometheus replica sending remote write to it. Returns (sidecars, prometheus) by name."""
    ports = {k: free_port() for k in ("PA", "PB", "HA", "HB")}
    config = promha_config(vm) + f"""watch:
  interval: 1s
  timeout: 500ms
  alertmanager_cluster: {{enabled: false}}
  peers:
    - {{name: A, url: "http://127.0.0.1:{ports['PA']}", promha_url: "http://127.0.0.1:{ports['HA']}"}}
    - {{name: B, url: "http://127.0.0.1:{ports['PB']}", promha_url: "http://127.0.0.1:{ports['HB']}"}}
ha:
  replicas: [A, B]
  failover_timeout: {failover_timeout}
  interval: 500ms
  timeout: 500ms
  failure_threshold: 2
"""
    sidecars, proms = {}, {}
    for r in ("A", "B"):
        sidecars[r] = h.promha(f"promha-{r.lower()}", config, port=ports["H" + r],
                               extra_args=[f"--watch.local-name={r}", "--web.enable-lifecycle"])
    for r in ("A", "B"):
        proms[r] = start_prometheus(h, ports["H" + r], target, replica=r, port=ports["P" + r])
    return sidecars, proms


def ha_status(p):
    return json.loads(http_get(p["url"] + "/api/v1/ha/status")[1])


def roles(sidecars):
    return {r: ha_status(p)["role"] for r, p in sidecars.items()}


def check_one_stream(vm, sel, start, end, max_gap_ms):
    """One series per metric in the storage, no replica label, samples strictly increasing in
    time (no duplicate, nothing out of order) and no gap wider than `max_gap_ms`."""
    got = vm.export(sel, start=start, end=end)
    check(len(got) == 1, f"{sel}: want one series in the storage, got {list(got)}")
    labels, pts = next(iter(got.items()))
    check("replica" not in json.loads(labels), f"replica label reached the storage: {labels}")
    ts = [t for t, _ in pts]
    gaps = [b - a for a, b in zip(ts, ts[1:])]
    check(ts == sorted(set(ts)), f"{sel}: duplicate timestamps")
    worst = max(gaps) if gaps else 0
    check(worst <= max_gap_ms, f"{sel}: a gap of {worst} ms (> {max_gap_ms} ms) in {ts}")
    return ts, worst


def scenario_ha_failover(h):
    """An HA pair forwards one stream: A leads, B discards (counted); A's Prometheus is killed:
    B takes over within failover_timeout and the stored series goes on without a gap."""
    vm = VictoriaMetrics(h)
    target = Target()
    sidecars, proms = ha_pair(h, vm, target)
    wait_for(lambda: roles(sidecars) == {"A": "leader", "B": "follower"}, 30,
             what="A leading, B following")
    wait_for(lambda: vm.series('up{job="target"}'), 60, what="up{job=target} in the storage")
    t_start = time.time()
    wait_for(lambda: time.time() > t_start + 6, 10)
    b = sidecars["B"]
    check(metric(b["url"], "promha_remote_write_samples_deduplicated_total") > 0,
          "B did not discard its stream")
    check(metric(b["url"], "promha_remote_write_samples_forwarded_total") == 0,
          "B forwarded while A leads")
    check(metric(b["url"], "promha_ha_leader", {"replica": "A"}) == 1, "B does not see A leading")

    # (Before the Prometheus replicas were up nobody was healthy and each sidecar forwarded: fail
    # open. The counter may already count those start-up takeovers.)
    failovers = metric(b["url"], "promha_ha_failovers_total")
    proms["A"]["proc"].kill()
    t_kill = time.time()
    wait_for(lambda: ha_status(b)["role"] == "leader", 15, interval=0.05, what="B taking over")
    took = time.time() - t_kill
    check(took <= 5.0, f"B took over after {took:.1f} s, more than failover_timeout (5s)")
    check(metric(b["url"], "promha_ha_failovers_total") == failovers + 1,
          "promha_ha_failovers_total did not count the takeover")
    check(ha_status(sidecars["A"])["role"] == "follower", "A still leads without its Prometheus")
    t_after = time.time()
    wait_for(lambda: time.time() > t_after + 8, 12)
    end = time.time() - 2
    # A's last samples, then B's newer than A's newest queued sample: per series the gap is at
    # most the scrape in flight at the kill (< 2 scrape intervals, see README "Remote write HA").
    for sel in ('up{job="target"}', 'e2e_target_value'):
        ts, worst = check_one_stream(vm, sel, t_start, end, max_gap_ms=2000)
        check(ts[-1] > (t_kill + 5) * 1000, f"{sel}: nothing stored after the takeover")
        print(f"{sel}: {len(ts)} samples, widest gap {worst} ms, takeover after {took:.2f} s")
    check(metric(b["url"], "promha_remote_write_samples_failed_total") == 0, "samples failed")


def scenario_ha_handoff(h):
    """POST /api/v1/ha/handoff moves the stream to B at once and back again, with no gap and
    nothing out of order; GET is 405."""
    vm = VictoriaMetrics(h)
    target = Target()
    sidecars, _ = ha_pair(h, vm, target, failover_timeout="10s")
    a, b = sidecars["A"], sidecars["B"]
    wait_for(lambda: roles(sidecars) == {"A": "leader", "B": "follower"}, 30,
             what="A leading, B following")
    wait_for(lambda: vm.series('up{job="target"}'), 60, what="up{job=target} in the storage")
    t_start = time.time()
    wait_for(lambda: time.time() > t_start + 4, 10)
    try:
        code = http_get(a["url"] + "/api/v1/ha/handoff")[0]
    except urllib.error.HTTPError as e:
        code = e.code
    check(code == 405, f"GET /api/v1/ha/handoff: {code}, want 405")
    code, body = http_post(a["url"] + "/api/v1/ha/handoff?for=1h", b"")
    check(code == 200 and json.loads(body)["eligible"] is False, f"hand-off: {code} {body[:200]}")
    wait_for(lambda: roles(sidecars) == {"A": "follower", "B": "leader"}, 10,
             what="B leading after the hand-off")
    t_mid = time.time()
    wait_for(lambda: time.time() > t_mid + 5, 10)
    code, body = http_post(a["url"] + "/api/v1/ha/handoff?for=0s", b"")
    check(code == 200, f"cancel: {code} {body[:200]}")
    wait_for(lambda: roles(sidecars) == {"A": "leader", "B": "follower"}, 10,
             what="A leading again")
    t_back = time.time()
    wait_for(lambda: time.time() > t_back + 5, 10)
    for sel in ('up{job="target"}', 'e2e_target_value'):
        ts, worst = check_one_stream(vm, sel, t_start, time.time() - 2, max_gap_ms=2000)
        print(f"{sel}: {len(ts)} samples over two hand-overs, widest gap {worst} ms")
    for p in (a, b):
        check(metric(p["url"], "promha_ha_failovers_total") >= 1, f"{p['name']}: no takeover")
        check(metric(p["url"], "promha_remote_write_samples_failed_total") == 0, "samples failed")


SCENARIOS = {n[len("scenario_"):]: f for n, f in globals().items() if n.startswith("scenario_")}

if __name__ == "__main__":
    sys.exit(harness.run_scenarios(SCENARIOS))
