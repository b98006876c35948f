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
command exits 0, the first admin key works on an authenticated request and a write, /metrics
shows that request, the logs are JSON, and the STOPSIGNAL stops it cleanly. It runs twice:

  * `gateway`, as `docker compose up` runs it: the local database is prepared like the postgres
    service prepares its volume (the owner role, then the init scripts of deploy/postgres/initdb
    run as they are), the gateway migrates as the owner and serves as the restricted role, and
    that role is shown unable to rewrite or delete audit events;
  * `gateway-sandbox`, as `docker compose --profile sandbox up` runs it: the simulators as their
    own processes, started with the commands of their services, and the gateway wired to them.

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


def http(method: str, url: str, token: str | None = None, timeout: float = 10.0,
         body: dict | None = None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, method=method, data=data)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read().decode()


def psql(url: str, sql: str, check_ok: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qAtc", sql], check=check_ok,
                          capture_output=True, text=True)


class Process:
    """A started process whose stderr is collected in the background."""

    def __init__(self, argv: list[str], env: dict, name: str, cwd: Path | None = None):
        self.name = name
        self.proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
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
    for name in ("gateway", "gateway-sandbox"):
        given = {**runtime["env"], **services[name]["environment"]}
        unknown = sorted(k for k in given if k.startswith("PGW_") and k not in settings)
        check(not unknown, f"every PGW_* variable given to {name} is a setting: {unknown}")
    for name in ("sim-helodata", "sim-911proxy", "gateway-sandbox"):
        check(services[name].get("profiles") == ["sandbox"], f"{name} is in the sandbox profile")
    check(set(services["gateway-sandbox"]["depends_on"]) == {"sim-helodata", "sim-911proxy"},
          "gateway-sandbox waits for both simulators")

    # Two roles: the gateway migrates as the owner the postgres image creates and serves as the
    # role the init scripts create.
    pg_env = postgres["environment"]
    serving = urllib.parse.urlsplit(env["PGW_DATABASE_URL"])
    owner = urllib.parse.urlsplit(env.get("PGW_MIGRATE_DATABASE_URL") or "")
    check(owner.scheme == "postgres", "gateway migrates over PGW_MIGRATE_DATABASE_URL")
    for url, user, password, what in (
            (owner, "POSTGRES_USER", "POSTGRES_PASSWORD", "PGW_MIGRATE_DATABASE_URL"),
            (serving, "GATEWAY_DB_USER", "GATEWAY_DB_PASSWORD", "PGW_DATABASE_URL")):
        check(url.hostname == "postgres" and (url.port or 5432) == 5432,
              f"{what} points at the postgres service")
        check(url.username == pg_env[user] and url.password == pg_env[password],
              f"{what} uses the postgres service's {user} and {password}")
        check(url.path == f"/{pg_env['POSTGRES_DB']}", f"{what} uses POSTGRES_DB")
    check(serving.username != owner.username, "the serving role is not the owner")
    check(init_scripts(postgres), "the postgres service runs deploy/postgres/initdb")


def init_scripts(postgres: dict) -> list[Path]:
    """The repository's scripts the postgres service mounts at /docker-entrypoint-initdb.d."""
    for volume in postgres["volumes"]:
        source, _, rest = volume.partition(":")
        if rest.split(":")[0] == "/docker-entrypoint-initdb.d" and "/deploy/" in source:
            folder = ROOT / ("deploy/" + source.split("/deploy/", 1)[1])
            return sorted(p for p in folder.glob("*.sh") if os.access(p, os.X_OK))
    return []


