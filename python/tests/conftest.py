"""One devnet for the whole session: `sinew devnet --demo` on a free loopback port, in a
temporary directory, stopped at the end. The demo leaves a datanet with a published version, a
model answering paid requests, agents and tasks, which the tests build on.

The `sinew` binary is `$SINEW_BIN`, else the workspace's `target/debug/sinew`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest

import sinew

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Devnet:
    """A running devnet: its URL, data directory and dev keys."""

    def __init__(self, url: str, dir: Path) -> None:
        self.url = url
        self.dir = dir
        self.client = sinew.Client(url)

    def key(self, i: int) -> sinew.Key:
        """Dev key `i`, loaded from the key file the devnet wrote (as the CLI would)."""
        return sinew.Key.load(str(self.dir / "keys" / f"dev{i}.json"))

    def fund(self, amount: int = 50 * sinew.TOKEN) -> sinew.Key:
        """A fresh key holding `amount`, sent by dev0."""
        k = sinew.Key.generate()
        self.client.send(self.key(0), sinew.payloads.transfer(k.address, amount))
        return k


@pytest.fixture(scope="session")
def devnet() -> Iterator[Devnet]:
    binary = os.environ.get("SINEW_BIN") or str(ROOT / "target" / "debug" / "sinew")
    if not os.path.exists(binary):
        pytest.fail(f"no sinew binary at {binary}: build it (cargo build -p sinew) or set SINEW_BIN")
    tmp = tempfile.TemporaryDirectory(prefix="sinew-py-")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [binary, "devnet", "--dir", tmp.name, "--listen", f"127.0.0.1:{port}", "--demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    done = threading.Event()
    lines: list = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if "check the whole chain offline" in line:
                done.set()

    threading.Thread(target=read, daemon=True).start()
    deadline = time.time() + 300
    while not done.is_set():
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            sys.stderr.write("".join(lines[-60:]))
            pytest.fail("the devnet demo did not finish")
        time.sleep(0.1)
    try:
        yield Devnet(url, Path(tmp.name))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        tmp.cleanup()


@pytest.fixture(scope="session")
def client(devnet: Devnet) -> sinew.Client:
    return devnet.client


def need(module: str):
    """Imports an optional dependency, or skips the test; with SINEW_PY_STRICT=1 (the test
    script sets it, having installed every extra) a missing one fails instead."""
    if os.environ.get("SINEW_PY_STRICT") == "1":
        import importlib

        return importlib.import_module(module)
    return pytest.importorskip(module)
