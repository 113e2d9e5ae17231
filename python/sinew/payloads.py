"""The transactions the ledger accepts, as the dicts `Client.send` signs.

Each builder returns ``{"module": ..., "type": ..., **fields}``, the payload's JSON form; the
Rust side parses it with the ledger's own types, so a misspelt field is refused with
`InvalidInput` before anything is signed. Amounts are ints of base units (`sinew.TOKEN` is one
token); they are sent as decimal strings. `sinew.payload_schema()` gives the full JSON schema,
for payloads no builder here covers (use `payload(module, type, **fields)`).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from ._sinew import Key

Payload = Dict[str, Any]


def _amount(value: int) -> str:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        from .errors import InvalidInput

        raise InvalidInput(f"an amount is a non-negative int of base units, got {value!r}")
    return str(value)


def _addr(a: Union[str, Key]) -> str:
    return a.address if isinstance(a, Key) else a


def payload(module: str, type: str, **fields: Any) -> Payload:
    """Any payload by module (staking, datanet, inference, tasks), type and fields."""
    return {"module": module, "type": type, **fields}


# -- staking ----------------------------------------------------------------------------------


def transfer(to: Union[str, Key], amount: int) -> Payload:
    """Send `amount` base units to `to`."""
    return payload("staking", "transfer", to=_addr(to), amount=_amount(amount))


def stake(amount: int) -> Payload:
    """Lock `amount` as stake."""
    return payload("staking", "stake", amount=_amount(amount))


def unstake(amount: int) -> Payload:
    """Start unbonding `amount` of stake."""
    return payload("staking", "unstake", amount=_amount(amount))


# -- datanets ---------------------------------------------------------------------------------


def create_datanet(
    name: str,
    description: str = "",
    license: str = "CC-BY-4.0",
    tags: Sequence[str] = (),
    curation: Optional[Dict[str, Any]] = None,
    contribution_bond: int = 0,
    reject_slash_bps: int = 0,
    publish_fee_per_byte: int = 0,
    refuse_near_duplicates: bool = False,
) -> Payload:
    """Create a datanet. `curation`: ``{"kind": "open"}`` (default), ``{"kind":
    "owner_curated"}`` or ``{"kind": "staked_reviewers", "quorum": n, "min_stake": "..."}``."""
    return payload(
        "datanet",
        "create_datanet",
        info={"name": name, "description": description, "license": license, "tags": list(tags)},
        rules={
            "curation": curation or {"kind": "open"},
            "contribution_bond": _amount(contribution_bond),
            "reject_slash_bps": reject_slash_bps,
            "publish_fee_per_byte": _amount(publish_fee_per_byte),
            "refuse_near_duplicates": refuse_near_duplicates,
        },
    )


def contribute(
    datanet: int,
    blob: str,
    size: int,
    format: Dict[str, Any],
    record_count: int,
    records_root: str,
    metadata: str = "",
) -> Payload:
    """Declare an uploaded blob as a contribution (`sinew.datanets.contribute` does it all:
    ingest, upload, declare)."""
    return payload(
        "datanet",
        "contribute",
        datanet=datanet,
        blob=blob,
        size=size,
        format=format,
        record_count=record_count,
        records_root=records_root,
        metadata=metadata,
    )


def review(datanet: int, contribution: int, approve: bool, reason: str = "") -> Payload:
    """Approve or reject a pending contribution (a curator)."""
    return payload("datanet", "review", datanet=datanet, contribution=contribution, approve=approve, reason=reason)


def publish_version(datanet: int) -> Payload:
    """Publish the next version: the previous one plus newly approved contributions (owner)."""
    return payload("datanet", "publish_version", datanet=datanet)


# -- inference --------------------------------------------------------------------------------


def register_provider(name: str, endpoint: str) -> Payload:
    """Register as an inference provider (needs stake)."""
    return payload("inference", "register_provider", name=name, endpoint=endpoint)


def register_model(
    name: str,
    provider: Union[str, Key],
    datanets: Sequence[Tuple[int, int]],
    input_per_1k: int,
    output_per_1k: int,
    owner_bps: int,
    provider_bps: int,
    contributors_bps: int,
    base_model: str = "infini-gram",
    tokenizer: str = "bytes",
    adapter: Optional[str] = None,
) -> Payload:
    """Register a model with its lineage (datanet versions), prices per 1,000 tokens and fee
    split in basis points (summing to 10,000). Its provider must then accept (`serve_model`)."""
    return payload(
        "inference",
        "register_model",
        info={
            "name": name,
            "base_model": base_model,
            "adapter": adapter,
            "adapter_blob": None,
            "datanets": [list(d) for d in datanets],
            "tokenizer": tokenizer,
        },
        provider=_addr(provider),
        pricing={"input_per_1k": _amount(input_per_1k), "output_per_1k": _amount(output_per_1k)},
        split={"owner_bps": owner_bps, "provider_bps": provider_bps, "contributors_bps": contributors_bps},
    )


def serve_model(model: int, serve: bool = True) -> Payload:
    """A provider accepts (or stops) serving a model."""
    return payload("inference", "serve_model", model=model, serve=serve)


def register_api_key(
    key_hash: str,
    providers: Sequence[Union[str, Key]],
    max_fee_per_request: int,
    spend_limit: int = 0,
    models: Sequence[int] = (),
    voucher_key: Optional[Union[str, Key]] = None,
) -> Payload:
    """Register an API key (by `sinew.api_key_hash(key)`), scoped to the providers (and
    models) that may charge it, with a per-request cap and a total spend limit (0: none). With
    `voucher_key`, every request needs a voucher signed by that key."""
    return payload(
        "inference",
        "register_api_key",
        key_hash=key_hash,
        scope={
            "providers": [_addr(p) for p in providers],
            "models": list(models),
            "max_fee_per_request": _amount(max_fee_per_request),
            "spend_limit": _amount(spend_limit),
            "voucher_key": _addr(voucher_key) if voucher_key is not None else None,
        },
    )


def revoke_api_key(key_hash: str) -> Payload:
    """Revoke an API key."""
    return payload("inference", "revoke_api_key", key_hash=key_hash)


def deposit_prepaid(amount: int) -> Payload:
    """Move `amount` from the balance to the prepaid balance inference draws on."""
    return payload("inference", "deposit_prepaid", amount=_amount(amount))


def withdraw_prepaid(amount: int) -> Payload:
    """Move prepaid funds back to the balance."""
    return payload("inference", "withdraw_prepaid", amount=_amount(amount))


def delegate_to_provider(provider: Union[str, Key], amount: int) -> Payload:
    """Stake behind a provider and share its fees."""
    return payload("inference", "delegate_to_provider", provider=_addr(provider), amount=_amount(amount))


# -- agents and tasks -------------------------------------------------------------------------


def register_agent(name: str, capabilities: Sequence[str], endpoint: str, stake: int) -> Payload:
    """Register as an agent, locking `stake`."""
    return payload(
        "tasks", "register_agent", name=name, capabilities=list(capabilities), endpoint=endpoint, stake=_amount(stake)
    )


def post_task(
    kind: str,
    spec: str,
    reward: int,
    deadline: int,
    claim_window: int,
    bond: int,
    verification: Optional[Dict[str, Any]] = None,
    parent: Optional[str] = None,
) -> Payload:
    """Post a task: `spec` is the blob id of its specification, `reward` is escrowed, the
    claimant locks `bond`. `deadline` and `claim_window` are in blocks. `verification`:
    ``{"mode": "poster", "window": n}`` (default, 20 blocks), ``{"mode": "recompute"}`` or a
    quorum."""
    return payload(
        "tasks",
        "post_task",
        kind=kind,
        spec=spec,
        reward=_amount(reward),
        deadline=deadline,
        claim_window=claim_window,
        bond=_amount(bond),
        verification=verification or {"mode": "poster", "window": 20},
        parent=parent,
    )


def claim_task(task: str) -> Payload:
    """Claim an open task (locks its bond)."""
    return payload("tasks", "claim_task", task=task)


def submit_result(task: str, result: str) -> Payload:
    """Submit a claimed task's result (a blob id)."""
    return payload("tasks", "submit_result", task=task, result=result)