def prepare_database(args, postgres: dict, env: dict, suffix: str) -> list[str]:
    """The database the postgres service would create on an empty volume, on the local server:
    the owner role (superuser in the image; here it may create roles), the database, then the
    init scripts run as they are. Rewrites both URLs to it; returns what to drop afterwards."""
    owner, serving, database = f"pgw_smoke_{suffix}", f"pgw_smoke_{suffix}_app", \
        f"pgw_smoke_{suffix}"
    local = urllib.parse.urlsplit(args.admin_url)
    psql(args.admin_url, f"CREATE ROLE \"{owner}\" LOGIN CREATEROLE")
    psql(args.admin_url, f"CREATE DATABASE \"{database}\" OWNER \"{owner}\"")
    script_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                  **{k: str(v) for k, v in postgres["environment"].items()},
                  "POSTGRES_USER": owner, "POSTGRES_DB": database, "GATEWAY_DB_USER": serving,
                  "PGHOST": local.hostname or "127.0.0.1", "PGPORT": str(local.port or 5432)}
    for script in init_scripts(postgres):
        ran = subprocess.run(["sh", str(script)], env=script_env, capture_output=True,
                             text=True)
        check(ran.returncode == 0, f"{script.name} runs: {ran.stdout}{ran.stderr}")
        check(postgres["environment"]["GATEWAY_DB_PASSWORD"] not in ran.stdout + ran.stderr,
              f"{script.name} does not print the password")
    for variable, role in (("PGW_MIGRATE_DATABASE_URL", owner), ("PGW_DATABASE_URL", serving)):
        url = urllib.parse.urlsplit(env[variable])
        env[variable] = urllib.parse.urlunsplit(url._replace(
            netloc=f"{role}:{url.password or ''}@{local.hostname}:{local.port or 5432}",
            path=f"/{database}"))
    return [f"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)",
            f"DROP ROLE IF EXISTS \"{serving}\"", f"DROP ROLE IF EXISTS \"{owner}\""]


def start_simulators(services: dict, service: str, env: dict, binary: str, runtime: dict,
                     base: dict, processes: list) -> None:
    """The simulators `service` depends on, started with their services' commands on free
    ports; the gateway's base URLs are pointed at them."""
    for sim, variable in (("sim-helodata", "PGW_HELODATA_BASE_URL"),
                          ("sim-911proxy", "PGW_911PROXY_BASE_URL")):
        check(sim in services[service]["depends_on"], f"{service} depends on {sim}")
        command = list(services[sim]["command"])
        listen_index = command.index("--listen") + 1
        sim_host, sim_port = command[listen_index].rsplit(":", 1)
        local_port = free_port()
        command[listen_index] = f"{sim_host}:{local_port}"
        rewritten, pointed_port = rewrite_host(env[variable], sim, f"127.0.0.1:{local_port}")
        check(pointed_port == int(sim_port), f"{variable} uses the port {sim} listens on")
        env[variable] = rewritten
        process = Process([binary, *runtime["entrypoint"][1:], *command],
                          {**base, **runtime["env"]}, sim)
        processes.append(process)
        probe = [binary if a == runtime["entrypoint"][0] else a
                 for a in services[sim]["healthcheck"]["test"][1:]]
        probe = [a.replace(f":{sim_port}/", f":{local_port}/") for a in probe]
        wait_until(f"{sim}'s health check",
                   lambda: subprocess.run(probe, capture_output=True).returncode == 0, 30,
                   process)


def check_serving_role(env: dict, gateway: "Process") -> None:
    """What the two-role setup promises: the gateway says it prepared the serving role, and
    that role, over its own connection, may read the audit log but neither rewrite nor
    delete it."""
    check("serving role prepared" in gateway.output()
          and "owns the audit log" not in gateway.output(),
          "the gateway prepared a serving role that does not own the audit log")
    url = env["PGW_DATABASE_URL"]
    count = psql(url, "SELECT count(*) FROM audit_events")
    check(int(count.stdout.strip()) >= 1, f"the serving role reads the audit log: {count.stdout}")
    for statement in ("UPDATE audit_events SET method = 'GET'", "DELETE FROM audit_events",
                      "TRUNCATE audit_events"):
        refused = psql(url, statement, check_ok=False)
        check(refused.returncode != 0 and "permission denied" in refused.stderr,
              f"the serving role may not {statement.split()[0]}: {refused.stderr}")


