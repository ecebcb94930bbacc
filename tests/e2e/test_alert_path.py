#!/usr/bin/env python3
"""End-to-end tests of the alert path with real peers: Prometheus 2.42 pair, promha pair,
Alertmanager 0.25 cluster, webhook receiver. Usage: test_alert_path.py SCENARIO
Exit 0 on success; failures print what was expected and the tails of the process logs."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (  # noqa: E402
    FaultSink, Harness, am_alerts, check, http_get, http_post, metric, wait_for)

FIXTURES = os.path.join(harness.ROOT, "tests", "data", "fixtures")


def promha_config(am_nodes, extra=""):
    return harness.demo_promha_config(am_nodes) + extra


def scenario_pair_dedup(h):
    """Both replicas' alerts collapse: each Alertmanager holds each alert once, without the
    replica label, and the webhook gets exactly one notification per group."""
    wh = h.webhook()
    ams = h.alertmanager_cluster(3, wh.port)
    (pa, pb), _ = h.demo_pair(ams)
    names = {"DemoAlwaysFiring", "Watchdog"}
    for am in ams:
        alerts = wait_for(lambda am=am: (lambda a: a if {x["labels"]["alertname"] for x in a} >= names
                                         else None)(am_alerts(am)), 90,
                          what=f"both alerts in {am['name']}")
        for name in names:
            same = [a for a in alerts if a["labels"]["alertname"] == name]
            check(len(same) == 1, f"{am['name']}: {name} held {len(same)} times: {same}")
            check("replica" not in same[0]["labels"], f"replica label not dropped: {same[0]}")
            check(same[0]["labels"].get("cluster") == "demo", f"external label lost: {same[0]}")
    # Both sidecars delivered (each replica's stream reached every Alertmanager).
    for p in (pa, pb):
        for am in ams:
            wait_for(lambda p=p, am=am: (metric(p["url"], "promha_notifications_sent_total",
                                                {"alertmanager": f"http://127.0.0.1:{am['web']}/api/v2/alerts"})
                                         or 0) > 0, 30, what=f"{p['name']} delivering to {am['name']}")
    # One notification per group; watch one more group_interval for duplicates.
    for name in names:
        wait_for(lambda name=name: wh.count(lambda n: n["groupLabels"].get("alertname") == name), 60,
                 what=f"notification for {name}")
    time.sleep(15)  # observation window for duplicates (group_interval 10s), not synchronisation
    for name in names:
        c = wh.count(lambda n, name=name: n["groupLabels"].get("alertname") == name)
        check(c == 1, f"{name}: {c} notifications, want exactly 1")


def scenario_bad_input(h):
    """promha answers malformed bodies like Alertmanager 0.25 (captured fixtures)."""
    wh = h.webhook()
    ams = h.alertmanager_cluster(1, wh.port, clustered=False)
    p = h.promha("promha", promha_config(ams))
    cases = [
        ("/api/v2/alerts", b"[{", "application/json", 400),
        ("/api/v2/alerts", b"{}", "application/json", 400),
        ("/api/v2/alerts", b"[]", "text/plain", 415),
        ("/api/v2/alerts", b"", "application/json", 422),
        ("/api/v2/alerts", b'[{"labels":{}}]', "application/json", 400),
        ("/api/v2/alerts", b'[{"annotations":{}}]', "application/json", 422),
        ("/api/v2/alerts", b'[{"labels":{"a-b":"x"}},{"labels":{"ok":"1"}}]', "application/json", 400),
        ("/api/v1/alerts", b"[{", "application/json", 400),
        ("/api/v2/alerts", b"[]", "application/json", 200),
        ("/api/v2/alerts", b"x" * (9 << 20), "application/json", 413),
    ]
    for path, body, ctype, want in cases:
        status, resp = http_post(p["url"] + path, body, ctype)
        check(status == want, f"POST {path} {body[:40]!r} ({ctype}): got {status} {resp[:200]!r}, want {want}")
    # The valid alert of the mixed request was still delivered.
    wait_for(lambda: any(a["labels"].get("ok") == "1" for a in am_alerts(ams[0])), 20,
             what="valid alert of a partially invalid request delivered")
    check(metric(p["url"], "promha_alerts_invalid_total") >= 2, "invalid alerts not counted")



def post_alerts(p, alerts):
    status, body = http_post(p["url"] + "/api/v2/alerts", json.dumps(alerts).encode())
    check(status == 200, f"POST to promha: {status} {body[:200]!r}")


def firing(name, **labels):
    now = time.time()
    fmt = lambda t: time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".000Z"  # noqa: E731
    return {"labels": {"alertname": name, **labels}, "annotations": {},
            "startsAt": fmt(now - 10), "endsAt": fmt(now + 240)}


def raw_config(targets, timeout="10s", max_backoff="1s"):
    return ("alerting:\n  alertmanagers:\n    - timeout: %s\n      static_configs:\n"
            "        - targets: %s\n      retry: {min_backoff: 50ms, max_backoff: %s}\n"
            % (timeout, json.dumps(targets), max_backoff))


def scenario_alertmanager_killed(h):
    """One Alertmanager killed mid-stream: the others keep receiving; once restarted it
    receives every still-firing alert within a retry interval."""
    wh = h.webhook()
    ams = h.alertmanager_cluster(3, wh.port, clustered=False)
    p = h.promha("promha", raw_config([f"127.0.0.1:{n['web']}" for n in ams]))
    post_alerts(p, [firing("Before", n=str(i)) for i in range(20)])
    for am in ams:
        wait_for(lambda am=am: len(am_alerts(am)) == 20, 20, what=f"{am['name']} got the first 20")
    victim = ams[1]
    victim["proc"].kill()
    post_alerts(p, [firing("During", n=str(i)) for i in range(20)])
    t0 = time.monotonic()
    for am in (ams[0], ams[2]):
        wait_for(lambda am=am: len(am_alerts(am)) == 40, 10, what=f"{am['name']} got alerts while am2 is dead")
    took = time.monotonic() - t0
    check(took < 3, f"healthy Alertmanagers were delayed by the dead one: {took:.1f}s")
    # Restart on the same port: the queued alerts arrive within one retry interval (max 1s).
    h.start_alertmanager(victim, [], h.path("alertmanager.yml"))
    wait_for(lambda: http_get(f"http://127.0.0.1:{victim['web']}/-/ready")[0] == 200, 30, what="am2 back")
    wait_for(lambda: len({a["labels"]["alertname"] + a["labels"]["n"] for a in am_alerts(victim)
                          if a["labels"]["alertname"] == "During"}) == 20, 10,
             what="restarted Alertmanager received every alert queued while it was down")
    check(metric(p["url"], "promha_notifications_retries_total") > 0, "retries not counted")


def scenario_black_hole(h):
    """An Alertmanager that accepts connections and never answers does not delay the others."""
    import socket
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(64)  # accepts (kernel backlog) and never reads or answers
    wh = h.webhook()
    ams = h.alertmanager_cluster(1, wh.port, clustered=False)
    p = h.promha("promha", raw_config([f"127.0.0.1:{hole.getsockname()[1]}", f"127.0.0.1:{ams[0]['web']}"],
                                      timeout="5s"))
    for round_ in range(3):
        t0 = time.monotonic()
        post_alerts(p, [firing("Hole", round=str(round_))])
        wait_for(lambda r=round_: any(a["labels"].get("round") == str(r) for a in am_alerts(ams[0])), 10,
                 interval=0.02, what="delivery to the healthy Alertmanager")
        took = time.monotonic() - t0
        check(took < 1.0, f"round {round_}: healthy Alertmanager got the alert after {took:.2f}s")
    hole.close()


def scenario_flaky_500(h):
    """An Alertmanager answering 500 then recovering: retried, delivered, counted."""
    state = {"fail": 3, "got": []}

    def respond(alerts):
        if state["fail"] > 0:
            state["fail"] -= 1
            return 500
        state["got"].extend(alerts)
        return 200

    sink = FaultSink(respond)
    try:
        p = h.promha("promha", raw_config([sink.target]))
        post_alerts(p, [firing("Flaky", n=str(i)) for i in range(5)])
        wait_for(lambda: len({a["labels"]["n"] for a in state["got"]}) == 5, 15, what="delivery after 500s")
        url = {"alertmanager": f"http://{sink.target}/api/v2/alerts"}
        check(metric(p["url"], "promha_notifications_errors_total", url) >= 3, "errors not counted")
        check(metric(p["url"], "promha_notifications_retries_total", url) >= 3, "retries not counted")
        check(metric(p["url"], "promha_notifications_sent_total", url) == 5, "sent != 5")
    finally:
        sink.close()


def scenario_reload_invalid(h):
    """A reload with an invalid config keeps the old one working and says so in a metric;
    a valid reload keeps the queues of unchanged Alertmanagers."""
    import signal as sig
    wh = h.webhook()
    ams = h.alertmanager_cluster(1, wh.port, clustered=False)
    good = raw_config([f"127.0.0.1:{ams[0]['web']}"])
    p = h.promha("promha", good, extra_args=["--web.enable-lifecycle"])
    check(metric(p["url"], "promha_config_last_reload_successful") == 1, "first load not successful")
    with open(p["config"], "w") as f:
        f.write(good + "  bogus_key: 1\n")
    status, body = http_post(p["url"] + "/-/reload", b"", None)
    check(status == 500 and b"bogus_key" in body, f"reload of a bad config: {status} {body!r}")
    check(metric(p["url"], "promha_config_last_reload_successful") == 0, "failed reload not exported")
    post_alerts(p, [firing("AfterBadReload")])
    wait_for(lambda: any(a["labels"]["alertname"] == "AfterBadReload" for a in am_alerts(ams[0])), 10,
             what="old config still delivering")
    # SIGHUP with the good config restores the metric.
    with open(p["config"], "w") as f:
        f.write(good)
    p["proc"].signal(sig.SIGHUP)
    wait_for(lambda: metric(p["url"], "promha_config_last_reload_successful") == 1, 10,
             what="SIGHUP reload")
    status, _ = http_get(p["url"] + "/-/healthy")
    check(status == 200, "not healthy after reloads")


def scenario_sigterm_drain(h):
    """SIGTERM: promha stops accepting, delivers what is queued (here to a slow Alertmanager)
    within --shutdown.drain-timeout, and exits 0; a black hole cannot hold it past the timeout."""
    import signal as sig
    import socket
    got = []

    def respond(alerts):
        time.sleep(0.3)  # each POST takes a while, so batches are still queued at SIGTERM
        got.extend(alerts)
        return 200

    sink = FaultSink(respond)
    try:
        target = sink.target
        cfg = raw_config([target]) + "      queue: {max_batch_size: 10, connections: 1}\n"
        p = h.promha("promha", cfg, extra_args=["--shutdown.drain-timeout=20s"])
        for i in range(10):  # 100 alerts = 10 batches of 10 at 0.3 s each: ~3 s of work
            post_alerts(p, [firing("Drain", n=str(i * 10 + j)) for j in range(10)])
        check(len(got) < 100, f"everything was delivered before SIGTERM ({len(got)}); the test proves nothing")
        t0 = time.monotonic()
        p["proc"].signal(sig.SIGTERM)
        rc = p["proc"].p.wait(timeout=30)
        took = time.monotonic() - t0
        check(rc == 0, f"exit status after SIGTERM: {rc}")
        names = {a["labels"]["n"] for a in got}
        check(len(names) == 100, f"drained {len(names)} of 100 queued alerts")
        check(took < 15, f"drain took {took:.1f}s")
    finally:
        sink.close()

    # A black hole: the drain gives up after the timeout and still exits 0.
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(64)
    try:
        p = h.promha("promha-hole", raw_config([f"127.0.0.1:{hole.getsockname()[1]}"], timeout="30s"),
                     extra_args=["--shutdown.drain-timeout=2s"])
        post_alerts(p, [firing("Hole")])
        time.sleep(0.3)
        t0 = time.monotonic()
        p["proc"].signal(sig.SIGTERM)
        rc = p["proc"].p.wait(timeout=30)
        took = time.monotonic() - t0
        check(rc == 0, f"exit status after SIGTERM with a black hole: {rc}")
        check(1.5 < took < 8, f"drain with a black hole took {took:.1f}s, want about 2s")
    finally:
        hole.close()


SCENARIOS = {n[len("scenario_"):]: f for n, f in globals().items() if n.startswith("scenario_")}


if __name__ == "__main__":
    sys.exit(harness.run_scenarios(SCENARIOS))