def review_result(task: str, accept: bool) -> Payload:
    """The poster accepts or rejects a submitted result."""
    return payload("tasks", "review_result", task=task, accept=accept)


def attest(task: str, approve: bool) -> Payload:
    """A verifier's vote on a quorum task."""
    return payload("tasks", "attest", task=task, approve=approve)


def challenge(task: str, bond: int) -> Payload:
    """Challenge a submitted result, locking `bond`."""
    return payload("tasks", "challenge", task=task, bond=_amount(bond))


def finalize_task(task: str) -> Payload:
    """Settle a task whose window has passed (anyone may)."""
    return payload("tasks", "finalize_task", task=task)


def cancel_task(task: str) -> Payload:
    """The poster cancels an unclaimed task and gets its escrow back."""
    return payload("tasks", "cancel_task", task=task)


__all__: List[str] = [
    "attest",
    "cancel_task",
    "challenge",
    "claim_task",
    "contribute",
    "create_datanet",
    "delegate_to_provider",
    "deposit_prepaid",
    "finalize_task",
    "payload",
    "post_task",
    "publish_version",
    "register_agent",
    "register_api_key",
    "register_model",
    "register_provider",
    "revoke_api_key",
    "review",
    "review_result",
    "serve_model",
    "stake",
    "submit_result",
    "transfer",
    "unstake",
    "withdraw_prepaid",
]
