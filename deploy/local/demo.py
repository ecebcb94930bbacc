#!/usr/bin/env python3
"""The local HA demo: 2 Prometheus replicas (replica A/B), 2 promha sidecars, a 3-replica
Alertmanager cluster and a webhook receiver, all on 127.0.0.1 with free ports.

  demo.py            run until Ctrl-C, printing what happens
  demo.py --check    exit 0 once exactly one notification per alert group was verified (CI)

Every process is stopped by PID on exit (Ctrl-C included). Configs come from conf/demo/.
"""
import argparse
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import harness  # noqa: E402
from harness import Harness, am_alerts, http_get, wait_for  # noqa: E402

GROUPS = ("DemoAlwaysFiring", "Watchdog")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="verify and exit (for CI)")
    ap.add_argument("--timeout", type=float, default=120, help="--check: give up after this many seconds")
    args = ap.parse_args()

    h = Harness("demo", keep_dir=not args.check)

    def printed(n):
        alerts = ", ".join(a["labels"].get("alertname", "?") for a in n.get("alerts", []))
        print(f"[webhook] notification #{len(wh.notifications)}: status={n.get('status')} "
              f"group={n.get('groupLabels')} alerts=[{alerts}]", flush=True)

    try:
        wh = h.webhook(on_notification=printed)
        ams = h.alertmanager_cluster(3, wh.port)
        sidecars, proms = h.demo_pair(ams)  # conf/demo/promha.yml, watching each other
        print("\npromha HA demo is running (logs and configs in %s)\n" % h.dir)
        for p in proms:
            print(f"  {p['name']:14s} {p['url']}/alerts")
        for s in sidecars:
            print(f"  {s['name']:14s} {s['url']}/   (status)   {s['url']}/metrics")
        for am in ams:
            print(f"  {am['name']:14s} http://127.0.0.1:{am['web']}/#/alerts")
        print(f"  webhook        http://127.0.0.1:{wh.port}/notify\n")
        print("Both Prometheus replicas fire the same alerts with replica=A and replica=B; each promha\n"
              "drops `replica` and delivers to all 3 Alertmanagers, which deduplicate them: the webhook\n"
              "gets exactly one notification per alert group. Ctrl-C stops everything.\n", flush=True)

        def status_line():
            held = []
            for am in ams:
                alerts = am_alerts(am)
                held.append(f"{am['name']}={len(alerts)} alerts"
                            + ("" if all("replica" not in a["labels"] for a in alerts) else " (WITH replica!)"))
            per_group = {g: wh.count(lambda n, g=g: n["groupLabels"].get("alertname") == g) for g in GROUPS}
            return held, per_group

        def watch_line():
            """What each sidecar's watch sees: its peer, the Alertmanager cluster, the pair."""
            parts = []
            for s, peer in zip(sidecars, "BA"):
                try:
                    w = json.loads(http_get(s["url"] + "/api/v1/status")[1])["watch"]
                except Exception:  # noqa: BLE001 - a status line, best effort
                    parts.append(f"{s['name']}: no status")
                    continue
                up = [p["up"] for p in w["peers"] if p["name"] == peer]
                pair = w["pair"]
                parts.append(f"{s['name']}: peer {peer} {'up' if up and up[0] else 'DOWN'}, cluster "
                             f"{'consistent' if w['alertmanagerCluster']['consistent'] else 'DEGRADED'}"
                             + (f", only here/peer {pair['onlyHere']}/{pair['onlyPeer']}" if pair["known"] else ""))
            return "; ".join(parts)

        if args.check:
            deadline = time.monotonic() + args.timeout
            wait_for(lambda: all(v >= 1 for v in status_line()[1].values()),
                     max(1, deadline - time.monotonic()), interval=1, what="one notification per group")
            time.sleep(15)  # observation window (group_interval 10s): no duplicate may follow
            held, per_group = status_line()
            print("alertmanagers:", ", ".join(held))
            print("notifications per group:", per_group)
            ok = all(v == 1 for v in per_group.values())
            for am in ams:
                alerts = am_alerts(am)
                for g in GROUPS:
                    same = [a for a in alerts if a["labels"]["alertname"] == g]
                    ok = ok and len(same) == 1 and "replica" not in same[0]["labels"]
            print("watch:", watch_line())
            for s, peer in zip(sidecars, "BA"):
                w = json.loads(http_get(s["url"] + "/api/v1/status")[1])["watch"]
                ok = ok and any(p["name"] == peer and p["up"] for p in w["peers"])
                ok = ok and w["alertmanagerCluster"]["consistent"] and w["pair"]["known"]
            print("CHECK " + ("PASSED: exactly one notification per group, each sidecar watching its peer"
                              if ok else "FAILED"))
            return 0 if ok else 1
        while True:
            time.sleep(5)
            held, per_group = status_line()
            print(f"[status] {', '.join(held)}; notifications per group: {per_group}", flush=True)
            print(f"[watch]  {watch_line()}", flush=True)
    except KeyboardInterrupt:
        print("\nstopping...")
        return 0
    except Exception as e:  # noqa: BLE001
        print(f"demo failed: {e}", file=sys.stderr)
        for p in h.procs:
            print(f"--- {p.name} (pid {p.pid}):\n{p.tail(15)}", file=sys.stderr)
        return 1
    finally:
        h.close()


if __name__ == "__main__":
    sys.exit(main())
