"""Process harness for end-to-end tests and the local demo: real Prometheus, a real
Alertmanager cluster, promha sidecars and a webhook receiver, all on 127.0.0.1 with ports
picked at run time.

Every process started here is recorded by PID and stopped (SIGTERM, then SIGKILL) when the
Harness closes, when the interpreter exits, or on SIGINT/SIGTERM, even if a test fails.
Waiting is done by polling a condition with a deadline, never by fixed sleeps.
"""
import atexit
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONF = os.path.join(ROOT, "conf")

_live = []  # every Harness that is not closed yet


def _cleanup_all(*_):
    for h in list(_live):
        h.close()


atexit.register(_cleanup_all)


def _on_signal(signum, _frame):
    _cleanup_all()
    sys.exit(128 + signum)


for _sig in (signal.SIGINT, signal.SIGTERM):
    try:
        signal.signal(_sig, _on_signal)
    except ValueError:  # not the main thread
        pass


def free_port():
    """A TCP port that is free on 127.0.0.1 right now (and free for UDP too, for gossip)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                u.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue


def wait_for(cond, timeout, interval=0.1, what="condition"):
    """Polls cond() until it returns a truthy value; raises TimeoutError after `timeout` s."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while time.monotonic() < deadline:
        try:
            v = cond()
            if v:
                return v
        except Exception as e:  # noqa: BLE001 - the peer may not be up yet
            last_exc = e
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}" +
                       (f" (last error: {last_exc})" if last_exc else ""))


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read()


def http_post(url, body, content_type="application/json", timeout=5):
    req = urllib.request.Request(url, data=body, method="POST")
    if content_type is not None:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def parse_metric(text, name, labels=None):
    """Sum of the samples of metric `name` in exposition `text` whose labels include `labels`
    (None when there is none)."""
    total, found = 0.0, False
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        series, _, value = line.rpartition(" ")
        if series != name and not series.startswith(name + "{"):
            continue
        if labels and not all(f'{k}="{v}"' in series for k, v in labels.items()):
            continue
        total, found = total + float(value), True
    return total if found else None


def metric(url, name, labels=None):
    """parse_metric() over GET url/metrics."""
    _, body = http_get(url + "/metrics")
    return parse_metric(body.decode(), name, labels)


def render(template_path, out_path, values):
    """Renders a conf/ template: every {{KEY}} is replaced by values[KEY]. Writes out_path and
    returns it, or returns the text when out_path is None."""
    with open(template_path) as f:
        text = f.read()
    for k, v in values.items():
        text = text.replace("{{" + k + "}}", str(v))
    if "{{" in text:
        raise ValueError(f"{template_path}: unrendered placeholder in {text[text.index('{{'):][:40]}")
    if out_path is None:
        return text
    with open(out_path, "w") as f:
        f.write(text)
    return out_path


class Proc:
    def __init__(self, name, args, log_path):
        self.name, self.args, self.log_path = name, args, log_path
        self.log = open(log_path, "ab")
        self.p = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, start_new_session=True)
        self.pid = self.p.pid

    def alive(self):
        return self.p.poll() is None

    def signal(self, sig):
        if self.alive():
            os.kill(self.pid, sig)

    def stop(self, timeout=10):
        if self.alive():
            try:
                os.kill(self.pid, signal.SIGTERM)
                self.p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.p.wait()
            except ProcessLookupError:
                pass
        self.log.close()
        return self.p.returncode

    def kill(self):
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)
            self.p.wait()

    def tail(self, n=30):
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode(errors="replace")
        except OSError:
            return ""


