"""Fault-injection run: does the pipeline recover, with nothing lost and nothing twice?

    .venv/bin/python chaos/run.py [--articles 300] [--seed 7] [--deadline 720] [--logs DIR]

Starts its own PostgreSQL cluster and Redis on free ports (never the machine's 5432/6379; as
root, PostgreSQL runs as the ``postgres`` user), migrates, starts two Celery workers (prefork,
concurrency 2, no -Q) and beat with short timeouts, then ingests generated articles
(chaos/articles.py) in batches through ``claims.ingestion.article_ingest`` while it injects,
each at the moment it watches for in the database:

    a. SIGKILL of the pool children while an article is being extracted
    b. SIGKILL of the pool children while an article is being matched
    c. SIGKILL of a worker's main process; a replacement worker is started
    d. Redis killed for 30 s while ingestion goes on, then restarted on the same port (empty)
    e. PostgreSQL stopped with ``pg_ctl stop -m immediate`` for 10 s

A worker or beat that exits on its own is restarted (as docker-compose's restart policy
would) and reported. For each fault it reports the time from injection until every article
then in the database (for d and e: by the time the service came back) is done or failed and
matched. After the last
batch it waits for every article to settle and checks: all articles stored; each done or
failed; each failed with a reason; each done one matched (or its matching gave up with a
reason); no duplicate claims or claim links; no "deadlock detected" in PostgreSQL's log; each
done article's claims equal a fresh ``engine.analyse`` of its text. Exits 1 when a check fails
or the deadline passes, 2 when the run itself could not be set up. Everything it started is
killed and its temporary directory removed at the end.
"""

from __future__ import annotations

import argparse
import atexit
import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from chaos.articles import generate  # noqa: E402

