"""Shared fixtures: the conformance vectors and a `polypay sandbox` for the whole session."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors"


def load_vectors(name: str) -> Dict[str, Any]:
    with open(VECTORS / name, encoding="utf-8") as f:
        return json.load(f)  # type: ignore[no-any-return]


class Sandbox:
    def __init__(self, config: Dict[str, Any]) -> None:
        self.config = config
        self.base_url: str = config["base_url"]
        self.paycore: Dict[str, str] = config["paycore"]
        self.ecommpay: Dict[str, Any] = config["ecommpay"]
        self.http = requests.Session()

    def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        r = self.http.request(method, self.base_url + "/__sandbox" + path, timeout=10, **kwargs)
        r.raise_for_status()
        return r.json() if r.content else None

    def stats(self) -> Dict[str, Any]:
        return self.admin("GET", "/stats")  # type: ignore[no-any-return]

    def api_requests(self) -> int:
        """Requests that reached the gateway API (admin routes excluded)."""
        stats = self.stats()["requests"]
        return sum(n for route, n in stats.items() if "/__sandbox" not in route)

    def invoices(self, reference_id: str) -> int:
        return self.admin("GET", "/invoices", params={"reference_id": reference_id})["count"]  # type: ignore[no-any-return]

    def fault(self, rule: Dict[str, Any]) -> None:
        self.admin("POST", "/faults", json=rule)

    def clear_faults(self) -> None:
        self.admin("DELETE", "/faults")

    def client_kwargs(self, **extra: Any) -> Dict[str, Any]:
        kwargs: Dict[str, Any] = dict(
            base_url=self.base_url,
            public_key=self.paycore["public_key_test"],
            account_id=self.paycore["account_id"],
            api_key=self.paycore["api_key"],
            secret_key=self.paycore["secret_key_test"],
        )
        kwargs.update(extra)
        return kwargs


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    binary = os.environ.get("POLYPAY_BIN") or str(ROOT / "target" / "debug" / "polypay")
    proc = subprocess.Popen(
        [binary, "sandbox", "--port", "0", "--print-config", "--seed", "7"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        raise RuntimeError("the sandbox did not start")
    try:
        yield Sandbox(json.loads(line))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture()
def sb(sandbox: Sandbox) -> Iterator[Sandbox]:
    sandbox.clear_faults()
    yield sandbox
    sandbox.clear_faults()


@pytest.fixture()
def client(sb: Sandbox) -> Any:
    import polypay

    return polypay.PayCoreClient(**sb.client_kwargs())


def ref() -> str:
    return "py-" + uuid.uuid4().hex[:16]
