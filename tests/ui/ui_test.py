#!/usr/bin/env python3
"""Browser test of promha's web UI (meson suite 'ui').

Starts, on 127.0.0.1 with ports picked at run time (tests/e2e/harness.py): a real 3-replica
Alertmanager 0.25 cluster, a Prometheus 2.42 (the watched peer "B", sending its alerts to promha)
and promha; a thread posts alerts to promha every second so that there is traffic to show; a
small control server lets the browser script kill an Alertmanager (SIGKILL by PID). Then it runs
ui_test.mjs: playwright-core driving Debian's chromium (/usr/bin/chromium, headless,
--no-sandbox). Every process is stopped by PID when the test ends, fails or is interrupted.

Missing chromium, node or playwright-core fails the test with the reason: it never skips.

    ui_test.py              (env PROMHA_BIN: the promha binary; UI_ARTIFACTS: screenshots dir)
"""
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
import harness  # noqa: E402
from harness import Harness, find_promha, free_port, http_post  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
NODE_TIMEOUT = 240


def missing_tools():
    problems = []
    if not os.access(CHROMIUM, os.X_OK):
        problems.append(f"{CHROMIUM} not found: install Debian's chromium (deploy/install-deps.sh)")
    if shutil.which("node") is None:
        problems.append("node not found: install npm (tests/ui/install-tools.sh)")
    if not os.path.isfile(os.path.join(HERE, "node_modules", "playwright-core", "package.json")):
        problems.append("tests/ui/node_modules/playwright-core missing: run tests/ui/install-tools.sh")
    return problems


class AlertPoster:
    """Posts a few alerts (replica A) to promha every second until stopped."""

    def __init__(self, url):
        self.url, self.stop_event = url, threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        n = 0
        while not self.stop_event.is_set():
            ends = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 300))
            alerts = [{"labels": {"alertname": name, "replica": "A", "severity": sev, "job": "api",
                                  "instance": f"api-{i}:8080"},
                       "annotations": {"summary": f"{name} on api-{i}"}, "endsAt": ends}
                      for name, sev in (("HighErrorRate", "critical"), ("HighLatency", "warning"))
                      for i in range(1 + n % 3)]
            try:
                http_post(self.url + "/api/v2/alerts", json.dumps(alerts).encode())
            except OSError:
                pass
            n += 1
            self.stop_event.wait(1.0)

    def stop(self):
        self.stop_event.set()
        self.thread.join(timeout=5)


class Control:
    """POST /kill/NAME kills that Alertmanager (SIGKILL by its PID) and answers when it is gone."""

    def __init__(self, nodes):
        by_name = {n["name"]: n for n in nodes}

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                name = self.path.rsplit("/", 1)[-1]
                node = by_name.get(name) if self.path.startswith("/kill/") else None
                if node is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                node["proc"].kill()
                body = json.dumps({"killed": name, "pid": node["proc"].pid}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.srv.server_address[1]}"
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


def stop_node(node, chromium_pid_file):
    """Stops node (SIGTERM lets playwright close its browser), then the browser by the PID the
    script recorded: playwright starts it in a process group of its own."""
    if node.poll() is None:
        os.killpg(node.pid, signal.SIGTERM)
        try:
            node.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(node.pid, signal.SIGKILL)
            node.wait()
    try:
        with open(chromium_pid_file) as f:
            pid = int(f.read().strip())
    except (OSError, ValueError):
        return

    def gone():
        try:
            os.killpg(pid, 0)
            return False
        except ProcessLookupError:
            return True

    for sig in (signal.SIGTERM, signal.SIGKILL):
        if gone():
            return
        os.killpg(pid, sig)  # the browser and its zygote and renderer processes
        try:
            harness.wait_for(gone, 5, what="chromium to exit")
        except TimeoutError:
            pass


def promha_config(ams, peer_port):
    targets = json.dumps([f"127.0.0.1:{n['web']}" for n in ams])
    return f"""global:
  external_labels: {{cluster: demo}}
ha:
  replica_label: replica
alerting:
  alert_relabel_configs:
    - action: labeldrop
      regex: replica
  alertmanagers:
    - static_configs: [{{targets: {targets}}}]
      retry: {{min_backoff: 100ms, max_backoff: 1s}}
      basic_auth: {{username: promha, password: s3cr3t}}   # /config must show <secret>
      alert_relabel_configs:
        - source_labels: [severity]
          regex: info
          action: drop
watch:
  interval: 2s
  timeout: 1s
  failure_threshold: 2
  peers:
    - name: B
      url: http://127.0.0.1:{peer_port}
"""


def main():
    problems = missing_tools()
    if problems:
        for p in problems:
            print(f"FAIL ui_browser: {p}")
        return 1
    artifacts = os.environ.get("UI_ARTIFACTS") or os.path.join(os.getcwd(), "ui-artifacts")
    os.makedirs(artifacts, exist_ok=True)
    h = Harness("ui")
    poster = control = None
    t0 = time.monotonic()
    try:
        wh = h.webhook()
        ams = h.alertmanager_cluster(3, wh.port)
        peer_port = free_port()
        promha_port = free_port()
        h.prometheus("prometheus-b", "B", promha_port, port=peer_port)
        promha = h.promha("promha", promha_config(ams, peer_port), port=promha_port)
        poster = AlertPoster(promha["url"])
        control = Control(ams)
        env = dict(os.environ,
                   PROMHA_URL=promha["url"],
                   PROMHA_BIN=find_promha(),
                   CONTROL_URL=control.url,
                   ALERTMANAGERS=json.dumps({n["name"]: f"127.0.0.1:{n['web']}" for n in ams}),
                   UI_ARTIFACTS=artifacts,
                   UI_WORKDIR=h.path("ui"),
                   CHROMIUM=CHROMIUM,
                   NODE_PATH=os.path.join(HERE, "node_modules"))
        os.makedirs(env["UI_WORKDIR"], exist_ok=True)
        node = subprocess.Popen(["node", os.path.join(HERE, "ui_test.mjs")], env=env, cwd=HERE,
                                start_new_session=True)
        try:
            rc = node.wait(timeout=NODE_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise TimeoutError(f"ui_test.mjs did not finish within {NODE_TIMEOUT}s")
        finally:
            stop_node(node, os.path.join(env["UI_WORKDIR"], "chromium.pid"))
        if rc != 0:
            raise AssertionError(f"ui_test.mjs exited with {rc}")
    except Exception as e:  # noqa: BLE001 - report and fail
        print(f"FAIL ui_browser: {type(e).__name__}: {e}")
        for p in h.procs:
            print(f"--- {p.name} (pid {p.pid}) log tail:\n{p.tail()}")
        return 1
    finally:
        if poster:
            poster.stop()
        if control:
            control.close()
        h.close()
    print(f"PASS ui_browser ({time.monotonic() - t0:.1f}s); screenshots in {artifacts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
