"""Synthetic Parquet files and binlogs for the binlog reader tests.

Milvus 2.3 writes one narrow shape of Parquet (V1 pages, ZSTD, REQUIRED,
dictionary then PLAIN).  The readers promise more: V2 pages, OPTIONAL columns
with nulls, UNCOMPRESSED chunks, several row groups, RLE booleans, MULTI_FIELD
and legacy delta logs, several events per file.  This module writes such
files with pyarrow and wraps them in binlog framing (milvus-storage-format.md
section 1), each with the values the readers must return or the error they
must give.

Values are in binlog_dump's rendering: --parquet renders by physical type
(booleans, integers, floats as numbers; BYTE_ARRAY and FIXED_LEN_BYTE_ARRAY as
hex); insert binlogs render by Milvus data type.

Run as a script to (re)write the committed fuzzing seed corpus:
    python3 test/unit/synth.py test/fuzz/corpus
"""
import io
import json
import os
import random
import struct
import sys

import pyarrow as pa
import pyarrow.parquet as pq

MAGIC = struct.pack("<i", 0xfffabc)
POST_HEADER_LENGTHS = bytes([52, 16, 16, 16, 16, 16, 16, 16])

# Milvus data types used below
BOOL, INT8, INT16, INT32, INT64, FLOAT, DOUBLE = 1, 2, 3, 4, 5, 10, 11
STRING, VARCHAR, JSON, FLOAT_VECTOR = 20, 21, 23, 101


def parquet_bytes(table, **options):
    sink = io.BytesIO()
    pq.write_table(table, sink, **options)
    return sink.getvalue()


def rendered(array):
    """An Arrow column as binlog_dump --parquet prints it."""
    out = []
    for v in array.to_pylist():
        if v is None:
            out.append(None)
        elif isinstance(v, bytes):
            out.append(v.hex())
        elif isinstance(v, str):
            out.append(v.encode().hex())
        else:
            out.append(v)
    return out


def sample_table(rows, rng, nullable):
    """Every physical type; with nullable, about 1 in 8 values null."""
    def maybe(values):
        return [None if nullable and rng.random() < 0.125 else v for v in values]

    words = ["", "a", "quote\"", "ünï", "emoji 😀", "x" * 300, "tab\t"]
    cols = {
        "b": pa.array(maybe([rng.random() < 0.3 for _ in range(rows)]), pa.bool_()),
        "i8": pa.array(maybe([rng.randint(-128, 127) for _ in range(rows)]), pa.int8()),
        "i16": pa.array(maybe([rng.randint(-2**15, 2**15 - 1) for _ in range(rows)]), pa.int16()),
        "i32": pa.array(maybe([rng.choice([-2**31, 2**31 - 1, rng.randint(-5, 5)]) for _ in range(rows)]),
                        pa.int32()),
        "i64": pa.array(maybe([rng.randint(-2**63, 2**63 - 1) for _ in range(rows)]), pa.int64()),
        "f": pa.array(maybe([struct.unpack("<f", struct.pack("<f", rng.uniform(-1e3, 1e3)))[0]
                             for _ in range(rows)]), pa.float32()),
        "d": pa.array(maybe([rng.choice([0.0, -2.5, rng.uniform(-1e300, 1e300)]) for _ in range(rows)]),
                      pa.float64()),
        "s": pa.array(maybe([rng.choice(words) + str(rng.randint(0, 40)) for _ in range(rows)]), pa.string()),
        "bin": pa.array(maybe([bytes(rng.randrange(256) for _ in range(rng.randint(0, 9)))
                               for _ in range(rows)]), pa.binary()),
        "fx": pa.array(maybe([bytes(rng.randrange(256) for _ in range(16)) for _ in range(rows)]),
                       pa.binary(16)),
    }
    schema = pa.schema([pa.field(k, v.type, nullable=nullable) for k, v in cols.items()])
    return pa.table(cols, schema=schema)


