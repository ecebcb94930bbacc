#!/usr/bin/env python3
"""The docker-compose demo's webhook receiver: Alertmanager's webhook_config target. Prints one
line per notification (`docker-compose logs -f webhook`): a running count per alert group, so
that "exactly one notification per group" can be seen, and the notification as JSON.

  webhook.py [--listen HOST:PORT]     default 0.0.0.0:8080; POST any path
"""
import argparse
import collections
import http.server
import json
import signal
import sys
import threading

counts = collections.Counter()
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's name
        length = int(self.headers.get("Content-Length") or 0)
        if length > 1 << 20:
            self.send_error(413)
            return
        try:
            n = json.loads(self.rfile.read(length) or b"{}")
            group = json.dumps(n.get("groupLabels", {}), sort_keys=True)
        except (ValueError, AttributeError):
            self.send_error(400, "expected an Alertmanager webhook notification (JSON object)")
            return
        with lock:
            counts[group] += 1
            seen = counts[group]
        names = ",".join(a.get("labels", {}).get("alertname", "?") for a in n.get("alerts", []))
        print(f"notification #{seen} for group {group}: status={n.get('status')} alerts=[{names}] "
              f"{json.dumps(n, sort_keys=True)}", flush=True)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass  # one line per notification is enough


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--listen", default="0.0.0.0:8080", help="HOST:PORT (port 0: any free port)")
    args = ap.parse_args()
    host, _, port = args.listen.rpartition(":")
    server = http.server.ThreadingHTTPServer((host, int(port)), Handler)
    # As PID 1 in a container SIGTERM would be ignored; make `docker-compose stop` quick.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    print(f"webhook listening on {host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
