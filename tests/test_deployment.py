"""The production path, checked from the files that define it: the pins and their lock files,
the Makefile's targets, the Dockerfile's build step run with exactly the environment it
declares, the build context, and docker-compose.yml against the settings' required variables,
with the web and worker healthchecks run for real. There is no Docker engine here, so each
file is parsed and what it would run is run against this checkout."""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import tomllib
import uuid
from pathlib import Path

import pytest
import yaml

from tests.conftest import require

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
IMAGE_WORKDIR = "/app"


# --- pyproject.toml and the lock files ---------------------------------------------------------


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(requirements: list[str]) -> dict[str, str]:
    found = {}
    for requirement in requirements:
        name, _, version = requirement.partition("==")
        assert version, f"{requirement!r} is not pinned with =="
        found[normalize(name.split("[")[0])] = version.strip()
    return found


def lock(name: str) -> dict[str, str]:
    """requirements/<name>.txt as {package: version}; every pin must carry its hashes."""
    text = (ROOT / "requirements" / f"{name}.txt").read_text(encoding="utf-8")
    found = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        match = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)", block)
        if not match:
            continue
        assert "--hash=sha256:" in block, f"{match.group(1)} in {name}.txt has no hash"
        found[normalize(match.group(1))] = match.group(2)
    return found


@pytest.fixture(scope="module")
def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_it_supports_python_3_11_and_later_and_builds_without_the_license_deprecation(project):
    assert project["project"]["requires-python"] == ">=3.11"
    # The SPDX string form; the table form warns and stops building after 2027-02-18.
    assert isinstance(project["project"]["license"], str)
    assert any(re.fullmatch(r"setuptools>=(\d+)", req) and int(req.split(">=")[1]) >= 77
               for req in project["build-system"]["requires"])


def test_every_pin_says_why_it_is_there():
    lines = (ROOT / "pyproject.toml").read_text(encoding="utf-8").splitlines()
    pinned = [line for line in lines if re.match(r'\s*"[^"]+==[^"]+",', line)]
    assert len(pinned) > 20
    assert [line for line in pinned if "#" not in line] == []


def test_the_lock_files_hold_every_pin_of_pyproject_at_the_same_version(project):
    runtime = pins(project["project"]["dependencies"])
    extras = project["project"]["optional-dependencies"]
    dev, train = pins(extras["dev"]), pins(extras["train"])
    runtime_lock, dev_lock = lock("runtime"), lock("dev")

    assert {name: runtime_lock.get(name) for name in runtime} == runtime
    assert {name: dev_lock.get(name) for name in {**runtime, **dev}} == {**runtime, **dev}
    # The train extra is a part of dev: its pins cannot drift from the tested ones.
    assert {name: dev_lock.get(name) for name in train} == train
    # What runs in production is what the tests ran with, transitive dependencies included.
    assert {name: dev_lock.get(name) for name in runtime_lock} == runtime_lock
    # Running needs none of the test tools.
    assert not {"pytest", "playwright", "scikit-learn", "scipy", "schemathesis", "ruff",
                "uv"} & set(runtime_lock)


# --- Makefile -----------------------------------------------------------------------------------


def make(*args: str) -> str:
    done = subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_make_help_lists_every_target_with_its_description():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = re.findall(r"^([a-z][a-z-]*):", makefile, re.M)
    assert {"help", "install", "demo", "demo-data", "test", "lint", "lock"} <= set(targets)
    listed = dict(re.findall(r"^  make (\S+) +(\S.*)$", make("help"), re.M))
    assert sorted(listed) == sorted(targets)
    assert make() == make("help")  # the default goal


def test_the_demo_installs_the_runtime_lock_and_the_tests_the_dev_lock_after_ruff(tmp_path):
    venv = f"VENV={tmp_path / 'venv'}"
    demo = make("-n", "demo", venv)
    assert "--require-hashes -r requirements/runtime.txt" in demo
    assert "--no-deps -e ." in demo
    assert "dev.txt" not in demo and "[dev]" not in demo

    test = make("-n", "test", venv).splitlines()
    assert any("--require-hashes -r requirements/dev.txt" in line for line in test)
    ruff = next(i for i, line in enumerate(test) if "ruff check" in line)
    pytest_run = next(i for i, line in enumerate(test) if "-m pytest" in line)
    assert ruff < pytest_run
    assert re.search(r"^make lint ", (ROOT / ".ci" / "run").read_text(), re.M)


# --- Dockerfile ---------------------------------------------------------------------------------


