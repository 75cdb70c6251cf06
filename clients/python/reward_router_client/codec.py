"""Avro single-object encoding of the project's records, with the schemas read from `schemas/`.

Wire format (Avro spec, the same as src/avro/singleObject.ts): C3 01, the 8-byte little-endian
CRC-64-AVRO fingerprint of the writer schema's Parsing Canonical Form, the Avro binary body.
Readers use the current schema; older writer schemas come from `schemas/evolution/`.
"""
from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import fastavro
from fastavro.schema import fingerprint, parse_schema, to_parsing_canonical_form

from .errors import DecodeError, EncodeError, SchemaError, UnknownSchemaError

MARKER = b"\xc3\x01"
NAMESPACE = "ai.rewardrouter.v1"

#: Topic base -> record name (src/records/topics.ts).
TOPIC_RECORDS = {
    "generations": "Generation",
    "requests": "ScoringRequest",
    "scores": "Score",
    "labels": "Label",
    "feedback": "Feedback",
    "decisions": "Decision",
    "posterior-deltas": "PosteriorDelta",
    "posteriors": "PosteriorSnapshot",
    "dlq": "DeadLetter",
}


def default_schemas_dir() -> Path:
    """$RR_SCHEMAS_DIR, else the repository's schemas/ (this package lives in clients/python/)."""
    env = os.environ.get("RR_SCHEMAS_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[3] / "schemas"


class _Entry:
    def __init__(self, name: str, version: str, raw: dict):
        self.name = name
        self.version = version
        self.parsed = parse_schema(raw, _write_hint=False, _force=True)
        canonical = to_parsing_canonical_form(self.parsed)
        # fastavro's CRC-64-AVRO hex is already in the wire's little-endian byte order (checked against
        # the golden fixtures in tests/test_codec.py).
        self.fingerprint = bytes.fromhex(fingerprint(canonical, "CRC-64-AVRO"))


class Codec:
    """Encodes and decodes the project's records; one instance per schemas directory."""

    def __init__(self, schemas_dir: str | os.PathLike | None = None):
        root = Path(schemas_dir) if schemas_dir is not None else default_schemas_dir()
        if not root.is_dir():
            raise SchemaError(f"schemas directory {root} not found (set RR_SCHEMAS_DIR)", path=str(root))
        self.current: dict[str, _Entry] = {}
        self.by_fingerprint: dict[bytes, _Entry] = {}
        files = [(p, "current") for p in sorted(root.glob("*.avsc"))]
        files += [(p, p.stem.split(".", 1)[1]) for p in sorted((root / "evolution").glob("*.avsc"))]
        for path, version in files:
            try:
                raw = json.loads(path.read_text("utf-8"))
                entry = _Entry(raw["name"], version, raw)
            except (OSError, ValueError, KeyError, fastavro.schema.SchemaParseException) as err:
                raise SchemaError(f"{path}: {err}", path=str(path)) from err
            if version == "current":
                self.current[entry.name] = entry
            other = self.by_fingerprint.get(entry.fingerprint)
            if other is not None and other.name != entry.name:
                raise SchemaError(f"{path}: fingerprint of {entry.name} equals that of {other.name}")
            self.by_fingerprint.setdefault(entry.fingerprint, entry)
        missing = [r for r in TOPIC_RECORDS.values() if r not in self.current]
        if missing:
            raise SchemaError(f"{root} lacks {', '.join(missing)}.avsc")

    def _record(self, topic_or_record: str) -> _Entry:
        name = TOPIC_RECORDS.get(topic_or_record, topic_or_record)
        if name not in self.current:
            raise SchemaError(f"no schema for {topic_or_record!r}")
        return self.current[name]

    def encode(self, topic_or_record: str, value: dict[str, Any]) -> bytes:
        entry = self._record(topic_or_record)
        buf = io.BytesIO()
        buf.write(MARKER)
        buf.write(entry.fingerprint)
        try:
            fastavro.schemaless_writer(buf, entry.parsed, value)
        except (ValueError, TypeError, KeyError, AttributeError) as err:
            raise EncodeError(f"{entry.name}: {err}", record=entry.name) from err
        return buf.getvalue()

    def decode(self, topic_or_record: str, data: bytes) -> dict[str, Any]:
        reader = self._record(topic_or_record)
        if len(data) < 10 or data[:2] != MARKER:
            raise DecodeError(f"{reader.name}: not single-object encoded (marker {data[:2].hex() or 'none'})", record=reader.name)
        writer = self.by_fingerprint.get(bytes(data[2:10]))
        if writer is None or writer.name != reader.name:
            raise UnknownSchemaError(f"{reader.name}: unknown writer fingerprint {bytes(data[2:10]).hex()}", record=reader.name)
        body = io.BytesIO(data[10:])
        try:
            value = fastavro.schemaless_reader(body, writer.parsed, reader.parsed)
        except (EOFError, ValueError, TypeError, IndexError, UnicodeDecodeError) as err:
            raise DecodeError(f"{reader.name}: {err}", record=reader.name) from err
        if body.tell() != len(data) - 10:
            raise DecodeError(f"{reader.name}: {len(data) - 10 - body.tell()} trailing bytes", record=reader.name)
        return value
