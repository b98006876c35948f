#!/usr/bin/env python3
"""Compose-equivalent smoke test: the gateway as docker-compose.yml would run it, without Docker.

No Docker engine runs on the development machines or in CI, so this starts the release binary
with exactly the environment the compose file gives the `gateway` service:

  * `docker-compose config` resolves docker-compose.yml with .env.example as the .env file
    (interpolation, env_file, profiles: compose's own rules, not a re-implementation);
  * the Dockerfile's runtime ENV is laid under it, as the image provides it;
  * only what cannot exist outside compose is rewritten: the database host (`postgres` -> the
    local server, with a fresh database and role), the simulators' host names, and the ports
    (free local ports instead of the container's, which may be taken here).

Then it checks what an operator relies on: /readyz answers 200, the Dockerfile's HEALTHCHECK
command exits 0, the first admin key works on an authenticated request, /metrics shows that
request, the logs are JSON, and the STOPSIGNAL stops it cleanly. It runs twice: with .env.example
as committed, and with its sandbox block uncommented (the simulators as their own processes,
started with the commands of the compose `sandbox` profile).

Usage: scripts/compose_smoke.py --binary target/release/proxy-gateway
Needs: docker-compose (Debian's package), psql, a Postgres server (--admin-url), PyYAML.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CHECKS = 0


class SmokeError(Exception):
    pass


def check(condition: bool, message: str) -> None:
    global CHECKS
    CHECKS += 1
    if not condition:
        raise SmokeError(message)


def log(message: str) -> None:
    print(f"compose-smoke: {message}", flush=True)


# --- reading the deployment files -------------------------------------------------------------


def resolve_compose(env_text: str, workdir: Path) -> dict:
    """docker-compose.yml resolved by docker-compose itself, with `env_text` as its .env."""
    shutil.copy(ROOT / "docker-compose.yml", workdir / "docker-compose.yml")
    (workdir / ".env").write_text(env_text)
    out = subprocess.run(
        ["docker-compose", "--project-directory", str(workdir), "-f",
         str(workdir / "docker-compose.yml"), "config"],
        cwd=workdir, capture_output=True, text=True, env=_environ_clean(),
    )
    if out.returncode != 0:
        raise SmokeError(f"docker-compose config failed:\n{out.stderr}")
    return yaml.safe_load(out.stdout)


def dockerfile_runtime(path: Path) -> dict:
    """ENV, HEALTHCHECK, ENTRYPOINT, CMD and STOPSIGNAL of the Dockerfile's last stage."""
    lines, current = [], ""
    for raw in path.read_text().splitlines():
        stripped = raw.strip()
        if stripped.startswith("#") and not current:
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        if current:
            lines.append(current)
        current = ""
    last_from = max(i for i, line in enumerate(lines) if line.upper().startswith("FROM "))
    stage = {"env": {}, "healthcheck": None, "entrypoint": None, "cmd": None, "stopsignal": None}
    for line in lines[last_from + 1:]:
        word, _, rest = line.partition(" ")
        word = word.upper()
        if word == "ENV":
            for key, value in re.findall(r'([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)', rest):
                stage["env"][key] = value.strip('"')
        elif word == "HEALTHCHECK":
            stage["healthcheck"] = json.loads(rest.split(" CMD ", 1)[1])
        elif word == "ENTRYPOINT":
            stage["entrypoint"] = json.loads(rest)
        elif word == "CMD":
            stage["cmd"] = json.loads(rest)
        elif word == "STOPSIGNAL":
            stage["stopsignal"] = rest.strip()
    return stage


def sandbox_env_text(env_text: str) -> str:
    """.env.example with its sandbox block uncommented, as README tells operators to do."""
    out, in_block = [], False
    for line in env_text.splitlines():
        if line.startswith("# --- Sandbox profile"):
            in_block = True
        elif line.startswith("# ---"):
            in_block = False
        elif in_block and re.match(r"# [A-Z0-9_]+=", line):
            line = line[2:]
        out.append(line)
    return "\n".join(out) + "\n"


def documented_settings(binary: Path) -> set[str]:
    """Every PGW_* variable the binary's --help documents (one SETTINGS table drives it)."""
    help_text = subprocess.run([str(binary), "--help"], capture_output=True, text=True,
                               check=True).stdout
    return set(re.findall(r"\b(PGW_[A-Z0-9_]+) /", help_text))


