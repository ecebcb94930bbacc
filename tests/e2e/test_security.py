#!/usr/bin/env python3
"""End-to-end tests of promha's listener security with real peers. Usage: test_security.py SCENARIO

tls_basic_auth: a real Prometheus 2.42 sends its alerts to promha over mutual TLS with basic
  auth (alerting.alertmanagers[].scheme: https, tls_config ca_file/cert_file/key_file,
  basic_auth.password_file), and they reach a real Alertmanager; a client without a
  certificate gets no TLS session; a wrong password gets 401 with WWW-Authenticate: Basic; plain
  HTTP to the TLS port gets no answer but Go's 400; POST /-/reload is 403 without
  --web.enable-lifecycle. The CA and certificates are generated at test time with the openssl CLI.
secrets_never_printed: the passwords and tokens of a config, the web config's bcrypt hashes and
  the TLS key appear nowhere: logs (debug level, a reload, a failed reload), /api/v1/status, the
  status page, /metrics, check-config and check-config --dump (which show <secret>).
Exit 0 on success; failures print what was expected and the tails of the process logs."""
import base64
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (  # noqa: E402
    Harness, am_alerts, check, find_promha, free_port, render, wait_for)
from harness import parse_metric as metric  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # noqa: E402 - libxcrypt's crypt(3): bcrypt hashes as htpasswd -B makes them

GEN_CERTS = os.path.join(harness.ROOT, "tests", "data", "tls", "gen_test_certs.sh")


def bcrypt(password, cost=10):
    return crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=2 ** cost))


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def request(url, method="GET", body=None, auth=None, ctx=None, timeout=5):
    """(status, headers, body) of a request; HTTP errors are answers, not exceptions."""
    req = urllib.request.Request(url, data=body, method=method)
    if auth:
        req.add_header("Authorization", auth)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=ctx) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def start_promha(h, name, config_text, extra_args=(), ready=None):
    port = free_port()
    cfg = h.path(f"{name}.yml")
    with open(cfg, "w") as f:
        f.write(config_text)
    proc = h.start(name, [find_promha(), "run", f"--config.file={cfg}",
                          f"--web.listen-address=127.0.0.1:{port}", *extra_args])
    ready = ready or (lambda: request(f"http://127.0.0.1:{port}/-/ready")[0] == 200)
    wait_for(lambda: ready(port), 20, what=f"{name} ready")
    return {"name": name, "port": port, "proc": proc, "config": cfg}


