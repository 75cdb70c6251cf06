"""The codec against the TypeScript side's golden fixtures (test/fixtures/avro): byte for byte."""
import json
from pathlib import Path

import pytest

from reward_router_client import (Codec, DecodeError, EncodeError, RewardRouterError, UnknownSchemaError,
                                  security_config)
from reward_router_client.codec import TOPIC_RECORDS

FIXTURES = Path(__file__).resolve().parents[3] / "test" / "fixtures" / "avro"
codec = Codec()


def revive(o):
    if isinstance(o, dict):
        if list(o) == ["$hex"]:
            return bytes.fromhex(o["$hex"])
        return {k: revive(v) for k, v in o.items()}
    if isinstance(o, list):
        return [revive(x) for x in o]
    return o


@pytest.mark.parametrize("name", sorted(set(TOPIC_RECORDS.values())))
def test_golden_fixture_bytes(name):
    value = revive(json.loads((FIXTURES / f"{name}.json").read_text("utf-8")))
    golden = (FIXTURES / f"{name}.bin").read_bytes()
    assert codec.encode(name, value) == golden
    assert codec.decode(name, golden) == value


def test_schemas_come_from_the_repository():
    assert set(codec.current) == set(TOPIC_RECORDS.values())
    assert any(e.version == "v0" and e.name == "DeadLetter" for e in codec.by_fingerprint.values())


def test_older_writer_decodes_into_the_current_shape():
    old = next(e for e in codec.by_fingerprint.values() if e.name == "Generation" and e.version == "v1")
    import io

    import fastavro
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, old.parsed, {"run": "r", "batch": 0, "promptId": "p", "category": None,
                                                 "pairs": [], "sentAtMs": 1})
    g = codec.decode("generations", b"\xc3\x01" + old.fingerprint + buf.getvalue())
    assert g["prompt"] == "" and g["messages"] == []


def test_typed_errors():
    golden = (FIXTURES / "Label.bin").read_bytes()
    with pytest.raises(DecodeError):
        codec.decode("labels", b"\x00\x01" + golden[2:])
    with pytest.raises(DecodeError):
        codec.decode("labels", golden[:-3])
    with pytest.raises(DecodeError):
        codec.decode("labels", golden + b"\x00")
    with pytest.raises(UnknownSchemaError):
        codec.decode("labels", golden[:2] + b"\x00" * 8 + golden[10:])
    with pytest.raises(UnknownSchemaError):  # a Feedback record is not a Label
        codec.decode("labels", (FIXTURES / "Feedback.bin").read_bytes())
    with pytest.raises(EncodeError):
        codec.encode("feedback", {"run": "r", "batch": "not a number", "kind": "LOSS"})
    assert issubclass(DecodeError, RewardRouterError) and DecodeError.code == "RR_DECODE"


def test_security_config_from_the_projects_env(tmp_path):
    pw = tmp_path / "pw"
    pw.write_text("s3cret\n")
    conf = security_config({"KAFKA_SASL_MECHANISM": "scram-sha-512", "KAFKA_SASL_USERNAME": "u",
                            "KAFKA_SASL_PASSWORD_FILE": str(pw), "KAFKA_SSL_CA_FILE": "/ca.pem"})
    assert conf == {"security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": "u",
                    "sasl.password": "s3cret", "ssl.ca.location": "/ca.pem"}
    assert security_config({}) == {}
    with pytest.raises(RewardRouterError):
        security_config({"KAFKA_SASL_MECHANISM": "gssapi"})
