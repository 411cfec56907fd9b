#!/usr/bin/env python3
"""Captures real Milvus 2.3 binlogs with known contents, for the binlog reader tests.

Against the running Milvus 2.3 with local storage (MILVUS_HOST, MILVUS_PORT,
MILVUS_DATA_DIR from .run/env), creates collections covering every data type
2.3 stores (2.3 allows one vector field per collection, hence several):

  <prefix>_types     Int64 key; Bool, Int8/16/32/64, Float, Double, VarChar with
                     quotes/escapes/unicode/empty strings, JSON, Arrays of all six
                     ScalarField kinds, FloatVector dim 8, dynamic field ($meta)
  <prefix>_varchar   VarChar key with characters JSON must escape; BinaryVector dim 16
  <prefix>_f16       Int64 key; Float16Vector dim 4
  <prefix>_multifile Int64 key, 12 JSON and 4 Array fields, FloatVector dim 2: the
                     2.3 DataNode syncs a segment's insert buffer mid-segment when
                     its row count reaches 16 MiB / estimated row size, and it
                     estimates every JSON or Array value at 512 bytes; so a few
                     thousand small rows give segments several log files per field

Each gets two insert batches with a flush in between, deletes, upserts and a
re-insert of deleted keys, then a final flush.  The flushed segments' insert
and delta logs are copied to OUTDIR/<collection>/... and OUTDIR/manifest.json
records the schema, the segments with their files (sorted by log ID) and what
pymilvus queries return, which the readers' decoding must reproduce.

  binlog_capture.py OUTDIR [--prefix NAME] [--rows N] [--multifile-rows N] [--bench-rows N] [--keep]

--bench-rows adds <prefix>_bench: N rows of 128-dim float vectors and nothing
else, for measuring decode speed (not queried; no expected rows).
"""
import argparse
import json
import math
import os
import random
import shutil
import struct
import sys
import time

import numpy as np
from pymilvus import DataType, MilvusClient

FLUSHED = "Flushed"

SPECIAL_STRINGS = [
    "", "plain", 'double "quote"', "single 'quote'", "back\\slash", "tab\tnewline\nreturn\r",
    "ctl \x01\x1f end", "ünïcödé €", "emoji 😀 and 𝄞", "line\u2028sep\u2029", "<&> html",
    "日本語テキスト", "x" * 500,
]
SPECIAL_KEYS = [
    'q"uote', "back\\slash", "é😀𝄞", "tab\tkey", "<&>", "sep\u2028", "ctl\x01",
    "日本語", 'ünï "€"', "slash/key", "", "k-with-comma,5",
]


