"""sentence-transformers side of `scripts/bench-embed`: times all-MiniLM-L6-v2 on the same
texts ("title\nabstract" of each line of the JSON-lines files, in order) and the same model
directory as `benches/embed.rs`, prints one JSON line per timed run and writes the vectors.

Usage: st_embed.py MODEL_DIR THREADS RUNS EMBEDDINGS_OUT JSONL...
"""
import json
import os
import sys
import time

import sentence_transformers
import torch
from sentence_transformers import SentenceTransformer, models


def main():
    model_dir, threads, runs, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    torch.set_num_threads(threads)
    texts = []
    for path in sys.argv[5:]:
        with open(path) as f:
            for line in f:
                row = json.loads(line)
                texts.append(row["title"] + "\n" + row["abstract"])
    # The model directory holds the weights, tokenizer and pooling config but no
    # modules.json, so the pipeline is spelled out: what all-MiniLM-L6-v2's modules.json says.
    word = models.Transformer(model_dir, max_seq_length=256)
    pool = models.Pooling(word.get_word_embedding_dimension(), pooling_mode="mean")
    model = SentenceTransformer(modules=[word, pool, models.Normalize()], device="cpu")
    model.eval()
    tokens = sum(
        min(len(ids), 256)
        for ids in model.tokenizer(texts, add_special_tokens=True, truncation=False)["input_ids"]
    )
    # Every batch size in ST_BATCH_SIZES is timed; the caller reports the best run.
    sizes = [int(b) for b in os.environ.get("ST_BATCH_SIZES", "16,32,64").split(",")]
    with torch.inference_mode():
        for batch in sizes:
            model.encode(texts, batch_size=batch)  # warm-up
            for _ in range(runs):
                t = time.perf_counter()
                emb = model.encode(texts, batch_size=batch, normalize_embeddings=True)
                s = time.perf_counter() - t
                print(json.dumps({"seconds": s, "texts": len(texts), "tokens": tokens,
                                  "batch_size": batch, "st": sentence_transformers.__version__,
                                  "torch": torch.__version__,
                                  "threads": torch.get_num_threads()}), flush=True)
    with open(out, "w") as f:
        for t, v in zip(texts, emb):
            f.write(json.dumps({"text": t, "embedding": [float(x) for x in v]}) + "\n")


if __name__ == "__main__":
    main()
