#!/usr/bin/python3
"""Dashboard pages on live updates, for benchmarks: each page holds a
server-sent event stream (/api/live) and, like the queue board, reads its
list again (ListCases, 50 cases) at most once a second after a change.
Runs until SIGTERM or --seconds, then prints what the pages received and
how long a change took from its commit to a page.

Usage: live_pages.py --http=127.0.0.1:8080 --token_file=data/dev/tokens/dashboard.jwt [--pages=50]
"""
import argparse
import datetime
import http.client
import json
import re
import signal
import sys
import threading
import time

RECORDED = re.compile(rb'"recordedAt":"([^"]+)"')


def parse_instant(text):
    # "2026-11-27T02:09:57.117201Z": fromisoformat wants at most 6 digits and +00:00.
    text = text.rstrip("Z")
    if "." in text:
        head, frac = text.split(".")
        text = f"{head}.{frac[:6]}"
    return datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.timezone.utc).timestamp()


class Page(threading.Thread):
    def __init__(self, host, port, token, stop, stats):
        super().__init__(daemon=True)
        self.host, self.port, self.token, self.stop, self.stats = host, port, token, stop, stats

    def run(self):
        headers = {"Authorization": "Bearer " + self.token}
        refresh = http.client.HTTPConnection(self.host, self.port, timeout=30)
        last_refresh = 0.0
        while not self.stop.is_set():
            try:
                live = http.client.HTTPConnection(self.host, self.port, timeout=30)
                live.request("GET", "/api/live", headers=headers)
                response = live.getresponse()
                if response.status != 200:
                    self.stats.add("refused", 1)
                    time.sleep(1)
                    continue
                while not self.stop.is_set():
                    line = response.fp.readline()
                    if not line:
                        break
                    if not line.startswith(b"data: "):
                        continue
                    self.stats.add("batches", 1)
                    first = RECORDED.search(line)
                    if first:
                        self.stats.delay(time.time() - parse_instant(first.group(1).decode()))
                    if time.monotonic() - last_refresh >= 1.0:
                        last_refresh = time.monotonic()
                        refresh = self.read_list(refresh, headers)
                live.close()
            except (OSError, http.client.HTTPException):
                if not self.stop.is_set():
                    self.stats.add("reconnects", 1)
                    time.sleep(0.5)
                    refresh = http.client.HTTPConnection(self.host, self.port, timeout=30)


    def read_list(self, connection, headers):
        """The queue board's read; a keep-alive connection the server closed is opened again."""
        for attempt in range(2):
            try:
                connection.request("POST", "/api/v1/tripdesk.v1.CaseService/ListCases",
                                   body=json.dumps({"pageSize": 50}),
                                   headers={**headers, "Content-Type": "application/json"})
                r = connection.getresponse()
                r.read()
                self.stats.add("refreshes" if r.status == 200 else "refresh_errors", 1)
                return connection
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        self.stats.add("refresh_errors", 1)
        return connection


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}
        self.delays = []

    def add(self, name, n):
        with self.lock:
            self.counts[name] = self.counts.get(name, 0) + n

    def delay(self, seconds):
        with self.lock:
            self.delays.append(seconds)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--http", required=True)
    parser.add_argument("--token_file", required=True)
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=0)
    args = parser.parse_args()
    host, port = args.http.rsplit(":", 1)
    token = open(args.token_file).read().strip()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stats = Stats()
    pages = [Page(host, int(port), token, stop, stats) for _ in range(args.pages)]
    started = time.monotonic()
    for p in pages:
        p.start()
    while not stop.wait(0.5):
        if args.seconds and time.monotonic() - started >= args.seconds:
            break
    elapsed = time.monotonic() - started
    delays = sorted(stats.delays)
    pick = lambda q: delays[min(len(delays) - 1, int(q * len(delays)))] * 1000 if delays else 0
    print(json.dumps({"pages": args.pages, "seconds": round(elapsed, 1), **stats.counts,
                      "batch_delay_ms_p50": round(pick(0.5), 1), "batch_delay_ms_p99": round(pick(0.99), 1),
                      "batch_delay_ms_max": round(delays[-1] * 1000, 1) if delays else 0}), flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