def f32(x):
    """x rounded to float32, as a Python float: what Milvus stores and returns."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def client():
    return MilvusClient(uri=f"http://{os.environ['MILVUS_HOST']}:{os.environ['MILVUS_PORT']}")


def fresh(c, name, schema, index_field, index_type, metric, load=True):
    if c.has_collection(name):
        c.drop_collection(name)
    if not load:
        c.create_collection(name, schema=schema, consistency_level="Strong")
        return
    index = c.prepare_index_params()
    index.add_index(index_field, index_type=index_type, metric_type=metric)
    c.create_collection(name, schema=schema, index_params=index, consistency_level="Strong")
    c.load_collection(name)


def insert(c, name, rows, chunk=500):
    for i in range(0, len(rows), chunk):
        c.insert(name, rows[i:i + chunk])


def upsert(c, name, rows, chunk=500):
    for i in range(0, len(rows), chunk):
        c.upsert(name, rows[i:i + chunk])


def literal(v):
    """A filter-expression literal: escapes " \\ \\n \\r \\t, other characters raw
    (what both filter parsers accept, docs/milvus-filter-syntax.md)."""
    if not isinstance(v, str):
        return str(v)
    esc = v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") \
        .replace("\r", "\\r").replace("\t", "\\t")
    return f'"{esc}"'


def quoted(values):
    return "[" + ",".join(literal(v) for v in values) + "]"


# ---------------------------------------------------------------- collections

def types_schema(c):
    s = c.create_schema(auto_id=False, enable_dynamic_field=True)
    s.add_field("id", DataType.INT64, is_primary=True)
    s.add_field("b", DataType.BOOL)
    s.add_field("i8", DataType.INT8)
    s.add_field("i16", DataType.INT16)
    s.add_field("i32", DataType.INT32)
    s.add_field("i64", DataType.INT64)
    s.add_field("f", DataType.FLOAT)
    s.add_field("d", DataType.DOUBLE)
    s.add_field("s", DataType.VARCHAR, max_length=512)
    s.add_field("j", DataType.JSON)
    s.add_field("arr_i64", DataType.ARRAY, element_type=DataType.INT64, max_capacity=8)
    s.add_field("arr_s", DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=8, max_length=64)
    s.add_field("arr_f", DataType.ARRAY, element_type=DataType.FLOAT, max_capacity=8)
    s.add_field("arr_b", DataType.ARRAY, element_type=DataType.BOOL, max_capacity=4)
    s.add_field("arr_i32", DataType.ARRAY, element_type=DataType.INT32, max_capacity=4)
    s.add_field("arr_d", DataType.ARRAY, element_type=DataType.DOUBLE, max_capacity=4)
    s.add_field("fv", DataType.FLOAT_VECTOR, dim=8)
    return s


def types_row(i, rng, version=0):
    extremes = i % 50
    i8 = -128 if extremes == 1 else 127 if extremes == 2 else rng.randint(-128, 127)
    i16 = -32768 if extremes == 1 else 32767 if extremes == 2 else rng.randint(-32768, 32767)
    i32 = -2**31 if extremes == 1 else 2**31 - 1 if extremes == 2 else rng.randint(-2**31, 2**31 - 1)
    i64 = -2**63 if extremes == 1 else 2**63 - 1 if extremes == 2 else rng.randint(-2**63, 2**63 - 1)
    f = [0.0, 3.4028234663852886e38, 1.401298464324817e-45, -1.5, 1 / 3][extremes % 5] \
        if extremes < 5 else f32(rng.uniform(-1e6, 1e6))
    d = [0.0, 1.7976931348623157e308, 5e-324, -2.25, math.pi][extremes % 5] \
        if extremes < 5 else rng.uniform(-1e300, 1e300)
    s = SPECIAL_STRINGS[i % len(SPECIAL_STRINGS)] if i % 3 else f"row {i} v{version}"
    j = {"i": i, "v": version, "s": s, "nested": {"a": [1, 2.5, None, True], "u": "é😀"}} \
        if i % 4 else {}
    row = {
        "id": i, "b": i % 3 == 0, "i8": i8, "i16": i16, "i32": i32, "i64": i64,
        "f": f32(f), "d": d, "s": s, "j": j,
        "arr_i64": [rng.randint(-2**63, 2**63 - 1) for _ in range(i % 9)],
        "arr_s": [SPECIAL_STRINGS[(i + k) % 12][:64] for k in range(i % 5)],
        "arr_f": [f32(rng.uniform(-10, 10)) for _ in range(i % 7)],
        "arr_b": [bool((i >> k) & 1) for k in range(i % 5)],
        "arr_i32": [rng.randint(-2**31, 2**31 - 1) for _ in range(i % 4)],
        "arr_d": [rng.uniform(-1e10, 1e10) for _ in range(i % 3)],
        "fv": [f32(rng.uniform(-1, 1)) for _ in range(8)],
    }
    if i % 5 == 1:
        row["dyn_int"] = i
    elif i % 5 == 2:
        row["dyn_str"] = f"dyn {SPECIAL_STRINGS[i % len(SPECIAL_STRINGS)][:20]}"
    return row


def varchar_schema(c):
    s = c.create_schema(auto_id=False, enable_dynamic_field=False)
    s.add_field("pk", DataType.VARCHAR, is_primary=True, max_length=128)
    s.add_field("n", DataType.INT64)
    s.add_field("bv", DataType.BINARY_VECTOR, dim=16)
    return s


def varchar_key(i):
    if i < len(SPECIAL_KEYS) and SPECIAL_KEYS[i]:
        return SPECIAL_KEYS[i]
    return f"key-{i:06d}"


def varchar_row(i, rng, version=0):
    return {"pk": varchar_key(i), "n": i * 1000 + version,
            "bv": bytes(rng.randrange(256) for _ in range(2))}


def f16_schema(c):
    s = c.create_schema(auto_id=False, enable_dynamic_field=False)
    s.add_field("id", DataType.INT64, is_primary=True)
    s.add_field("h", DataType.FLOAT16_VECTOR, dim=4)
    return s


def f16_row(i, rng, version=0):
    return {"id": i, "h": np.array([rng.uniform(-100, 100) for _ in range(4)], dtype=np.float16)}


def multifile_schema(c):
    s = c.create_schema(auto_id=False, enable_dynamic_field=False)
    s.add_field("id", DataType.INT64, is_primary=True)
    for k in range(12):
        s.add_field(f"j{k}", DataType.JSON)
    s.add_field("a0", DataType.ARRAY, element_type=DataType.INT64, max_capacity=4)
    s.add_field("a1", DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=4, max_length=16)
    s.add_field("a2", DataType.ARRAY, element_type=DataType.FLOAT, max_capacity=4)
    s.add_field("a3", DataType.ARRAY, element_type=DataType.BOOL, max_capacity=4)
    s.add_field("fv", DataType.FLOAT_VECTOR, dim=2)
    return s


def multifile_row(i, rng, version=0):
    row = {"id": i, "fv": [f32(rng.uniform(-1, 1)) for _ in range(2)],
           "a0": [i, version], "a1": [str(i)][: i % 2], "a2": [f32(i / 7)], "a3": [i % 3 == 0]}
    for k in range(12):
        row[f"j{k}"] = {"k": k, "i": i, "v": version} if (i + k) % 5 else {}
    return row


# ---------------------------------------------------------------- capture

def populate(c, name, make_row, key_of, rows, rng, key_filter, field_names):
    """Two batches, a flush between; deletes, upserts, re-inserts; final flush.

    Returns the changes made and a model of the rows that must remain, keyed by
    primary key, in query-result form.
    """
    model = {}

    def put(batch, op):
        op(c, name, batch)
        for r in batch:
            model[key_of_row(r)] = model_row(r, field_names)

    def key_of_row(r):
        return r["pk"] if "pk" in r else r["id"]

    def remove(keys):
        c.delete(name, filter=f"{key_filter} in {quoted(keys)}")
        for k in keys:
            model.pop(k, None)

    half = rows // 2
    put([make_row(i, rng) for i in range(half)], insert)
    c.flush(name)
    put([make_row(i, rng) for i in range(half, rows)], insert)
    c.flush(name)

    deleted = [i for i in range(rows) if i % 7 == 0]
    remove([key_of(i) for i in deleted])
    upserted = [i for i in range(rows) if i % 11 == 1]
    put([make_row(i, rng, version=1) for i in upserted], upsert)
    # Deleted keys inserted again, later: they must survive the earlier delete.
    # (Only keys still deleted: a plain insert of a live key makes a duplicate.)
    gone = [i for i in deleted if i not in set(upserted)]
    reinserted = gone[: max(1, len(gone) // 4)]
    put([make_row(i, rng, version=2) for i in reinserted], insert)
    # And some deleted again after that, so a key has two delete timestamps.
    redeleted = reinserted[::2]
    remove([key_of(i) for i in redeleted])
    c.flush(name)
    changes = {
        "deleted": [key_of(i) for i in deleted],
        "upserted": [key_of(i) for i in upserted],
        "reinserted": [key_of(i) for i in reinserted],
        "redeleted": [key_of(i) for i in redeleted],
    }
    return changes, model


def model_row(row, field_names):
    """An inserted row as a query would return it: dynamic keys under $meta."""
    out = {}
    meta = {}
    for k, v in row.items():
        if isinstance(v, np.ndarray):
            v = v.tobytes().hex()           # float16 vectors come back as bytes
        elif isinstance(v, (bytes, bytearray)):
            v = bytes(v).hex()
        (out if k in field_names else meta)[k] = v
    if meta:
        out["$meta"] = meta
    return out


def flushed_segments(c, name, timeout=120):
    """Persistent segments once none is still sealed or flushing."""
    deadline = time.time() + timeout
    while True:
        segs = c.list_persistent_segments(name)
        states = [getattr(s.state, "name", str(s.state)) for s in segs]
        if segs and all(st == FLUSHED for st in states):
            return segs
        if time.time() > deadline:
            raise RuntimeError(f"{name}: segments not flushed after {timeout}s: {states}")
        time.sleep(1)


def jsonable(value):
    """A query result value in a JSON-serializable, comparable form."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, list):
        if len(value) == 1 and isinstance(value[0], (bytes, bytearray)):
            return bytes(value[0]).hex()    # binary and float16 vectors come as [bytes]
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


