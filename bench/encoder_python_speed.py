"""Texts/s of the same int8 MiniLM ONNX file under Python onnxruntime (one intra-op thread), at
batch 1, 6 and 64, on 192 texts like the demo's: a check that the model, not the JavaScript around
it, sets the encoder's pace (docs/text.md, "Benchmark: the encoder's cost").

  python3 -m venv /tmp/ref && /tmp/ref/bin/pip install onnxruntime==1.22.1 tokenizers==0.21.1 numpy==2.2.6
  /tmp/ref/bin/python bench/encoder_python_speed.py ~/.cache/reward-router/encoders/all-MiniLM-L6-v2-int8 [texts]

texts: how many (default 192); 12 is the smoke test's tiny size.
"""
import os
import sys
import time

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

model_dir = sys.argv[1]
n_texts = int(sys.argv[2]) if len(sys.argv) > 2 else 192
tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
tok.enable_truncation(256)
tok.enable_padding(pad_id=0)
opts = ort.SessionOptions()
opts.intra_op_num_threads = 1
sess = ort.InferenceSession(os.path.join(model_dir, "onnx", "model_quantized.onnx"), opts, providers=["CPUExecutionProvider"])
texts = [f"Solve for x: 3x + 7 = 22. Show your steps.\n\nStep 1: isolate the variable in 3x + 7 = 22. Step 2: divide both sides. The answer is x = 5. (draft {i})" for i in range(n_texts)]
for bs in (1, 6, 64):
    t = time.perf_counter()
    for i in range(0, len(texts), bs):
        enc = tok.encode_batch(texts[i:i + bs])
        ids = np.array([e.ids for e in enc])
        mask = np.array([e.attention_mask for e in enc])
        sess.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})
    print(f"batch {bs:>2}: {len(texts) / (time.perf_counter() - t):.1f} texts/s")
