"""Paid answers: the `sinew` field the gateway adds to every OpenAI-style answer, read into
typed objects, and the exact payout of the answer's settlement read back from the ledger.

Works with any client's response: the official `openai` package (``resp.model_extra["sinew"]``
or ``resp.to_dict()``), a plain dict from `Client.chat`, or raw JSON.

    resp = openai_client.chat.completions.create(model=..., messages=...)
    answer = Answer.of(resp)
    answer.fee, answer.spans[0].text, answer.weights
    answer.payout(sinew_client)   # who got what, to the unit
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from .errors import InvalidInput, ProofError

__all__ = ["Answer", "Payout", "Span", "Weight", "new_request_id"]


def new_request_id() -> str:
    """A fresh random request id (64 hex) for a voucher."""
    return os.urandom(32).hex()


@dataclass(frozen=True)
class Span:
    """A span of the answer found verbatim in a record."""

    text: str
    """The span's text."""
    answer_offset: int
    """Where it starts in the answer, in tokens of the index's tokenizer."""
    length: int
    """Its length in tokens."""
    datanet: Optional[int]
    """The datanet of the record (None if unknown)."""
    contribution: int
    """The contribution holding the record."""
    record: int
    """The record's number in the contribution."""
    record_offset: int
    """Where the span starts in the record, in tokens."""


@dataclass(frozen=True)
class Weight:
    """A contribution's share of the contributors' part of the fee."""

    datanet: int
    contribution: int
    contributor: str
    ppm: int
    """Parts per million (the weights of an answer sum to 1,000,000, or there are none)."""


@dataclass(frozen=True)
class Payout:
    """One payment out of an answer's fee, as the settlement's events record it."""

    kind: str
    """``owner``, ``provider``, ``staker``, ``contributor`` or ``platform``."""
    account: str
    amount: int
    """Base units."""
    contribution: Optional[int] = None


@dataclass(frozen=True)
class Answer:
    """A paid answer: its text, what it cost, and what shaped it."""

    text: str
    model: str
    model_id: int
    request_id: str
    settlement_tx: str
    fee: int
    """What the answer cost, in base units."""
    held: int
    """The most it could have cost (what was reserved)."""
    receipt_id: str
    """The attribution receipt's digest, which the settlement carries and every node checks."""
    index: str
    tokenizer: str
    min_len: int
    max_count: int
    spans: List[Span] = field(default_factory=list)
    weights: List[Weight] = field(default_factory=list)
    timings_us: Dict[str, int] = field(default_factory=dict)

    @staticmethod
    def of(response: Any) -> "Answer":
        """Reads an answer from an OpenAI-style response: an `openai` object, a dict, or
        JSON text. Raises `InvalidInput` if it has no ``sinew`` field (not a Sinew gateway)."""
        d = _as_dict(response)
        s = d.get("sinew")
        if not isinstance(s, dict):
            raise InvalidInput("the response has no `sinew` field: it did not come from a Sinew gateway")
        choices = d.get("choices") or [{}]
        c = choices[0] if isinstance(choices, list) else None
        if not isinstance(c, dict):
            raise InvalidInput("the response's choices are malformed")
        message = c.get("message")
        text = message.get("content") if isinstance(message, dict) else c.get("text")
        try:
            return Answer(
                text=text or "",
                model=d.get("model", ""),
                model_id=int(s["model_id"]),
                request_id=s["request_id"],
                settlement_tx=s["settlement_tx"],
                fee=int(s["fee"]),
                held=int(s["held"]),
                receipt_id=s["receipt_id"],
                index=s["index"],
                tokenizer=s["tokenizer"],
                min_len=int(s["min_len"]),
                max_count=int(s["max_count"]),
                spans=[
                    Span(
                        text=x["text"],
                        answer_offset=x["answer_offset"],
                        length=x["len"],
                        datanet=x.get("datanet"),
                        contribution=x["contribution"],
                        record=x["record"],
                        record_offset=x["record_offset"],
                    )
                    for x in s.get("spans", [])
                ],
                weights=[Weight(w["datanet"], w["contribution"], w["contributor"], w["ppm"]) for w in s.get("weights", [])],
                timings_us=dict(s.get("timings_us", {})),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise InvalidInput(f"the `sinew` field is malformed: {e!r}") from None

    def payout(self, client: Any) -> List[Payout]:
        """Who was paid what out of this answer's fee, to the unit, read from the settlement
        transaction's events on the ledger: the platform (treasury), the model owner, the
        provider (net of its stakers' shares), each staker and each contributor. The amounts
        sum to `fee`."""
        tx = client.tx(self.settlement_tx)
        receipt = tx.get("receipt") or {}
        events = receipt.get("events", [])
        settled = next((e for e in events if e.get("kind") == "inference_settled"), None)
        if settled is None or settled.get("request_id") != self.request_id:
            raise ProofError(f"transaction {self.settlement_tx} does not settle request {self.request_id}")
        if int(settled["fee"]) != self.fee:
            raise ProofError(f"the answer says it cost {self.fee}; the ledger settled {settled['fee']}")
        model = client.model(int(settled["model"]))["model"]
        stakers = [e for e in events if e.get("kind") == "staker_rewarded"]
        to_stakers = sum(int(e["amount"]) for e in stakers)
        out = [
            Payout("platform", "treasury", int(settled["platform"])),
            Payout("owner", model["owner"], int(settled["owner"])),
            Payout("provider", model["provider"], int(settled["provider"]) - to_stakers),
        ]
        out += [Payout("staker", e["staker"], int(e["amount"])) for e in stakers]
        out += [
            Payout("contributor", e["account"], int(e["amount"]), e.get("contribution"))
            for e in events
            if e.get("kind") == "reward_accrued"
        ]
        if sum(p.amount for p in out) != self.fee:
            raise ProofError(f"the settlement's payouts sum to {sum(p.amount for p in out)}, not the fee {self.fee}")
        return out

    @property
    def contributors(self) -> Dict[str, int]:
        """Contributors by address with their total weight in ppm."""
        out: Dict[str, int] = {}
        for w in self.weights:
            out[w.contributor] = out.get(w.contributor, 0) + w.ppm
        return out


def _as_dict(response: Any) -> Dict[str, Any]:
    if isinstance(response, dict):
        return response
    if isinstance(response, (str, bytes)):
        try:
            return json.loads(response)
        except ValueError as e:
            raise InvalidInput(f"not JSON: {e}") from None
    for attr in ("to_dict", "model_dump"):
        f = getattr(response, attr, None)
        if callable(f):
            return f()
    raise InvalidInput(f"cannot read an answer from a {type(response).__name__}")