def run_phase(name: str, service: str, env_text: str, args, runtime: dict,
              settings: set[str]) -> None:
    log(f"phase '{name}' (service {service})")
    workdir = Path(tempfile.mkdtemp(prefix="pgw-compose-smoke-"))
    config = resolve_compose(env_text, workdir)
    static_checks(config, runtime, settings)
    services = config["services"]
    gateway_env = {k: ("" if v is None else str(v))
                   for k, v in services[service]["environment"].items()}
    env = {**runtime["env"], **gateway_env}
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    binary = str(Path(args.binary).resolve())
    processes: list[Process] = []
    cleanup: list[str] = []
    # Stands in for the image's WORKDIR (a relative sqlite:// path lands in its volume).
    state = workdir / "state"
    state.mkdir()
    try:
        on_postgres = env["PGW_DATABASE_URL"].startswith("postgres")
        if on_postgres:
            cleanup = prepare_database(args, services["postgres"], env, secrets.token_hex(4))
        host, _ = env["PGW_LISTEN"].rsplit(":", 1)
        port = free_port()
        env["PGW_LISTEN"] = f"{host}:{port}"
        gateway_url = f"http://127.0.0.1:{port}"

        sandboxed = "sandbox" in services[service].get("profiles", [])
        if sandboxed:
            start_simulators(services, service, env, binary, runtime, base, processes)

        argv = [binary, *runtime["entrypoint"][1:], *runtime["cmd"]]
        gateway = Process(argv, {**base, **env}, service, cwd=state)
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
        status, _, body = http("POST", f"{gateway_url}/v1/api-keys", token,
                               body={"name": "smoke-reader", "scopes": ["read"]})
        check(status == 201, f"a write (an audited admin action): {status} {body}")

        status, _, body = http("GET", f"{gateway_url}/v1/proxy-users?limit=200", token)
        check(status == 200, f"proxy users through the providers: {status} {body}")
        accounts = {user["account"] for user in json.loads(body)["data"]}
        check(accounts == {"helodata", "911proxy"}, f"both accounts answer: {accounts}")
        if sandboxed:
            check("SANDBOX MODE" not in gateway.output(),
                  "the gateway uses the simulator containers, not in-process ones")
            for variable in ("PGW_HELODATA_BASE_URL", "PGW_911PROXY_BASE_URL"):
                sim_url = urllib.parse.urlsplit(env[variable])
                status, _, calls = http("GET", f"http://{sim_url.netloc}/__sim/calls")
                check(status == 200 and json.loads(calls)["calls"],
                      f"{variable} simulator received the gateway's calls")
        else:
            check("SANDBOX MODE" in gateway.output(), "no account configured: sandbox mode")
        if on_postgres:
            check_serving_role(env, gateway)
        elif env["PGW_DATABASE_URL"].startswith("sqlite://./"):
            relative = env["PGW_DATABASE_URL"].removeprefix("sqlite://./")
            check((state / relative).is_file(),
                  "the SQLite database is in the working directory (the service's volume)")

        metrics_token = env.get("PGW_METRICS_TOKEN") or None
        status, headers, text = http("GET", f"{gateway_url}/metrics", metrics_token)
        check(status == 200, f"/metrics: {status}")
        check(headers.get("Content-Type", "").startswith("text/plain; version=0.0.4"),
              f"Prometheus text format: {dict(headers)}")
        served = sample(text, 'pgw_http_requests_total{method="GET",route="/v1/api-keys",'
                              'status="200"}')
        check(served == 1.0, f"/metrics counts the authenticated request: {served}")
        backend = "postgres" if on_postgres else "sqlite"
        pool_max = sample(text, f'pgw_store_pool_max_connections{{backend="{backend}"}}')
        check(pool_max == float(env.get("PGW_DATABASE_MAX_CONNECTIONS") or 10),
              f"the store pool is {backend} with the configured size: {pool_max}")
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
        for statement in cleanup:
            psql(args.admin_url, statement, check_ok=False)
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
        run_phase("default", "gateway", env_text, args, runtime, settings)
        run_phase("sandbox profile", "gateway-sandbox", env_text, args, runtime, settings)
    except SmokeError as err:
        print(f"compose-smoke: FAILED: {err}", file=sys.stderr)
        return 1
    log(f"OK ({CHECKS} checks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
