"""Contributing to datanets from Python: files (text, Markdown, JSON lines, CSV, PDF), a list
of strings, a pandas column or a Hugging Face `datasets.Dataset` column.

Each blob is cut into records by the ledger's own ingestion (`sinew._sinew.ingest`) before it
is uploaded, so what is declared is what every validator will find; a bad file stops the whole
call before anything is stored. Uploads show a tqdm progress bar when tqdm is installed.
Lists larger than the ledger's blob limit are split into several contributions.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from . import _sinew, payloads
from ._sinew import Key
from .errors import InvalidInput, SinewError

Json = Dict[str, Any]
PathLike = Union[str, "os.PathLike[str]"]


def _bar(total: int, enabled: bool, desc: str) -> Any:
    """A tqdm bar over `total` bytes, or None (tqdm missing or not wanted)."""
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="B", unit_scale=True, desc=desc, leave=False)


def _files(paths: Iterable[PathLike]) -> List[Path]:
    """Every file under `paths` (folders walked, sorted), each with a supported extension."""
    out: List[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and _sinew.format_for(f.name)))
        elif p.is_file():
            if not _sinew.format_for(p.name):
                raise InvalidInput(f"{p}: unsupported file type (use .txt, .md, .jsonl, .csv or .pdf)")
            out.append(p)
        else:
            raise InvalidInput(f"{p}: no such file or folder")
    if not out:
        raise InvalidInput("no files to contribute")
    return out


def _prepared_file(path: Path, format: Optional[Json]) -> Tuple[bytes, Json, str]:
    """A file's blob, format and metadata (a PDF's extracted text, as the CLI does)."""
    data = path.read_bytes()
    fmt = format or json.loads(_sinew.format_for(path.name))
    if fmt["kind"] == "pdf":
        import hashlib

        text = _sinew.pdf_text(data, str(path))
        return text.encode(), {"kind": "text", "max_record_bytes": fmt["max_record_bytes"]}, f"{path.name} (text of PDF, sha256 {hashlib.sha256(data).hexdigest()[:16]})"
    return data, fmt, path.name


def _jsonl_blobs(texts: Sequence[str], max_bytes: int) -> List[bytes]:
    """`texts` as JSON-lines blobs (`{"text": ...}` per line) of at most `max_bytes` each."""
    blobs: List[bytes] = []
    cur: List[bytes] = []
    size = 0
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise InvalidInput(f"text {i} is a {type(t).__name__}, not a str")
        if not t.strip():
            raise InvalidInput(f"text {i} is empty")
        line = json.dumps({"text": t}, ensure_ascii=False).encode() + b"\n"
        if len(line) > max_bytes:
            raise InvalidInput(f"text {i} alone is {len(line)} bytes, over the ledger's blob limit of {max_bytes}")
        if size + len(line) > max_bytes and cur:
            blobs.append(b"".join(cur))
            cur, size = [], 0
        cur.append(line)
        size += len(line)
    if cur:
        blobs.append(b"".join(cur))
    if not blobs:
        raise InvalidInput("no texts to contribute")
    return blobs


def _contribute_blobs(
    client: Any, key: Key, datanet: int, blobs: List[Tuple[bytes, Json, str]], progress: bool
) -> List[Json]:
    """Ingests every blob (all checked before any upload), then uploads and declares each. If
    one fails, the exception's `committed` lists those that landed before it."""
    prepared = []
    for data, fmt, meta in blobs:
        facts = json.loads(_sinew.ingest(data, json.dumps(fmt), meta))
        prepared.append((data, fmt, meta, facts))
    bar = _bar(sum(len(d) for d, _, _, _ in prepared), progress, f"datanet {datanet}")
    done: List[Json] = []
    try:
        for data, fmt, meta, facts in prepared:
            stored = client.upload_blob(data, bar.update if bar is not None else None)
            p = payloads.contribute(
                datanet,
                stored["blob"],
                stored["size"],
                fmt,
                facts["record_count"],
                facts["records_root"],
                meta[:200],
            )
            try:
                committed = client.send(key, p)
            except SinewError as e:
                e.committed = done  # the contributions that did land before this one
                raise
            committed["contribution"] = _contribution_of(committed)
            committed["records"] = facts["record_count"]
            done.append(committed)
    finally:
        if bar is not None:
            bar.close()
    return done


