"""Helpers shared by the bench scripts (bench/soak imports them; bench/run keeps its own copies).

Standard library only: paths, ports, the release build, waiting for a listener, resident memory,
the processes a run starts, a throwaway Postgres database, a keep-alive JSON client, and the
gateway's Prometheus metrics as rows.
"""

import collections
import datetime
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "release", "proxy-gateway")
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
CLIENT_TIMEOUT = 40       # s; above the gateway's request deadline (bench/soak sets 20 s)
Answer = collections.namedtuple("Answer", "status headers doc error ms")


def log(message):
    print(message, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build():
    log("building the release binary")
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "proxy-gateway"],
                   cwd=ROOT, check=True)


def wait_binary(timeout=300.0):
    """Waits for the release binary (it may vanish for a moment while someone rebuilds it)."""
    deadline = time.monotonic() + timeout
    while not os.access(BINARY, os.X_OK):
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: {BINARY} is missing; build it or drop --no-build")
        time.sleep(2)


def wait_http(url, headers=None, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(url, headers=headers or {})
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return
        except Exception:
            time.sleep(0.01)
    raise SystemExit(f"bench: {url} did not answer 200 within {timeout} s")


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0


class Processes:
    """Everything the run started, stopped at the end whatever happens."""

    def __init__(self):
        self.procs = []

    def start(self, args, env=None, cwd=None, log_path=None):
        out = open(log_path, "ab") if log_path else subprocess.DEVNULL
        try:
            proc = subprocess.Popen(args, env=env, cwd=cwd, stdout=out, stderr=out)
        finally:
            if log_path:
                out.close()
        self.procs.append(proc)
        return proc

    def stop(self):
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def postgres_database(prefix="pgw_bench"):
    """Creates a throwaway database; returns (admin URL, name, URL of the new database)."""
    admin = os.environ.get("TEST_DATABASE_URL", PG_ADMIN_URL)
    admin = admin.rsplit("/", 1)[0] + "/postgres"
    name = f"{prefix}_{int(time.time())}_{os.getpid()}"
    subprocess.run(["psql", admin, "-qc", f'CREATE DATABASE "{name}"'], check=True)
    return admin, name, admin.rsplit("/", 1)[0] + "/" + name


def drop_database(admin, name):
    subprocess.run(["psql", admin, "-qc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def http_json(method, url, body=None, headers=None, timeout=60):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"null")


class Client:
    """One keep-alive connection to the gateway, for one thread."""

    def __init__(self, base, token):
        parts = urllib.parse.urlsplit(base)
        self.host, self.port, self.token, self.conn = parts.hostname, parts.port, token, None

    def request(self, method, path, body=None, headers=None):
        headers = {"Authorization": f"Bearer {self.token}", **(headers or {}),
                   **({} if body is None else {"Content-Type": "application/json"})}
        data, started = None if body is None else json.dumps(body), time.monotonic()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=CLIENT_TIMEOUT)
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as err:
            self.conn = self.conn and self.conn.close()   # None: reconnect next time
            return Answer(None, {}, None, type(err).__name__, (time.monotonic() - started) * 1000)
        try:
            doc = json.loads(raw)
        except ValueError:
            doc = None
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, doc,
                      None, (time.monotonic() - started) * 1000)


def scrape(base):
    """The gateway's Prometheus samples as [(name, {label: value}, value)]."""
    with urllib.request.urlopen(f"{base}/metrics", timeout=10) as response:
        text = response.read().decode()
    rows = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        head, _, value = line.rpartition(" ")   # label values may hold braces: "GET /x/{id}"
        name, _, labels = head.partition("{")
        rows.append((name, dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', labels)), float(value)))
    return rows


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] if values else None
