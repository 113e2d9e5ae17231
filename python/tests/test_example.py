"""The walkthrough example runs start to finish against the devnet (so it cannot rot)."""

import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "walkthrough.py"


def test_walkthrough_runs(devnet):
    out = subprocess.run(
        [sys.executable, str(EXAMPLE), devnet.url, str(devnet.dir / "keys" / "dev0.json")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "same index as the node's: True" in out.stdout
    assert "completed" in out.stdout
