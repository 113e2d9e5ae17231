"""The typed client: one method per route of the node's API, `send(key, payload)` that signs
and waits for the commit, blobs, and the event stream as an iterator.

Answers are the node's JSON as plain dicts and lists (the field names are those of the API
reference at `/openapi.json`); amounts are decimal strings of base units (18 decimals), since
they may exceed 2**64. Requests, signing and errors go through the Rust SDK (`sinew._sinew`).
"""

from __future__ import annotations

import json
from typing import Any, Dict, Iterator, List, Optional, Sequence, Union
from urllib.parse import quote, urlencode

from . import _sinew
from .errors import InvalidInput
from ._sinew import Key

Json = Dict[str, Any]
Payload = Dict[str, Any]


def _hex(what: str, value: str, length: int = 64) -> str:
    """`value` if it is `length` hex characters, else `InvalidInput` (before any request)."""
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be a string of {length} hex characters, got {type(value).__name__}")
    v = value[2:] if value.startswith("0x") else value
    if len(v) != length or any(c not in "0123456789abcdefABCDEF" for c in v):
        raise InvalidInput(f"{what} must be {length} hex characters, got {value!r}")
    return v.lower()


def _uint(what: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(f"{what} must be a non-negative int, got {value!r}")
    return value


def _address(value: Union[str, Key]) -> str:
    return value.address if isinstance(value, Key) else _hex("address", value)


def _query(**params: Any) -> str:
    pairs = {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in params.items() if v is not None}
    return f"?{urlencode(pairs)}" if pairs else ""


class Client:
    """A client of one node, e.g. ``Client("http://127.0.0.1:8645")``."""

    def __init__(self, url: str = "http://127.0.0.1:8645") -> None:
        self._c = _sinew.Client(url)

    @property
    def url(self) -> str:
        """The node's base URL."""
        return self._c.url

    def __repr__(self) -> str:
        return f"Client({self.url!r})"

    # -- plumbing ---------------------------------------------------------------------------

    def get(self, path: str) -> Any:
        """GET any path (with its query string) and parse the JSON answer."""
        return json.loads(self._c.get(path))

    def post(self, path: str, body: Any) -> Any:
        """POST a JSON body to any path and parse the JSON answer."""
        return json.loads(self._c.post(path, json.dumps(body)))

    # -- node -------------------------------------------------------------------------------

    def health(self) -> Json:
        """`GET /health`: chain id, head height, whether the node is ready."""
        return self.get("/health")

    def metrics(self) -> str:
        """`GET /metrics`: Prometheus text."""
        return self._c.metrics()

    def openapi(self) -> Json:
        """`GET /openapi.json`: the API reference."""
        return self.get("/openapi.json")

    def chain(self) -> Json:
        """`GET /v1/chain`: genesis and durable head."""
        return self.get("/v1/chain")

    def chain_id(self) -> str:
        """The chain id (what signatures and vouchers are bound to)."""
        return self.health()["chain_id"]

    def height(self) -> int:
        """The durable head's height."""
        return self.health()["height"]

    def params(self) -> Json:
        """`GET /v1/params`: the ledger's parameters in force."""
        return self.get("/v1/params")

    def validators(self) -> Json:
        """`GET /v1/validators`: the validator set."""
        return self.get("/v1/validators")

    def consensus(self) -> Json:
        """`GET /v1/consensus`: view, finalized height, leader, peers."""
        return self.get("/v1/consensus")

    # -- transactions -----------------------------------------------------------------------

    def send(self, key: Key, payload: Payload) -> Json:
        """Signs `payload` with `key` (next nonce, current fee), submits it and waits until it
        is committed. Returns ``{"tx_id", "height", "index", "receipt"}``. Raises `TxFailed`,
        `TxRefused` or `TxDropped` (with the ledger's ``code``) when it does not go through."""
        return json.loads(self._c.send(key, json.dumps(payload)))

    def build(self, key: Key, payload: Payload, nonce: Optional[int] = None) -> Json:
        """Builds and signs a transaction without submitting it."""
        return json.loads(self._c.build(key, json.dumps(payload), nonce))

    def submit(self, tx: Json, wait: bool = True) -> Json:
        """`POST /v1/txs`: submits a signed transaction (from `build`); with `wait`, answers
        once it is committed or dropped."""
        return json.loads(self._c.submit(json.dumps(tx), wait))

    def submit_batch(self, txs: Sequence[Json], wait: bool = True) -> Json:
        """`POST /v1/txs/batch`: many signed transactions at once."""
        return self.post(f"/v1/txs/batch{_query(wait='commit' if wait else 'none')}", list(txs))

    def tx(self, tx_id: str) -> Json:
        """`GET /v1/txs/{id}`: where a transaction stands, with its receipt once committed."""
        return self.get(f"/v1/txs/{_hex('tx_id', tx_id)}")

    # -- accounts and state -----------------------------------------------------------------

    def account(self, address: Union[str, Key], height: Optional[int] = None, verify: bool = True) -> Json:
        """`GET /v1/accounts/{address}`: balance, stake, nonce with a Merkle proof. With
        `verify` (default) the proof is checked here against the state root the node names,
        and `ProofError` raised if it does not hold for exactly this account."""
        path = f"/v1/accounts/{_address(address)}{_query(height=height)}"
        text = self._c.get(path)
        if verify:
            _sinew.verify_account(text)
        return json.loads(text)

    def balance(self, address: Union[str, Key]) -> int:
        """An account's spendable balance in base units (proof checked)."""
        return int(self.account(address)["account"]["balance"])

    def state_value(self, key_hex: str, height: Optional[int] = None) -> Json:
        """`GET /v1/state/{key}`: any state key's value with its proof."""
        if not key_hex or any(c not in "0123456789abcdef" for c in key_hex.lower()) or len(key_hex) % 2:
            raise InvalidInput(f"state key must be hex, got {key_hex!r}")
        return self.get(f"/v1/state/{key_hex}{_query(height=height)}")

    def account_inference(self, address: Union[str, Key]) -> Json:
        """`GET /v1/accounts/{address}/inference`: prepaid balance, holds, rewards, API keys."""
        return self.get(f"/v1/accounts/{_address(address)}/inference")

    def activity(
        self, address: Union[str, Key], rewards: bool = False, before: Optional[str] = None, limit: Optional[int] = None
    ) -> Json:
        """`GET /v1/accounts/{address}/activity`: events concerning the account (or only its
        rewards), newest first; pass the answer's ``next`` as `before` for older ones."""
        q = _query(rewards=rewards or None, before=before, limit=limit)
        return self.get(f"/v1/accounts/{_address(address)}/activity{q}")

    # -- blocks -----------------------------------------------------------------------------

    def latest_block(self) -> Json:
        """`GET /v1/blocks/latest`."""
        return self.get("/v1/blocks/latest")

    def blocks(self, before: Optional[int] = None, limit: Optional[int] = None) -> Json:
        """`GET /v1/blocks`: headers, newest first."""
        return self.get(f"/v1/blocks{_query(before=before, limit=limit)}")

    def block(self, id: Union[int, str]) -> Json:
        """`GET /v1/blocks/{id}`: by height or header hash."""
        return self.get(f"/v1/blocks/{quote(str(id))}")

    def block_txs(self, id: Union[int, str], start: Optional[int] = None, limit: Optional[int] = None) -> Json:
        """`GET /v1/blocks/{id}/txs`: a range of a block's transactions with their receipts."""
        return self.get(f"/v1/blocks/{quote(str(id))}/txs{_query(**{'from': start, 'limit': limit})}")

    def receipts(self, id: Union[int, str]) -> Json:
        """`GET /v1/blocks/{id}/receipts`."""
        return self.get(f"/v1/blocks/{quote(str(id))}/receipts")

    def finalization(self, id: Union[int, str]) -> Json:
        """`GET /v1/blocks/{id}/finalization`: the certificate finalizing a block (validators)."""
        return self.get(f"/v1/blocks/{quote(str(id))}/finalization")

    # -- events -----------------------------------------------------------------------------

    def events(
        self, account: Optional[str] = None, kind: Optional[str] = None, task_kind: Optional[str] = None
    ) -> Iterator[Json]:
        """`GET /v1/events`: events of each block as it becomes durable, filtered, forever (until
        the node closes the stream). Each is ``{"height", "tx_id", "event"}``."""
        f = {k: v for k, v in {"account": account, "kind": kind, "task_kind": task_kind}.items() if v is not None}
        for text in self._c.events(json.dumps(f)):
            yield json.loads(text)

    # -- blobs ------------------------------------------------------------------------------

    def upload_blob(self, data: bytes, progress: Any = None) -> Json:
        """`PUT /v1/blobs`: stores bytes; ``{"blob", "size"}``. `progress(n)` is called as each
        chunk leaves."""
        return json.loads(self._c.upload_blob(bytes(data), progress))

    def blob(self, blob: str, max_bytes: int = 1 << 32) -> bytes:
        """`GET /v1/blobs/{id}`: a blob's bytes (refusing more than `max_bytes`)."""
        return self._c.blob(blob, max_bytes)

    # -- datanets ---------------------------------------------------------------------------

    def datanets(self, after: Optional[str] = None, limit: Optional[int] = None) -> Json:
        """`GET /v1/datanets`: datanets, paged."""
        return self.get(f"/v1/datanets{_query(after=after, limit=limit)}")

    def datanet(self, id: int) -> Json:
        """`GET /v1/datanets/{id}`: owner, rules, versions."""
        return self.get(f"/v1/datanets/{_uint('datanet', id)}")

    def datanet_version(self, id: int, n: int) -> Json:
        """`GET /v1/datanets/{id}/versions/{n}`: a published version and its contributions."""
        return self.get(f"/v1/datanets/{_uint('datanet', id)}/versions/{_uint('version', n)}")

    def datanet_contributions(
        self, id: int, contributor: Optional[str] = None, after: Optional[str] = None, limit: Optional[int] = None
    ) -> Json:
        """`GET /v1/datanets/{id}/contributions`: contributions with their status."""
        q = _query(contributor=contributor, after=after, limit=limit)
        return self.get(f"/v1/datanets/{_uint('datanet', id)}/contributions{q}")

    def contributions(
        self, contributor: Optional[str] = None, after: Optional[str] = None, limit: Optional[int] = None
    ) -> Json:
        """`GET /v1/contributions`: contributions across datanets (e.g. one contributor's)."""
        return self.get(f"/v1/contributions{_query(contributor=contributor, after=after, limit=limit)}")

    def records(
        self,
        id: int,
        contribution: Optional[int] = None,
        version: Optional[int] = None,
        offset: int = 0,
        limit: Optional[int] = None,
    ) -> Json:
        """`GET /v1/datanets/{id}/records`: records with their text and provenance, of one
        contribution, of one published version (in its index's order), or all."""
        q = _query(contribution=contribution, version=version, offset=offset or None, limit=limit)
        return self.get(f"/v1/datanets/{_uint('datanet', id)}/records{q}")

    def version_index(self, id: int, n: int, tokenizer: Optional[str] = None) -> Json:
        """`GET /v1/datanets/{id}/versions/{n}/index`: the version's index (built on demand,
        within the node's bounds)."""
        return self.get(f"/v1/datanets/{_uint('datanet', id)}/versions/{_uint('version', n)}/index{_query(tokenizer=tokenizer)}")

    def attribute(
        self,
        id: int,
        n: int,
        text: str,
        min_len: Optional[int] = None,
        max_count: Optional[int] = None,
        tokenizer: Optional[str] = None,
    ) -> Json:
        """`POST /v1/datanets/{id}/versions/{n}/attribute`: the attribution receipt of `text`
        against a version (every occurrence of every kept span, weights per contribution)."""
        body = {k: v for k, v in {"text": text, "min_len": min_len, "max_count": max_count, "tokenizer": tokenizer}.items() if v is not None}
        return self.post(f"/v1/datanets/{_uint('datanet', id)}/versions/{_uint('version', n)}/attribute", body)

    def datanet_models(self, id: int, after: Optional[str] = None, limit: Optional[int] = None) -> Json:
        """`GET /v1/datanets/{id}/models`: models trained on the datanet."""
        return self.get(f"/v1/datanets/{_uint('datanet', id)}/models{_query(after=after, limit=limit)}")

    # -- models and inference ---------------------------------------------------------------

    def models(self, after: Optional[str] = None, limit: Optional[int] = None) -> Json:
        """`GET /v1/registry/models`: registered models with lineage and prices."""
        return self.get(f"/v1/registry/models{_query(after=after, limit=limit)}")

    def model(self, id: int) -> Json:
        """`GET /v1/registry/models/{id}`."""
        return self.get(f"/v1/registry/models/{_uint('model', id)}")

    def model_named(self, name: str) -> Json:
        """The registered model called `name` (`NotFound` if none)."""
        after = None
        while True:
            page = self.models(after=after, limit=100)
            for m in page["models"]:
                if m["info"]["name"] == name:
                    return m
            after = page.get("next")
            if not after:
                from .errors import NotFound

                raise NotFound(f"no model named {name!r}", status=404, code="not_found")

    def providers(self, after: Optional[str] = None, limit: Optional[int] = None) -> Json:
        """`GET /v1/registry/providers`."""
        return self.get(f"/v1/registry/providers{_query(after=after, limit=limit)}")

    def served_models(self) -> Json:
        """`GET /v1/models`: the models this node's gateway serves (OpenAI's list)."""
        return self.get("/v1/models")

    def attribute_to_model(self, id: int, text: str) -> Json:
        """`POST /v1/registry/models/{id}/attribute`: the receipt (and digest) a settlement of
        `text` by this model must carry."""
        return self.post(f"/v1/registry/models/{_uint('model', id)}/attribute", {"text": text})

    def answers(self, model: Optional[int] = None, before: Optional[str] = None, limit: Optional[int] = None) -> Json:
        """`GET /v1/answers`: paid answers (settlements), newest first, of one model or all."""
        return self.get(f"/v1/answers{_query(model=model, before=before, limit=limit)}")

    def chat(
        self,
        api_key: str,
        model: str,
        messages: Sequence[Json],
        max_tokens: Optional[int] = None,
        seed: Optional[int] = None,
        voucher: Optional[str] = None,
    ) -> Json:
        """`POST /v1/chat/completions` (not streamed): a paid, attributed answer. Its
        ``"sinew"`` field holds the attribution and fee (see `sinew.Answer`). `voucher` is the
        value of `sinew.voucher_header(...)` for keys that require one."""
        body = {"model": model, "messages": list(messages), "max_tokens": max_tokens, "seed": seed}
        body = {k: v for k, v in body.items() if v is not None}
        return json.loads(self._c.openai("/v1/chat/completions", api_key, json.dumps(body), voucher))

    def complete(
        self,
        api_key: str,
        model: str,
        prompt: str,
        max_tokens: Optional[int] = None,
        seed: Optional[int] = None,
        voucher: Optional[str] = None,
    ) -> Json:
        """`POST /v1/completions` (not streamed): a paid, attributed text completion."""
        body = {"model": model, "prompt": prompt, "max_tokens": max_tokens, "seed": seed}
        body = {k: v for k, v in body.items() if v is not None}
        return json.loads(self._c.openai("/v1/completions", api_key, json.dumps(body), voucher))

    # -- agents and tasks -------------------------------------------------------------------

    def agents(self, capability: Optional[str] = None, after: Optional[str] = None, limit: Optional[int] = None) -> Json:
        """`GET /v1/agents`: registered agents with stake and reputation."""
        return self.get(f"/v1/agents{_query(capability=capability, after=after, limit=limit)}")

    def agent(self, address: Union[str, Key]) -> Json:
        """`GET /v1/agents/{address}`."""
        return self.get(f"/v1/agents/{_address(address)}")

    def tasks(
        self,
        status: Optional[str] = None,
        kind: Optional[str] = None,
        claimant: Optional[str] = None,
        after: Optional[str] = None,
        limit: Optional[int] = None,
    ) -> Json:
        """`GET /v1/tasks`: tasks, filtered by status (open, claimed, submitted, ...), kind or
        claimant."""
        return self.get(f"/v1/tasks{_query(status=status, kind=kind, claimant=claimant, after=after, limit=limit)}")

    def task(self, id: str) -> Json:
        """`GET /v1/tasks/{id}`: a task's terms, escrow and stage."""
        return self.get(f"/v1/tasks/{_hex('task id', id)}")

    def task_history(self, id: str, before: Optional[str] = None, limit: Optional[int] = None) -> Json:
        """`GET /v1/tasks/{id}/history`: a task's events, newest first."""
        return self.get(f"/v1/tasks/{_hex('task id', id)}/history{_query(before=before, limit=limit)}")

    # -- helpers built on the routes --------------------------------------------------------

    def contribute(self, key: Key, datanet: int, data: Any, **kwargs: Any) -> List[Json]:
        """Contributes to a datanet: see `sinew.datanets.contribute`."""
        from .datanets import contribute

        return contribute(self, key, datanet, data, **kwargs)


ROUTE_METHODS = {
    "Health": "health",
    "Metrics": "metrics",
    "OpenApi": "openapi",
    "Chain": "chain",
    "Params": "params",
    "SubmitTx": "submit",
    "SubmitBatch": "submit_batch",
    "TxStatus": "tx",
    "Account": "account",
    "StateValue": "state_value",
    "LatestBlock": "latest_block",
    "Blocks": "blocks",
    "Block": "block",
    "BlockReceipts": "receipts",
    "BlockTxs": "block_txs",
    "Events": "events",
    "UploadBlob": "upload_blob",
    "DownloadBlob": "blob",
    "Datanets": "datanets",
    "Datanet": "datanet",
    "DatanetVersion": "datanet_version",
    "DatanetContributions": "datanet_contributions",
    "DatanetRecords": "records",
    "Contributions": "contributions",
    "VersionIndex": "version_index",
    "AttributeToVersion": "attribute",
    "DatanetModels": "datanet_models",
    "Models": "models",
    "Model": "model",
    "Providers": "providers",
    "AccountInference": "account_inference",
    "AccountActivity": "activity",
    "Answers": "answers",
    "OpenAiModels": "served_models",
    "ChatCompletions": "chat",
    "Completions": "complete",
    "AttributeToModel": "attribute_to_model",
    "Agents": "agents",
    "Agent": "agent",
    "Tasks": "tasks",
    "Task": "task",
    "TaskHistory": "task_history",
    "Validators": "validators",
    "Consensus": "consensus",
    "BlockFinalization": "finalization",
}
"""Which method of `Client` serves each route of the node's API (checked by the tests against
the node's own route list, `sinew._sinew.routes()`)."""
