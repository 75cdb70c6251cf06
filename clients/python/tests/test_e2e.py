"""End to end against the real broker and the TypeScript apps (driven by
test/integration/python-client.test.ts, which starts them and sets RR_E2E_FIXTURE).

Python is the trainer: for each of the fixture's batches it publishes the generations the TypeScript
trainer sent in a reference run, waits for one label per prompt, checks that the labelled pairs are
the ones the reference trainer got losses for, and publishes those losses and the batch end.
The TypeScript side then compares the decisions with the reference run's.
"""
import json
import math
import os

import pytest

from reward_router_client import Pair, Trainer

FIXTURE = os.environ.get("RR_E2E_FIXTURE")
pytestmark = pytest.mark.skipif(not FIXTURE, reason="run by test/integration/python-client.test.ts (needs the broker and the TypeScript apps)")


def test_a_loop_driven_from_python():
    with open(FIXTURE, encoding="utf-8") as f:
        fx = json.load(f)
    trainer = Trainer(os.environ["KAFKA_BROKERS"], fx["run"], prefix=fx["prefix"])
    counts = {"batches": 0, "generations": 0, "pairs": 0, "labels": 0, "labelled_pairs": 0, "losses": 0}
    try:
        for b in fx["batches"]:
            t = b["t"]
            for g in b["generations"]:
                trainer.publish_generation(t, g["promptId"], [Pair(p["pairId"], p["responseA"], p["responseB"], p["embedding"]) for p in g["pairs"]],
                                           prompt=g["prompt"], messages=g["messages"], category=g["category"])
                counts["generations"] += 1
                counts["pairs"] += len(g["pairs"])
            trainer.flush()
            got = trainer.labels(t, len(b["generations"]), timeout_s=120)
            losses = {f["pairId"]: f["loss"] for f in b["feedback"] if f["kind"] == "LOSS"}
            end = [f for f in b["feedback"] if f["kind"] == "BATCH_END"]
            assert len(got.labels) == len(b["generations"])
            assert sorted(p["pairId"] for p in got.pairs()) == sorted(losses), f"batch {t}: labelled pairs differ from the reference"
            assert end and end[0]["expectedPairs"] == len(losses)
            assert all(math.isfinite(v) for v in losses.values())
            trainer.publish_losses(t, losses)
            counts["batches"] += 1
            counts["labels"] += len(got.labels)
            counts["labelled_pairs"] += len(got.pairs())
            counts["losses"] += len(losses)
    finally:
        trainer.close()
    assert trainer.undecodable == 0
    assert counts["batches"] == len(fx["batches"])
    assert counts["labels"] == counts["generations"]
    assert counts["losses"] == counts["labelled_pairs"] <= counts["pairs"]
    with open(os.environ["RR_E2E_RESULT"], "w", encoding="utf-8") as f:
        json.dump(counts, f)
