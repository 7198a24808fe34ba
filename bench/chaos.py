"""Chaos benchmark: the real service against faulty, lagging Jira and GitHub, with processes killed under it.

    python bench/chaos.py                    # full run: >= 1,000 faults (4 to 10 minutes on 2 cores)
    python bench/chaos.py --postmortems 10 --duration 30 --min-faults 0    # a quick look

What runs, each as its own process: the receiver (`followthrough serve`), two workers (`followthrough
worker`), beat (`followthrough beat`), a private redis-server (AOF, fsync always), a fresh PostgreSQL
database (127.0.0.1:5432, user postgres, like the tests) and the Jira stand-in (bench/chaos_standin.py).

What it does: sends a stream of signed approvals and edits of `--postmortems` postmortems (version 1, then
an edit that changes a due date and drops an item, then one that brings the item back, changes the date
again and adds an item), while injecting faults at random until `--duration` has passed and at least
`--min-faults` were injected:
- tracker: 429, 500/502/503, timeouts, resets and lost replies on a `--fault-rate` share of requests;
- search lag: every write reaches Jira's search index 0 to `--lag` seconds late (stale searches counted);
- processes: SIGKILL of a worker, beat or the receiver (restarted 0.5 to 3 s later);
- Redis: SIGKILL and restart of redis-server on the same port and AOF file;
- deliveries: duplicates (same delivery id), replays of an older version (same body and signature,
  new delivery id) and out-of-order versions.
The sender retries a delivery that got no 2xx answer for up to 2 minutes, as Jira's webhooks do.

Then the faults stop (the lag stays: it is how Jira is) and it waits for the tickets to settle, and prints:
faults injected (by kind), duplicates (tickets beyond one per item), lost items (no ticket for an item of
the newest version), stale items (a ticket whose title, due date or removed label does not match the
newest version) and the time to settle. The goal is 0, 0, 0.

Adapting to the receiver: `signed_headers` builds a delivery's headers (the timestamped `t=…,v1=…`
signature, whose time orders versions) and `payload` its body; `EXTRA_ENV` holds extra settings (the
sweep's grace period).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import requests  # noqa: E402
from chaos_standin import GITHUB_REPO  # noqa: E402
from chaos_standin import serve as standin_main  # noqa: E402
from pydantic import SecretStr  # noqa: E402

from config.celery_app import TRACKER_POOL, TRACKER_THREADS  # noqa: E402
from connectors.jira_markup import summary  # noqa: E402
from connectors.tracker import REMOVED_LABEL  # noqa: E402
from tests.servers import RedisServer, free_port, postgres_database  # noqa: E402
from tests.service.harness import service_env, write_config  # noqa: E402
from worker.web.app import SIGNATURE_HEADER  # noqa: E402
from worker.web.signatures import sign_timestamped  # noqa: E402

SECRET = SecretStr("chaos-secret")
#: Settings the service processes get on top of the ones below: the sweep re-drives unfinished work
#: (outbox rows, syncs whose retry was lost) after 30 s instead of 10 minutes.
EXTRA_ENV: dict[str, str] = {"FOLLOWTHROUGH_SWEEP_GRACE_MINUTES": "0.5"}
BASE_DUE = date(2030, 1, 1)
APPROVED = datetime(2026, 1, 1, tzinfo=UTC)


# --- what is sent -------------------------------------------------------------------------------


def signed_headers(body: bytes, *, signed_at: int) -> dict[str, str]:
    """Headers of one generic-hook delivery: `t=<signed_at>,v1=<HMAC of t.body>`.

    The receiver orders a postmortem's versions by this signed time, so a version is signed when it is
    written (its authored time), not when it happens to be delivered.
    """
    return {SIGNATURE_HEADER: sign_timestamped(SECRET, body, timestamp=signed_at),
            "Content-Type": "application/json"}


def version_items(pm: str, items: int, version: int) -> list[tuple[str, date]]:
    """(title, due) of each action item of version 1, 2 or 3 of a postmortem."""
    # The postmortem goes in words: a trailing issue key would be read as a ticket reference.
    name = pm.lower().replace("-", " ")
    rows = [(f"Chaos action {i} of {name}", BASE_DUE + timedelta(days=i)) for i in range(items)]
    if version >= 2:
        rows[0] = (rows[0][0], BASE_DUE + timedelta(days=7 * version))
    if version == 2 and items > 1:
        del rows[1]  # dropped in version 2, back in version 3
    if version >= 3:
        rows.append((f"Chaos action {items} of {name}, added in v3", BASE_DUE + timedelta(days=40)))
    return rows


def team_of(pm: str, config: Config) -> str:
    """Which team (so which tracker) a postmortem goes to: every other one to GitHub, when covered."""
    return "web" if config.github and int(pm.rsplit("-", 1)[1]) % 2 else "ops"


def payload(pm: str, items: int, version: int, team: str = "ops") -> bytes:
    rows = "\n".join(f"| {title} | ann@example.com | {due.isoformat()} | P2 |"
                     for title, due in version_items(pm, items, version))
    content = (f"# Postmortem: {pm}\n\nOwner: Ann Example\n\n## Summary\n\nThe service was down.\n\n"
               f"## Action items\n\n| Action | Owner | Due | Priority |\n|---|---|---|---|\n{rows}\n")
    approved = (APPROVED + timedelta(minutes=version)).isoformat()
    return json.dumps({"id": pm, "title": pm, "content": content, "sequence": version,
                       "approved_at": approved, "team": team}).encode()


@dataclass(frozen=True)
class Delivery:
    at: float  # seconds after the start when it is sent
    pm: str
    version: int
    authored: float  # seconds after the start when this version was written and signed
    kind: str  # first | duplicate | replay


def plan_deliveries(config: Config, rng: random.Random) -> tuple[list[Delivery], Counter[str]]:
    """Every postmortem's versions over the first 80% of the run, with delivery faults mixed in."""
    deliveries: list[Delivery] = []
    faults: Counter[str] = Counter()
    span = config.duration * 0.8
    for n in range(config.postmortems):
        pm = f"CHAOS-{n}"
        order = list(range(1, config.versions + 1))
        if "out-of-order" in config.delivery_faults and len(order) > 1 and rng.random() < 0.3:
            i = rng.randrange(len(order) - 1)
            order[i], order[i + 1] = order[i + 1], order[i]
            faults["out-of-order"] += 1
        # Versions are written at least 2 s apart (the signed time has a resolution of one second).
        authored: list[float] = []
        for t in sorted(rng.uniform(0, span) for _ in order):
            authored.append(max(t, authored[-1] + 2.0) if authored else t)
        for at, version in zip(authored, order, strict=True):
            written = authored[version - 1]
            deliveries.append(Delivery(at, pm, version, written, "first"))
            if "duplicate" in config.delivery_faults and rng.random() < 0.3:
                deliveries.append(Delivery(at + rng.uniform(0, 3), pm, version, written, "duplicate"))
                faults["duplicate delivery"] += 1
        if "replay" in config.delivery_faults and config.versions > 1 and rng.random() < 0.3:
            old = rng.randrange(1, config.versions)  # the same body and signature, sent again later
            deliveries.append(Delivery(authored[-1] + rng.uniform(1, 5), pm, old, authored[old - 1],
                                       "replay"))
            faults["replayed delivery"] += 1
    return sorted(deliveries, key=lambda d: d.at), faults