def schema_fields(c, name):
    desc = c.describe_collection(name)
    fields = []
    for f in desc["fields"]:
        fields.append({
            "name": f["name"],
            "field_id": f["field_id"],
            "data_type": int(f["type"]),
            "is_primary": bool(f.get("is_primary")),
            "element_type": int(f["element_type"]) if f.get("element_type") is not None else None,
            "params": {k: v for k, v in f.get("params", {}).items()},
        })
    return desc, fields


def query_all(c, name, key_filter, fields):
    rows = c.query(name, filter=key_filter, output_fields=["*"], consistency_level="Strong")
    names = {f["name"] for f in fields}
    out = []
    for r in rows:
        row = {k: jsonable(v) for k, v in dict(r).items() if k in names}
        meta = {k: jsonable(v) for k, v in dict(r).items() if k not in names}
        if meta:
            row["$meta"] = meta
        out.append(row)
    return out


def copy_segment_files(data_dir, out_dir, name, seg):
    """Copies a segment's insert and delta logs; returns {field_id: [paths]}, [delta paths]."""
    rel = os.path.join(str(seg.collection_id), str(seg.partition_id), str(seg.segment_id))
    insert_logs = {}
    src = os.path.join(data_dir, "insert_log", rel)
    if os.path.isdir(src):
        for field in os.listdir(src):
            logs = sorted(os.listdir(os.path.join(src, field)), key=int)
            paths = []
            for log in logs:
                target = os.path.join(name, "insert_log", rel, field, log)
                os.makedirs(os.path.dirname(os.path.join(out_dir, target)), exist_ok=True)
                shutil.copyfile(os.path.join(src, field, log), os.path.join(out_dir, target))
                paths.append(target)
            insert_logs[field] = paths
    delta_logs = []
    src = os.path.join(data_dir, "delta_log", rel)
    if os.path.isdir(src):
        for log in sorted(os.listdir(src), key=int):
            target = os.path.join(name, "delta_log", rel, log)
            os.makedirs(os.path.dirname(os.path.join(out_dir, target)), exist_ok=True)
            shutil.copyfile(os.path.join(src, log), os.path.join(out_dir, target))
            delta_logs.append(target)
    return insert_logs, delta_logs


