#!/usr/bin/env python3
"""Offline checks of promha's deploy/ files (meson suite 'deploy', one meson test per check):

  check.py yamllint     yamllint --strict over every deploy YAML file
  check.py dockerfile   lint, image policy, runtime libraries, the HEALTHCHECK against a real promha
  check.py compose      docker-compose config, one source of truth with the local demo, rendered
                        configs valid for Prometheus, Alertmanager and promha, the webhook works
  check.py kubernetes   kustomize renders; schemas and unknown fields; policy; every config valid
                        as mounted in its container; Alertmanager accepts the example credentials
  check.py mixin        promtool check/test rules, generated files in sync, dashboard queries
                        parse, every metric used is one promha exports (or a planned one)

Tools come from deploy/install-deps.sh; a missing tool fails the check and names the tool. Every
process started here is stopped by PID before the check ends. PROMHA_BIN names the promha binary
(meson sets it; default build/src/cli/promha).
"""
import base64
import contextlib
import ctypes
import ctypes.util
import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

try:
    import yaml
except ImportError:
    print("FAIL: missing Python module yaml: run deploy/install-deps.sh (python3-yaml)")
    sys.exit(1)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEPLOY = os.path.join(ROOT, "deploy")
NODE_MODULES = os.path.join(HERE, "node_modules")


class Failed(Exception):
    pass


class Check:
    def __init__(self):
        self.failures = 0

    def ok(self, msg):
        print(f"ok: {msg}", flush=True)

    def fail(self, msg):
        self.failures += 1
        print(f"FAIL: {msg}", flush=True)

    def expect(self, cond, msg, detail=""):
        if cond:
            self.ok(msg)
        else:
            self.fail(msg + (f"\n  {detail}" if detail else ""))
        return cond


def rel(path):
    return os.path.relpath(path, ROOT)


def tool(name, package):
    path = shutil.which(name)
    if not path:
        raise Failed(f"missing tool '{name}': run deploy/install-deps.sh (installs {package})")
    return path


def node_modules():
    tool("node", "npm")
    if not os.path.isdir(os.path.join(NODE_MODULES, "kubernetes-models")):
        raise Failed("missing tests/deploy/node_modules: run deploy/install-deps.sh "
                     "(tests/deploy/install-tools.sh runs npm ci)")


def promha_bin():
    for cand in (os.environ.get("PROMHA_BIN"), os.path.join(ROOT, "build", "src", "cli", "promha")):
        if cand and os.access(cand, os.X_OK):
            return cand
    raise Failed("promha binary not found: build it (ninja -C build) or set PROMHA_BIN")


def run(args, **kw):
    """Runs a command with a time limit; returns (exit status, stdout + stderr)."""
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=kw.pop("timeout", 60), **kw)
    return p.returncode, p.stdout


