"""Exceptions raised by the `sinew` package.

Every one is a `SinewError`. Each also derives from the built-in exception a Python caller
would naturally catch: bad input is a `ValueError`, an unreachable node a `ConnectionError`,
an unknown id a `LookupError`. A transaction that did not go through carries the ledger's
failure code (`code`, e.g. ``"insufficient_balance"``) and its id (`tx_id`).
"""

from __future__ import annotations

from typing import Optional


class SinewError(Exception):
    """Base of every error raised by the package."""

    def __init__(self, message: str, **fields: object) -> None:
        super().__init__(message)
        self.message = message
        for name, value in fields.items():
            setattr(self, name, value)


class InvalidInput(SinewError, ValueError):
    """Malformed input (bad hex, unknown tokenizer, a payload that does not parse), refused
    before anything was sent."""


class KeyFileError(SinewError):
    """A key file is missing, corrupt, or needs a (different) passphrase."""


class ProofError(SinewError):
    """A Merkle proof does not hold, or does not prove what the node claims."""


class Unreachable(SinewError, ConnectionError):
    """The node could not be reached (down, wrong address, connection cut)."""


class NodeError(SinewError):
    """The node answered with an error: `status` (HTTP), `code` (machine readable) and
    `detail`."""

    status: Optional[int] = None
    code: str = "unknown"
    detail: str = ""


class NotFound(NodeError, LookupError):
    """The node has no such thing (account history, block, datanet, model, task...)."""


class TxError(SinewError):
    """A transaction did not go through: `tx_id`, the ledger's failure `code`, `detail`."""

    tx_id: str = ""
    code: str = "unknown"
    detail: str = ""


class TxFailed(TxError):
    """Included in a block and failed there: it paid its fee and changed nothing else."""


class TxRefused(TxError):
    """Refused at submission (bad signature, nonce or fee, or a dry run showing it would only
    fail): nothing changed, no fee."""


class TxPending(TxError):
    """The node stopped waiting before the transaction was included: it may still commit. Ask
    `Client.tx(e.tx_id)` later; do not resend blindly (it would pay twice)."""


class TxDropped(TxError):
    """Dropped before inclusion (its nonce or fee went stale): nothing changed, no fee."""

