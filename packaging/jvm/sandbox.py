"""`polypay sandbox` for the clean-room tests: started on a free local port, stopped on exit."""

import json
import subprocess
from pathlib import Path


class Sandbox:
    """The CLI's sandbox (`--print-config`: one JSON line with base_url and the test keys)."""

    def __init__(self, polypay: Path):
        if not polypay.is_file():
            raise SystemExit(f"{polypay}: no polypay CLI (make dist-cli or cargo build -p polypay-cli)")
        self.process = subprocess.Popen(
            [str(polypay), "sandbox", "--port", "0", "--print-config", "--seed", "7"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True,
        )
        line = self.process.stdout.readline()
        if not line:
            self.close()
            raise SystemExit(f"{polypay} sandbox did not start")
        config = json.loads(line)
        self.base_url: str = config["base_url"]
        self.paycore: dict = config["paycore"]

    def args(self) -> list[str]:
        """base_url, account_id, api_key, public_key_test, secret_key_test: the quickstarts' inputs."""
        return [self.base_url] + [self.paycore[k] for k in ("account_id", "api_key", "public_key_test", "secret_key_test")]

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