class Webhook:
    """A webhook receiver (Alertmanager's webhook_config target) that records notifications."""

    def __init__(self, on_notification=None):
        self.notifications = []
        self.lock = threading.Lock()
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                n = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(n) or b"{}")
                with outer.lock:
                    outer.notifications.append(body)
                if on_notification:
                    on_notification(body)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def count(self, pred=lambda n: True):
        with self.lock:
            return sum(1 for n in self.notifications if pred(n))

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class FaultSink:
    """A fake Alertmanager for fault injection only: an HTTP/1.1 server on a free loopback port
    whose POST handler calls respond(parsed_json_body) -> HTTP status (it may sleep, fail ...)."""

    def __init__(self, respond):
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = respond(json.loads(body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.target = f"127.0.0.1:{self.srv.server_address[1]}"
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


def find_promha():
    for cand in (os.environ.get("PROMHA_BIN"), os.path.join(ROOT, "build", "src", "cli", "promha")):
        if cand and os.access(cand, os.X_OK):
            return cand
    raise FileNotFoundError("promha binary not found: build first or set PROMHA_BIN")


def which(*names):
    for n in names:
        p = shutil.which(n)
        if p:
            return p
    raise FileNotFoundError(f"none of {names} installed")


class Harness:
    def __init__(self, name="e2e", keep_dir=False):
        self.dir = tempfile.mkdtemp(prefix=f"promha-{name}-")
        self.keep_dir = keep_dir
        self.procs = []
        self.webhooks = []
        self.closed = False
        _live.append(self)

    def path(self, *p):
        return os.path.join(self.dir, *p)

    def start(self, name, args):
        p = Proc(name, args, self.path(f"{name}.log"))
        self.procs.append(p)
        return p

    def webhook(self, on_notification=None):
        w = Webhook(on_notification)
        self.webhooks.append(w)
        return w

    # --- Alertmanager -------------------------------------------------------------------
    def alertmanager_cluster(self, n, webhook_port, clustered=True, group_wait="1s"):
        """Starts n Alertmanager 0.25 replicas; returns a list of dicts with web/cluster ports."""
        binary = which("prometheus-alertmanager", "alertmanager")
        cfg = render(os.path.join(CONF, "demo", "alertmanager.yml"), self.path("alertmanager.yml"),
                     {"WEBHOOK_URL": f"http://127.0.0.1:{webhook_port}/notify",
                      "GROUP_WAIT": group_wait})
        nodes = [{"name": f"am{i + 1}", "web": free_port(), "cluster": free_port()} for i in range(n)]
        for node in nodes:
            self.start_alertmanager(node, nodes if clustered else [], cfg, binary)
        for node in nodes:
            wait_for(lambda node=node: http_get(f"http://127.0.0.1:{node['web']}/-/ready")[0] == 200,
                     30, what=f"{node['name']} ready")
        return nodes

    def start_alertmanager(self, node, cluster_nodes, cfg, binary=None):
        binary = binary or which("prometheus-alertmanager", "alertmanager")
        data = self.path(node["name"] + "-data")
        os.makedirs(data, exist_ok=True)
        args = [binary, f"--config.file={cfg}", f"--storage.path={data}",
                f"--web.listen-address=127.0.0.1:{node['web']}"]
        if cluster_nodes:
            args += [f"--cluster.listen-address=127.0.0.1:{node['cluster']}",
                     f"--cluster.advertise-address=127.0.0.1:{node['cluster']}",
                     "--cluster.settle-timeout=5s", "--cluster.peer-timeout=5s"]
            args += [f"--cluster.peer=127.0.0.1:{o['cluster']}" for o in cluster_nodes if o is not node]
        else:
            args += ["--cluster.listen-address="]
        node["proc"] = self.start(node["name"], args)
        return node["proc"]

    # --- promha -------------------------------------------------------------------------
    def promha(self, name, config_text, extra_args=(), port=None):
        port = port or free_port()
        cfg = self.path(f"{name}.yml")
        with open(cfg, "w") as f:
            f.write(config_text)
        proc = self.start(name, [find_promha(), "run", f"--config.file={cfg}",
                                 f"--web.listen-address=127.0.0.1:{port}", *extra_args])
        wait_for(lambda: http_get(f"http://127.0.0.1:{port}/-/ready")[0] == 200, 20,
                 what=f"{name} ready")
        return {"name": name, "port": port, "proc": proc, "config": cfg,
                "url": f"http://127.0.0.1:{port}"}

    # --- the demo pair (conf/demo) --------------------------------------------------------
    def demo_pair(self, ams, start_prometheus=True):
        """promha-a/b with conf/demo/promha.yml (watching each other) and, unless told not to,
        prometheus-a/b (replica A/B) sending to them. Returns (sidecars, prometheus_list)."""
        ports = {k: free_port() for k in ("PROMETHEUS_A", "PROMETHEUS_B", "PROMHA_A", "PROMHA_B")}
        cfg = demo_promha_config(ams, {k: f"127.0.0.1:{v}" for k, v in ports.items()})
        sidecars = [self.promha(f"promha-{r.lower()}", cfg, port=ports[f"PROMHA_{r}"],
                                extra_args=[f"--watch.local-name={r}"]) for r in "AB"]
        proms = []
        if start_prometheus:
            proms = [self.prometheus(f"prometheus-{r.lower()}", r, ports[f"PROMHA_{r}"],
                                     port=ports[f"PROMETHEUS_{r}"]) for r in "AB"]
        return sidecars, proms

    # --- Prometheus ---------------------------------------------------------------------
    def prometheus(self, name, replica, promha_port, extra_args=(), port=None):
        binary = which("prometheus")
        port = port or free_port()
        rules = render(os.path.join(CONF, "demo", "rules.yml"), self.path(f"{name}-rules.yml"), {})
        cfg = render(os.path.join(CONF, "demo", "prometheus.yml"), self.path(f"{name}.yml"),
                     {"REPLICA": replica, "PROMHA": f"127.0.0.1:{promha_port}",
                      "RULES": rules, "SELF": f"127.0.0.1:{port}"})
        data = self.path(f"{name}-data")
        proc = self.start(name, [binary, f"--config.file={cfg}", f"--storage.tsdb.path={data}",
                                 f"--web.listen-address=127.0.0.1:{port}",
                                 "--rules.alert.resend-delay=2s", *extra_args])
        wait_for(lambda: http_get(f"http://127.0.0.1:{port}/-/ready")[0] == 200, 30,
                 what=f"{name} ready")
        return {"name": name, "port": port, "proc": proc, "url": f"http://127.0.0.1:{port}"}

    def close(self):
        if self.closed:
            return
        self.closed = True
        for p in reversed(self.procs):
            try:
                p.stop()
            except Exception:  # noqa: BLE001 - keep stopping the others
                p.kill()
        for w in self.webhooks:
            w.close()
        if self in _live:
            _live.remove(self)
        if not self.keep_dir:
            shutil.rmtree(self.dir, ignore_errors=True)


def demo_promha_config(ams, peers=None):
    """conf/demo/promha.yml rendered for these Alertmanager nodes; `peers` maps PROMETHEUS_A/B and
    PROMHA_A/B to host:port (default: closed ports, for tests that do not watch)."""
    values = {"ALERTMANAGER_TARGETS": json.dumps([f"127.0.0.1:{n['web']}" for n in ams])}
    values.update(peers or {k: "127.0.0.1:1"
                            for k in ("PROMETHEUS_A", "PROMETHEUS_B", "PROMHA_A", "PROMHA_B")})
    return render(os.path.join(CONF, "demo", "promha.yml"), None, values)


def run_scenarios(scenarios):
    """main() of a scenario script: `script.py NAME` runs one scenario in a fresh Harness, prints
    PASS or FAIL with the log tails of every process it started, and stops them all."""
    if len(sys.argv) != 2 or sys.argv[1] not in scenarios:
        print(f"usage: {sys.argv[0]} {{{','.join(scenarios)}}}", file=sys.stderr)
        return 2
    name = sys.argv[1]
    h = Harness(name)
    t0 = time.monotonic()
    try:
        scenarios[name](h)
    except Exception as e:  # noqa: BLE001 - report and fail
        print(f"FAIL {name}: {type(e).__name__}: {e}")
        for p in h.procs:
            print(f"--- {p.name} (pid {p.pid}) log tail:\n{p.tail()}")
        return 1
    finally:
        h.close()
    print(f"PASS {name} ({time.monotonic() - t0:.1f}s)")
    return 0


def am_alerts(node):
    _, body = http_get(f"http://127.0.0.1:{node['web']}/api/v2/alerts")
    return json.loads(body)
