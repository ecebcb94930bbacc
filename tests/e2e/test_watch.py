#!/usr/bin/env python3
"""End-to-end tests of promha's watch with real peers: a Prometheus 2.42 pair with a promha
pair, and a 3-replica Alertmanager 0.25 cluster (clustered or not).

    test_watch.py SCENARIO      (PROMHA_BIN names the promha binary)
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Harness, am_alerts, free_port, http_get, wait_for  # noqa: E402
from test_alert_path import check, metric  # noqa: E402


def alerting_block(ams):
    targets = json.dumps([f"127.0.0.1:{n['web']}" for n in ams])
    return ("alerting:\n  alert_relabel_configs: [{action: labeldrop, regex: replica}]\n"
            "  alertmanagers:\n    - static_configs: [{targets: %s}]\n"
            "      retry: {min_backoff: 100ms, max_backoff: 1s}\n" % targets)


def firing_named(am, name, **labels):
    return [a for a in am_alerts(am) if a["labels"].get("alertname") == name
            and all(a["labels"].get(k) == v for k, v in labels.items())]


def scenario_peer_down(h):
    """Kill Prometheus B: within failure_threshold * interval + for, every Alertmanager holds
    PrometheusReplicaDown{peer="B"} once (both sidecars emit the same label set) and the webhook
    gets exactly one notification; restart B and the alert resolves."""
    wh = h.webhook()
    ams = h.alertmanager_cluster(3, wh.port)
    ports = {k: free_port() for k in ("prom_a", "prom_b", "promha_a", "promha_b")}
    interval, threshold, for_ = 1, 2, 3

    def cfg(me, peer):
        return alerting_block(ams) + (
            "watch:\n"
            f"  interval: {interval}s\n  timeout: 500ms\n  failure_threshold: {threshold}\n"
            f"  peers:\n    - name: {peer}\n      url: http://127.0.0.1:{ports['prom_' + peer.lower()]}\n"
            f"      promha_url: http://127.0.0.1:{ports['promha_' + peer.lower()]}\n"
            f"  local: {{name: {me}, url: 'http://127.0.0.1:{ports['prom_' + me.lower()]}'}}\n"
            f"  peer_down_alert: {{for: {for_}s, resend_interval: 5s}}\n"
            "  alertmanager_cluster: {alert: {for: 30s}}\n")

    pa = h.promha("promha-a", cfg("A", "B"), port=ports["promha_a"])
    pb = h.promha("promha-b", cfg("B", "A"), port=ports["promha_b"])
    h.prometheus("prom-a", "A", pa["port"], port=ports["prom_a"])
    prom_b = h.prometheus("prom-b", "B", pb["port"], port=ports["prom_b"])
    for p in (pa, pb):
        wait_for(lambda p=p: metric(p["url"], "promha_peer_up", {"peer": "A" if p is pb else "B"}) == 1,
                 20, what=f"{p['name']} sees its peer up")
    check(not any(firing_named(am, "PrometheusReplicaDown") for am in ams), "peer down before any fault")

    prom_b["proc"].kill()
    t0 = time.monotonic()
    budget = threshold * interval + for_ + 5  # + probe time-out, evaluation tick and delivery
    for am in ams:
        got = wait_for(lambda am=am: firing_named(am, "PrometheusReplicaDown", peer="B"), budget + 10,
                       interval=0.2, what=f"{am['name']} holds PrometheusReplicaDown{{peer=B}}")
        check(len(got) == 1, f"{am['name']} holds {len(got)} copies: {got}")
        check("replica" not in got[0]["labels"], f"replica label on a self-alert: {got[0]}")
        check(got[0]["labels"].get("severity") == "critical", f"labels: {got[0]['labels']}")
    took = time.monotonic() - t0
    check(took <= budget, f"PrometheusReplicaDown reached every Alertmanager after {took:.1f}s, "
                          f"want <= {budget}s")
    check(metric(pa["url"], "promha_peer_up", {"peer": "B"}) == 0, "promha-a: peer B not down")
    check(metric(pb["url"], "promha_peer_up", {"peer": "B"}) == 0, "promha-b: local B not down")
    # Both sidecars sent it (identical label sets), and Alertmanager made one notification of it.
    wait_for(lambda: wh.count(lambda n: n["groupLabels"].get("alertname") == "PrometheusReplicaDown"),
             30, what="notification for PrometheusReplicaDown")
    time.sleep(12)  # observation window for duplicates (group_interval 10s), not synchronisation
    firing = wh.count(lambda n: n["groupLabels"].get("alertname") == "PrometheusReplicaDown"
                      and n["status"] == "firing")
    check(firing == 1, f"{firing} firing notifications for PrometheusReplicaDown, want exactly 1")
    status = json.loads(http_get(pa["url"] + "/api/v1/status")[1])
    peer = [p for p in status["watch"]["peers"] if p["name"] == "B"][0]
    check(peer["up"] is False and peer["lastError"], f"status of peer B: {peer}")

    # Restart B on the same port: promha sees it up after one probe and resolves the alert.
    h.prometheus("prom-b2", "B", pb["port"], port=ports["prom_b"])
    for am in ams:
        wait_for(lambda am=am: not firing_named(am, "PrometheusReplicaDown"), 30, interval=0.2,
                 what=f"PrometheusReplicaDown resolved in {am['name']}")
    check(metric(pa["url"], "promha_peer_up", {"peer": "B"}) == 1, "peer B not up again")
    check(metric(pa["url"], "promha_peer_state_changes_total", {"peer": "B"}) == 2,
          "state changes of B, want down + up = 2")


def watch_only(ams, cluster_for):
    return alerting_block(ams) + (
        "watch:\n  interval: 1s\n  timeout: 500ms\n"
        f"  alertmanager_cluster: {{alert: {{for: {cluster_for}}}}}\n")


def scenario_cluster_unclustered(h):
    """Three Alertmanagers started without clustering: AlertmanagerClusterDegraded within two
    intervals (here for: 0s), delivered to the Alertmanagers themselves."""
    wh = h.webhook()
    ams = h.alertmanager_cluster(3, wh.port, clustered=False)
    t0 = time.monotonic()
    p = h.promha("promha", watch_only(ams, "0s"))
    for am in ams:
        got = wait_for(lambda am=am: firing_named(am, "AlertmanagerClusterDegraded"), 15, interval=0.1,
                       what=f"{am['name']} holds AlertmanagerClusterDegraded")
        check(got[0]["labels"]["reason"] == "clustering_disabled", f"labels: {got[0]['labels']}")
        members = got[0]["labels"]["alertmanagers"].split(",")
        check(sorted(members) == sorted(f"127.0.0.1:{n['web']}" for n in ams), f"alertmanagers label: {members}")
    took = time.monotonic() - t0
    check(took <= 2 * 1 + 2, f"AlertmanagerClusterDegraded after {took:.1f}s, want within two intervals (+ start-up)")
    check(metric(p["url"], "promha_alertmanager_cluster_consistent") == 0, "consistent should be 0")
    for am in ams:
        url = f"http://127.0.0.1:{am['web']}/api/v2/alerts"
        check(metric(p["url"], "promha_alertmanager_cluster_status",
                     {"alertmanager": url, "status": "disabled"}) == 1, f"status metric of {url}")


def scenario_cluster_healthy(h):
    """Three clustered Alertmanagers: promha_alertmanager_cluster_consistent 1 and no alert."""
    wh = h.webhook()
    ams = h.alertmanager_cluster(3, wh.port, clustered=True)
    p = h.promha("promha", watch_only(ams, "15s"))
    wait_for(lambda: metric(p["url"], "promha_alertmanager_cluster_consistent") == 1, 30,
             what="a consistent cluster")
    for am in ams:
        url = f"http://127.0.0.1:{am['web']}/api/v2/alerts"
        wait_for(lambda url=url: metric(p["url"], "promha_alertmanager_cluster_peers", {"alertmanager": url}) == 3,
                 30, what=f"3 peers seen by {url}")
    time.sleep(16)  # longer than the alert's `for`: nothing may fire meanwhile
    check(metric(p["url"], "promha_alertmanager_cluster_consistent") == 1, "consistency lost")
    check(not any(firing_named(am, "AlertmanagerClusterDegraded") for am in ams),
          "AlertmanagerClusterDegraded fired for a healthy cluster")


SCENARIOS = {n[len("scenario_"):]: f for n, f in globals().items() if n.startswith("scenario_")}


if __name__ == "__main__":
    sys.exit(harness.run_scenarios(SCENARIOS))