# --- helpers ------------------------------------------------------------------------------------


def _environ_clean() -> dict:
    # The caller's own PGW_*/COMPOSE_*/DATABASE_URL must not leak into what is resolved or run.
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("PGW_", "COMPOSE_", "POSTGRES_")) and k != "DATABASE_URL"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method: str, url: str, token: str | None = None, timeout: float = 10.0):
    request = urllib.request.Request(url, method=method)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read().decode()


def psql(admin_url: str, sql: str) -> None:
    subprocess.run(["psql", admin_url, "-v", "ON_ERROR_STOP=1", "-qAtc", sql], check=True,
                   capture_output=True, text=True)


class Process:
    """A started process whose stderr is collected in the background."""

    def __init__(self, argv: list[str], env: dict, name: str):
        self.name = name
        self.proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.stderr: list[str] = []
        self.stdout: list[str] = []
        threading.Thread(target=self._drain, args=(self.proc.stderr, self.stderr),
                         daemon=True).start()
        threading.Thread(target=self._drain, args=(self.proc.stdout, self.stdout),
                         daemon=True).start()

    @staticmethod
    def _drain(pipe, sink):
        for line in pipe:
            sink.append(line)

    def output(self) -> str:
        return "".join(self.stderr)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def wait_until(what: str, condition, timeout: float, process: Process | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.proc.poll() is not None:
            raise SmokeError(f"{process.name} exited ({process.proc.returncode}) before {what}:\n"
                             f"{process.output()}")
        result = condition()
        if result:
            return result
        time.sleep(0.2)
    raise SmokeError(f"timed out after {timeout:.0f}s waiting for {what}"
                     + (f":\n{process.output()}" if process else ""))


def sample(text: str, series: str) -> float | None:
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


def rewrite_host(url: str, expected_host: str, new_netloc: str) -> tuple[str, int]:
    parts = urllib.parse.urlsplit(url)
    check(parts.hostname == expected_host,
          f"{url} should point at the compose service '{expected_host}'")
    return urllib.parse.urlunsplit(parts._replace(netloc=new_netloc)), parts.port or 80


# --- the run ------------------------------------------------------------------------------------


def static_checks(config: dict, runtime: dict, settings: set[str]) -> None:
    services = config["services"]
    postgres, gateway = services["postgres"], services["gateway"]
    check(re.fullmatch(r"postgres:\d+(\.\d+)?", postgres["image"]) is not None,
          f"postgres image pinned to a major version: {postgres['image']}")
    check("healthcheck" in postgres, "postgres has a healthcheck")
    check(any(v.split(":")[0] in config.get("volumes", {}) for v in postgres["volumes"]),
          "postgres keeps its data in a named volume")
    check("build" in gateway, "gateway is built from the Dockerfile")
    check(gateway["depends_on"]["postgres"]["condition"] == "service_healthy",
          "gateway waits for a healthy postgres")
    for name, service in services.items():
        check(service.get("restart") in ("always", "unless-stopped", "on-failure"),
              f"{name} has a restart policy")
    env = gateway["environment"]
    listen_port = int(env["PGW_LISTEN"].rsplit(":", 1)[1])
    check(any(int(p["target"]) == listen_port for p in gateway["ports"]),
          "gateway publishes the port it listens on")
    check(runtime["env"]["PGW_LISTEN"].endswith(f":{listen_port}"),
          "Dockerfile and compose agree on the port")
    grace = int(env.get("PGW_SHUTDOWN_GRACE_SECS") or 30)
    stop = gateway.get("stop_grace_period", "10s")
    check(stop.endswith("s") and int(stop[:-1]) > grace,
          f"stop_grace_period {stop} exceeds PGW_SHUTDOWN_GRACE_SECS {grace}")
    unknown = sorted(k for k in {**runtime["env"], **env} if k.startswith("PGW_")
                     and k not in settings)
    check(not unknown, f"every PGW_* variable given to the gateway is a setting: {unknown}")
    for sim in ("sim-helodata", "sim-911proxy"):
        check(services[sim].get("profiles") == ["sandbox"], f"{sim} is in the sandbox profile")


def run_phase(name: str, env_text: str, args, runtime: dict, settings: set[str]) -> None:
    log(f"phase '{name}'")
    workdir = Path(tempfile.mkdtemp(prefix="pgw-compose-smoke-"))
    config = resolve_compose(env_text, workdir)
    static_checks(config, runtime, settings)
    services = config["services"]
    gateway_env = {k: ("" if v is None else str(v))
                   for k, v in services["gateway"]["environment"].items()}
    env = {**runtime["env"], **gateway_env}
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    binary = str(Path(args.binary).resolve())
    processes: list[Process] = []
    suffix = secrets.token_hex(4)
    database, role = f"pgw_smoke_{suffix}", f"pgw_smoke_{suffix}"
    try:
        # The database the postgres service would create, on the local server instead.
        url = urllib.parse.urlsplit(env["PGW_DATABASE_URL"])
        check(url.hostname == "postgres" and (url.port or 5432) == 5432,
              "PGW_DATABASE_URL points at the postgres service")
        psql(args.admin_url, f"CREATE ROLE \"{role}\" LOGIN")
        psql(args.admin_url, f"CREATE DATABASE \"{database}\" OWNER \"{role}\"")
        local = urllib.parse.urlsplit(args.admin_url)
        env["PGW_DATABASE_URL"] = urllib.parse.urlunsplit(url._replace(
            netloc=f"{role}:{url.password or ''}@{local.hostname}:{local.port or 5432}",
            path=f"/{database}"))
        host, _ = env["PGW_LISTEN"].rsplit(":", 1)
        port = free_port()
        env["PGW_LISTEN"] = f"{host}:{port}"
        gateway_url = f"http://127.0.0.1:{port}"

        sandboxed = "sandbox" in env.get("COMPOSE_PROFILES", "").split(",")
        if sandboxed:
            for service, variable in (("sim-helodata", "PGW_HELODATA_BASE_URL"),
                                      ("sim-911proxy", "PGW_911PROXY_BASE_URL")):
                command = list(services[service]["command"])
                listen_index = command.index("--listen") + 1
                sim_host, sim_port = command[listen_index].rsplit(":", 1)
                local_port = free_port()
                command[listen_index] = f"{sim_host}:{local_port}"
                rewritten, pointed_port = rewrite_host(env[variable], service,
                                                       f"127.0.0.1:{local_port}")
                check(pointed_port == int(sim_port),
                      f"{variable} uses the port {service} listens on ({sim_port})")
                env[variable] = rewritten
                sim = Process([binary, *runtime["entrypoint"][1:], *command],
                              {**base, **runtime["env"]}, service)
                processes.append(sim)
                probe = [binary if a == runtime["entrypoint"][0] else a
                         for a in services[service]["healthcheck"]["test"][1:]]
                probe = [a.replace(f":{sim_port}/", f":{local_port}/") for a in probe]
                wait_until(f"{service}'s health check",
                           lambda: subprocess.run(probe, capture_output=True).returncode == 0,
                           30, sim)

        argv = [binary, *runtime["entrypoint"][1:], *runtime["cmd"]]
        gateway = Process(argv, {**base, **env}, "gateway")
        processes.append(gateway)
        wait_until("/readyz 200", lambda: _status(f"{gateway_url}/readyz") == 200, 90, gateway)
        check(gateway.proc.poll() is None, "gateway is running")

        probe = [binary if a == runtime["entrypoint"][0] else a for a in runtime["healthcheck"]]
        probed = subprocess.run(probe, env={**base, **env}, capture_output=True, text=True,
                                timeout=30)
        check(probed.returncode == 0,
              f"the Dockerfile HEALTHCHECK passes: {probed.stdout}{probed.stderr}")

        token = env.get("PGW_BOOTSTRAP_ADMIN_KEY") or ""
        if not token:
            found = re.search(r"\b(pgw_[A-Za-z0-9_-]{32,})\b", gateway.output())
            check(found is not None, "the generated admin key is printed once")
            token = found.group(1)
        status, _, body = http("GET", f"{gateway_url}/v1/api-keys", token)
        check(status == 200, f"authenticated request: {status} {body}")
        check(json.loads(body)["data"][0]["name"] == "bootstrap-admin", body)

        status, _, body = http("GET", f"{gateway_url}/v1/proxy-users?limit=200", token)
        check(status == 200, f"proxy users through the providers: {status} {body}")
        accounts = {user["account"] for user in json.loads(body)["data"]}
        check(accounts == {"helodata", "911proxy"}, f"both accounts answer: {accounts}")
        if sandboxed:
            check("SANDBOX MODE" not in gateway.output(),
                  "the gateway uses the simulator containers, not in-process ones")
            for variable, path in (("PGW_HELODATA_BASE_URL", "/__sim/calls"),
                                   ("PGW_911PROXY_BASE_URL", "/__sim/calls")):
                sim_url = urllib.parse.urlsplit(env[variable])
                status, _, calls = http("GET", f"http://{sim_url.netloc}{path}")
                check(status == 200 and json.loads(calls)["calls"],
                      f"{variable} simulator received the gateway's calls")
        else:
            check("SANDBOX MODE" in gateway.output(), "no account configured: sandbox mode")

        metrics_token = env.get("PGW_METRICS_TOKEN") or None
        status, headers, text = http("GET", f"{gateway_url}/metrics", metrics_token)
        check(status == 200, f"/metrics: {status}")
        check(headers.get("Content-Type", "").startswith("text/plain; version=0.0.4"),
              f"Prometheus text format: {dict(headers)}")
        served = sample(text, 'pgw_http_requests_total{method="GET",route="/v1/api-keys",'
                              'status="200"}')
        check(served == 1.0, f"/metrics counts the authenticated request: {served}")
        pool_max = sample(text, 'pgw_store_pool_max_connections{backend="postgres"}')
        check(pool_max == float(env.get("PGW_DATABASE_MAX_CONNECTIONS") or 10),
              f"the store pool is Postgres with the configured size: {pool_max}")
        upstream = [line for line in text.splitlines()
                    if line.startswith("pgw_upstream_requests_total{")]
        check(len(upstream) >= 2, f"upstream calls are counted: {upstream}")

        if env.get("PGW_LOG_FORMAT") == "json":
            records = [line for line in gateway.output().splitlines() if line.startswith("{")]
            check(bool(records) and all("level" in json.loads(r) for r in records),
                  "log lines are JSON")

        stop_signal = getattr(signal, runtime["stopsignal"])
        gateway.proc.send_signal(stop_signal)
        code = gateway.proc.wait(timeout=45)
        check(code == 0, f"{runtime['stopsignal']} stops the gateway with exit code 0: {code}")
        log(f"phase '{name}' passed")
    except Exception:
        for process in processes:
            if process.output():
                print(f"--- {process.name} stderr:\n{process.output()}", file=sys.stderr)
        raise
    finally:
        for process in processes:
            process.stop()
        subprocess.run(["psql", args.admin_url, "-qAtc",
                        f"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"],
                       capture_output=True)
        subprocess.run(["psql", args.admin_url, "-qAtc", f"DROP ROLE IF EXISTS \"{role}\""],
                       capture_output=True)
        shutil.rmtree(workdir, ignore_errors=True)


def _status(url: str) -> int:
    try:
        return http("GET", url, timeout=2)[0]
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=str(ROOT / "target/release/proxy-gateway"))
    parser.add_argument("--admin-url", default=os.environ.get(
        "SMOKE_ADMIN_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    for tool in ("docker-compose", "psql"):
        if shutil.which(tool) is None:
            print(f"compose-smoke: {tool} is missing", file=sys.stderr)
            return 1
    if not Path(args.binary).is_file():
        print(f"compose-smoke: no binary at {args.binary} (cargo build --release)",
              file=sys.stderr)
        return 1
    runtime = dockerfile_runtime(ROOT / "Dockerfile")
    settings = documented_settings(Path(args.binary))
    env_text = (ROOT / ".env.example").read_text()
    try:
        run_phase("default", env_text, args, runtime, settings)
        run_phase("sandbox profile", sandbox_env_text(env_text), args, runtime, settings)
    except SmokeError as err:
        print(f"compose-smoke: FAILED: {err}", file=sys.stderr)
        return 1
    log(f"OK ({CHECKS} checks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