# Short enough that the sweep recovers within the run (production: 300-600 s). The processing
# lease (30 s) must exceed the task time limit (20 s), as the settings require.
TIMEOUTS = {
    "CELERY_TASK_TIME_LIMIT": "20",
    "CLAIMTRACK_PROCESSING_TIMEOUT": "30",
    "CLAIMTRACK_PENDING_TIMEOUT": "30",
    "CLAIMTRACK_SWEEP_INTERVAL": "5",
    "CLAIMTRACK_MAX_ATTEMPTS": "5",
}
BROKER_OUTAGE = 30  # seconds Redis stays down
DATABASE_OUTAGE = 10  # seconds PostgreSQL stays down
KILL_TRIES = 5  # kills of the pool children before a fault counts as not injected
# Variables of the caller's environment that could point the run at shared services.
UNSET = ("CACHE_URL", "CELERY_RESULT_BACKEND", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS")
# An article is settled once failed, or done and matched (or its matching gave up, saying why).
SETTLED = "(state = 'failed' OR (state = 'done' AND (matched_at IS NOT NULL OR error <> '')))"
RESULT_PREFIX = "CHAOS-INGEST-RESULT "


class SetupError(RuntimeError):
    """The run could not start what it needs; not a finding about the code under test."""


class Watchdog(BaseException):
    """The hard limit passed while something hung: clean up and leave."""


# --- processes --------------------------------------------------------------------------------


def free_ports(count: int) -> list[int]:
    sockets, ports = [], []
    while len(ports) < count:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        sockets.append(s)
        if s.getsockname()[1] not in (5432, 6379):
            ports.append(s.getsockname()[1])
    for s in sockets:
        s.close()
    return ports


def postgres_bindir() -> Path:
    candidates = sorted(
        (Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin") if Path(p, "initdb").exists()),
        key=lambda p: [int(x) for x in re.findall(r"\d+", p.parent.name)] or [0])
    if candidates:
        return candidates[-1]
    try:
        bindir = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True,
                                check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        bindir = ""
    if bindir and Path(bindir, "initdb").exists():
        return Path(bindir)
    raise SetupError("PostgreSQL's initdb not found (/usr/lib/postgresql/*/bin, pg_config).")


def pool_children(pid: int) -> list[int]:
    """The prefork pool processes of a Celery worker: its children, read from /proc."""
    found = []
    for path in glob.glob(f"/proc/{pid}/task/*/children"):
        try:
            found += [int(x) for x in Path(path).read_text().split()]
        except OSError:
            pass
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"({exc})"


class Stack:
    """PostgreSQL, Redis, workers, beat and ingestion of one run; ``stop`` ends them all."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.pg_bin = postgres_bindir()
        self.pg_dir = tmp / "pg"
        self.pg_data = self.pg_dir / "data"
        self.pg_log = self.pg_dir / "postgresql.log"
        self.pg_port, self.redis_port = free_ports(2)
        self.postmasters: set[int] = set()
        self.started: list[subprocess.Popen] = []  # every process group, for stop()
        self.current: dict[str, subprocess.Popen] = {}  # name -> the live one
        self.logs: dict[str, Path] = {}
        # Workers and beat that should be running; one that exits is restarted (see
        # Run.supervise), as docker-compose's "restart: unless-stopped" does.
        self.supervised: dict[str, subprocess.Popen] = {}
        self.workers_started = 0
        self.stopped = False
        self.dsn = f"postgresql://postgres@127.0.0.1:{self.pg_port}/chaos"
        self.env = {k: v for k, v in os.environ.items() if k not in UNSET}
        self.env.update(TIMEOUTS)
        self.env.update({
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{self.pg_port}/chaos",
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "CLAIMTRACK_ENV": "development",
            "CLAIMTRACK_VAR_DIR": str(tmp / "var"),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONUNBUFFERED": "1",
        })

    # PostgreSQL refuses to run as root: as root, initdb and pg_ctl run as "postgres".
    def _as_postgres(self, argv: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv

    def _pg(self, *args: str, timeout: float = 90) -> None:
        argv = self._as_postgres([str(self.pg_bin / args[0]), *args[1:]])
        done = subprocess.run(argv, cwd=self.pg_dir, capture_output=True, text=True,
                              timeout=timeout)
        if done.returncode:
            raise SetupError(f"{' '.join(args[:3])} failed:\n{done.stdout}{done.stderr}\n"
                             f"{tail(self.pg_log)}")

    def postgres_create(self) -> None:
        self.pg_dir.mkdir()
        if os.geteuid() == 0:
            os.chmod(self.tmp, 0o711)  # postgres must reach its directory inside ours
            shutil.chown(self.pg_dir, "postgres", "postgres")
        os.chmod(self.pg_dir, 0o700)
        self._pg("initdb", "-D", str(self.pg_data), "-U", "postgres", "--auth=trust",
                 "-E", "UTF8", "--locale=C")
        with open(self.pg_data / "postgresql.conf", "a") as conf:
            conf.write(
                f"\n# claimtrack chaos run\nlisten_addresses = '127.0.0.1'\nport = {self.pg_port}\n"
                f"unix_socket_directories = '{self.pg_dir}'\nmax_connections = 100\n"
                # Lock waits over deadlock_timeout are logged; deadlocks are counted from here.
                "log_lock_waits = on\ndeadlock_timeout = '1s'\nlog_line_prefix = '%m [%p] '\n")
        self.postgres_start()
        import psycopg

        with psycopg.connect(self.dsn.replace("/chaos", "/postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE chaos")

    def postgres_start(self) -> None:
        self._pg("pg_ctl", "-D", str(self.pg_data), "-l", str(self.pg_log), "-w", "-t", "60",
                 "start")
        self.postmasters.add(int((self.pg_data / "postmaster.pid").read_text().split()[0]))

    def postgres_stop_immediately(self) -> None:
        self._pg("pg_ctl", "-D", str(self.pg_data), "-m", "immediate", "-w", "stop")

    def spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        """Start a process in its own process group (its children die with it at the end)."""
        log = self.tmp / f"{name}.log"
        with open(log, "ab") as out:
            process = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=out,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       start_new_session=True)
        self.started.append(process)
        self.current[name], self.logs[name] = process, log
        return process

    def redis_start(self) -> None:
        (self.tmp / "redis").mkdir(exist_ok=True)
        self.spawn("redis", ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no", "--daemonize", "no",
                             "--dir", str(self.tmp / "redis")])
        until = time.monotonic() + 20
        while time.monotonic() < until:
            try:
                with socket.create_connection(("127.0.0.1", self.redis_port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.1)
        raise SetupError(f"Redis did not answer on port {self.redis_port}:\n"
                         f"{tail(self.logs['redis'])}")

    def redis_kill(self) -> None:
        os.killpg(self.current["redis"].pid, signal.SIGKILL)
        self.current["redis"].wait()

    def manage(self, *args: str, timeout: float = 300) -> None:
        log = self.tmp / f"manage-{args[0]}.log"
        self.logs[f"manage {args[0]}"] = log
        with open(log, "ab") as out:
            done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env,
                                  stdout=out, stderr=subprocess.STDOUT, timeout=timeout)
        if done.returncode:
            raise SetupError(f"manage.py {' '.join(args)} failed:\n{tail(log)}")

    def worker_start(self, wait: bool = True) -> str:
        """Start worker N (a new name each time, so each log holds one process)."""
        self.workers_started += 1
        name = f"worker{self.workers_started}"
        process = self.spawn(name, [
            sys.executable, "-m", "celery", "-A", "config", "worker", "--concurrency=2",
            "--loglevel=INFO", "-n", f"chaos{self.workers_started}@%h"])
        self.supervised[name] = process
        until = time.monotonic() + (90 if wait else 0)
        while time.monotonic() < until:
            if process.poll() is not None:
                break
            if re.search(r" ready\.", self.logs[name].read_text(errors="replace")):
                return name
            time.sleep(0.2)
        if not wait:
            return name
        raise SetupError(f"Celery {name} did not become ready:\n{tail(self.logs[name])}")

    def workers(self) -> dict[str, subprocess.Popen]:
        return {n: p for n, p in self.supervised.items()
                if n.startswith("worker") and p.poll() is None}

    def beat_start(self) -> None:
        self.supervised["beat"] = self.spawn("beat", [
            sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO",
            f"--schedule={self.tmp / 'beat-schedule'}", f"--pidfile={self.tmp / 'beat.pid'}"])

    def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        for process in reversed(self.started):
            try:  # the group: pool children outlive a killed main process
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        if self.pg_data.exists():
            try:
                self.postgres_stop_immediately()
            except (SetupError, OSError, subprocess.TimeoutExpired):
                pass
        for pid in self.postmasters:
            if alive(pid):
                kill(pid)


# --- the database, as the harness sees it -----------------------------------------------------


class Db:
    """Queries against the chaos database; ``None`` while PostgreSQL is down."""

    def __init__(self, dsn: str):
        import psycopg

        self.psycopg, self.dsn, self.conn = psycopg, dsn, None

    def rows(self, sql: str, params=()) -> list[tuple] | None:
        errors = (self.psycopg.OperationalError, self.psycopg.InterfaceError)
        try:
            if self.conn is None or self.conn.closed:
                self.conn = self.psycopg.connect(self.dsn, autocommit=True, connect_timeout=3,
                                                 options="-c statement_timeout=30000")
            with self.conn.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()
        except errors:
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            return None

    def value(self, sql: str, params=()):
        rows = self.rows(sql, params)
        return None if rows is None else rows[0][0]


# --- faults -----------------------------------------------------------------------------------


@dataclass
class Fault:
    name: str
    injected: float | None = None  # seconds into the run
    upto_id: int | None = None  # the articles it affects: ids up to this one
    recovered: float | None = None  # seconds into the run
    notes: list[str] = field(default_factory=list)


_TASK_LINE = re.compile(r"Task ([\w.]+)\[([0-9a-f-]{36})\] (\w+)")


def in_flight(log: Path) -> Counter:
    """Tasks a worker's log shows received and not yet finished, by short name."""
    running: dict[str, str] = {}
    for name, task_id, what in _TASK_LINE.findall(log.read_text(errors="replace")):
        if what == "received":
            running[task_id] = name.rsplit(".", 1)[-1]
        else:
            running.pop(task_id, None)
    return Counter(running.values())


class Run:
    def __init__(self, args, stack: Stack):
        self.args, self.stack = args, stack
        self.t0 = time.monotonic()
        self.deadline = self.t0 + args.deadline
        self.db = Db(stack.dsn)
        self.faults: list[Fault] = []
        self.articles = generate(args.articles, args.seed)
        self.ingests: list[tuple[str, subprocess.Popen]] = []
        self.ingest_results: list[dict] = []
        self.skipped: list[str] = []
        self.restarts: list[str] = []

    def now(self) -> float:
        return time.monotonic() - self.t0

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def say(self, message: str) -> None:
        print(f"[{self.now():6.1f} s] {message}", flush=True)

    def max_id(self, patience: float = 0) -> int | None:
        """The newest article's id; ``None`` while PostgreSQL does not answer (for
        ``patience`` seconds, right after a restart)."""
        end = time.monotonic() + patience
        while True:
            value = self.db.value("SELECT coalesce(max(id), 0) FROM claims_article")
            if value is not None or time.monotonic() >= end:
                return None if value is None else int(value)
            time.sleep(0.5)

    def supervise(self) -> None:
        """Restart a worker or beat that exited on its own, and say why it did."""
        for name, process in list(self.stack.supervised.items()):
            if process.poll() is None:
                continue
            del self.stack.supervised[name]
            lines = self.stack.logs[name].read_text(errors="replace").splitlines()
            reason = next((line.split(": ", 1)[-1] for line in reversed(lines)
                           if "Unrecoverable error" in line or "CRITICAL" in line),
                          f"exit status {process.returncode}")
            if name == "beat":
                self.stack.beat_start()
                new = "beat"
            else:
                new = self.stack.worker_start(wait=False)
            self.restarts.append(f"{name} exited at {self.now():.0f} s ({reason[:120]}); "
                                 f"restarted as {new}")
            self.say(f"supervisor: {self.restarts[-1]}")

    def tick(self) -> None:
        """Restart what died; note the faults whose affected articles have all settled."""
        self.supervise()
        for fault in self.faults:
            if fault.upto_id is None or fault.recovered is not None:
                continue
            unsettled = self.db.value(
                f"SELECT count(*) FROM claims_article WHERE id <= %s AND NOT {SETTLED}",
                [fault.upto_id])
            if unsettled == 0:
                fault.recovered = self.now()
                self.say(f"{fault.name}: recovered {fault.recovered - fault.injected:.1f} s "
                         "after injection")

    def wait(self, condition, timeout: float, step: float = 1.0) -> bool:
        end = min(time.monotonic() + timeout, self.deadline)
        while True:
            self.tick()
            if condition():
                return True
            if time.monotonic() >= end:
                return False
            time.sleep(step)

    # ingestion

    def ingest(self, start: int, end: int, pace: float = 0.05) -> None:
        name = f"ingest-{start}-{end}"
        self.say(f"ingesting articles {start}..{end - 1}")
        process = self.stack.spawn(name, [
            sys.executable, str(Path(__file__).resolve()), "--ingest", f"{start}:{end}",
            "--articles", str(self.args.articles), "--seed", str(self.args.seed),
            "--pace", str(pace)])
        self.ingests.append((name, process))

    def ingest_join(self, timeout: float = 180) -> None:
        for name, process in self.ingests:
            self.wait(lambda p=process: p.poll() is not None, min(timeout, max(self.left(), 1)))
            if process.poll() is None:
                self.ingest_results.append({"batch": name, "errors": ["did not finish"]})
                continue
            lines = [line for line in self.stack.logs[name].read_text(errors="replace")
                     .splitlines() if line.startswith(RESULT_PREFIX)]
            result = json.loads(lines[-1][len(RESULT_PREFIX):]) if lines else {
                "errors": [f"exit {process.returncode}, no result line"]}
            self.ingest_results.append({"batch": name, **result})
        self.ingests = []

    # faults

    def fault(self, name: str) -> Fault:
        fault = Fault(name)
        self.faults.append(fault)
        self.say(f"{name}: waiting for its moment")
        return fault

    def recover(self, fault: Fault) -> None:
        """Wait (bounded) for the fault's articles before the next fault, so figures don't mix."""
        if fault.injected is None:
            return
        if not self.wait(lambda: fault.recovered is not None, self.args.recovery_wait):
            self.say(f"{fault.name}: not recovered after {self.args.recovery_wait:.0f} s; "
                     "going on (still measured)")

    def _watch(self, sql: str, timeout: float = 60) -> list[int]:
        """Ids the query returns, polled every few milliseconds: the moment to strike."""
        end = min(time.monotonic() + timeout, self.deadline)
        while time.monotonic() < end:
            rows = self.db.rows(sql)
            if rows:
                return [row[0] for row in rows]
            time.sleep(0.003)
        return []

    def _kill_pools(self, fault: Fault) -> Counter:
        """SIGKILL every worker's pool children; the tasks they held, from the logs."""
        workers = self.stack.workers()
        children = {name: pool_children(p.pid) for name, p in workers.items()}
        for pids in children.values():
            for pid in pids:
                kill(pid)
        fault.injected, fault.upto_id = self.now(), self.max_id(patience=10)
        lost = Counter()
        for name in workers:
            lost.update(in_flight(self.stack.logs[name]))
        fault.notes.append(f"killed pool children {sorted(sum(children.values(), []))}; "
                           f"tasks in flight {dict(lost) or 'none'}")
        return lost

    def fault_extraction_kill(self, batch: tuple[int, int]) -> None:
        fault = self.fault("a. pool children killed during extraction")
        self.ingest(*batch)
        for _ in range(KILL_TRIES):
            seen = self._watch("SELECT id FROM claims_article WHERE state = 'processing' "
                               "AND state_changed_at > now() - interval '2 seconds'")
            if not seen:
                break
            lost = self._kill_pools(fault)
            time.sleep(3)
            # Taken by a task that died: the lease keeps it processing until the sweep.
            stuck = self.db.rows("SELECT id FROM claims_article WHERE state = 'processing' "
                                 "AND id = ANY(%s)", [seen]) or []
            fault.notes.append(f"seen processing {seen}; still processing 3 s later "
                               f"{[r[0] for r in stuck]}")
            if stuck or lost["article_process_task"]:
                break
            fault.notes.append("missed (extraction finished first); again")
        else:
            fault.notes.append(f"no extraction hit in {KILL_TRIES} kills")
        self._finish(fault)

    def fault_matching_kill(self, batch: tuple[int, int]) -> None:
        fault = self.fault("b. pool children killed during matching")
        has_lease = bool(self.db.value(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'claims_article'"
            " AND column_name = 'match_started_at'"))
        if has_lease:
            sql = ("SELECT id FROM claims_article WHERE state = 'done' AND matched_at IS NULL "
                   "AND match_started_at > now() - interval '5 seconds'")
        else:
            fault.notes.append("no Article.match_started_at yet: watching for done, unmatched")
            sql = ("SELECT id FROM claims_article WHERE state = 'done' AND matched_at IS NULL "
                   "AND processed_at > now() - interval '5 seconds'")
        self.ingest(*batch)
        for _ in range(KILL_TRIES):
            seen = self._watch(sql)
            if not seen:
                break
            lost = self._kill_pools(fault)
            fault.notes.append(f"seen matching {seen[:10]}")
            if lost["article_match_task"]:
                break
            fault.notes.append("no matching task in flight; again")
            time.sleep(1)
        else:
            fault.notes.append(f"no matching hit in {KILL_TRIES} kills")
        self._finish(fault)

    def fault_worker_kill(self, batch: tuple[int, int]) -> None:
        fault = self.fault("c. worker main process killed")
        self.ingest(*batch)
        seen = self._watch("SELECT id FROM claims_article WHERE state = 'processing' OR "
                           "(state = 'done' AND matched_at IS NULL) LIMIT 10")
        if seen:
            name, process = sorted(self.stack.workers().items())[0]
            children = pool_children(process.pid)
            lost = in_flight(self.stack.logs[name])
            del self.stack.supervised[name]  # replaced here, not by the supervisor
            kill(process.pid)
            fault.injected, fault.upto_id = self.now(), self.max_id(patience=10)
            process.wait()
            fault.notes.append(f"killed {name} (pid {process.pid}) with work in flight "
                               f"{dict(lost) or 'none'}; articles in progress {seen}")
            self.say(f"{fault.name}: starting a replacement worker")
            replacement = self.stack.worker_start()
            orphans = [pid for pid in children if alive(pid)]
            fault.notes.append(f"{replacement} started and ready after "
                               f"{self.now() - fault.injected:.1f} s; orphaned pool children "
                               f"alive: {orphans or 'none'}")
        self._finish(fault)

    def fault_broker_down(self, batch: tuple[int, int]) -> None:
        fault = self.fault(f"d. Redis down {BROKER_OUTAGE} s during ingestion")
        fault.injected, before = self.now(), self.max_id()
        self.stack.redis_kill()
        self.say("Redis killed; ingesting")
        # Spread over the outage, so articles keep arriving until Redis is back.
        self.ingest(*batch, pace=max(0.05, BROKER_OUTAGE / max(batch[1] - batch[0], 1)))
        self.wait(lambda: False, BROKER_OUTAGE)
        stored = (self.max_id() or 0) - (before or 0)
        self.stack.redis_start()
        fault.upto_id = self.max_id(patience=30)
        fault.notes.append(f"{stored} articles stored while Redis was down; "
                           f"Redis back after {self.now() - fault.injected:.1f} s, empty")
        self.say(f"Redis restarted; {stored} articles were stored while it was down")
        self._finish(fault)

    def fault_database_down(self, batch: tuple[int, int]) -> None:
        fault = self.fault(f"e. PostgreSQL stopped (immediate) for {DATABASE_OUTAGE} s")
        before = self.max_id() or 0
        self.ingest(*batch)
        # Mid-stream: once a few articles of the batch are in and being processed.
        self.wait(lambda: (self.max_id() or 0) >= before + 3, 30, step=0.1)
        self.stack.postgres_stop_immediately()
        fault.injected = self.now()
        self.say("PostgreSQL stopped")
        time.sleep(DATABASE_OUTAGE)
        self.stack.postgres_start()
        fault.upto_id = self.max_id(patience=30)
        fault.notes.append(f"restarted after {self.now() - fault.injected:.1f} s")
        self.say("PostgreSQL restarted")
        self._finish(fault)

    def _finish(self, fault: Fault) -> None:
        if fault.injected is None:
            fault.notes.append("NOT INJECTED: its moment never came")
        else:
            self.say(f"{fault.name}: injected; " + " | ".join(fault.notes))
        self.recover(fault)
        self.ingest_join()


# --- checks -----------------------------------------------------------------------------------


def fresh_spans(text: str) -> set[tuple[int, int, str]]:
    """What claims_replace stores for a fresh extraction: one claim per (start, end, kind)."""
    from claims import engine

    return {(item.content.start, item.content.end, item.kind) for item in engine.analyse(text)}


def checks(run: Run, settled_in_time: bool) -> list[tuple[bool, str, str]]:
    db = run.db
    results = []

    def check(ok: bool | None, name: str, detail: str) -> None:
        """ok None: a warning, shown but not failing the run."""
        results.append(("WARN" if ok is None else "PASS" if ok else "FAIL", name, detail))

    states = dict(db.rows("SELECT state, count(*) FROM claims_article GROUP BY state") or [])
    total = sum(states.values())
    ingest_errors = [e for r in run.ingest_results for e in r.get("errors", [])]
    check(total == run.args.articles and not ingest_errors, "articles stored",
          f"{total} of {run.args.articles}; ingestion retries while PostgreSQL was down "
          f"{sum(r.get('retried', 0) for r in run.ingest_results)}, errors "
          f"{len(ingest_errors)} {ingest_errors[:3]}")
    unsettled_state = total - states.get("done", 0) - states.get("failed", 0)
    check(unsettled_state == 0, "done or failed",
          f"done {states.get('done', 0)}, failed {states.get('failed', 0)}, other "
          f"{unsettled_state} {({k: v for k, v in states.items() if k not in ('done', 'failed')})}")
    reasons = db.rows("SELECT error, count(*) FROM claims_article WHERE state = 'failed' "
                      "GROUP BY error ORDER BY 2 DESC") or []
    check(all(reason.strip() for reason, _ in reasons), "failed have a reason",
          "; ".join(f"{n}× {reason[:90]!r}" for reason, n in reasons) or "none failed")
    unmatched = [r[0] for r in db.rows(
        "SELECT id FROM claims_article WHERE state = 'done' AND matched_at IS NULL "
        "AND error = '' ORDER BY id") or []]
    attempts = dict(db.rows("SELECT match_attempts, count(*) FROM claims_article WHERE id = "
                            "ANY(%s) GROUP BY 1", [unmatched]) or [])
    check(not unmatched, "done are matched",
          f"{len(unmatched)} done, never matched, no reason: {unmatched[:15]}"
          + (f" (match_attempts: {attempts})" if unmatched else ""))
    duplicate_claims = db.value(
        'SELECT count(*) FROM (SELECT 1 FROM claims_claim GROUP BY article_id, start, "end", '
        "kind HAVING count(*) > 1) d")
    duplicate_links = sum(db.value(
        f"SELECT count(*) FROM (SELECT 1 FROM claims_claimlink WHERE {column} IS NOT NULL "
        f"GROUP BY claim_id, {column} HAVING count(*) > 1) d") or 0
        for column in ("target_claim_id", "proposition_id", "factcheck_id"))
    claims_count = db.value("SELECT count(*) FROM claims_claim")
    links_count = db.value("SELECT count(*) FROM claims_claimlink")
    check(duplicate_claims == 0 and duplicate_links == 0, "no duplicates",
          f"claims {claims_count} ({duplicate_claims} duplicated spans), links {links_count} "
          f"({duplicate_links} duplicated)")
    check((links_count or 0) > 0, "matching linked claims", f"{links_count} claim links")
    log = run.stack.pg_log.read_text(errors="replace") if run.stack.pg_log.exists() else ""
    deadlocks = log.count("deadlock detected")
    lock_waits = len(re.findall(r"still waiting for \w+Lock", log))
    check(deadlocks == 0, "no deadlocks",
          f"{deadlocks} 'deadlock detected' in PostgreSQL's log; {lock_waits} lock waits > 1 s")
    stored: dict[int, set] = {}
    for article_id, start, end, kind in db.rows(
            'SELECT c.article_id, c.start, c."end", c.kind FROM claims_claim c JOIN '
            "claims_article a ON a.id = c.article_id WHERE a.state = 'done'") or []:
        stored.setdefault(article_id, set()).add((start, end, kind))
    mismatched = [article_id for article_id, text in db.rows(
        "SELECT id, text FROM claims_article WHERE state = 'done' ORDER BY id") or []
        if stored.get(article_id, set()) != fresh_spans(text)]
    check(not mismatched, "claims = fresh engine run",
          f"{states.get('done', 0)} done articles compared; differ: {mismatched[:15]}")
    check(True if not run.restarts else None, "no unplanned exits",
          f"{len(run.restarts)} worker or beat exits, restarted (see supervisor above)")
    missing = [f.name[:2] for f in run.faults if f.injected is None] + run.skipped
    check(not missing, "faults injected", f"{len(run.faults) - len(missing)} of 5"
          + (f"; not: {missing}" if missing else ""))
    check(settled_in_time and run.left() > 0, "within the deadline",
          f"{run.now():.0f} s of {run.args.deadline:.0f} s"
          + ("" if settled_in_time else f"; not settled after {run.args.settle_wait:.0f} s"))
    return results


# --- the run ----------------------------------------------------------------------------------


def batches(count: int) -> list[tuple[int, int]]:
    """Warm-up, one batch per fault (a-e), and a last one: 10 % then six of 15 %."""
    cuts = [0, 0.10, 0.25, 0.40, 0.55, 0.70, 0.85, 1.0]
    bounds = [round(count * c) for c in cuts]
    return list(zip(bounds, bounds[1:]))


def engine_precheck(run: Run) -> None:
    kinds, empty = Counter(), 0
    for article in run.articles:
        spans = fresh_spans(article.text)
        kinds.update(kind for _, _, kind in spans)
        empty += not spans
    if empty or kinds["denial"] == 0:
        raise SetupError(f"The engine finds too little in the generated articles: {empty} "
                         f"without claims, kinds {dict(kinds)}.")
    run.say(f"{len(run.articles)} articles generated; the engine finds "
            f"{sum(kinds.values())} claims in them {dict(kinds)}")


def execute(run: Run, stack: Stack) -> int:
    engine_precheck(run)
    stack.postgres_create()
    stack.redis_start()
    run.say(f"PostgreSQL on {stack.pg_port} ({stack.pg_bin}), Redis on {stack.redis_port}; "
            f"directory {stack.tmp}")
    stack.manage("migrate", "--no-input")
    for _ in range(2):
        stack.worker_start()
    stack.beat_start()
    run.say("migrated; 2 workers and beat running")

    parts = batches(run.args.articles)
    run.ingest(*parts[0])
    run.ingest_join()
    warm = run.wait(lambda: run.db.value(
        f"SELECT count(*) FROM claims_article WHERE NOT {SETTLED}") == 0, 120)
    run.say(f"warm-up batch {'settled' if warm else 'NOT settled'}")

    steps = [run.fault_extraction_kill, run.fault_matching_kill, run.fault_worker_kill,
             run.fault_broker_down, run.fault_database_down]
    for step, part in zip(steps, parts[1:]):
        if run.left() < 60:
            run.skipped.append(step.__name__)
            continue
        step(part)
    run.ingest(*parts[-1])
    run.ingest_join()

    run.say("last batch in; waiting for every article to settle")
    settled = run.wait(lambda: run.db.value(
        f"SELECT count(*) FROM claims_article WHERE NOT {SETTLED}") == 0,
        min(run.args.settle_wait, max(run.left() - 15, 0)), step=2)
    run.tick()
    return report(run, settled)


def report(run: Run, settled: bool) -> int:
    results = checks(run, settled)
    print(f"\n== Claimtrack fault-injection run: {run.args.articles} articles, seed "
          f"{run.args.seed}, {run.now():.0f} s ==")
    print("faults (time to recover: from injection until every article then stored is done "
          "or failed, and matched)")
    for fault in run.faults:
        if fault.injected is None:
            figure = "not injected"
        elif fault.recovered is None:
            figure = f"at {fault.injected:5.1f} s, NOT recovered"
        else:
            figure = (f"at {fault.injected:5.1f} s, recovered in "
                      f"{fault.recovered - fault.injected:5.1f} s")
        print(f"  {fault.name:<48} {figure}")
        for note in fault.notes:
            print(f"      {note}")
    if run.restarts:
        print("supervisor (processes that exited on their own, restarted)")
        for line in run.restarts:
            print(f"  {line}")
    print("checks")
    for status, name, detail in results:
        print(f"  {status}  {name:<26} {detail}")
    failed = [name for status, name, _ in results if status == "FAIL"]
    print(f"RESULT: {'FAIL (' + ', '.join(failed) + ')' if failed else 'PASS'}")
    if failed:
        print_tails(run.stack)
    return 1 if failed else 0


def print_tails(stack: Stack) -> None:
    logs = dict(stack.logs, postgresql=stack.pg_log)
    for name, path in logs.items():
        if name.startswith("ingest") and "Traceback" not in tail(path, 200):
            continue
        print(f"\n--- {name}: {path.name}, last lines ---\n{tail(path, 25)}")


def ingest_main(args) -> int:
    """One ingestion batch, in a Django process pointed at the chaos database."""
    import django

    django.setup()
    from django.db import InterfaceError, OperationalError, connection

    from claims.errors import DuplicateArticle, IngestError
    from claims.ingestion import article_ingest

    start, end = (int(x) for x in args.ingest.split(":"))
    result = {"stored": 0, "already": 0, "retried": 0, "errors": []}
    for number, article in enumerate(generate(args.articles, args.seed)[start:end], start):
        give_up = time.monotonic() + 90  # PostgreSQL is down for 10 s in fault e
        while True:
            try:
                article_ingest(title=article.title, source_name=article.source_name,
                               text=article.text, url=None)
                result["stored"] += 1
            except DuplicateArticle:
                result["already"] += 1  # an earlier try committed; its reply was lost
            except (OperationalError, InterfaceError) as exc:
                try:
                    connection.close()
                except Exception:  # noqa: BLE001  (a broken connection may fail to close)
                    pass
                if time.monotonic() < give_up:
                    result["retried"] += 1
                    time.sleep(1)
                    continue
                result["errors"].append(f"article {number}: {exc}")
            except IngestError as exc:
                result["errors"].append(f"article {number}: {exc}")
            break
        time.sleep(args.pace)
    print(RESULT_PREFIX + json.dumps(result), flush=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--deadline", type=float, default=720,
                        help="seconds for the whole run (default 12 minutes)")
    parser.add_argument("--recovery-wait", type=float, default=100,
                        help="seconds to wait for a fault's recovery before the next fault")
    parser.add_argument("--settle-wait", type=float, default=240,
                        help="seconds to wait for every article to settle at the end")
    parser.add_argument("--logs", type=Path, help="copy every log here before cleaning up")
    parser.add_argument("--ingest", help=argparse.SUPPRESS)  # START:END, internal
    parser.add_argument("--pace", type=float, default=0.05, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ingest:
        return ingest_main(args)
    if args.articles < 20:
        parser.error("--articles must be 20 or more (a warm-up and six batches)")
    try:
        import django  # noqa: F401
        import psycopg  # noqa: F401
    except ImportError as exc:
        print(f"chaos: {exc}; run it with the project's virtualenv (make install; "
              ".venv/bin/python chaos/run.py)", file=sys.stderr)
        return 2
    for tool in ("redis-server",) + (("runuser",) if os.geteuid() == 0 else ()):
        if not shutil.which(tool):
            print(f"chaos: {tool} not found", file=sys.stderr)
            return 2

    tmp = Path(tempfile.mkdtemp(prefix="claimtrack-chaos-"))
    stack = None

    def cleanup() -> None:
        signal.alarm(0)
        if stack is not None:
            if args.logs:
                args.logs.mkdir(parents=True, exist_ok=True)
                for path in dict(stack.logs, postgresql=stack.pg_log).values():
                    if path.exists():
                        shutil.copy(path, args.logs / path.name)
            stack.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    def watchdog(signum, frame):
        raise Watchdog()

    atexit.register(cleanup)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
    signal.signal(signal.SIGALRM, watchdog)
    # The phases watch the deadline themselves; this catches a hang past it.
    signal.alarm(int(args.deadline) + 60)
    run = None
    try:
        stack = Stack(tmp)
        run = Run(args, stack)
        return execute(run, stack)
    except SetupError as exc:
        print(f"\nchaos: the run could not be set up: {exc}", file=sys.stderr)
        return 2
    except Watchdog:
        print(f"\nchaos: FAIL: still running {args.deadline + 60:.0f} s after the start "
              "(deadline passed); stopped", file=sys.stderr)
        if stack is not None:
            print_tails(stack)
        return 1
    finally:
        cleanup()


if __name__ == "__main__":
    sys.exit(main())