def scenario_tls_basic_auth(h):
    wh = h.webhook()
    am = h.alertmanager_cluster(1, wh.port, clustered=False)[0]
    tls_dir = h.path("tls")
    os.makedirs(tls_dir)
    subprocess.run(["sh", GEN_CERTS, tls_dir], check=True)
    password = "e2e-Pa55word-" + os.urandom(6).hex()
    pw_file = h.path("promha-password")
    with open(pw_file, "w") as f:
        f.write(password)
    user_hash = bcrypt(password).replace("$2b$", "$2y$", 1)  # htpasswd -B writes $2y$
    web = h.path("web.yml")
    with open(web, "w") as f:
        f.write("tls_server_config:\n"
                f"  cert_file: {tls_dir}/server.crt\n"
                f"  key_file: {tls_dir}/server.key\n"
                "  client_auth_type: RequireAndVerifyClientCert\n"
                f"  client_ca_file: {tls_dir}/ca.crt\n"
                "http_server_config:\n  headers: {X-Content-Type-Options: nosniff}\n"
                f"basic_auth_users:\n  prometheus: '{user_hash}'\n")
    ctx = ssl.create_default_context(cafile=os.path.join(tls_dir, "ca.crt"))
    ctx.load_cert_chain(os.path.join(tls_dir, "client.crt"), os.path.join(tls_dir, "client.key"))
    good = basic("prometheus", password)

    def https(port, path, **kw):
        return request(f"https://127.0.0.1:{port}{path}", ctx=ctx, **kw)

    cfg = ("alerting:\n  alertmanagers:\n    - static_configs:\n"
           f"        - targets: ['127.0.0.1:{am['web']}']\n")
    p = start_promha(h, "promha", cfg, [f"--web.config.file={web}"],
                     ready=lambda port: https(port, "/-/ready", auth=good)[0] == 200)
    port = p["port"]

    # A real Prometheus 2.42 sends to promha over TLS with basic auth.
    prom_port = free_port()
    rules = render(os.path.join(harness.CONF, "demo", "rules.yml"), h.path("rules.yml"), {})
    prom_cfg = h.path("prometheus.yml")
    with open(prom_cfg, "w") as f:
        f.write("global: {evaluation_interval: 1s, external_labels: {replica: A}}\n"
                f"rule_files: ['{rules}']\n"
                "alerting:\n  alertmanagers:\n    - scheme: https\n      api_version: v2\n"
                f"      tls_config: {{ca_file: '{tls_dir}/ca.crt', cert_file: '{tls_dir}/client.crt',"
                f" key_file: '{tls_dir}/client.key'}}\n"
                f"      basic_auth: {{username: prometheus, password_file: '{pw_file}'}}\n"
                f"      static_configs: [{{targets: ['127.0.0.1:{port}']}}]\n")
    h.start("prometheus", [harness.which("prometheus"), f"--config.file={prom_cfg}",
                           f"--storage.tsdb.path={h.path('prom-data')}",
                           f"--web.listen-address=127.0.0.1:{prom_port}",
                           "--rules.alert.resend-delay=2s"])
    wait_for(lambda: request(f"http://127.0.0.1:{prom_port}/-/ready")[0] == 200, 30,
             what="Prometheus ready")
    wait_for(lambda: any(a["labels"]["alertname"] == "DemoAlwaysFiring" for a in am_alerts(am)),
             90, what="Prometheus's alert delivered to Alertmanager through promha (TLS + auth)")
    _, _, body = https(port, "/metrics", auth=good)
    received = metric(body.decode(), "promha_alerts_received_total") or 0
    check(received > 0, f"promha received {received} alerts")
    _, _, pm = request(f"http://127.0.0.1:{prom_port}/metrics")
    url = f"https://127.0.0.1:{port}/api/v2/alerts"
    sent = metric(pm.decode(), "prometheus_notifications_sent_total", {"alertmanager": url}) or 0
    errors = metric(pm.decode(), "prometheus_notifications_errors_total", {"alertmanager": url})
    check(sent > 0 and errors == 0, f"Prometheus: sent {sent}, errors {errors} to {url}")

    # Wrong or missing credentials: 401 with WWW-Authenticate: Basic (and the extra header).
    for auth in (basic("prometheus", password + "x"), basic("admin", password), None):
        status, headers, _ = https(port, "/api/v2/alerts", method="POST", body=b"[]", auth=auth)
        check(status == 401 and headers.get("WWW-Authenticate") == "Basic" and
              headers.get("X-Content-Type-Options") == "nosniff",
              f"credentials {auth!r}: {status} {dict(headers)}")
    status, _, _ = https(port, "/api/v2/alerts", method="POST", body=b"[]", auth=good)
    check(status == 200, f"right credentials: {status}")

    # Without a client certificate, no TLS session (mutual TLS is required).
    no_cert = ssl.create_default_context(cafile=os.path.join(tls_dir, "ca.crt"))
    try:
        status = request(f"https://127.0.0.1:{port}/-/healthy", auth=good, ctx=no_cert)[0]
    except (urllib.error.URLError, ssl.SSLError, ConnectionError) as e:
        status = f"refused ({e})"
    check(not isinstance(status, int), f"no client certificate: got HTTP {status}")

    # Plain HTTP to the TLS port: no answer but Go's 400, never a 200.
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(f"GET /-/healthy HTTP/1.1\r\nHost: x\r\nAuthorization: {good}\r\n\r\n".encode())
        got = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
    check(got.startswith(b"HTTP/1.0 400 Bad Request") and
          b"Client sent an HTTP request to an HTTPS server." in got, f"plain HTTP got {got!r}")

    # Lifecycle endpoints are off by default.
    status, _, body = https(port, "/-/reload", method="POST", body=b"", auth=good)
    check(status == 403 and body == b"Lifecycle API is not enabled.", f"reload: {status} {body!r}")

    with open(p["proc"].log_path) as f:
        log = f.read()
    check("TLS is enabled" in log, "no 'TLS is enabled' log line")
    for secret in (password, user_hash):
        check(secret not in log, "a secret is in promha's log")


