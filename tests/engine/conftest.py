"""Shared fixtures for engine tests: real data is read from the shared data folder at run time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from claims.engine import clean_text, extract_claims
from tests.conftest import require_data

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
SEED = DATA / "seed" / "telesur-2022-01-11-us-envoy-nato-open-door.txt"
POLNEAR_DEV = DATA / "attribution" / "dev.jsonl"


@pytest.fixture(scope="session")
def seed_raw() -> str:
    return require_data(SEED).read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_text(seed_raw) -> str:
    return clean_text(seed_raw)


@pytest.fixture(scope="session")
def seed_claims(seed_text):
    return extract_claims(seed_text)


@pytest.fixture(scope="session")
def polnear_dev() -> list[dict]:
    with require_data(POLNEAR_DEV).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
