"""Issue 17 item 9b: no built-in secret key.

The key comes from ``SECRET_KEY``, else from the key file (``SECRET_KEY_FILE``, default
``instance/secret_key``) that ``make secret-key`` writes once (mode 0600) before ``make run``,
``deploy`` and ``seed`` start the application. Without a key the application refuses to start in
any mode; production also refuses a weak key. The key is never logged or shown in an error.
"""
import hashlib
import importlib.util
import logging
import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import config
from app import create_app
from config import TestConfig
from tests.servers import new_identity_keys

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "secret_key.py"


def _config(**settings):
    """TestConfig without its key, plus ``settings`` (and identity keys of its own: production
    refuses the test keyring, issue 24)."""
    return type("KeyConfig", (TestConfig,), {"SECRET_KEY": None, "IDENTITY_KEYS": new_identity_keys(), **settings})


@pytest.fixture
def no_key_in_environment(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("SECRET_KEY_FILE", raising=False)


def _script():
    spec = importlib.util.spec_from_file_location("secret_key_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _env(**extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("SECRET_KEY", "SECRET_KEY_FILE", "TEST_DATABASE_URL", "FLASK_APP", "PRODUCTION", "FLASK_ENV")}
    env.update(extra)
    return env


def test_config_has_no_built_in_key():
    assert not hasattr(config, "DEV_SECRET_KEY")
    source = (ROOT / "config.py").read_text(encoding="utf-8")
    assert "dev-only-secret-key" not in source
    # imported without SECRET_KEY in the environment, the configuration has no key at all
    result = subprocess.run(
        [sys.executable, "-c", "import config; print(repr(config.Config.SECRET_KEY))"],
        cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "None"


@pytest.mark.parametrize("production", [False, True], ids=["development", "production"])
def test_start_up_refuses_without_any_key(no_key_in_environment, tmp_path, production):
    missing = tmp_path / "instance" / "secret_key"
    with pytest.raises(RuntimeError, match="No SECRET_KEY") as refused:
        create_app(_config(SECRET_KEY_FILE=str(missing), PRODUCTION=production))
    assert str(missing) in str(refused.value) and "make secret-key" in str(refused.value)
    missing.parent.mkdir()
    missing.write_text("  \n")
    with pytest.raises(RuntimeError, match="No SECRET_KEY"):
        create_app(_config(SECRET_KEY_FILE=str(missing), PRODUCTION=production))


def test_the_key_comes_from_the_key_file_and_is_never_logged(no_key_in_environment, tmp_path, caplog):
    key = secrets.token_hex(32)
    path = tmp_path / "secret_key"
    path.write_text(key + "\n")
    caplog.set_level(logging.DEBUG)
    app = create_app(_config(SECRET_KEY_FILE=str(path), PRODUCTION=True))
    assert app.config["SECRET_KEY"] == key
    assert caplog.records, "start-up logs something, but never the key"
    assert key not in caplog.text


def test_the_environment_wins_over_the_key_file(monkeypatch, tmp_path):
    path = tmp_path / "secret_key"
    path.write_text(secrets.token_hex(32))
    from_environment = secrets.token_hex(32)
    monkeypatch.setenv("SECRET_KEY", from_environment)
    app = create_app(_config(SECRET_KEY_FILE=str(path)))
    assert app.config["SECRET_KEY"] == from_environment


def test_test_config_keeps_its_own_key(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY_FILE", str(tmp_path / "missing"))
    assert create_app(TestConfig).config["SECRET_KEY"] == TestConfig.SECRET_KEY


WEAK = {
    "short": "Kq3#x9",
    "repetitive": "ab" * 32,
    "one-character": "a" * 64,
    "the-test-key": TestConfig.SECRET_KEY,
}


@pytest.mark.parametrize("key", list(WEAK.values()), ids=list(WEAK))
def test_production_refuses_a_weak_key_without_showing_it(no_key_in_environment, key, caplog):
    with pytest.raises(RuntimeError, match="too weak for production") as refused:
        create_app(_config(SECRET_KEY=key, PRODUCTION=True))
    assert key not in str(refused.value) and key not in caplog.text
    # development accepts it (only a missing key is refused there)
    assert create_app(_config(SECRET_KEY=key, PRODUCTION=False)).config["SECRET_KEY"] == key


def test_production_refuses_the_former_development_key():
    former = "dev-only-secret-key-do-not-use-in-production"
    assert hashlib.sha256(former.encode()).hexdigest() in config._PUBLISHED_KEY_DIGESTS
    with pytest.raises(RuntimeError, match="published"):
        create_app(_config(SECRET_KEY=former, PRODUCTION=True))


def test_production_accepts_a_random_key(no_key_in_environment):
    key = secrets.token_hex(32)
    assert create_app(_config(SECRET_KEY=key, PRODUCTION=True)).config["SECRET_KEY"] == key


def test_the_script_writes_a_private_key_once_and_never_overwrites_it(tmp_path):
    path = tmp_path / "instance" / "secret_key"
    def run(**extra):
        return subprocess.run([sys.executable, str(SCRIPT)], cwd=ROOT,
                              env=_env(**{"SECRET_KEY_FILE": str(path), **extra}),
                              capture_output=True, text=True, timeout=60)

    first = run()
    assert first.returncode == 0, first.stderr
    key = path.read_text().strip()
    assert len(key) == 64 and int(key, 16) >= 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert key not in first.stdout + first.stderr
    second = run()
    assert second.returncode == 0 and path.read_text().strip() == key, "never overwritten"
    other = tmp_path / "other"
    assert run(SECRET_KEY="from-the-environment", SECRET_KEY_FILE=str(other)).returncode == 0
    assert not other.exists(), "nothing is written when SECRET_KEY is set"


def test_the_script_and_the_config_agree_on_the_default_file(monkeypatch):
    monkeypatch.delenv("SECRET_KEY_FILE", raising=False)
    assert _script().key_file_path({}) == config.secret_key_file() == config.DEFAULT_SECRET_KEY_FILE
    assert config.secret_key_file("instance/other") == str(ROOT / "instance" / "other")


@pytest.mark.parametrize("target", ["run", "deploy", "seed"])
def test_make_creates_the_key_before_it_starts_the_application(target):
    result = subprocess.run(["make", "-n", target], cwd=ROOT, env=_env(MAKEFLAGS=""),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    key = next(i for i, line in enumerate(lines) if "scripts/secret_key.py" in line)
    flask = next(i for i, line in enumerate(lines) if "flask --app run" in line)
    assert key < flask


@pytest.mark.slow
def test_flask_refuses_to_start_without_a_key_and_starts_with_the_generated_one(tmp_path):
    path = tmp_path / "instance" / "secret_key"
    env = _env(SECRET_KEY_FILE=str(path), DATABASE_URL=f"sqlite:///{tmp_path / 'app.db'}",
               IDENTITY_KEYS=new_identity_keys())
    flask = [sys.executable, "-m", "flask", "--app", "run", "routes"]
    refused = subprocess.run(flask, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode != 0
    assert "No SECRET_KEY" in refused.stderr
    assert subprocess.run([sys.executable, str(SCRIPT)], cwd=ROOT, env=env, timeout=60).returncode == 0
    started = subprocess.run(flask, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert started.returncode == 0, started.stderr[-2000:]
    assert path.read_text().strip() not in started.stdout + started.stderr