def _contribution_of(committed: Json) -> Optional[int]:
    """The contribution number a committed `Contribute` got (its `contributed` event)."""
    for e in committed["receipt"]["events"]:
        if e.get("kind") == "contributed":
            return e["contribution"]
    return None


def contribute_files(
    client: Any,
    key: Key,
    datanet: int,
    paths: Union[PathLike, Sequence[PathLike]],
    format: Optional[Json] = None,
    progress: bool = True,
) -> List[Json]:
    """Contributes files (or every supported file under folders), one contribution each.
    `format` overrides the format the extension implies (e.g. ``{"kind": "jsonl", "field":
    "content"}``). Returns the committed transactions, each with its ``contribution`` number."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    blobs = [_prepared_file(p, format) for p in _files(paths)]
    return _contribute_blobs(client, key, datanet, blobs, progress)


def contribute_texts(
    client: Any,
    key: Key,
    datanet: int,
    texts: Sequence[str],
    metadata: str = "",
    progress: bool = True,
    max_blob_bytes: Optional[int] = None,
) -> List[Json]:
    """Contributes strings, one record each (as JSON lines), in as few contributions as the
    ledger's blob limit allows."""
    limit = max_blob_bytes or int(client.params()["max_blob_bytes"])
    blobs = _jsonl_blobs(list(texts), limit)
    fmt = {"kind": "jsonl", "field": "text"}
    meta = metadata or f"{len(texts)} texts from Python"
    return _contribute_blobs(client, key, datanet, [(b, fmt, meta) for b in blobs], progress)


def contribute_column(
    client: Any, key: Key, datanet: int, table: Any, column: str = "text", progress: bool = True, metadata: str = ""
) -> List[Json]:
    """Contributes a column of a pandas DataFrame or a Hugging Face `datasets.Dataset` (or a
    pandas Series), one record per row. pandas and datasets are imported only if given."""
    kind = type(table).__module__.split(".")[0]
    if kind == "pandas":
        series = table if hasattr(table, "tolist") and not hasattr(table, "columns") else None
        if series is None:
            if column not in table.columns:
                raise InvalidInput(f"the DataFrame has no column {column!r} (columns: {list(table.columns)})")
            series = table[column]
        texts = series.tolist()
    elif kind == "datasets":
        if column not in table.column_names:
            raise InvalidInput(f"the dataset has no column {column!r} (columns: {table.column_names})")
        texts = list(table[column])
    else:
        raise InvalidInput(f"expected a pandas DataFrame or Series or a datasets.Dataset, got {type(table).__name__}")
    return contribute_texts(client, key, datanet, texts, metadata or f"column {column!r}", progress)


def contribute(client: Any, key: Key, datanet: int, data: Any, **kwargs: Any) -> List[Json]:
    """Contributes `data`, whatever it is: a path or a list of paths (files and folders), a
    list of strings (one record each), a pandas DataFrame/Series or a `datasets.Dataset` (its
    ``column=`` column, default ``"text"``)."""
    if isinstance(data, (str, os.PathLike)):
        return contribute_files(client, key, datanet, [data], **kwargs)
    module = type(data).__module__.split(".")[0]
    if module in ("pandas", "datasets"):
        return contribute_column(client, key, datanet, data, **kwargs)
    if isinstance(data, (list, tuple)):
        if data and all(isinstance(d, os.PathLike) for d in data):
            return contribute_files(client, key, datanet, data, **kwargs)
        if data and all(isinstance(d, str) and len(d) < 4096 and os.path.isfile(d) for d in data):
            raise InvalidInput(
                "these strings name files: pass pathlib.Path objects (or use contribute_files) to contribute "
                "the files, or contribute_texts to contribute the strings themselves"
            )
        return contribute_texts(client, key, datanet, data, **kwargs)
    raise InvalidInput(f"cannot contribute a {type(data).__name__}: give paths, strings, a DataFrame or a Dataset")