def scenario_secrets_never_printed(h):
    secrets = {
        "inline password": "InlinePw-" + os.urandom(6).hex(),
        "inline bearer": "InlineToken-" + os.urandom(6).hex(),
        "password file": "FilePw-" + os.urandom(6).hex(),
        "web password": "WebPw-" + os.urandom(6).hex(),
    }
    pw_file = h.path("am-password")
    with open(pw_file, "w") as f:
        f.write(secrets["password file"])
    web_hash = bcrypt(secrets["web password"], cost=4)
    web = h.path("web.yml")
    with open(web, "w") as f:
        f.write(f"basic_auth_users:\n  admin: '{web_hash}'\n")
    secrets["web hash"] = web_hash
    # Alertmanagers that fail (nothing listens): sends, errors and retries all get logged.
    dead = [f"127.0.0.1:{free_port()}" for _ in range(3)]
    cfg = ("alerting:\n  alertmanagers:\n"
           f"    - basic_auth: {{username: u, password: '{secrets['inline password']}'}}\n"
           f"      static_configs: [{{targets: ['{dead[0]}']}}]\n"
           f"    - authorization: {{credentials: '{secrets['inline bearer']}'}}\n"
           f"      static_configs: [{{targets: ['{dead[1]}']}}]\n"
           f"    - basic_auth: {{username: u, password_file: '{pw_file}'}}\n"
           f"      static_configs: [{{targets: ['{dead[2]}']}}]\n")
    auth = basic("admin", secrets["web password"])
    p = start_promha(h, "promha", cfg, [f"--web.config.file={web}", "--log.level=debug",
                                        "--web.enable-lifecycle"],
                     ready=lambda port: request(f"http://127.0.0.1:{port}/-/ready",
                                                auth=auth)[0] == 200)
    url = f"http://127.0.0.1:{p['port']}"
    now = time.time()
    fmt = lambda t: time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".000Z"  # noqa: E731
    alert = [{"labels": {"alertname": "Secrets"}, "startsAt": fmt(now), "endsAt": fmt(now + 60)}]
    status, _, _ = request(url + "/api/v2/alerts", "POST", json.dumps(alert).encode(), auth=auth)
    check(status == 200, f"POST alerts: {status}")
    wait_for(lambda: all(a["lastError"] for a in json.loads(
        request(url + "/api/v1/status", auth=auth)[2])["alertmanagers"]), 20,
        what="every Alertmanager has failed once")
    # A reload (SIGHUP) and a failed reload (POST /-/reload with a broken config).
    def loads():
        with open(p["proc"].log_path) as f:
            return f.read().count("Completed loading of configuration file")
    p["proc"].signal(signal.SIGHUP)
    wait_for(lambda: loads() == 2, 10, what="the SIGHUP reload")
    with open(p["config"]) as f:
        good_cfg = f.read()
    with open(p["config"], "w") as f:
        f.write(good_cfg + "    - bogus: 1\n")
    status, _, _ = request(url + "/-/reload", "POST", b"", auth=auth)
    check(status == 500, f"reload of a broken config: {status}")
    # Requests with wrong credentials must not log them either.
    request(url + "/metrics", auth=basic("admin", secrets["inline password"]))

    outputs = {}
    for path in ("/api/v1/status", "/", "/metrics"):
        status, _, body = request(url + path, auth=auth)
        check(status == 200, f"GET {path}: {status}")
        outputs[path] = body.decode(errors="replace")
    check("<secret>" in json.loads(outputs["/api/v1/status"])["config"]["yaml"],
          "the status config does not show <secret>")
    promha = find_promha()
    for args in (["check-config", p["config"]], ["check-config", "--dump", h.path("dump.yml")]):
        if "--dump" in args:
            with open(h.path("dump.yml"), "w") as f:
                f.write(good_cfg)
        r = subprocess.run([promha, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=30)
        outputs[" ".join(args[:2])] = r.stdout
    check("<secret>" in outputs["check-config --dump"], "check-config --dump shows no <secret>")
    p["proc"].stop()
    with open(p["proc"].log_path) as f:
        outputs["log"] = f.read()
    check("unknown key 'bogus'" in outputs["log"], "the failed reload was not logged")
    for where, text in outputs.items():
        for what, secret in secrets.items():
            check(secret not in text, f"the {what} is printed in {where}")


SCENARIOS = {n[len("scenario_"):]: f for n, f in globals().items() if n.startswith("scenario_")}


if __name__ == "__main__":
    sys.exit(harness.run_scenarios(SCENARIOS))
