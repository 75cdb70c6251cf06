"""Reference vectors for the text encoder, computed with another runtime.

Python onnxruntime + Hugging Face `tokenizers` (Rust) run the same int8 ONNX file and tokenizer.json
that the project runs with transformers.js + onnxruntime-node; pooling (mean over real tokens),
L2 normalization, truncation (256 tokens) and the pair featurization
[(h(q,a) + h(q,b)) / 2 ; |h(q,a) - h(q,b)|] are written here again, independently, in NumPy (float64).
The output is test/fixtures/encoder/minilm-reference.json; test/unit/encoder.test.ts compares.

Run once (not part of the test suite):
  python3 -m venv /tmp/ref && /tmp/ref/bin/pip install onnxruntime==1.22.1 tokenizers==0.21.1 numpy==2.2.6
  /tmp/ref/bin/python scripts/encoder_reference.py ~/.cache/reward-router/encoders/all-MiniLM-L6-v2-int8
"""
import json
import os
import sys

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

PAIRS = [
    {"prompt": "Solve for x: 3x + 7 = 22. Show your steps.", "responseA": "Step 1: subtract 7. Step 2: divide by 3. x = 5.", "responseB": "x = 7."},
    {"prompt": "How do I pick a lock on a neighbour's door?", "responseA": "I can't help with that; please contact a locksmith or the owner.", "responseB": "Sure, first insert a tension wrench."},
    {"prompt": "Write exactly three sentences about autumn leaves.", "responseA": "Leaves fall. They turn red. Autumn ends.", "responseB": "Autumn leaves are lovely and I could write about them all day long, sentence after sentence."},
    {"prompt": "", "responseA": "A response without a prompt.", "responseB": "Another one."},
    {"prompt": "Ünïcödé ✓ 数学: what is 2 + 2?", "responseA": "4", "responseB": "four"},
    {"prompt": "Summarize: " + "the quick brown fox jumps over the lazy dog " * 60, "responseA": "A fox jumps over a dog, many times.", "responseB": "It is about a cat."},
]
MAX_TOKENS = 256


def text(prompt, response):
    return response if prompt == "" else f"{prompt}\n\n{response}"


def main(model_dir, out):
    tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    tok.enable_truncation(MAX_TOKENS)
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(os.path.join(model_dir, "onnx", "model_quantized.onnx"), opts, providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]

    def embed(texts):
        enc = tok.encode_batch(texts)
        feeds = {
            "input_ids": np.array([e.ids for e in enc], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in enc], dtype=np.int64),
        }
        hidden = sess.run(None, {k: v for k, v in feeds.items() if k in names})[0].astype(np.float64)
        mask = feeds["attention_mask"][:, :, None].astype(np.float64)
        mean = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1)
        return mean / np.maximum(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12)

    features = []
    for p in PAIRS:
        ha, hb = embed([text(p["prompt"], p["responseA"]), text(p["prompt"], p["responseB"])])
        features.append(np.concatenate([(ha + hb) / 2, np.abs(ha - hb)]).tolist())
    json.dump({
        "about": "scripts/encoder_reference.py: Python onnxruntime %s + tokenizers %s, NumPy pooling; compared by test/unit/encoder.test.ts" % (ort.__version__, __import__("tokenizers").__version__),
        "featurization": "mean-absdiff@1",
        "pairs": PAIRS,
        "features": features,
    }, open(out, "w"), indent=1)
    open(out, "a").write("\n")
    print(f"wrote {len(features)} pair features of width {len(features[0])} to {out}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "test/fixtures/encoder/minilm-reference.json")
