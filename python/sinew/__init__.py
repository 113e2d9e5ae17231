"""Sinew for Python.

- `Client`: every route of a node's API, `send(key, payload)` that signs and waits for the
  commit, the event stream as an iterator.
- `Key`: signing keys, the CLI's key files (passphrase-encrypted ones too).
- `payloads`: the transactions the ledger accepts, as dicts.
- `datanets`: contributions from files, strings, pandas columns or Hugging Face datasets.
- `Engine`: the attribution engine on a local corpus, shaped like infini-gram's.
- `Answer`: the attribution and payment of a paid answer, from any OpenAI client's response.

Encoding, signing, proofs and attribution are the Rust crates the node runs (`sinew._sinew`).
"""

from . import errors, payloads
from ._sinew import Key, api_key_hash, format_for, pdf_text, payload_schema, routes, verify_account, voucher_header
from .client import Client
from .datanets import contribute
from .engine import Engine
from .errors import (
    InvalidInput,
    KeyFileError,
    NodeError,
    NotFound,
    ProofError,
    SinewError,
    TxDropped,
    TxError,
    TxFailed,
    TxPending,
    TxRefused,
    Unreachable,
)
from .inference import Answer, Payout, Span, Weight, new_request_id

TOKEN = 10**18
"""One token in base units."""

__all__ = [
    "Answer",
    "Client",
    "Engine",
    "InvalidInput",
    "Key",
    "KeyFileError",
    "NodeError",
    "NotFound",
    "Payout",
    "ProofError",
    "SinewError",
    "Span",
    "TOKEN",
    "TxDropped",
    "TxError",
    "TxFailed",
    "TxPending",
    "TxRefused",
    "Unreachable",
    "Weight",
    "api_key_hash",
    "contribute",
    "errors",
    "format_for",
    "new_request_id",
    "payload_schema",
    "payloads",
    "pdf_text",
    "routes",
    "verify_account",
    "voucher_header",
]
