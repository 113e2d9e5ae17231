"""Drives a Sinew gateway with the official `openai` Python client, unchanged.

Usage: openai_client.py BASE_URL API_KEY MODEL BAD_KEY
Prints one JSON object with what each call returned, for the Rust test to check.
"""
import json
import sys

import openai
from openai import OpenAI

base, key, model, bad_key = sys.argv[1:5]
client = OpenAI(base_url=base + "/v1", api_key=key, max_retries=0)
out = {}

out["models"] = [m.id for m in client.models.list().data]

chat = client.chat.completions.create(
    model=model,
    messages=[{"role": "user", "content": "The Danube flows"}],
    max_tokens=48,
)
out["chat"] = {
    "content": chat.choices[0].message.content,
    "finish_reason": chat.choices[0].finish_reason,
    "usage": chat.usage.model_dump(),
    "sinew": (chat.model_extra or {}).get("sinew"),
}

parts = []
sinew = None
for chunk in client.chat.completions.create(
    model=model,
    messages=[{"role": "user", "content": "The Danube flows"}],
    max_tokens=48,
    stream=True,
):
    if chunk.choices and chunk.choices[0].delta.content:
        parts.append(chunk.choices[0].delta.content)
    extra = chunk.model_extra or {}
    if "sinew" in extra:
        sinew = extra["sinew"]
out["stream"] = {"content": "".join(parts), "sinew": sinew}

comp = client.completions.create(model=model, prompt="The Rhine carries", max_tokens=16)
out["completion"] = {"text": comp.choices[0].text, "usage": comp.usage.model_dump()}

errors = {}
try:
    OpenAI(base_url=base + "/v1", api_key=bad_key, max_retries=0).chat.completions.create(
        model=model, messages=[{"role": "user", "content": "hi"}]
    )
except openai.AuthenticationError as e:
    errors["bad_key"] = e.status_code
try:
    client.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "hi"}])
except openai.NotFoundError as e:
    errors["unknown_model"] = e.status_code
try:
    client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}], max_tokens=0)
except openai.BadRequestError as e:
    errors["bad_max_tokens"] = e.status_code
out["errors"] = errors
print(json.dumps(out))