# --- the service's processes --------------------------------------------------------------------


class ServiceProcess:
    """One `followthrough ...` process in its own process group, killed with SIGKILL and restarted."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], folder: Path) -> None:
        self.name = name
        self.args = [str(Path(sys.executable).parent / "followthrough"), *args]
        self.env = env
        self.log = folder / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.lock = threading.Lock()

    def start(self) -> None:
        """Start it unless it is running (a restart timer may fire after another one already did)."""
        with self.lock, self.log.open("ab") as handle:
            if self.process is not None and self.process.poll() is None:
                return
            self.process = subprocess.Popen(self.args, cwd=self.log.parent, env=self.env, stdout=handle,
                                            stderr=subprocess.STDOUT, start_new_session=True)

    def kill(self) -> None:
        with self.lock:
            if self.process is not None and self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        with self.lock:
            if self.process is None or self.process.poll() is not None:
                return
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)


# --- the run ------------------------------------------------------------------------------------


@dataclass
class Config:
    postmortems: int = 200
    items: int = 6
    versions: int = 3
    duration: float = 150.0
    min_faults: int = 1000
    fault_rate: float = 0.3
    lag: float = 5.0
    settle_window: float = 6.0  # FOLLOWTHROUGH_CREATE_SETTLE_SECONDS: 2 x 6 s bounds a 5 s lag
    kill_every: float = 3.0  # mean seconds between process kills
    kill_targets: tuple[str, ...] = ("worker0", "worker1", "beat", "receiver")
    redis_every: float = 30.0  # mean seconds between Redis restarts; 0: never
    #: Delivery faults to mix in: "duplicate", "replay", "out-of-order".
    delivery_faults: tuple[str, ...] = ("duplicate", "replay", "out-of-order")
    settle_timeout: float = 300.0
    visibility_timeout: int = 45
    seed: int = 1
    folder: Path | None = None
    #: Route every other postmortem to a GitHub team (the stand-in's repository), with the write pacing
    #: scaled down by `github_write_interval` (GitHub asks for 1 s between writes).
    github: bool = True
    github_write_interval: float = 0.05
    #: Each worker's pool: `followthrough worker`'s default for the ingest and tracker queues (threads x 8).
    pool: tuple[str, int] = (TRACKER_POOL, TRACKER_THREADS)


@dataclass
class Report:
    faults: Counter[str] = field(default_factory=Counter)
    deliveries: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0
    lost: int = 0
    stale: int = 0
    items: int = 0
    tickets: int = 0
    settle_seconds: float | None = None
    run_seconds: float = 0.0
    requests: int = 0
    details: list[str] = field(default_factory=list)

    @property
    def faults_total(self) -> int:
        return sum(self.faults.values())

    def lines(self) -> list[str]:
        kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(self.faults.items()))
        settle = f"{self.settle_seconds:.1f} s" if self.settle_seconds is not None else "did not settle"
        return [
            f"faults injected: {self.faults_total} ({kinds})",
            f"deliveries: {dict(sorted(self.deliveries.items()))}",
            f"tracker requests: {self.requests}; items expected: {self.items}; tickets: {self.tickets}",
            f"duplicates: {self.duplicates}",
            f"lost items: {self.lost}",
            f"stale items: {self.stale}",
            f"time to settle (after the faults stopped): {settle}; whole run {self.run_seconds:.0f} s",
            *(f"  {line}" for line in self.details[:20]),
        ]


def evaluate(config: Config, issues: dict[str, dict[str, Any]], report: Report) -> None:
    """Compare Jira's tickets with the newest version of every postmortem (items matched by title)."""
    by_title: dict[str, list[dict[str, Any]]] = {}
    for fields in issues.values():
        by_title.setdefault(str(fields.get("summary")), []).append(fields)
    report.duplicates = sum(len(found) - 1 for found in by_title.values() if len(found) > 1)
    report.tickets = len(issues)
    lost = stale = expected = 0
    details: list[str] = []
    for n in range(config.postmortems):
        pm = f"CHAOS-{n}"
        newest = version_items(pm, config.items, config.versions)
        live = {summary(title) for title, _ in newest}
        expected += len(newest)
        for title, due in newest:
            found = by_title.get(summary(title), [])
            if not found:
                lost += 1
                details.append(f"lost: {title}")
            elif any(f.get("duedate") != due.isoformat() or REMOVED_LABEL in f["labels"] for f in found):
                stale += 1
                details.append(f"stale: {title} ({[(f.get('duedate'), f['labels']) for f in found]})")
        for version in range(1, config.versions):
            for title, _ in version_items(pm, config.items, version):
                if summary(title) in live:
                    continue
                for fields in by_title.get(summary(title), []):
                    if REMOVED_LABEL not in fields["labels"]:
                        stale += 1
                        details.append(f"stale: {title} is no longer in {pm} but not marked removed")
    report.lost, report.stale, report.items, report.details = lost, stale, expected, sorted(set(details))


