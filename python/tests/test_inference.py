"""Paid, attributed answers from Python: the client's chat, the official `openai` client, the
`sinew` field read into typed objects, the payout to the unit, and per-request vouchers."""

from __future__ import annotations

import pytest

import sinew
from conftest import need
from sinew import payloads

TOKEN = sinew.TOKEN


@pytest.fixture(scope="module")
def model(client):
    return client.model_named("rivers-lm-0")


def paying_user(devnet, client, model, voucher_key=None, max_fee=TOKEN // 10, prepaid=2 * TOKEN):
    """A funded user with a registered API key for the demo model and a prepaid balance."""
    user = devnet.fund(5 * TOKEN)
    api_key = "sk-py-" + user.address[:24]
    client.send(
        user,
        payloads.register_api_key(
            sinew.api_key_hash(api_key),
            providers=[model["provider"]],
            models=[model["id"]],
            max_fee_per_request=max_fee,
            spend_limit=TOKEN,
            voucher_key=voucher_key,
        ),
    )
    client.send(user, payloads.deposit_prepaid(prepaid))
    return user, api_key


def prepaid(client, user):
    return int(client.account_inference(user)["prepaid"]["balance"])


def test_a_paid_answer_is_attributed_and_paid_out_to_the_unit(devnet, client, model):
    user, api_key = paying_user(devnet, client, model)
    before = prepaid(client, user)
    resp = client.chat(api_key, model["info"]["name"], [{"role": "user", "content": "Most rivers begin as"}], max_tokens=64)
    a = sinew.Answer.of(resp)
    assert a.text and a.model_id == model["id"] and 0 < a.fee <= a.held
    assert a.spans and all(s.text for s in a.spans)
    assert sum(w.ppm for w in a.weights) == 1_000_000
    payout = a.payout(client)
    assert sum(p.amount for p in payout) == a.fee
    assert {p.kind for p in payout} >= {"platform", "owner", "provider", "contributor"}
    assert prepaid(client, user) == before - a.fee
    # The receipt the answer names is what the node recomputes for the same text.
    assert client.attribute_to_model(model["id"], a.text)["digest"] == a.receipt_id
    assert any(e["request_id"] == a.request_id for e in client.answers(model=model["id"], limit=50)["events"])


def test_the_official_openai_client_works_and_its_answer_reads(devnet, client, model):
    openai = need("openai")
    user, api_key = paying_user(devnet, client, model)
    oai = openai.OpenAI(base_url=client.url + "/v1", api_key=api_key)
    assert model["info"]["name"] in [m.id for m in oai.models.list().data]
    resp = oai.chat.completions.create(model=model["info"]["name"], messages=[{"role": "user", "content": "A reservoir forms behind"}], max_tokens=48)
    a = sinew.Answer.of(resp)
    assert a.text == resp.choices[0].message.content and a.fee > 0
    c = oai.completions.create(model=model["info"]["name"], prompt="Lakes", max_tokens=16)
    assert sinew.Answer.of(c).fee > 0
    with pytest.raises(sinew.InvalidInput):
        sinew.Answer.of({"choices": []})


def test_a_request_above_the_keys_cap_is_refused_and_charges_nothing(devnet, client, model):
    user, api_key = paying_user(devnet, client, model, max_fee=1)
    before = prepaid(client, user)
    with pytest.raises(sinew.NodeError) as e:
        client.chat(api_key, model["info"]["name"], [{"role": "user", "content": "Most rivers"}], max_tokens=64)
    assert e.value.status in (400, 402, 403)
    assert prepaid(client, user) == before
    with pytest.raises(sinew.NodeError):
        client.chat("sk-nobody", model["info"]["name"], [{"role": "user", "content": "hi"}])


def test_vouchers_sign_each_request(devnet, client, model):
    signer = sinew.Key.generate()
    user, api_key = paying_user(devnet, client, model, voucher_key=signer)
    name, msgs = model["info"]["name"], [{"role": "user", "content": "Most rivers begin as"}]
    before = prepaid(client, user)
    with pytest.raises(sinew.NodeError):
        client.chat(api_key, name, msgs, max_tokens=32)  # this key takes only vouchers
    chain, height = client.chain_id(), client.height()
    rid = sinew.new_request_id()
    h = sinew.api_key_hash(api_key)
    forged = sinew.voucher_header(sinew.Key.generate(), chain, h, rid, model["id"], TOKEN // 10, height + 100)
    with pytest.raises(sinew.NodeError):
        client.chat(api_key, name, msgs, max_tokens=32, voucher=forged)
    assert prepaid(client, user) == before
    good = sinew.voucher_header(signer, chain, h, rid, model["id"], TOKEN // 10, height + 100)
    a = sinew.Answer.of(client.chat(api_key, name, msgs, max_tokens=32, voucher=good))
    assert a.request_id == rid and a.fee <= TOKEN // 10
    with pytest.raises(sinew.NodeError):
        client.chat(api_key, name, msgs, max_tokens=32, voucher=good)  # single use
    assert prepaid(client, user) == before - a.fee
    with pytest.raises(sinew.InvalidInput):
        client.chat(api_key, name, msgs, voucher="zz")
    with pytest.raises(sinew.InvalidInput):
        sinew.voucher_header(signer, chain, "nothex", rid, 0, 1, 1)
