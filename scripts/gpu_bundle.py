"""Helpers of scripts/gpu-bundle, standard library only (the bundle is made on machines with
no numpy): the model's weights to f16 safetensors, the sentence-transformers files a model
directory needs beside them, and the texts of the throughput run.

    python3 scripts/gpu_bundle.py model SRC_DIR DEST_DIR
    python3 scripts/gpu_bundle.py texts OUT.jsonl.xz MAX_UNIQUE LABELLED.jsonl...
    python3 scripts/gpu_bundle.py compare VECTORS.jsonl REFERENCE.jsonl MIN_COSINE
    python3 scripts/gpu_bundle.py xz FILE PRESET
"""

import json
import lzma
import math
import os
import shutil
import struct
import sys
from array import array

# What sentence-transformers writes beside all-MiniLM-L6-v2's weights. arxrank reads
# modules.json (the model normalises) and sentence_bert_config.json (truncation at 256
# tokens); sentence-transformers on the GPU machine loads the directory with no hub.
MODULES = [
    {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
    {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
]
SENTENCE_BERT_CONFIG = {"max_seq_length": 256, "do_lower_case": False}
TOKENIZER_CONFIG = {
    "tokenizer_class": "BertTokenizer",
    "do_lower_case": True,
    "model_max_length": 512,
    "cls_token": "[CLS]",
    "mask_token": "[MASK]",
    "pad_token": "[PAD]",
    "sep_token": "[SEP]",
    "unk_token": "[UNK]",
}


def f16_safetensors(src, dest):
    """Rewrites every F32 tensor of a safetensors file as F16 (round to nearest even, as
    torch's .half() does); other dtypes are copied. Returns (tensors, bytes written)."""
    with open(src, "rb") as f:
        (header_len,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(header_len))
        data = f.read()
    meta = header.pop("__metadata__", None)
    out_header, chunks, offset = {}, [], 0
    for name in sorted(header, key=lambda n: header[n]["data_offsets"][0]):
        t = header[name]
        start, end = t["data_offsets"]
        raw = data[start:end]
        dtype = t["dtype"]
        if dtype == "F32":
            values = array("f")
            values.frombytes(raw)
            if sys.byteorder != "little":
                values.byteswap()
            raw = struct.pack("<%de" % len(values), *values)
            dtype = "F16"
        out_header[name] = {"dtype": dtype, "shape": t["shape"], "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    if meta is not None:
        out_header["__metadata__"] = meta
    head = json.dumps(out_header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)  # the format pads the header to 8 bytes
    tmp = dest + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for c in chunks:
            f.write(c)
    os.replace(tmp, dest)
    return len(out_header) - (meta is not None), 8 + len(head) + offset


def model(src, dest):
    os.makedirs(os.path.join(dest, "1_Pooling"), exist_ok=True)
    os.makedirs(os.path.join(dest, "2_Normalize"), exist_ok=True)
    for f in ["config.json", "tokenizer.json", "1_Pooling/config.json"]:
        shutil.copyfile(os.path.join(src, f), os.path.join(dest, f))
    for name, content in [
        ("modules.json", MODULES),
        ("sentence_bert_config.json", SENTENCE_BERT_CONFIG),
        ("tokenizer_config.json", TOKENIZER_CONFIG),
    ]:
        with open(os.path.join(dest, name), "w") as f:
            json.dump(content, f, indent=2)
    n, size = f16_safetensors(os.path.join(src, "model.safetensors"), os.path.join(dest, "model.safetensors"))
    print(f"gpu-bundle: {n} tensors to f16, {size / 1e6:.1f} MB ({dest})", file=sys.stderr)


def texts(out, max_unique, files):
    """Unique real papers (title, abstract, authors) from the labelled pools, at most
    max_unique, xz-compressed; gpu-check repeats them to the run's size with a marker."""
    seen, rows = set(), []
    for path in files:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                p = json.loads(line)
                if p["id"] in seen or not p.get("abstract", "").strip():
                    continue
                seen.add(p["id"])
                rows.append({k: p[k] for k in ["id", "title", "authors", "abstract"] if k in p})
                if len(rows) >= max_unique:
                    break
        if len(rows) >= max_unique:
            break
    tmp = out + ".tmp"
    with lzma.open(tmp, "wt", encoding="utf-8", preset=9) as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    os.replace(tmp, out)
    print(f"gpu-bundle: {len(rows)} unique real abstracts from {len(files)} labelled files", file=sys.stderr)


def xz(path, preset):
    """Compresses `path` into `path.xz` and removes it, as `xz` would (python's lzma: the xz
    tool itself is not on every machine)."""
    with open(path, "rb") as f, lzma.open(path + ".xz.tmp", "wb", preset=preset) as g:
        shutil.copyfileobj(f, g, 1 << 20)
    os.replace(path + ".xz.tmp", path + ".xz")
    os.remove(path)


def read_vectors(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line)["embedding"] for line in f if line.strip()]


def cosine(a, b):
    dot = sum(x * y for x, y in zip(a, b))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    return dot / max(na * nb, 1e-12)


def compare(vectors, reference, min_cosine):
    ours, ref = read_vectors(vectors), read_vectors(reference)
    if len(ours) != len(ref):
        sys.exit(f"gpu-bundle: {vectors} has {len(ours)} vectors, {reference} {len(ref)}")
    worst = min(cosine(a, b) for a, b in zip(ours, ref))
    ok = worst >= min_cosine
    print(
        f"gpu-bundle: f16 weights on CPU: worst cosine {worst:.6f} over {len(ref)} reference texts "
        f"({'>=' if ok else 'BELOW'} {min_cosine})",
        file=sys.stderr,
    )
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "model":
        model(*args)
    elif cmd == "texts":
        texts(args[0], int(args[1]), args[2:])
    elif cmd == "xz":
        xz(args[0], int(args[1]))
    elif cmd == "compare":
        compare(args[0], args[1], float(args[2]))
    else:
        sys.exit(__doc__)
