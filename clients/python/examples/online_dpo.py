"""A TRL-style online DPO loop against reward-router, with a stand-in policy.

Each step: the policy samples two responses per prompt, the trainer publishes them (text, and the
pair's context vector when the router has no text encoder), waits for the labels the routed RMs
produced (chosen A or B per kept pair), takes a DPO step on the labelled pairs, and publishes each
pair's loss under the pre-update policy and the batch end: the router's bandit learns from them.

The stand-in policy replaces a language model: one scalar "quality" logit per (prompt, response)
with a DPO loss  -log sigmoid(beta * (logit_chosen - logit_rejected)); it is enough to drive the
loop, not to train anything. Replace `StandInPolicy` with your model (e.g. TRL's OnlineDPOTrainer
with a judge that calls `trainer.labels`).

    KAFKA_BROKERS=127.0.0.1:9092 python examples/online_dpo.py --run my-run --prefix rr. --batches 10 --d 64

The apps (router, scorers, labeler, aggregator, store) must be running for the same run and prefix.
"""
from __future__ import annotations

import argparse
import hashlib
import math
import os
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from reward_router_client import Pair, Trainer  # noqa: E402


class StandInPolicy:
    """A table of logits, seeded: samples responses and takes DPO steps on labelled pairs."""

    def __init__(self, seed: int, d: int, beta: float = 0.1, lr: float = 0.5):
        self.rng = random.Random(seed)
        self.d, self.beta, self.lr = d, beta, lr
        self.logit: dict[str, float] = {}

    def respond(self, prompt: str, k: int) -> list[str]:
        return [f"answer {self.rng.randrange(1000)} to: {prompt}" for _ in range(k)]

    def vector(self, prompt: str, a: str, b: str) -> list[float]:
        """A unit context vector from a hash of the texts (a real trainer uses its encoder's pair embedding)."""
        seed = int.from_bytes(hashlib.sha256(f"{prompt}\x00{a}\x00{b}".encode()).digest()[:8], "little")
        r = random.Random(seed)
        v = [r.gauss(0, 1) for _ in range(self.d)]
        n = math.sqrt(sum(x * x for x in v))
        return [x / n for x in v]

    def loss(self, chosen: str, rejected: str) -> float:
        z = self.beta * (self.logit.get(chosen, 0.0) - self.logit.get(rejected, 0.0))
        return math.log1p(math.exp(-z))

    def step(self, chosen: str, rejected: str) -> None:
        z = self.beta * (self.logit.get(chosen, 0.0) - self.logit.get(rejected, 0.0))
        g = self.beta / (1 + math.exp(z))
        self.logit[chosen] = self.logit.get(chosen, 0.0) + self.lr * g
        self.logit[rejected] = self.logit.get(rejected, 0.0) - self.lr * g


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run", required=True)
    ap.add_argument("--prefix", default="rr.")
    ap.add_argument("--batches", type=int, default=10)
    ap.add_argument("--prompts", type=int, default=8)
    ap.add_argument("--responses", type=int, default=4)
    ap.add_argument("--d", type=int, default=64, help="context width the router's prior expects; 0 = send no vectors (text encoder)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    policy = StandInPolicy(args.seed, args.d)
    trainer = Trainer(os.environ.get("KAFKA_BROKERS", "127.0.0.1:9092"), args.run, prefix=args.prefix)
    try:
        for t in range(args.batches):
            texts: dict[str, tuple[str, str]] = {}
            for p in range(args.prompts):
                prompt = f"prompt {t}-{p}"
                responses = policy.respond(prompt, args.responses)
                pairs = []
                for i in range(len(responses)):
                    for j in range(i + 1, len(responses)):
                        pid = f"b{t}-p{p}-r{i}r{j}"
                        texts[pid] = (responses[i], responses[j])
                        vec = policy.vector(prompt, responses[i], responses[j]) if args.d > 0 else None
                        pairs.append(Pair(pid, responses[i], responses[j], vec))
                trainer.publish_generation(t, f"b{t}-p{p}", pairs, prompt=prompt)
            trainer.flush()
            labelled = trainer.labels(t, args.prompts).pairs()
            losses = {}
            for lab in labelled:
                a, b = texts[lab["pairId"]]
                chosen, rejected = (a, b) if lab["chosen"] == "A" else (b, a)
                losses[lab["pairId"]] = policy.loss(chosen, rejected)  # pre-update loss: the bandit's reward
            for lab in labelled:
                a, b = texts[lab["pairId"]]
                policy.step(*((a, b) if lab["chosen"] == "A" else (b, a)))
            trainer.publish_losses(t, losses)
            mean = sum(losses.values()) / max(len(losses), 1)
            print(f"batch {t}: {len(labelled)} labelled pairs, mean DPO loss {mean:.4f}", flush=True)
    finally:
        trainer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
