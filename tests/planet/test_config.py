"""Every setting the code reads is loaded, with its default, by planet.config.load_config."""

from __future__ import annotations

import ast
from pathlib import Path

from planet.config import load_config

ROOT = Path(__file__).resolve().parents[2]
# Flask's and Flask-Login's own settings (their defaults come with them).
NOT_OURS = {"TESTING", "DEBUG", "SERVER_NAME", "WTF_CSRF_ENABLED", "SESSION_COOKIE_NAME",
            "REMEMBER_COOKIE_NAME"}  # fmt: skip
# Replaced by a per-planet setting in another change (issue 9): left where it is.
PENDING = {"RENEWAL_GRACE_DAYS"}


def _config_reads() -> dict[str, str]:
    """NAME -> where, for `<...>.config["NAME"]`, `<...>.config.get("NAME", ...)` and
    `config["NAME"]` on a name called config, outside planet/config.py."""
    found: dict[str, str] = {}
    for package in ("planet", "payments", "workers"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if path == ROOT / "planet" / "config.py":
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                target = key = None
                if isinstance(node, ast.Subscript):
                    target, key = node.value, node.slice
                elif (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "get"
                    and node.args
                ):
                    target, key = node.func.value, node.args[0]
                is_config = (isinstance(target, ast.Attribute) and target.attr == "config") or (
                    isinstance(target, ast.Name) and target.id == "config"
                )
                if is_config and isinstance(key, ast.Constant) and isinstance(key.value, str):
                    found.setdefault(key.value, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_the_walk_finds_config_reads():
    reads = _config_reads()
    assert "DIGEST_BATCH_SIZE" in reads and "AVATAR_MAX_BYTES" in reads


def test_every_setting_read_is_loaded_with_a_default():
    loaded = load_config()
    missing = {
        name: where
        for name, where in _config_reads().items()
        if name not in loaded and name not in NOT_OURS | PENDING
    }
    assert missing == {}


def test_settings_come_typed_from_the_environment(monkeypatch):
    monkeypatch.setenv("DIGEST_BATCH_SIZE", "7")
    monkeypatch.setenv("MAIL_TIMEOUT", "2.5")
    monkeypatch.setenv("MAIL_USE_SSL", "yes")
    monkeypatch.setenv("CELERY_BROKER_KEYPREFIX", "run-1:")
    config = load_config()
    assert config["DIGEST_BATCH_SIZE"] == 7
    assert config["MAIL_TIMEOUT"] == 2.5
    assert config["MAIL_USE_SSL"] is True
    assert config["CELERY_BROKER_KEYPREFIX"] == "run-1:"
    monkeypatch.delenv("DIGEST_BATCH_SIZE")
    assert load_config()["DIGEST_BATCH_SIZE"] == 500