def run_ok(c, args, what, **kw):
    rc, out = run(args, **kw)
    c.expect(rc == 0, what, f"`{' '.join(args)}` exited {rc}:\n{out.strip()}")
    return out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def process(args, log, env=None):
    """Starts a process in its own process group; stops that group (SIGTERM, then SIGKILL)."""
    p = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                         start_new_session=True, env=env)
    try:
        yield p
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGTERM)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def http(url, data=None, headers=None, timeout=3):
    req = urllib.request.Request(url, data=data, headers=headers or {},
                                 method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def wait_for(cond, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if cond():
                return
        time.sleep(0.05)
    raise Failed(f"timed out after {timeout}s waiting for {what}")


@contextlib.contextmanager
def running_promha(tmp, config_text):
    """A promha on a free loopback port with the given config; yields the port."""
    cfg = os.path.join(tmp, "promha.yml")
    with open(cfg, "w") as f:
        f.write(config_text)
    port = free_port()
    with open(os.path.join(tmp, "promha.log"), "w") as log, \
            process([promha_bin(), "run", f"--config.file={cfg}",
                     f"--web.listen-address=127.0.0.1:{port}"], log) as p:
        wait_for(lambda: p.poll() is None and http(f"http://127.0.0.1:{port}/-/ready")[0] == 200,
                 20, "promha ready")
        yield port


def demo_promha_config(targets='["127.0.0.1:1"]'):
    with open(os.path.join(ROOT, "conf", "demo", "promha.yml")) as f:
        text = f.read().replace("{{ALERTMANAGER_TARGETS}}", targets)
    for key in ("PROMETHEUS_A", "PROMETHEUS_B", "PROMHA_A", "PROMHA_B"):
        text = text.replace("{{%s}}" % key, "127.0.0.1:1")
    return text


# =============================================================================================
def check_yamllint(c):
    yamllint = tool("yamllint", "yamllint")
    config = os.path.join(HERE, "yamllint.yaml")
    rc, out = run([yamllint, "--strict", "-c", config, "-"], input="a: 1\na: 2\n")
    c.expect(rc != 0 and "duplicate" in out, "yamllint rejects a known-bad file (self-test)", out)
    paths = [os.path.join(DEPLOY, d) for d in ("compose", "kubernetes", "mixin")]
    paths += [os.path.join(HERE, "mixin"), config]
    files = sorted(f for p in paths for f in
                   ([p] if os.path.isfile(p) else glob.glob(p + "/**/*.y*ml", recursive=True)))
    c.expect(len(files) >= 20, f"{len(files)} YAML files to lint")
    run_ok(c, [yamllint, "--strict", "-c", config, *files], "yamllint --strict: no problem")


# =============================================================================================
def dockerfile_instructions(path):
    """[(stage index, INSTRUCTION, arguments)] with continuation lines joined."""
    out, stage, pending = [], -1, ""
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not pending and (not line.strip() or line.lstrip().startswith("#")):
                continue
            if line.endswith("\\"):
                pending += line[:-1] + " "
                continue
            text = (pending + line).strip()
            pending = ""
            instr, _, args = text.partition(" ")
            instr = instr.upper()
            if instr == "FROM":
                stage += 1
            out.append((stage, instr, " ".join(args.split())))
    return out


def check_dockerfile(c):
    node_modules()
    dockerfile = os.path.join(DEPLOY, "docker", "Dockerfile")
    lint = [tool("node", "npm"), os.path.join(HERE, "lint_dockerfile.js")]
    with tempfile.NamedTemporaryFile("w", suffix=".Dockerfile") as bad:
        bad.write('FROM debian\nexpose abc\nCMD [\'x\']\n')
        bad.flush()
        rc, out = run(lint + [bad.name])
        c.expect(rc == 1 and "Invalid containerPort" in out,
                 "dockerfile-utils flags a known-bad Dockerfile (self-test)", out)
    run_ok(c, lint + [dockerfile], "dockerfile-utils lint: no problem")

    ins = dockerfile_instructions(dockerfile)
    froms = [a for _, i, a in ins if i == "FROM"]
    c.expect(froms == ["debian:bookworm AS build", "debian:bookworm-slim"],
             "multi-stage: build on debian:bookworm, runtime on debian:bookworm-slim", froms)
    build = [(i, a) for s, i, a in ins if s == 0]
    final = {}
    for s, i, a in ins:
        if s == len(froms) - 1:
            final.setdefault(i, []).append(a)
    c.expect(any(i == "RUN" and "./deploy/install-deps.sh" in a for i, a in build) and
             any(i == "COPY" and "deploy/packages.txt" in a for i, a in build),
             "build stage installs deploy/packages.txt through deploy/install-deps.sh "
             "(the list tests/run.sh uses)")
    c.expect(any("runtime-packages.sh" in a for a in final.get("RUN", []) + [
        a for i, a in build if i == "RUN"]) and
        any("xargs -a /tmp/runtime-packages.txt" in a for a in final.get("RUN", [])),
        "runtime stage installs the packages of the binary's shared libraries")
    user = (final.get("USER") or ["root"])[-1]
    c.expect(re.fullmatch(r"[1-9][0-9]*(:[1-9][0-9]*)?", user) is not None,
             f"runtime USER is numeric and not root ({user})")
    c.expect(final.get("EXPOSE") == ["9095"], "EXPOSE 9095", final.get("EXPOSE"))
    c.expect(final.get("ENTRYPOINT") == ['["promha"]'], 'ENTRYPOINT ["promha"]',
             final.get("ENTRYPOINT"))
    c.expect(final.get("CMD") == ['["run", "--config.file=/etc/promha/promha.yml"]'],
             'CMD ["run", "--config.file=/etc/promha/promha.yml"]', final.get("CMD"))
    labels = " ".join(final.get("LABEL", []))
    for key in ("title", "description", "version", "revision", "created", "licenses",
                "base.name"):
        c.expect(f"org.opencontainers.image.{key}=" in labels, f"OCI label image.{key}")
    with open(os.path.join(ROOT, "meson.build")) as f:
        version = re.search(r"version:\s*'([^']+)'", f.read()).group(1)
    c.expect(f"VERSION={version}" in final.get("ARG", []),
             f"ARG VERSION defaults to the meson project version {version}", final.get("ARG"))

    # Every file the build copies from the context exists and passes the ignore file.
    with open(os.path.join(DEPLOY, "docker", "Dockerfile.dockerignore")) as f:
        allowed = [line.strip()[1:].rstrip("/") for line in f if line.startswith("!")]
    sources = []
    for _, i, a in ins:
        if i == "COPY" and not a.startswith("--from"):
            sources += a.split()[:-1]
    bad = [s for s in sources if not os.path.exists(os.path.join(ROOT, s)) or
           not any(s.rstrip("/") == p or s.startswith(p + "/") for p in allowed)]
    c.expect(sources and not bad,
             f"{len(sources)} COPY sources exist and are in Dockerfile.dockerignore's allowlist",
             bad)
    run_ok(c, [promha_bin(), "check-config", os.path.join(ROOT, "conf", "promha.yml")],
           "the image's default config (conf/promha.yml) passes promha check-config")

    # The runtime stage's package list, computed like the build stage does.
    out = run_ok(c, ["sh", os.path.join(DEPLOY, "docker", "runtime-packages.sh"), promha_bin()],
                 "runtime-packages.sh resolves every shared library of promha to a package")
    pkgs = out.split()
    c.expect({"libyaml-cpp0.7", "libre2-9", "libicu72", "libssl3"} <= set(pkgs),
             f"runtime packages include yaml-cpp, re2, ICU, OpenSSL ({' '.join(pkgs)})")

    # The HEALTHCHECK's command against a real promha (on a free port instead of 9095), and
    # against a closed port.
    hc = next(a for a in final.get("HEALTHCHECK", []))
    cmd = json.loads(hc[hc.index("CMD") + 3:].strip())
    c.expect(cmd[0] == "bash" and "/-/healthy" in cmd[-1] and "/9095" in cmd[-1],
             "HEALTHCHECK probes /-/healthy on port 9095 with bash", cmd)
    with tempfile.TemporaryDirectory() as tmp, running_promha(tmp, demo_promha_config()) as port:
        probe = cmd[:-1] + [cmd[-1].replace("/9095", f"/{port}")]
        rc, out = run(probe, timeout=10)
        c.expect(rc == 0, "HEALTHCHECK command succeeds against a running promha", out)
    rc, out = run(cmd[:-1] + [cmd[-1].replace("/9095", f"/{free_port()}")], timeout=10)
    c.expect(rc != 0, "HEALTHCHECK command fails when nothing listens", out)


# =============================================================================================
def compose_config(compose, *extra):
    rc, out = run([tool("docker-compose", "docker-compose"), "-f", compose, *extra, "config"])
    if rc != 0:
        raise Failed(f"docker-compose config failed:\n{out}")
    return yaml.safe_load(out)


def demo_templates():
    """The conf/demo files that the local demo (demo.py and the harness it uses) reads."""
    names = set()
    for path in (os.path.join(DEPLOY, "local", "demo.py"),
                 os.path.join(ROOT, "tests", "e2e", "harness.py")):
        with open(path) as f:
            names |= set(re.findall(r'"demo",\s*"([\w.-]+)"', f.read()))
    return names


def check_compose(c):
    dc = tool("docker-compose", "docker-compose")
    compose = os.path.join(DEPLOY, "compose", "docker-compose.yml")
    run_ok(c, [dc, "-f", compose, "config", "-q"], "docker-compose config -q: valid")
    run_ok(c, [dc, "-f", compose, "--profile", "grafana", "config", "-q"],
           "docker-compose --profile grafana config -q: valid")
    with tempfile.TemporaryDirectory() as tmp:
        bad = os.path.join(tmp, "bad.yml")
        with open(compose) as f, open(bad, "w") as g:
            g.write(f.read().replace("    restart: unless-stopped", "    restartt: unless-stopped"))
        rc, out = run([dc, "-f", bad, "config", "-q"])
        c.expect(rc != 0 and "restartt" in out,
                 "docker-compose config rejects an unknown key (self-test)", out)

    cfg = compose_config(compose, "--profile", "grafana")
    services = cfg["services"]
    want = {"render", "alertmanager-1", "alertmanager-2", "alertmanager-3", "prometheus-a",
            "prometheus-b", "promha-a", "promha-b", "webhook", "grafana"}
    c.expect(set(services) == want, "services: render, 3 Alertmanagers, 2 Prometheus, "
             "2 promha, webhook, grafana", sorted(services))
    for r in "ab":
        s = services[f"promha-{r}"]
        c.expect(s.get("network_mode") == f"service:prometheus-{r}",
                 f"promha-{r} shares prometheus-{r}'s network namespace")
        c.expect(s["build"]["dockerfile"] == "deploy/docker/Dockerfile" and
                 os.path.samefile(s["build"]["context"], ROOT),
                 f"promha-{r} is built from deploy/docker/Dockerfile")
    peers = [sorted(a for a in services[f"alertmanager-{i}"]["command"]
                    if a.startswith("--cluster.peer=")) for i in (1, 2, 3)]
    c.expect(all(p == [f"--cluster.peer=alertmanager-{i}:9094" for i in (1, 2, 3)]
                 for p in peers), "the 3 Alertmanagers gossip with each other")

    # One source of truth: the render service mounts conf/demo, nothing else mounts from conf/,
    # and render.sh renders exactly the files the local demo uses.
    conf = os.path.join(ROOT, "conf")
    mounts = {(n, v.split(":")[0], v.split(":")[1]) for n, s in services.items()
              for v in s.get("volumes", []) if v.startswith("/")}
    from_conf = [(n, src, dst) for n, src, dst in mounts if src.startswith(conf + os.sep)]
    c.expect(from_conf == [("render", os.path.join(conf, "demo"), "/templates")],
             "only the render service mounts conf/ (conf/demo at /templates)", from_conf)
    with open(os.path.join(DEPLOY, "compose", "render.sh")) as f:
        rendered = set(re.findall(r'render "\$src/([\w.-]+)"', f.read()))
    local = demo_templates()
    on_disk = set(os.listdir(os.path.join(conf, "demo")))
    c.expect(rendered == local == on_disk,
             f"compose and local demo use the same conf/demo files ({', '.join(sorted(local))})",
             f"render.sh: {sorted(rendered)}, demo.py + harness.py: {sorted(local)}, "
             f"conf/demo: {sorted(on_disk)}")

    with tempfile.TemporaryDirectory() as tmp:
        out_dir = os.path.join(tmp, "rendered")
        run_ok(c, ["sh", os.path.join(DEPLOY, "compose", "render.sh"),
                   os.path.join(conf, "demo"), os.path.join(DEPLOY, "mixin"), out_dir],
               "render.sh renders conf/demo (no placeholder left)")
        files = set(os.listdir(out_dir))
        used = {m for s in services.values() for a in (s.get("command") or [])
                for m in re.findall(r"/etc/demo/([\w.-]+)", str(a))}
        c.expect(used and used <= files, f"every config a service reads is rendered "
                 f"({', '.join(sorted(used))})", sorted(used - files))
        for r in "ab":
            path = os.path.join(out_dir, f"prometheus-{r}.yml")
            run_ok(c, [tool("promtool", "prometheus"), "check", "config", path],
                   f"promtool check config prometheus-{r}.yml (with the mixin rules)")
            with open(path) as f:
                prom = yaml.safe_load(f)
            c.expect(prom["global"]["external_labels"]["replica"] == r.upper() and
                     prom["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] ==
                     ["localhost:9095"], f"prometheus-{r}: replica {r.upper()}, alerts to "
                     "its promha at localhost:9095")
        run_ok(c, [tool("amtool", "prometheus-alertmanager"), "check-config",
                   os.path.join(out_dir, "alertmanager.yml")],
               "amtool check-config alertmanager.yml")
        run_ok(c, [promha_bin(), "check-config", os.path.join(out_dir, "promha.yml")],
               "promha check-config promha.yml")

    grafana = os.path.join(DEPLOY, "compose", "grafana")
    for name in ("datasources.yaml", "dashboards.yaml"):
        with open(os.path.join(grafana, name)) as f:
            c.expect(yaml.safe_load(f).get("apiVersion") == 1, f"grafana/{name} is provisioning")
    dash_mount = [v for v in services["grafana"]["volumes"] if "/var/lib/grafana/dashboards" in v]
    c.expect(dash_mount and
             os.path.isfile(os.path.join(dash_mount[0].split(":")[0], "promha.json")),
             "Grafana gets the mixin dashboard", dash_mount)

    # The webhook receiver: logs each notification with a running count per group.
    with tempfile.TemporaryDirectory() as tmp:
        log_path = os.path.join(tmp, "webhook.log")
        with open(log_path, "w") as log, \
                process([sys.executable, os.path.join(DEPLOY, "compose", "webhook.py"),
                         "--listen", "127.0.0.1:0"], log):
            port = []

            def listening():
                with open(log_path) as f:
                    m = re.search(r"listening on 127\.0\.0\.1:(\d+)", f.read())
                if m:
                    port.append(int(m.group(1)))
                return bool(m)

            wait_for(listening, 10, "webhook listening")
            url = f"http://127.0.0.1:{port[0]}/notify"
            body = json.dumps({"status": "firing", "groupLabels": {"alertname": "X"},
                               "alerts": [{"labels": {"alertname": "X"}}]}).encode()
            codes = [http(url, body)[0], http(url, body)[0], http(url, b"not json")[0]]
            c.expect(codes == [200, 200, 400], "webhook answers 200, 200, 400 (bad JSON)", codes)
        with open(log_path) as f:
            text = f.read()
        c.expect('notification #2 for group {"alertname": "X"}' in text,
                 "webhook logs each notification with its count per group", text)


# =============================================================================================
KUSTOMIZE_V2_KEYS = {"namespace", "resources", "configMapGenerator", "secretGenerator",
                     "generatorOptions", "images"}


def kustomize(c, variant):
    """Renders deploy/kubernetes/VARIANT; returns its objects."""
    kubectl = tool("kubectl", "kubernetes-client")
    directory = os.path.join(DEPLOY, "kubernetes", variant)
    with open(os.path.join(directory, "kustomization.yaml")) as f:
        k = yaml.safe_load(f)
    dirs = [r for r in k.get("resources", []) if os.path.isdir(os.path.join(directory, r))]
    c.expect(set(k) <= KUSTOMIZE_V2_KEYS and not dirs,
             f"{variant}: only kustomize v2.0.3 features (Debian 12's kubectl 1.20)",
             f"keys {sorted(set(k) - KUSTOMIZE_V2_KEYS)}, directory resources {dirs}")
    rc, out = run([kubectl, "kustomize", directory])
    if rc != 0:
        raise Failed(f"kubectl kustomize {rel(directory)} failed:\n{out}")
    objects = [o for o in yaml.safe_load_all(out) if o]
    c.ok(f"kubectl kustomize {rel(directory)}: {len(objects)} objects")
    return objects


def validate_schemas(c, variant, objects):
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        # kustomize wraps long base64 values; the API server ignores the line breaks.
        for o in objects:
            if o["kind"] == "Secret":
                o["data"] = {k: v.replace("\n", "") for k, v in o.get("data", {}).items()}
        json.dump(objects, f)
        f.flush()
        rc, out = run([tool("node", "npm"), os.path.join(HERE, "validate_k8s.js"), f.name])
    lines = [line[:400] for line in out.splitlines()]
    c.expect(rc == 0, f"{variant}: every object validates against the Kubernetes / "
             "prometheus-operator schemas, no unknown field", "\n  ".join(lines))


def by_kind(objects, kind):
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def pod_policy(c, where, pod, containers):
    sc = pod.get("securityContext", {})
    c.expect(sc.get("runAsNonRoot") is True and sc.get("runAsUser", 0) != 0 and
             sc.get("seccompProfile", {}).get("type") == "RuntimeDefault",
             f"{where}: pod runs as non-root with the RuntimeDefault seccomp profile")
    for ct in containers:
        csc = ct.get("securityContext", {})
        res = ct.get("resources", {})
        image = ct.get("image", "")
        name = f"{where}/{ct['name']}"
        c.expect(csc.get("readOnlyRootFilesystem") is True and
                 csc.get("allowPrivilegeEscalation") is False and
                 csc.get("capabilities", {}).get("drop") == ["ALL"],
                 f"{name}: read-only root FS, no privilege escalation, no capabilities")
        c.expect({"cpu", "memory"} <= set(res.get("requests", {})) and
                 "memory" in res.get("limits", {}), f"{name}: cpu/memory requests, memory limit")
        c.expect(re.search(r":[\w.-]+$", image) is not None and not image.endswith(":latest"),
                 f"{name}: image pinned ({image})")
        c.expect(not any("secretKeyRef" in json.dumps(e) for e in ct.get("env", [])),
                 f"{name}: no secret in the environment")


def promha_container_policy(c, where, ct):
    c.expect(ct["image"] == "promha:0.1.0" and ct["args"][:2] == [
        "run", "--config.file=/etc/promha/promha.yml"], f"{where}: promha run, its config file")
    c.expect("--web.enable-lifecycle" in ct["args"],
             f"{where}: --web.enable-lifecycle, so that the reloader's POST /-/reload works")
    c.expect(ct["livenessProbe"]["httpGet"]["path"] == "/-/healthy" and
             ct["readinessProbe"]["httpGet"]["path"] == "/-/ready" and
             {p["containerPort"] for p in ct["ports"]} == {9095},
             f"{where}: liveness /-/healthy, readiness /-/ready, port 9095")
    res = ct["resources"]
    c.expect(res["requests"]["memory"] == "48Mi" and res["limits"]["memory"] == "128Mi" and
             res["requests"]["cpu"] == "50m", f"{where}: resources from the benchmark figures")


def materialize(tmp, objects, pod, container):
    """Writes the files `container` sees through its ConfigMap and Secret mounts under tmp;
    returns {mountPath: host directory}."""
    cms, secrets = by_kind(objects, "ConfigMap"), by_kind(objects, "Secret")
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    mounts = {}
    for m in container.get("volumeMounts", []):
        host = os.path.join(tmp, container["name"] + m["mountPath"])
        os.makedirs(host, exist_ok=True)
        v = volumes.get(m["name"], {})
        if "configMap" in v:
            for k, text in cms[v["configMap"]["name"]]["data"].items():
                with open(os.path.join(host, k), "w") as f:
                    f.write(text)
        elif "secret" in v:
            for k, b64 in secrets[v["secret"]["secretName"]]["data"].items():
                with open(os.path.join(host, k), "wb") as f:
                    f.write(base64.b64decode(b64))
        mounts[m["mountPath"]] = host
    return mounts


def relocate(path, mounts):
    """Copies a mounted file, rewriting every mounted absolute path to its host directory."""
    with open(path) as f:
        text = f.read()
    alternatives = "|".join(re.escape(m) for m in sorted(mounts, key=len, reverse=True))
    pattern = re.compile(r"(?<![\w./-])(" + alternatives + r")(?=[/'\"\s]|$)", re.M)
    text = pattern.sub(lambda m: mounts[m.group(1)], text)
    out = path + ".host.yml"
    with open(out, "w") as f:
        f.write(text)
    return out


def bcrypt_ok(password, hashed):
    lib = ctypes.CDLL(ctypes.util.find_library("crypt") or "libcrypt.so.1")
    lib.crypt.restype = ctypes.c_char_p
    lib.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    out = lib.crypt(password.encode(), hashed.encode())
    return out is not None and out.decode() == hashed


def check_kubernetes(c):
    node_modules()
    promtool = tool("promtool", "prometheus")
    amtool = tool("amtool", "prometheus-alertmanager")

    # --- base -----------------------------------------------------------------------------
    objs = kustomize(c, "base")
    validate_schemas(c, "base", objs)
    c.expect(all(o["metadata"].get("labels", {}).get("app.kubernetes.io/part-of") == "promha"
                 for o in objs), "base: every object has app.kubernetes.io/part-of: promha")
    c.expect(all(o["metadata"].get("namespace") == "monitoring" for o in objs
                 if o["kind"] != "Namespace"), "base: everything in namespace monitoring")
    sts, svc = by_kind(objs, "StatefulSet"), by_kind(objs, "Service")
    prom, am = sts["prometheus"], sts["alertmanager"]
    for s, replicas in ((prom, 2), (am, 3)):
        name = s["metadata"]["name"]
        gov = svc.get(s["spec"]["serviceName"], {}).get("spec", {})
        c.expect(s["spec"]["replicas"] == replicas and gov.get("clusterIP") == "None" and
                 gov.get("publishNotReadyAddresses") is True and
                 gov.get("selector", {}).items() <= s["spec"]["template"]["metadata"]
                 ["labels"].items(),
                 f"{name}: StatefulSet of {replicas} with its headless Service")
        pod = s["spec"]["template"]["spec"]
        pod_policy(c, name, pod, pod["containers"])
    c.expect(set(by_kind(objs, "PodDisruptionBudget")) == {"prometheus", "alertmanager"},
             "PodDisruptionBudgets for both StatefulSets")
    ppod = prom["spec"]["template"]["spec"]
    cts = {ct["name"]: ct for ct in ppod["containers"]}
    c.expect(set(cts) == {"prometheus", "promha", "reloader"},
             "Prometheus pods: prometheus, promha sidecar, reloader", sorted(cts))
    promha_container_policy(c, "prometheus/promha", cts["promha"])
    c.expect({"--web.enable-lifecycle", "--enable-feature=expand-external-labels"} <=
             set(cts["prometheus"]["args"]) and
             {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}
             in cts["prometheus"]["env"], "Prometheus: replica label from the pod name, "
             "/-/reload enabled")
    am_args = am["spec"]["template"]["spec"]["containers"][0]["args"]
    c.expect(sorted(a for a in am_args if a.startswith("--cluster.peer=")) ==
             [f"--cluster.peer=alertmanager-{i}.alertmanager:9094" for i in range(3)],
             "Alertmanager: gossip peers are the 3 pods' stable names")
    am_ports = {(p["name"], p.get("protocol", "TCP")) for p in svc["alertmanager"]["spec"]["ports"]}
    c.expect(("web", "TCP") in am_ports, "Alertmanager Service port 'web' (SRV _web._tcp)")

    with tempfile.TemporaryDirectory() as tmp:
        m_promha = materialize(tmp, objs, ppod, cts["promha"])
        cfg = os.path.join(m_promha["/etc/promha"], "promha.yml")
        with open(cfg) as f:
            pcfg = yaml.safe_load(f)
        block = pcfg["alerting"]["alertmanagers"][0]
        c.expect(block["dns_sd_configs"][0] == {"names": ["_web._tcp.alertmanager"], "type": "SRV",
                                                "refresh_interval": "30s"},
                 "promha discovers the Alertmanagers by SRV on their headless Service")
        pw_file = block["basic_auth"]["password_file"]
        host_pw = relocate(cfg, m_promha)
        with open(host_pw) as f:
            host_pw_file = yaml.safe_load(f)["alerting"]["alertmanagers"][0]["basic_auth"][
                "password_file"]
        c.expect(os.path.isfile(host_pw_file),
                 f"promha's password_file {pw_file} is mounted from the Secret")
        run_ok(c, [promha_bin(), "check-config", host_pw], "promha check-config (base promha.yml)")
        # The shared config lists both pods under watch.peers; each sidecar names itself.
        with open(host_pw) as f:
            peers = [p["name"] for p in yaml.safe_load(f)["watch"]["peers"]]
        c.expect(sorted(peers) == ["prometheus-0", "prometheus-1"],
                 f"watch.peers lists both Prometheus pods ({peers})")
        ph = cts["promha"]
        env = {e["name"]: e.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")
               for e in ph.get("env", [])}
        c.expect("--watch.local-name=$(POD_NAME)" in ph["args"] and
                 env.get("POD_NAME") == "metadata.name",
                 "promha runs with --watch.local-name=$(POD_NAME) (its own entry is the local one)")

        m_prom = materialize(tmp, objs, ppod, cts["prometheus"])
        pfile = relocate(os.path.join(m_prom["/etc/prometheus/config"], "prometheus.yml"), m_prom)
        out = run_ok(c, [promtool, "check", "config", pfile],
                     "promtool check config (base prometheus.yml, rules as mounted)")
        c.expect("promha-mixin-alerts.yaml" in out and "rules.yml" in out,
                 "Prometheus loads its rules and the promha mixin from the mounted ConfigMaps")
        with open(pfile) as f:
            pc = yaml.safe_load(f)
        c.expect(pc["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] ==
                 ["localhost:9095"] and pc["global"]["external_labels"]["replica"] ==
                 "${POD_NAME}", "Prometheus alerts to localhost:9095; replica: ${POD_NAME}")
        c.expect({j["job_name"] for j in pc["scrape_configs"]} >= {"promha", "prometheus"},
                 "Prometheus scrapes both promha sidecars (job promha, the mixin's job)")

        reload_ct = cts["reloader"]
        m_rel = materialize(tmp, objs, ppod, reload_ct)
        watched = reload_ct["command"][reload_ct["command"].index("--") + 1:]
        c.expect(set(watched) <= set(m_rel) and {"/etc/promha", "/etc/promha-secrets",
                                                 "/etc/prometheus/config"} <= set(watched),
                 "reloader watches the mounted promha and Prometheus configs and secrets")
        check_reloader(c, os.path.join(m_rel["/reloader"], "reloader.sh"), tmp)

        apod = am["spec"]["template"]["spec"]
        m_am = materialize(tmp, objs, apod, apod["containers"][0])
        run_ok(c, [amtool, "check-config", os.path.join(m_am["/etc/alertmanager/config"],
                                                        "alertmanager.yml")],
               "amtool check-config (base alertmanager.yml)")
        web = os.path.join(m_am["/etc/alertmanager/web"], "web.yml")
        with open(web) as f:
            users = yaml.safe_load(f)["basic_auth_users"]
        with open(os.path.join(m_promha["/etc/promha-secrets"], "alertmanager-password")) as f:
            password = f.read().strip()
        c.expect(bcrypt_ok(password, users.get(block["basic_auth"]["username"], "")),
                 "the Alertmanager's bcrypt hash matches promha's password (libcrypt)")
        check_alertmanager_auth(c, tmp, web, block["basic_auth"]["username"], password)

    # --- operator ----------------------------------------------------------------------------
    objs = kustomize(c, "operator")
    validate_schemas(c, "operator", objs)
    c.expect(all(o["metadata"].get("labels", {}).get("app.kubernetes.io/part-of") == "promha"
                 for o in objs), "operator: every object has app.kubernetes.io/part-of: promha")
    prom = by_kind(objs, "Prometheus")["promha"]["spec"]
    cts = {ct["name"]: ct for ct in prom["containers"]}
    promha_container_policy(c, "Prometheus promha/promha", cts["promha"])
    pod_policy(c, "Prometheus promha", prom, list(cts.values()))
    alerting = prom["alerting"]["alertmanagers"]
    target = by_kind(objs, "Service").get(alerting[0]["name"], {}).get("spec", {})
    c.expect(len(alerting) == 1 and alerting[0]["port"] == "promha" and
             any(p["name"] == "promha" and p["port"] == 9095 for p in target.get("ports", [])) and
             target.get("selector") == {"prometheus": "promha"},
             "spec.alerting points at the promha sidecars (Service promha, port 9095)")
    c.expect(prom["replicas"] == 2 and prom["replicaExternalLabelName"] == "replica",
             "Prometheus resource: 2 replicas, replica label `replica`")
    c.expect(by_kind(objs, "Alertmanager")["promha"]["spec"]["replicas"] == 3,
             "Alertmanager resource: 3 replicas")
    pm = by_kind(objs, "PodMonitor")["promha"]["spec"]
    c.expect(pm["selector"]["matchLabels"] == {"prometheus": "promha"} and
             {"targetLabel": "job", "replacement": "promha"} in
             pm["podMetricsEndpoints"][0]["relabelings"],
             "PodMonitor scrapes the sidecars as job promha (the mixin's job)")
    with tempfile.TemporaryDirectory() as tmp:
        cfg = os.path.join(tmp, "promha.yml")
        with open(cfg, "w") as f:
            f.write(by_kind(objs, "ConfigMap")["promha-config"]["data"]["promha.yml"])
        run_ok(c, [promha_bin(), "check-config", cfg], "promha check-config (operator promha.yml)")
        with open(cfg) as f:
            names = yaml.safe_load(f)["alerting"]["alertmanagers"][0]["dns_sd_configs"][0]["names"]
        c.expect(names == ["_web._tcp.alertmanager-operated"],
                 "operator promha.yml discovers the operator's alertmanager-operated Service")
        amcfg = os.path.join(tmp, "alertmanager.yaml")
        with open(amcfg, "wb") as f:
            f.write(base64.b64decode(
                by_kind(objs, "Secret")["alertmanager-promha"]["data"]["alertmanager.yaml"]))
        run_ok(c, [amtool, "check-config", amcfg], "amtool check-config (operator Secret)")
    with open(os.path.join(DEPLOY, "mixin", "alerts.yaml")) as f:
        mixin = yaml.safe_load(f)["groups"]
    c.expect(by_kind(objs, "PrometheusRule")["promha-mixin"]["spec"]["groups"] == mixin,
             "PrometheusRule promha-mixin holds the mixin's alerts")


def check_reloader(c, script, tmp):
    """Runs the reloader with a stand-in wget: a changed file triggers one POST per URL."""
    bindir, watched = os.path.join(tmp, "bin"), os.path.join(tmp, "watched")
    os.makedirs(bindir)
    os.makedirs(watched)
    calls = os.path.join(tmp, "wget-calls")
    with open(os.path.join(bindir, "wget"), "w") as f:
        f.write(f'#!/bin/sh\necho "$*" >>{calls}\n')
    os.chmod(os.path.join(bindir, "wget"), 0o755)
    with open(os.path.join(watched, "promha.yml"), "w") as f:
        f.write("a\n")
    env = dict(os.environ, PATH=bindir + os.pathsep + os.environ["PATH"])
    log_path = os.path.join(tmp, "reloader.log")
    with open(log_path, "w") as log, \
            process(["sh", script, "1", "http://127.0.0.1:1/-/reload",
                     "http://127.0.0.1:2/-/reload", "--", watched], log, env=env):
        wait_for(lambda: "watching" in open(log_path).read(), 10, "reloader started")
        with open(os.path.join(watched, "promha.yml"), "w") as f:
            f.write("b\n")
        wait_for(lambda: os.path.exists(calls) and
                 len(open(calls).read().splitlines()) >= 2, 10, "reloader POSTs")
    with open(calls) as f:
        lines = f.read().splitlines()
    c.expect(lines == ["-q -O /dev/null --post-data= http://127.0.0.1:1/-/reload",
                       "-q -O /dev/null --post-data= http://127.0.0.1:2/-/reload"],
             "reloader POSTs each /-/reload URL once when a watched file changes", lines)


def check_alertmanager_auth(c, tmp, web_config, user, password):
    """A real Alertmanager with the rendered web config: 401 without credentials, 200 with."""
    binary = shutil.which("prometheus-alertmanager") or tool("alertmanager",
                                                             "prometheus-alertmanager")
    cfg = os.path.join(tmp, "am-minimal.yml")
    with open(cfg, "w") as f:
        f.write("route: {receiver: default}\nreceivers: [{name: default}]\n")
    port = free_port()
    url = f"http://127.0.0.1:{port}/-/healthy"
    auth = {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}
    with open(os.path.join(tmp, "am.log"), "w") as log, \
            process([binary, f"--config.file={cfg}", f"--web.config.file={web_config}",
                     f"--storage.path={os.path.join(tmp, 'am-data')}",
                     f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
                    log) as p:
        wait_for(lambda: p.poll() is None and http(url)[0] in (200, 401), 20, "Alertmanager up")
        codes = (http(url)[0], http(url, headers=auth)[0])
    c.expect(codes == (401, 200), "Alertmanager 0.25 with the base's web.yml: 401 without "
             "credentials, 200 with promha's", codes)


# =============================================================================================
# Metrics the mixin and dashboard may use before promha exports them: issue 4 (watch) and
# issue 5 (remote write). Once exported they are checked like the others.
PLANNED = {
    "promha_peer_up", "promha_peer_ready", "promha_alertmanager_cluster_peers",
    "promha_alertmanager_cluster_status", "promha_alertmanager_cluster_consistent",
    "promha_remote_write_samples_received_total", "promha_remote_write_samples_forwarded_total",
    "promha_remote_write_samples_deduplicated_total", "promha_remote_write_samples_failed_total",
    "promha_remote_write_queue_length", "promha_ha_leader", "promha_ha_failovers_total",
}


def metric_names(expr):
    return set(re.findall(r"\b(promha_[a-z0-9_]+)", expr))


def check_mixin(c):
    promtool = tool("promtool", "prometheus")
    mixin = os.path.join(DEPLOY, "mixin")
    alerts = os.path.join(mixin, "alerts.yaml")
    tests = os.path.join(HERE, "mixin", "alerts_test.yaml")
    run_ok(c, [promtool, "check", "rules", alerts], "promtool check rules deploy/mixin/alerts.yaml")
    run_ok(c, [promtool, "test", "rules", tests], "promtool test rules (alerts_test.yaml)")
    run_ok(c, [sys.executable, os.path.join(mixin, "generate.py"), "--check"],
           "generated dashboard, ConfigMap and PrometheusRule are up to date (generate.py --check)")

    with open(alerts) as f:
        rules = [r for g in yaml.safe_load(f)["groups"] for r in g["rules"]]
    with open(tests) as f:
        tested = set(re.findall(r"alertname: (\w+)", f.read()))
    for r in rules:
        c.expect(r["labels"].get("severity") in ("warning", "critical") and
                 {"summary", "description"} <= set(r["annotations"]) and r["alert"] in tested,
                 f"{r['alert']}: severity, summary, description, and a unit test")

    with open(os.path.join(mixin, "dashboards", "promha.json")) as f:
        dash = json.load(f)
    panels = dash["panels"]
    ids = [p["id"] for p in panels]
    c.expect(len(ids) == len(set(ids)) and all(
        p["gridPos"]["x"] + p["gridPos"]["w"] <= 24 for p in panels),
        f"dashboard: {len(panels)} panels, unique ids, within 24 columns")
    c.expect(all(t["datasource"]["uid"] == "${datasource}" for p in panels
                 for t in p.get("targets", [])), "dashboard: every query uses $datasource")
    exprs = [t["expr"] for p in panels for t in p.get("targets", [])]
    # Every query parses: as recording rules, with the dashboard variables filled in.
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "dashboard-queries.yml")
        subst = [("$__rate_interval", "5m"), ("$job", "promha"), ("$instance", ".*"),
                 ("$alertmanager", ".*")]

        def fill(e):
            for a, b in subst:
                e = e.replace(a, b)
            return e

        with open(path, "w") as f:
            yaml.safe_dump({"groups": [{"name": "dashboard", "rules": [
                {"record": f"dashboard:query_{i}", "expr": fill(e)}
                for i, e in enumerate(exprs)]}]}, f)
        run_ok(c, [promtool, "check", "rules", path],
               f"dashboard: all {len(exprs)} queries parse (promtool)")

    used = set().union(*(metric_names(r["expr"]) for r in rules), *map(metric_names, exprs))
    with tempfile.TemporaryDirectory() as tmp, running_promha(tmp, demo_promha_config()) as port:
        _, body = http(f"http://127.0.0.1:{port}/metrics")
    exported = set()
    for line in body.decode().splitlines():
        m = re.match(r"# TYPE (promha_\w+) (\w+)", line)
        if m:
            exported.add(m.group(1))
            if m.group(2) == "histogram":
                exported |= {m.group(1) + s for s in ("_bucket", "_sum", "_count")}
    unknown = used - exported - PLANNED
    c.expect(not unknown, f"the mixin uses {len(used & exported)} metrics that promha exports "
             f"and {len(used & PLANNED - exported)} planned ones (watch, remote write)",
             f"neither exported nor planned: {sorted(unknown)}")
    now_exported = sorted(PLANNED & exported)
    if now_exported:
        print(f"note: planned metrics now exported (PLANNED can shrink): {now_exported}")
    missing = sorted(m for m in exported if not m.endswith(("_bucket", "_sum", "_count")) and
                     m not in used and m + "_bucket" not in used)
    if missing:
        print(f"note: exported metrics not on the dashboard or in an alert: {missing}")


# =============================================================================================
def check_systemd(c):
    """deploy/systemd/promha.service: systemd-analyze verify is silent (it warns without failing,
    so any output fails), and every promha flag it passes exists."""
    analyze = tool("systemd-analyze", "systemd")
    unit = os.path.join(DEPLOY, "systemd", "promha.service")
    with open(unit) as f:
        text = f.read()
    with tempfile.TemporaryDirectory() as tmp:
        # Point ExecStart at the built binary (verify checks that the executable exists).
        local = os.path.join(tmp, "promha.service")
        with open(local, "w") as f:
            f.write(text.replace("/usr/local/bin/promha", promha_bin()))
        rc, out = run([analyze, "verify", local])
        c.expect(rc == 0 and not out.strip(), "systemd-analyze verify: no error or warning", out)
        bad = os.path.join(tmp, "bad.service")
        with open(bad, "w") as f:
            f.write(text.replace("Restart=on-failure", "Restart=sometimes"))
        rc, out = run([analyze, "verify", bad])
        c.expect("sometimes" in out, "systemd-analyze verify reports a bad setting (self-test)", out)
    exec_start = text[text.index("ExecStart="):text.index("ExecReload=")]
    flags = set(re.findall(r"(--[\w.-]+)=", exec_start))
    _, help_text = run([promha_bin(), "run", "--help"])
    unknown = sorted(f for f in flags if f not in help_text)
    c.expect(flags and not unknown, f"ExecStart uses existing promha run flags ({sorted(flags)})",
             unknown)
    c.expect("ExecReload=/bin/kill -HUP $MAINPID" in text, "systemctl reload sends SIGHUP")


def check_config_reference(c):
    """conf/promha.yml is the configuration reference: every key the loader knows (as printed by
    `promha check-config --dump` with every default filled in) is documented in it, and it
    loads cleanly."""
    ref = os.path.join(ROOT, "conf", "promha.yml")
    out = run_ok(c, [promha_bin(), "check-config", "--dump", ref], "conf/promha.yml loads")
    dump = yaml.safe_load(out[out.index("global:"):])
    with open(ref) as f:
        documented = set(re.findall(r"^[\s#-]*([A-Za-z_][\w]*):", f.read(), re.M))

    def keys(node, path):
        if isinstance(node, dict):
            for k, v in node.items():
                yield k, f"{path}.{k}" if path else k
                # Label maps hold user data, not keys of the schema.
                if k not in ("labels", "annotations", "external_labels", "headers"):
                    yield from keys(v, f"{path}.{k}" if path else k)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                yield from keys(v, f"{path}[{i}]")

    missing = sorted({p for k, p in keys(dump, "") if k not in documented})
    c.expect(not missing, "every config key is documented in conf/promha.yml", missing)


CHECKS = {
    "systemd": check_systemd,
    "config_reference": check_config_reference,
    "yamllint": check_yamllint,
    "dockerfile": check_dockerfile,
    "compose": check_compose,
    "kubernetes": check_kubernetes,
    "mixin": check_mixin,
}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in CHECKS:
        print(__doc__, file=sys.stderr)
        return 2
    c = Check()
    start = time.monotonic()
    try:
        CHECKS[sys.argv[1]](c)
    except Failed as e:
        c.fail(str(e))
    except (subprocess.TimeoutExpired, OSError, KeyError, ValueError) as e:
        c.fail(f"{type(e).__name__}: {e}")
    print(f"deploy {sys.argv[1]}: {'FAILED' if c.failures else 'passed'} "
          f"({c.failures} failure(s), {time.monotonic() - start:.1f} s)")
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