def run(config: Config) -> Report:
    rng = random.Random(config.seed)
    folder = config.folder or Path(tempfile.mkdtemp(prefix="ft-chaos-"))
    report = Report()
    started = time.monotonic()
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    standin = ctx.Process(target=standin_main, args=(child,), daemon=True,
                          kwargs={"seed": config.seed, "search_lag": 0.0, "search_jitter": config.lag,
                                  "hang": 3.0})
    standin.start()
    jira = parent.recv()
    redis = RedisServer(folder / "redis", aof=True).start()
    processes: dict[str, ServiceProcess] = {}
    try:
        with postgres_database("ft_chaos") as database_url:
            people = [{"name": "Ann Example", "email": "ann@example.com", "aliases": ["ann"],
                       "jira_account_id": jira["users"]["ann@example.com"], "github_login": "ann"}]
            teams: dict[str, Any] = {"ops": {"tracker": "jira", "jira": {"project": "OPS"}},
                                     "web": {"tracker": "github", "github": {"repo": GITHUB_REPO}}}
            config_file = write_config(folder, teams=teams, default_team="ops", people=people)
            port = free_port()
            env = service_env(
                config_file, REDIS_URL=redis.url, FOLLOWTHROUGH_DATABASE_URL=database_url,
                JIRA_URL=jira["url"], JIRA_EMAIL=jira["email"], JIRA_API_TOKEN=jira["api_token"],
                FOLLOWTHROUGH_WEBHOOK_SECRET=SECRET.get_secret_value(),
                FOLLOWTHROUGH_TRACKER_TIMEOUT=2, FOLLOWTHROUGH_CREATE_SETTLE_SECONDS=config.settle_window,
                FOLLOWTHROUGH_RECONCILE_EVERY_MINUTES=0.25, FOLLOWTHROUGH_SYNC_LOCK_SECONDS=15,
                FOLLOWTHROUGH_MAX_RETRY_COUNTDOWN_SECONDS=max(5, config.visibility_timeout // 3),
                FOLLOWTHROUGH_TASK_TIME_LIMIT_SECONDS=max(5, config.visibility_timeout // 2),
                FOLLOWTHROUGH_VISIBILITY_TIMEOUT_SECONDS=config.visibility_timeout,
                FOLLOWTHROUGH_BEAT_SCHEDULE_FILE=str(folder / "celerybeat-schedule"), **EXTRA_ENV,
                GITHUB_TOKEN=jira["github_token"], GITHUB_API_URL=jira["github_url"],
                FOLLOWTHROUGH_GITHUB_WRITE_INTERVAL=config.github_write_interval,
            )
            processes = {
                "receiver": ServiceProcess("receiver", ["serve", "--port", str(port), "--log-level",
                                                        "warning"], env, folder),
                **{name: ServiceProcess(name, ["worker", "--pool", config.pool[0], "-c", str(config.pool[1]),
                                               "-l", "warning"], env, folder)
                   for name in ("worker0", "worker1")},
                "beat": ServiceProcess("beat", ["beat", "-l", "warning"], env, folder),
            }
            for process in processes.values():
                process.start()
            url = f"http://127.0.0.1:{port}/hooks/postmortem-approved"
            _wait_healthy(f"http://127.0.0.1:{port}/healthz")
            report.faults.update(_chaos(config, rng, processes, redis, parent, url, report))
            report.settle_seconds = _settle(config, processes, redis, parent, report)
            parent.send(("dump", None))
            final = parent.recv()
            report.faults.update({f"tracker {k}": v for k, v in final["faults"].items()})
            report.faults["stale search"] = final["stale_searches"]
            report.requests = final["requests"]
            evaluate(config, final["issues"], report)
    finally:
        for process in processes.values():
            process.stop()
        redis.stop()
        with contextlib.suppress(Exception):
            parent.send(("stop", None))
        standin.join(10)
        report.run_seconds = time.monotonic() - started
    return report


def _chaos(config: Config, rng: random.Random, processes: dict[str, ServiceProcess], redis: RedisServer,
           standin: Any, url: str, report: Report) -> Counter[str]:
    """Send the deliveries while injecting faults; returns the faults injected here (not the tracker's)."""
    faults: Counter[str] = Counter()
    deliveries, delivery_faults = plan_deliveries(config, rng)
    faults.update(delivery_faults)
    standin.send(("faults", config.fault_rate))
    standin.recv()
    start, wall = time.monotonic(), time.time()
    bodies = {(d.pm, d.version): payload(d.pm, config.items, d.version, team_of(d.pm, config))
              for d in deliveries}
    lock = threading.Lock()

    def send(delivery: Delivery) -> None:
        time.sleep(max(0.0, start + delivery.at - time.monotonic()))
        body = bodies[(delivery.pm, delivery.version)]
        headers = signed_headers(body, signed_at=int(wall + delivery.authored))
        outcome = _deliver(url, body, headers)
        with lock:
            report.deliveries[outcome] += 1

    pool = ThreadPoolExecutor(max_workers=8)
    futures = [pool.submit(send, d) for d in deliveries]
    _flood_sockets(url, random.Random(rng.random()), config.duration, faults)
    next_redis = start + (rng.expovariate(1 / config.redis_every) if config.redis_every else float("inf"))
    shown = start
    while True:
        now = time.monotonic()
        tracker_faults = _tracker_faults(standin)
        if now - shown > 30:
            shown = now
            print(f"  chaos: {now - start:.0f} s, faults so far {sum(faults.values()) + tracker_faults}, "
                  f"deliveries {dict(report.deliveries)}", file=sys.stderr)
        if now - start >= config.duration and sum(faults.values()) + tracker_faults >= config.min_faults:
            break
        if now - start >= config.duration * 4:
            break  # never loop forever on a quiet tracker
        time.sleep(rng.expovariate(1 / config.kill_every) if config.kill_every else 1.0)
        if config.kill_every and config.kill_targets:
            name = rng.choice(config.kill_targets)
            processes[name].kill()
            faults[f"SIGKILL {name.rstrip('01')}"] += 1
            threading.Timer(rng.uniform(0.5, 3.0), processes[name].start).start()
        if time.monotonic() >= next_redis:
            redis.kill()
            faults["Redis restart"] += 1
            time.sleep(rng.uniform(0.5, 2.0))
            redis.start()
            next_redis = time.monotonic() + rng.expovariate(1 / config.redis_every)
    for future in futures:
        future.result()
    pool.shutdown()
    return faults


def _flood_sockets(url: str, rng: random.Random, duration: float, faults: Counter[str]) -> None:
    """Issue 18's floods, in a thread for `duration` s: 200 idle sockets (never a request) and 40 forged
    but well-formed signatures with a 100 kB body of which one byte is sent, held 5 to 15 s, then again."""
    import socket
    from urllib.parse import urlsplit

    address = (urlsplit(url).hostname or "127.0.0.1", urlsplit(url).port or 80)
    forged = ("POST /hooks/postmortem-approved HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              "X-Followthrough-Signature: t={t},v1=" + "0" * 64 + "\r\nContent-Length: 100000\r\n\r\n{{")

    def cycle() -> None:
        held: list[socket.socket] = []
        try:
            for n in range(240):
                with contextlib.suppress(OSError):  # the receiver may be down (killed): skip that socket
                    conn = socket.create_connection(address, timeout=2)
                    held.append(conn)
                    if n >= 200:
                        conn.sendall(forged.format(t=int(time.time())).encode())
            faults["idle-socket flood"] += 1
            faults["forged-slot flood"] += 1
            time.sleep(rng.uniform(5, 15))
        finally:
            for conn in held:
                conn.close()

    def loop() -> None:
        end = time.monotonic() + duration
        while time.monotonic() < end:
            time.sleep(rng.uniform(5, 20))
            cycle()

    threading.Thread(target=loop, daemon=True, name="socket-floods").start()


def _tracker_faults(standin: Any) -> int:
    standin.send(("dump", None))
    state = standin.recv()
    return int(sum(state["faults"].values()) + state["stale_searches"])


def _settle(config: Config, processes: dict[str, ServiceProcess], redis: RedisServer, standin: Any,
            report: Report) -> float | None:
    """Stop the faults, keep everything running, and time until the tickets match the newest versions."""
    standin.send(("calm", None))
    standin.recv()
    calm = time.monotonic()
    time.sleep(3.5)  # let pending restarts (timers) fire first
    if redis.process is None or redis.process.poll() is not None:
        redis.start()
    for process in processes.values():
        if not process.alive():
            process.start()
    shown = 0.0
    while time.monotonic() - calm < config.settle_timeout:
        standin.send(("dump", None))
        evaluate(config, standin.recv()["issues"], report)
        if report.lost == 0 and report.stale == 0:
            return time.monotonic() - calm
        if time.monotonic() - shown > 15:
            shown = time.monotonic()
            print(f"  settling: {time.monotonic() - calm:.0f} s, lost {report.lost}, stale {report.stale}, "
                  f"duplicates {report.duplicates}; {'; '.join(report.details[:3])}", file=sys.stderr)
        time.sleep(2.0)
    return None


def _deliver(url: str, body: bytes, headers: dict[str, str], *, give_up: float = 120.0) -> str:
    """POST until a 2xx (as Jira retries a webhook), backing off; the outcome's name."""
    deadline = time.monotonic() + give_up
    pause = 0.5
    while True:
        try:
            response = requests.post(url, data=body, headers=headers, timeout=10)
            if response.status_code == 202:
                return "accepted (202)"
            if response.status_code == 200:
                return "duplicate (200)"
            if response.status_code < 500:
                return f"refused ({response.status_code})"
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            return "given up"
        time.sleep(pause)
        pause = min(pause * 2, 5.0)


def _wait_healthy(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the receiver did not come up")
        time.sleep(0.2)


def main(argv: list[str] | None = None, *, out: Callable[[str], None] = print) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    defaults = Config()
    parser.add_argument("--postmortems", type=int, default=defaults.postmortems)
    parser.add_argument("--items", type=int, default=defaults.items)
    parser.add_argument("--duration", type=float, default=defaults.duration)
    parser.add_argument("--min-faults", type=int, default=defaults.min_faults)
    parser.add_argument("--fault-rate", type=float, default=defaults.fault_rate)
    parser.add_argument("--lag", type=float, default=defaults.lag)
    parser.add_argument("--settle-window", type=float, default=defaults.settle_window)
    parser.add_argument("--redis-every", type=float, default=defaults.redis_every)
    parser.add_argument("--kill-every", type=float, default=defaults.kill_every)
    parser.add_argument("--delivery-faults", default=",".join(defaults.delivery_faults),
                        help="comma-separated: duplicate, replay, out-of-order (empty: none)")
    parser.add_argument("--settle-timeout", type=float, default=defaults.settle_timeout)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--no-github", dest="github", action="store_false",
                        help="Jira only (default: every other postmortem goes to a GitHub team).")
    parser.add_argument("--github-write-interval", type=float, default=defaults.github_write_interval,
                        help="FOLLOWTHROUGH_GITHUB_WRITE_INTERVAL of the service (GitHub's own: 1 s).")
    parser.add_argument("--pool", choices=("prefork", "solo", "threads"), default=defaults.pool[0],
                        help="each worker's pool")
    parser.add_argument("--concurrency", type=int, default=defaults.pool[1], help="each worker's pool size")
    args = parser.parse_args(argv)
    config = Config(postmortems=args.postmortems, items=args.items, duration=args.duration,
                    min_faults=args.min_faults, fault_rate=args.fault_rate, lag=args.lag,
                    settle_window=args.settle_window, redis_every=args.redis_every,
                    kill_every=args.kill_every, seed=args.seed, settle_timeout=args.settle_timeout,
                    delivery_faults=tuple(k for k in args.delivery_faults.split(",") if k),
                    github=args.github, github_write_interval=args.github_write_interval,
                    pool=(args.pool, args.concurrency))
    trackers = (f"Jira and GitHub (write interval {config.github_write_interval} s)" if config.github
                else "Jira")
    out(f"chaos: {config.postmortems} postmortems x {config.items} items x {config.versions} versions, "
        f"{config.duration:.0f} s of faults, tracker fault rate {config.fault_rate}, "
        f"search lag 0-{config.lag} s, "
        f"settling window {config.settle_window} s, seed {config.seed}, "
        f"{trackers}, workers {config.pool[0]} x {config.pool[1]}")
    report = run(config)
    for line in report.lines():
        out(line)
    return 0 if report.duplicates == report.lost == report.stale == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