def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined and
    comments dropped, as Docker reads them."""
    instructions, current = [], ""
    for raw in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        keyword, _, arguments = (current + stripped).partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        current = ""
    assert not current, "the Dockerfile ends inside a continued line"
    return instructions


def assignments(tokens: list[str]) -> tuple[dict[str, str], list[str]]:
    """Leading NAME=value words (a shell's inline environment) and the command after them."""
    env = {}
    while tokens and re.match(r"[A-Za-z_][A-Za-z0-9_]*=", tokens[0]):
        name, _, value = tokens.pop(0).partition("=")
        env[name] = value
    return env, tokens


def image_env() -> dict[str, str]:
    env = {}
    for keyword, arguments in dockerfile():
        if keyword == "ENV":
            declared, rest = assignments(shlex.split(arguments))
            assert not rest, f"ENV in the NAME=value form only: {arguments}"
            env.update(declared)
    return env


def build_step() -> tuple[dict[str, str], list[str]]:
    """The inline environment and the command of the RUN that collects the static files."""
    runs = [arguments for keyword, arguments in dockerfile() if keyword == "RUN"
            and "manage.py collectstatic" in arguments]
    assert len(runs) == 1
    step = next(part for part in runs[0].split("&&") if "manage.py collectstatic" in part)
    return assignments(shlex.split(step))


def required_in_production() -> set[str]:
    """The variables config/settings.py refuses to start without in production: its
    `for _required in (...)` loop, and SECRET_KEY and ALLOWED_HOSTS checked apart."""
    tree = ast.parse((ROOT / "config" / "settings.py").read_text(encoding="utf-8"))
    loops = [node for node in ast.walk(tree) if isinstance(node, ast.For)
             and isinstance(node.target, ast.Name) and node.target.id == "_required"]
    assert len(loops) == 1
    names = {element.value for element in loops[0].iter.elts}
    assert "DATABASE_URL" in names
    return names | {"SECRET_KEY", "ALLOWED_HOSTS"}


def container_env(env: dict[str, str], var_dir: Path) -> dict[str, str]:
    """A container's environment on this checkout: PATH finds this virtualenv's python first,
    and CLAIMTRACK_VAR_DIR, /app/var in the image, is moved to a temporary directory."""
    assert env.get("CLAIMTRACK_VAR_DIR") == f"{IMAGE_WORKDIR}/var"
    return {**env, "CLAIMTRACK_VAR_DIR": str(var_dir),
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


def run(command: list[str], env: dict[str, str], timeout: float = 120):
    return subprocess.run(command, cwd=ROOT, env=env, text=True, capture_output=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The var directory after the image's build step, run as the Dockerfile declares it."""
    var_dir = tmp_path_factory.mktemp("image") / "var"
    inline, command = build_step()
    done = run(command, container_env({**image_env(), **inline}, var_dir))
    assert done.returncode == 0, done.stdout + done.stderr
    return var_dir


def test_the_build_step_declares_placeholders_for_every_production_requirement():
    inline, command = build_step()
    assert command == ["python", "manage.py", "collectstatic", "--no-input"]
    assert inline["CLAIMTRACK_ENV"] == "production"
    assert required_in_production() <= {name for name, value in inline.items() if value}
    # Placeholders live on the build command alone: a container started without the real
    # values must refuse to start, not serve with the build's key.
    assert not required_in_production() & set(image_env())
    assert ".invalid" in inline["CELERY_BROKER_URL"] and ".invalid" in inline["CACHE_URL"]


def test_the_build_step_collects_the_static_files_with_the_dockerfiles_environment(built):
    manifest = json.loads((built / "static" / "staticfiles.json").read_text(encoding="utf-8"))
    assert "admin/css/base.css" in manifest["paths"]
    assert any(path.startswith("drf_spectacular_sidecar/") for path in manifest["paths"])


def test_the_deploy_check_finds_no_error_with_the_build_environment(tmp_path):
    inline, _ = build_step()
    done = run(["python", "manage.py", "check", "--deploy"],
               container_env({**image_env(), **inline}, tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    warnings = set(re.findall(r"\((security\.W\d+)\)", done.stdout + done.stderr))
    # HSTS and the HTTPS redirect belong to the TLS proxy in front (docs/deployment.md).
    assert warnings <= {"security.W004", "security.W008"}, done.stderr


def test_the_image_refuses_to_start_without_the_real_settings(tmp_path):
    done = run(["python", "manage.py", "check"], container_env(image_env(), tmp_path) | {
        "CLAIMTRACK_ENV": "production"})
    assert done.returncode != 0
    assert "SECRET_KEY must be set" in done.stderr


# --- the build context ------------------------------------------------------------------------


def dockerignore() -> list[tuple[bool, re.Pattern]]:
    """.dockerignore as (is an exception, pattern): Docker's rules, where * stays within one
    path segment, ** spans any, and a pattern that matches a directory takes its content."""
    rules = []
    for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        exception = line.startswith("!")
        pattern = os.path.normpath(line.lstrip("!")).lstrip("/")
        regex = ""
        for part in re.split(r"(\*\*/|\*\*|\*|\?)", pattern):
            regex += {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}.get(
                part, re.escape(part))
        rules.append((exception, re.compile(regex)))
    return rules


def ignored(path: str, rules=None) -> bool:
    rules = dockerignore() if rules is None else rules
    parts = path.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    result = False
    for exception, regex in rules:  # the last rule that matches decides
        if any(regex.fullmatch(prefix) for prefix in prefixes):
            result = not exception
    return result


def copied_sources() -> list[str]:
    sources = []
    for keyword, arguments in dockerfile():
        if keyword == "COPY":
            words = [word for word in shlex.split(arguments) if not word.startswith("--")]
            sources += words[:-1]
    return sources


def test_the_build_context_leaves_out_the_virtualenv_var_git_and_secrets():
    rules = dockerignore()
    for path in (".venv/bin/python", "var/claimtrack.sqlite3", "var/demo-password",
                 ".git/HEAD", ".env", "claims/__pycache__/models.cpython-311.pyc",
                 "research/notes.md", "tests/test_demo.py", "requirements/dev.txt"):
        assert ignored(path, rules), path


def test_every_path_the_dockerfile_copies_exists_and_is_in_the_context():
    rules = dockerignore()
    sources = copied_sources()
    assert {"requirements/runtime.txt", "claims", "config", "manage.py", "pyproject.toml",
            "README.md"} <= set(sources)
    for source in sources:
        path = ROOT / source
        assert path.exists(), source
        files = [path] if path.is_file() else [
            p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
        assert files, source
        left_out = [str(p.relative_to(ROOT)) for p in files
                    if ignored(str(p.relative_to(ROOT)), rules)]
        assert left_out == [], left_out


# --- docker-compose.yml --------------------------------------------------------------------------

COMPOSE_VARIABLE = re.compile(
    r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def interpolate(value, env: dict[str, str]):
    """Compose's variable substitution: ${X}, ${X:-default}, ${X-default}, ${X:?error}, $$."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1) or match.group(4)
        operator, argument = match.group(2), match.group(3)
        current = env.get(name)
        if operator == ":-":
            return current or argument
        if operator == "-":
            return argument if current is None else current
        if operator in (":?", "?") and not current:
            raise LookupError(f"{name}: {argument}")
        return current or ""

    return COMPOSE_VARIABLE.sub(substitute, value)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


USER_ENV = {"SECRET_KEY": "a-long-random-value-the-operator-sets-" + "x" * 20}


def image_services(compose: dict) -> dict[str, dict]:
    services = interpolate(compose["services"], USER_ENV)
    built = {name: service for name, service in services.items() if "build" in service}
    # One worker service per queue group (tests/test_celery_routes.py checks their queues).
    assert set(built) == {"migrate", "web", "worker", "worker-match", "worker-network",
                          "worker-sweeps", "beat"}
    return built


def test_compose_refuses_to_start_without_a_secret_key(compose):
    with pytest.raises(LookupError, match="SECRET_KEY"):
        interpolate(compose["services"], {})


def test_every_service_of_the_image_has_a_command_and_the_production_settings(compose):
    required = required_in_production()
    for name, service in image_services(compose).items():
        env = service["environment"]
        assert env["CLAIMTRACK_ENV"] == "production", name
        assert {var for var in required if str(env.get(var) or "").strip()} == required, name
        command = shlex.split(service["command"])
        if command[0] == "gunicorn":
            module, _, attribute = command[1].partition(":")
            source = (ROOT / (module.replace(".", "/") + ".py")).read_text(encoding="utf-8")
            assert re.search(rf"^{attribute} = ", source, re.M), command[1]
            assert (ROOT / command[command.index("-c") + 1]).is_file()
        elif command[0] == "celery":
            assert command[1:3] == ["-A", "config"]
            assert "app = Celery(" in (ROOT / "config" / "celery.py").read_text(encoding="utf-8")
        else:
            assert command[:2] == ["python", "manage.py"], name
        for word in command:  # a file the command writes sits where the image lets it write
            if word.startswith("--schedule="):
                assert word.split("=", 1)[1].startswith(f"{IMAGE_WORKDIR}/var/")


def test_the_number_of_web_workers_is_set_in_one_place(compose):
    services = image_services(compose)
    cmd = next(json.loads(arguments) for keyword, arguments in dockerfile() if keyword == "CMD")
    assert shlex.split(services["web"]["command"]) == cmd  # the image's own command
    for command in [cmd] + [shlex.split(s["command"]) for s in services.values()]:
        assert not {"--workers", "-w"} & set(command), command
    assert services["web"]["environment"]["WEB_CONCURRENCY"] == "3"


def test_web_and_worker_have_healthchecks_and_no_service_inherits_the_wrong_one(compose):
    services = image_services(compose)
    image_check = next(arguments for keyword, arguments in dockerfile()
                       if keyword == "HEALTHCHECK")
    image_probe = json.loads(image_check.split(" CMD ", 1)[1])
    assert services["web"]["healthcheck"]["test"] == ["CMD", *image_probe]
    assert "http://127.0.0.1:8000/health/" in image_probe[-1]
    worker_check = services["worker"]["healthcheck"]["test"]
    assert worker_check[0] == "CMD-SHELL"
    assert "celery -A config inspect ping -d celery@$HOSTNAME " in worker_check[1]
    # The image's check probes the web port: every other service sets its own or none.
    for name, service in services.items():
        check = service.get("healthcheck") or {}
        assert check.get("disable") is True or check.get("test"), name


def test_the_settings_load_with_the_composes_environment(compose, tmp_path):
    """Host names postgres and redis resolve only inside compose; `check` connects to none."""
    env = {key: str(value) for key, value in image_services(compose)["web"]["environment"].items()}
    done = run(["python", "manage.py", "check"], container_env({**image_env(), **env}, tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


# --- the healthchecks, run ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for(probe, seconds: float) -> subprocess.CompletedProcess:
    deadline = time.monotonic() + seconds
    while True:
        done = probe()
        if done.returncode == 0 or time.monotonic() > deadline:
            return done
        time.sleep(0.5)


def test_the_web_command_serves_health_with_web_concurrency_workers(compose, built):
    """The compose web command, as the container runs it (on a free port here), answers its
    healthcheck with WEB_CONCURRENCY workers; stopped, the healthcheck fails."""
    web = image_services(compose)["web"]
    port = free_port()
    command = [word.replace("0.0.0.0:8000", f"127.0.0.1:{port}")
               for word in shlex.split(web["command"])]
    env = {key: str(value) for key, value in web["environment"].items()}
    env = container_env({**image_env(), **env, "WEB_CONCURRENCY": "2"}, built)
    probe = [word.replace("127.0.0.1:8000", f"127.0.0.1:{port}")
             for word in web["healthcheck"]["test"][1:]]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        done = wait_for(lambda: run(probe, env, timeout=10), 60)
        assert done.returncode == 0, done.stderr + (server.stderr.read()
                                                    if server.poll() is not None else "")
        assert len(children(server.pid)) == 2
    finally:
        stop(server)
    assert run(probe, env, timeout=10).returncode != 0


def gunicorn_config(*flags: str, workers: str | None) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "WEB_CONCURRENCY"}
    if workers is not None:
        env["WEB_CONCURRENCY"] = workers
    return run([str(BIN / "python"), "-m", "gunicorn", *flags, "-c", "config/gunicorn.conf.py",
                "config.wsgi:application"], env, timeout=60)


def test_gunicorn_takes_its_workers_from_web_concurrency_and_refuses_a_bad_value():
    assert re.search(r"^workers += 3$", gunicorn_config("--print-config", workers=None).stdout,
                     re.M)
    assert re.search(r"^workers += 5$", gunicorn_config("--print-config", workers="5").stdout,
                     re.M)
    for bad, says in (("0", "WEB_CONCURRENCY=0: at least 1 worker process."),
                      ("three", "WEB_CONCURRENCY")):
        done = gunicorn_config("--check-config", workers=bad)
        assert done.returncode != 0
        assert says in done.stdout + done.stderr


@pytest.mark.services
def test_the_worker_healthcheck_answers_while_the_worker_runs_and_fails_once_it_stops(compose):
    require(bool(os.environ.get("CELERY_BROKER_URL")), "CELERY_BROKER_URL is not set")
    check = image_services(compose)["worker"]["healthcheck"]["test"][1]
    # A node name of its own: another worker on this broker must not answer for this one.
    hostname = f"deploytest-{uuid.uuid4().hex[:10]}"
    env = {**os.environ, "HOSTNAME": hostname,
           "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    worker = subprocess.Popen(
        [str(BIN / "celery"), "-A", "config", "worker", "-n", f"celery@{hostname}",
         "-Q", f"deploytest-{hostname}", "--concurrency=1", "--loglevel=WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True)
    try:
        done = wait_for(lambda: run(["sh", "-c", check], env, timeout=60), 90)
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"celery@{hostname}: OK" in done.stdout + done.stderr
    finally:
        stop(worker)
    assert run(["sh", "-c", check], env, timeout=60).returncode != 0
