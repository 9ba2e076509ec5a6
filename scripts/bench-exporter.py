#!/usr/bin/env python3
"""A stand-in for postgres_exporter, process-exporter and node_exporter, for scripts/bench.

Serves, at /metrics, the metric names the built-in default dashboard queries, with values
that are a pure function of time: counters grow at a rate that drifts, gauges wander. The same
function writes history in OpenMetrics text, for `promtool tsdb create-blocks-from
openmetrics`, so that a fresh Prometheus already holds a full chart window and a full
re-fetch costs what it costs against a Prometheus that has been running for hours.

    bench-exporter.py serve PORT
    bench-exporter.py history FROM TO INSTANCE > history.om   # Unix seconds, 1 s apart
"""

import math
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import time

DATABASES = ["shop", "postgres"]
STATES = ["active", "idle", "idle in transaction"]
CPUS = 4
CPU_MODES = ["idle", "user", "system", "iowait"]


def counter(t, rate, swing, period, phase=0.0):
    """Integral of rate + swing*sin(2πt/period + phase): always increasing when swing < rate."""
    w = 2 * math.pi / period
    return rate * t - swing / w * math.cos(w * t + phase) + swing / w


def gauge(t, base, swing, period, phase=0.0):
    return round(base + swing * math.sin(2 * math.pi * t / period + phase))


def samples(t):
    """(name, labels, value) of every series at Unix time t."""
    out = []
    for i, db in enumerate(DATABASES):
        scale = 1.0 if db == "shop" else 0.05
        for j, state in enumerate(STATES):
            base = [40, 120, 3][j] * scale
            out.append(("pg_stat_activity_count", {"datname": db, "state": state},
                        max(0, gauge(t, base, base / 3, 97 + 13 * j, i))))
            out.append(("pg_stat_activity_max_tx_duration", {"datname": db, "state": state},
                        max(0.0, round(gauge(t * 10, [4, 0, 2][j] * scale * 10, 30, 53 + 7 * j, i) / 10, 1))))
        out.append(("pg_stat_database_xact_commit", {"datname": db},
                    round(counter(t, 900 * scale, 300 * scale, 180, i))))
        out.append(("pg_stat_database_xact_rollback", {"datname": db},
                    round(counter(t, 12 * scale, 8 * scale, 240, i))))
        out.append(("pg_stat_database_deadlocks", {"datname": db},
                    round(counter(t, 0.05, 0.04, 300, i))))
    out.append(("pg_up", {}, 1))
    out.append(("pg_settings_max_connections", {"server": "127.0.0.1:5432"}, 500))
    for mode, rate in (("user", 1.6), ("system", 0.4)):
        out.append(("namedprocess_namegroup_cpu_seconds_total",
                    {"groupname": "postgres", "mode": mode},
                    counter(t, rate, rate * 0.8, 150)))
    for cpu in range(CPUS):
        for mode, rate in zip(CPU_MODES, (0.45, 0.4, 0.1, 0.05)):
            out.append(("node_cpu_seconds_total", {"cpu": str(cpu), "mode": mode},
                        counter(t, rate, rate * 0.5, 120, cpu)))
    return out


def escape(v):
    return v.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def line(name, labels, value, ts=None):
    body = ",".join(f'{k}="{escape(v)}"' for k, v in sorted(labels.items()))
    text = f"{name}{{{body}}} {value}" if body else f"{name} {value}"
    return text if ts is None else f"{text} {ts}"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.split("?")[0] != "/metrics":
            self.send_error(404)
            return
        body = "".join(line(n, l, v) + "\n" for n, l, v in samples(time.time())).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def history(start, end, instance):
    out = sys.stdout
    extra = {"job": "exporter", "instance": instance}
    # One family at a time: OpenMetrics wants a family's samples together.
    families = {}
    for t in range(start, end + 1):
        for name, labels, value in samples(t):
            families.setdefault(name, []).append(line(name, {**labels, **extra}, value, t))
    for name, lines in families.items():
        out.write(f"# TYPE {name} unknown\n")
        out.write("\n".join(lines))
        out.write("\n")
    out.write("# EOF\n")


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "serve":
        server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), Handler)
        server.serve_forever()
    elif len(sys.argv) == 5 and sys.argv[1] == "history":
        history(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