def first_difference(got, want, key_name):
    """A short description of the first difference between two row lists."""
    got_by = {json.dumps(r[key_name]): r for r in got}
    want_by = {json.dumps(r[key_name]): r for r in want}
    if got_by.keys() != want_by.keys():
        return {"only_in_query": sorted(got_by.keys() - want_by.keys())[:5],
                "only_in_model": sorted(want_by.keys() - got_by.keys())[:5]}
    for k in sorted(got_by):
        g, w = got_by[k], want_by[k]
        if g != w:
            fields = sorted(f for f in set(g) | set(w) if g.get(f) != w.get(f))
            return {"key": k, "fields": {f: [g.get(f), w.get(f)] for f in fields[:3]}}
    return None


def capture(c, out_dir, data_dir, name, key_name, key_filter, changes, model, query=True):
    segs = flushed_segments(c, name)
    desc, fields = schema_fields(c, name)
    segments = []
    for seg in sorted(segs, key=lambda s: s.segment_id):
        insert_logs, delta_logs = copy_segment_files(data_dir, out_dir, name, seg)
        segments.append({
            "segment_id": seg.segment_id, "partition_id": seg.partition_id,
            "num_rows": seg.num_rows, "state": getattr(seg.state, "name", str(seg.state)),
            "insert_logs": insert_logs, "delta_logs": delta_logs,
        })
    # Delta logs of segments no longer listed (compacted away) still hold
    # deletes that the listed segments' rows may need: copy every delta log
    # of the collection, as a reader applying the timestamp rule would.
    all_deltas = []
    coll_dir = os.path.join(data_dir, "delta_log", str(desc["collection_id"]))
    for root, _, files in os.walk(coll_dir):
        for log in files:
            rel = os.path.relpath(os.path.join(root, log), os.path.join(data_dir, "delta_log"))
            target = os.path.join(name, "all_delta_log", rel)
            os.makedirs(os.path.dirname(os.path.join(out_dir, target)), exist_ok=True)
            shutil.copyfile(os.path.join(root, log), os.path.join(out_dir, target))
            all_deltas.append(target)
    entry = {
        "name": name, "collection_id": desc["collection_id"], "primary_key": key_name,
        "enable_dynamic_field": bool(desc.get("enable_dynamic_field")),
        "fields": fields, "segments": segments, "all_delta_logs": sorted(all_deltas),
        "changes": changes,
    }
    model_rows = sorted(model.values(), key=lambda r: r[key_name])
    if query:
        entry["rows"] = sorted(query_all(c, name, key_filter, fields), key=lambda r: r[key_name])
        entry["rows_source"] = "query"
        entry["model_matches_query"] = entry["rows"] == model_rows
        if not entry["model_matches_query"]:
            diff = first_difference(entry["rows"], model_rows, key_name)
            entry["model_difference"] = diff
            print(f"warning: {name}: query result differs from the model of what was "
                  f"written: {diff}", file=sys.stderr)
    else:
        entry["rows"] = model_rows
        entry["rows_source"] = "model"
    return entry


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--prefix", default="binlog_cap")
    ap.add_argument("--rows", type=int, default=3000)
    ap.add_argument("--multifile-rows", type=int, default=10000,
                    help="rows of the multifile collection (a DataNode sync every ~2000)")
    ap.add_argument("--bench-rows", type=int, default=0)
    ap.add_argument("--keep", action="store_true", help="keep the collections afterwards")
    args = ap.parse_args()

    data_dir = os.environ["MILVUS_DATA_DIR"]
    os.makedirs(args.out_dir, exist_ok=True)
    c = client()
    rng = random.Random(20240611)
    manifest = {"server_version": c.get_server_version(), "collections": []}

    name = f"{args.prefix}_types"
    schema = types_schema(c)
    fresh(c, name, schema, "fv", "FLAT", "L2")
    names = {f.name for f in schema.fields}
    changes, model = populate(c, name, types_row, lambda i: i, args.rows, rng, "id", names)
    manifest["collections"].append(
        capture(c, args.out_dir, data_dir, name, "id", "id >= 0", changes, model))

    name = f"{args.prefix}_varchar"
    schema = varchar_schema(c)
    fresh(c, name, schema, "bv", "BIN_FLAT", "HAMMING")
    names = {f.name for f in schema.fields}
    changes, model = populate(c, name, varchar_row, varchar_key, args.rows, rng, "pk", names)
    manifest["collections"].append(
        capture(c, args.out_dir, data_dir, name, "pk", "n >= 0", changes, model))

    # Milvus 2.3.5's query node cannot merge Float16Vector insert messages (it
    # panics: "unsupported data type: Float16Vector"), so this collection is
    # never loaded: its expected rows are the model, not a query.
    name = f"{args.prefix}_f16"
    schema = f16_schema(c)
    fresh(c, name, schema, "h", "FLAT", "L2", load=False)
    names = {f.name for f in schema.fields}
    changes, model = populate(c, name, f16_row, lambda i: i, max(args.rows // 3, 20), rng, "id", names)
    manifest["collections"].append(
        capture(c, args.out_dir, data_dir, name, "id", "id >= 0", changes, model, query=False))

    name = f"{args.prefix}_multifile"
    schema = multifile_schema(c)
    fresh(c, name, schema, "fv", "FLAT", "L2")
    names = {f.name for f in schema.fields}
    changes, model = populate(c, name, multifile_row, lambda i: i, args.multifile_rows, rng, "id", names)
    manifest["collections"].append(
        capture(c, args.out_dir, data_dir, name, "id", "id >= 0", changes, model))

    if args.bench_rows:
        name = f"{args.prefix}_bench"
        s = c.create_schema(auto_id=False, enable_dynamic_field=False)
        s.add_field("id", DataType.INT64, is_primary=True)
        s.add_field("v", DataType.FLOAT_VECTOR, dim=128)
        fresh(c, name, s, "v", "FLAT", "L2", load=False)
        gen = np.random.default_rng(7)
        for start in range(0, args.bench_rows, 5000):
            n = min(5000, args.bench_rows - start)
            vecs = gen.standard_normal((n, 128), dtype=np.float32)
            c.insert(name, [{"id": start + k, "v": vecs[k]} for k in range(n)])
        c.flush(name)
        manifest["collections"].append(
            capture(c, args.out_dir, data_dir, name, "id", "id >= 0", {}, {}, query=False))
        manifest["collections"][-1]["rows"] = None

    if not args.keep:
        for coll in manifest["collections"]:
            c.drop_collection(coll["name"])
    with open(os.path.join(args.out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, ensure_ascii=False, indent=1)
    print(os.path.join(args.out_dir, "manifest.json"))


if __name__ == "__main__":
    sys.exit(main())