def parquet_cases(rows=3000):
    """name -> (bytes, {"columns": [[name, values]]} or {"error": text}).

    rows scales the tables (the seed corpus uses small ones).
    """
    rng = random.Random(7)
    cases = {}

    def ok(name, table, **options):
        data = parquet_bytes(table, **options)
        cols = []
        for i, field in enumerate(table.schema):
            cols.append([field.name, rendered(table.column(i))])
        cases[name] = (data, {"columns": cols})

    def bad(name, table, error, **options):
        options.setdefault("compression", "zstd")   # pyarrow's default is SNAPPY
        cases[name] = (parquet_bytes(table, **options), {"error": error})

    required = sample_table(rows, rng, nullable=False)
    optional = sample_table(rows, rng, nullable=True)
    ok("v1_dict_zstd_required", required, compression="zstd")
    ok("v1_dict_zstd_optional", optional, compression="zstd")
    ok("v2_zstd_optional", optional, compression="zstd", data_page_version="2.0")
    ok("v2_uncompressed_required", required, compression="none", data_page_version="2.0")
    ok("v1_uncompressed_plain", optional, compression="none", use_dictionary=False)
    ok("v1_rle_booleans", optional.select(["b", "i32"]), compression="zstd",
       use_dictionary=False, column_encoding={"b": "RLE", "i32": "PLAIN"})
    ok("row_groups_small_pages_fallback", optional, compression="zstd", row_group_size=max(rows // 4, 1),
       data_page_size=512, write_batch_size=64, dictionary_pagesize_limit=256)
    ok("v2_row_groups_small_pages", optional, compression="zstd", row_group_size=max(rows // 3, 1),
       data_page_size=300, write_batch_size=50, data_page_version="2.0")
    wide = pa.table({"k": pa.array([rng.randint(0, 200000) for _ in range(rows * 7)], pa.int64())})
    ok("wide_dictionary_indices", wide, compression="zstd", dictionary_pagesize_limit=1 << 22)
    nulls = pa.table({"n": pa.array([None] * 100, pa.int64()), "s": pa.array([None] * 100, pa.string())})
    ok("all_null", nulls, compression="zstd")
    ok("all_null_v2", nulls, compression="none", data_page_version="2.0")
    ok("empty", required.slice(0, 0), compression="zstd")
    vec = pa.table({"val": pa.array([bytes(rng.randrange(256) for _ in range(512)) for _ in range(rows)],
                                    pa.binary(512))},
                   schema=pa.schema([pa.field("val", pa.binary(512), nullable=False)]))
    ok("vectors_dict_then_plain", vec, compression="zstd")

    bad("snappy", required.select(["i64"]), "SNAPPY", compression="snappy")
    bad("gzip", required.select(["i64"]), "GZIP", compression="gzip")
    bad("delta_binary_packed", required.select(["i64"]), "DELTA_BINARY_PACKED",
        use_dictionary=False, column_encoding={"i64": "DELTA_BINARY_PACKED"})
    bad("byte_stream_split", required.select(["f"]), "BYTE_STREAM_SPLIT",
        use_dictionary=False, column_encoding={"f": "BYTE_STREAM_SPLIT"})
    bad("nested_list", pa.table({"l": pa.array([[1, 2], [], None], pa.list_(pa.int64()))}), "nested")
    bad("int96", pa.table({"t": pa.array([0, 1], pa.timestamp("ns"))}), "INT96",
        use_deprecated_int96_timestamps=True)
    return cases


# ---------------------------------------------------------------- binlogs

def event_header(ts, type_code, length, next_position):
    return struct.pack("<QbiI", ts, type_code, length, next_position & 0xffffffff)


def binlog(payloads, data_type, field_id=100, extras=None, event_type=1, ts=(1000, 2000),
           next_position="classic", magic=MAGIC):
    """A binlog: descriptor plus one data event per payload."""
    if extras is None:
        extras = {"original_size": str(sum(len(p) for p in payloads))}
    ex = extras if isinstance(extras, bytes) else json.dumps(extras).encode()
    desc = struct.pack("<qqqqQQi", 11, 22, 33, field_id, ts[0], ts[1], data_type) \
        + POST_HEADER_LENGTHS + struct.pack("<i", len(ex)) + ex
    out = bytearray(magic)
    length = 17 + len(desc)
    nxt = -1 if next_position == "none" else len(out) + length
    out += event_header(5000, 0, length, nxt) + desc
    for p in payloads:
        length = 17 + 16 + len(p)
        nxt = -1 if next_position == "none" else len(out) + length
        out += event_header(5001, event_type, length, nxt) + struct.pack("<QQ", ts[0], ts[1]) + p
    return bytes(out)


def string_column(values, name="val"):
    return parquet_bytes(pa.table({name: pa.array(values, pa.string())},
                                  schema=pa.schema([pa.field(name, pa.string(), nullable=False)])),
                         compression="zstd")


def binlog_cases():
    """name -> (bytes, expectation): {"rows": [...]} for insert logs, {"deletes":
    [[pk, ts], ...]} for delta logs, or {"error": text}."""
    rng = random.Random(11)
    cases = {}

    ints = [rng.randint(-2**63, 2**63 - 1) for _ in range(2500)]
    p1 = parquet_bytes(pa.table({"val": pa.array(ints[:1000], pa.int64())}), compression="zstd")
    p2 = parquet_bytes(pa.table({"val": pa.array(ints[1000:], pa.int64())}), compression="none",
                       data_page_version="2.0")
    cases["two_insert_events"] = (binlog([p1, p2], INT64), {"rows": ints})
    cases["next_position_minus_one"] = (binlog([p1], INT64, next_position="none"), {"rows": ints[:1000]})

    words = [None if rng.random() < 0.2 else rng.choice(["", "a", "€", "😀"]) * rng.randint(0, 3)
             for _ in range(1200)]
    pn = parquet_bytes(pa.table({"102": pa.array(words, pa.string())}), compression="zstd")
    cases["nullable_varchar"] = (binlog([pn], VARCHAR, field_id=102,
                                        extras={"original_size": "100", "nullable": True}),
                                 {"rows": words, "nullable": True})
    small = [True, False, None, True]
    pb = parquet_bytes(pa.table({"val": pa.array(small, pa.bool_())}), compression="zstd",
                       data_page_version="2.0")
    cases["nullable_bool_v2"] = (binlog([pb], BOOL, extras={"original_size": 4, "nullable": True,
                                                             "other": {"x": [1, {"y": None}]}}),
                                 {"rows": small, "nullable": True})
    i8 = [-128, 127, 0, 5]
    p8 = parquet_bytes(pa.table({"val": pa.array(i8, pa.int8())}), compression="zstd")
    cases["int8_as_int32"] = (binlog([p8], INT8), {"rows": i8})

    # Delta logs: JSON form with every escape, whitespace and key order.
    keys = ['q"uote', "back\\slash", "é😀𝄞", "tab\t", "<&>", "sep\u2028", "ctl\x01", "", "日本"]
    entries, expected = [], []
    for n, k in enumerate(keys):
        ts = 2**64 - 1 - n
        entries.append(json.dumps({"ts": ts, "pkType": 21, "pk": k}, ensure_ascii=n % 2 == 0))
        expected.append([k, ts])
    entries.append(' { "pk" : "\\ud83d\\ude00\\u00e9\\/" ,\n"ts":7 , "pkType":21 } ')
    expected.append(["😀é/", 7])
    entries.append('{"pk":"lone \\ud800 x \\udc00","ts":8,"pkType":21}')
    expected.append(["lone \ufffd x \ufffd", 8])
    entries.append('{"pk":"nul\\u0000byte","ts":9,"pkType":21,"extra":[1,{"a":null}]}')
    expected.append(["nul\x00byte", 9])
    cases["delta_json_strings"] = (binlog([string_column(entries)], STRING, field_id=-1, event_type=2),
                                   {"deletes": expected})

    ints = [0, -1, 2**63 - 1, -2**63, 42]
    entries = [json.dumps({"pk": v, "ts": 100 + i, "pkType": 5}) for i, v in enumerate(ints)]
    cases["delta_json_ints"] = (binlog([string_column(entries[:2]), string_column(entries[2:], "delta")],
                                       STRING, field_id=-1, event_type=2),
                                {"deletes": [[v, 100 + i] for i, v in enumerate(ints)]})
    legacy = [f"{v},{200 + i}" for i, v in enumerate(ints)]
    cases["delta_legacy"] = (binlog([string_column(legacy)], STRING, field_id=-1, event_type=2),
                             {"deletes": [[v, 200 + i] for i, v in enumerate(ints)]})

    def multi(pk_array):
        n = len(pk_array)
        return parquet_bytes(pa.table({"pk": pk_array, "ts": pa.array([300 + i for i in range(n)], pa.int64())}),
                             compression="zstd")
    cases["delta_multi_field_int"] = (
        binlog([multi(pa.array(ints, pa.int64()))], INT64, field_id=-1, event_type=2,
               extras={"original_size": "1", "version": "MULTI_FIELD"}),
        {"deletes": [[v, 300 + i] for i, v in enumerate(ints)]})
    cases["delta_multi_field_string"] = (
        binlog([multi(pa.array(keys, pa.string()))], INT64, field_id=-1, event_type=2,
               extras={"version": "MULTI_FIELD", "original_size": "1"}),
        {"deletes": [[k, 300 + i] for i, k in enumerate(keys)]})

    # Refusals, each with the words its message must contain.
    cases["encrypted"] = (binlog([p8], INT8, extras={"original_size": "1", "edek": "x", "encryption_zone": 1}),
                          {"error": "encrypted"})
    cases["bad_magic"] = (binlog([p8], INT8, magic=b"\xbc\xfa\xff\x01"), {"error": "magic"})
    good = binlog([p8], INT8)
    cases["extra_length_mismatch"] = (good[:13] + struct.pack("<i", struct.unpack_from("<i", good, 13)[0] + 1)
                                      + good[17:] + b"\0", {"error": "extra length"})
    cases["type_mismatch"] = (binlog([p1], FLOAT_VECTOR), {"error": "FIXED_LEN_BYTE_ARRAY"})
    cases["no_data_event"] = (binlog([], INT64), {"error": "no data event"})
    cases["pk_type_mismatch"] = (binlog([string_column(['{"pk":"1","ts":1,"pkType":5}'])], STRING,
                                        field_id=-1, event_type=2), {"error": "pkType"})
    cases["pk_fraction"] = (binlog([string_column(['{"pk":1.5,"ts":1,"pkType":5}'])], STRING,
                                   field_id=-1, event_type=2), {"error": "fraction"})
    cases["pk_overflow"] = (binlog([string_column(['{"pk":9223372036854775808,"ts":1,"pkType":5}'])],
                                   STRING, field_id=-1, event_type=2), {"error": "out of range"})
    cases["ts_negative"] = (binlog([string_column(['{"pk":1,"ts":-1,"pkType":5}'])], STRING,
                                   field_id=-1, event_type=2), {"error": "negative"})
    cases["mixed_pk_kinds"] = (binlog([string_column(['{"pk":1,"ts":1}', '{"pk":"a","ts":1}'])], STRING,
                                      field_id=-1, event_type=2), {"error": "string primary key"})
    cases["legacy_garbage"] = (binlog([string_column(["12;34"])], STRING, field_id=-1, event_type=2),
                               {"error": "neither"})
    return cases


def write_corpus(out_dir):
    """A small seed corpus for the fuzzers: every case under 64 KiB."""
    for kind, cases in (("parquet", parquet_cases(rows=150)), ("binlog", binlog_cases())):
        os.makedirs(os.path.join(out_dir, kind), exist_ok=True)
        for name, (data, _) in cases.items():
            if len(data) <= 64 * 1024:
                with open(os.path.join(out_dir, kind, f"synth_{name}"), "wb") as f:
                    f.write(data)


if __name__ == "__main__":
    write_corpus(sys.argv[1])
