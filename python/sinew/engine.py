"""The attribution engine on a local corpus (`sinew.Engine`, from the Rust crate the ledger
runs), and building one from a published datanet version so that its receipts are exactly the
node's.

    engine = Engine.build(["the river rises in the hills", ...])
    engine.count("river")                 # {"count": 1, "approx": False}
    engine.attribute(answer, min_len=8)   # spans with their records, weights
"""

from __future__ import annotations

from typing import Any, List, Tuple

from ._sinew import Engine

__all__ = ["Engine", "from_version", "version_records"]


def version_records(client: Any, datanet: int, version: int, page: int = 500) -> List[Tuple[int, int, str]]:
    """The records of a published version, in its index's order: (contribution, record, text)."""
    out: List[Tuple[int, int, str]] = []
    while True:
        got = client.records(datanet, version=version, offset=len(out), limit=page)["records"]
        if not got:
            return out
        out.extend((r["contribution"], r["index"], r["text"]) for r in got)


def from_version(client: Any, datanet: int, version: int, tokenizer: str = "bytes") -> Engine:
    """An engine over a published datanet version's records, fetched from a node: its `id` and
    its receipts equal the node's for that version (check them with `Client.attribute`)."""
    recs = version_records(client, datanet, version)
    return Engine.build([t for _, _, t in recs], tokenizer, [(c, r) for c, r, _ in recs])
