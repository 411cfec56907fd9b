"""Binlog and Parquet readers (src/binlog) against real Milvus 2.3 files.

Builds test/unit/binlog_dump (with AddressSanitizer and UBSan when the
compiler has them), then:

- decodes Parquet and binlog shapes Milvus 2.3 does not write but the readers
  promise (test/unit/synth.py): V2 pages, nulls, uncompressed chunks, several
  row groups, MULTI_FIELD / legacy / escaped-JSON delta logs, refusals;
- captures real binlogs with test/binlog_capture.py, decodes every field file
  of every flushed segment, zips the files of a segment by sorted log ID
  (segments of several files per field included),
  applies all delta logs with the timestamp rule (a row is deleted iff its
  insert timestamp, field 1, is below the key's latest delete timestamp) and
  requires exactly what pymilvus's query returned;
- feeds every prefix of real files and randomly damaged copies to the
  readers: errors, never crashes or sanitizer reports;
- runs the libFuzzer targets (test/fuzz/run.sh) for about 20 s each.
"""
import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import env

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "unit"))
import synth  # noqa: E402  (test/unit/synth.py)

SYSTEM_FIELDS = {0: "_rowid", 1: "_ts"}
JSON_TYPE = 23


def sanitizer_report(result):
    text = result.stderr
    return "Sanitizer" in text or "runtime error:" in text


def run(cmd, timeout=600):
    result = subprocess.run(cmd, capture_output=True, timeout=timeout)
    result.stdout = result.stdout.decode("utf-8", "surrogateescape")
    result.stderr = result.stderr.decode("utf-8", "surrogateescape")
    assert not sanitizer_report(result), result.stderr[-4000:]
    return result


def parse_dump(text):
    """binlog_dump output -> [(header, [values])]: a header line per file."""
    files = []
    # Not splitlines(): it would also split inside strings at U+2028 and friends.
    for line in text.split("\n"):
        if not line:
            continue
        value = json.loads(line)
        if isinstance(value, dict) and ("collection_id" in value or "column" in value):
            files.append((value, []))
        else:
            files[-1][1].append(value)
    return files


def dump_files(exe, paths):
    result = run([exe] + paths)
    assert result.returncode == 0, result.stderr[-4000:]
    files = parse_dump(result.stdout)
    assert len(files) == len(paths)
    return files


@pytest.fixture(scope="module")
def dump(tmp_path_factory):
    out = tmp_path_factory.mktemp("binlog_unit") / "binlog_dump"
    result = subprocess.run([os.path.join(HERE, "unit", "build.sh"), str(out)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return str(out)


# ---------------------------------------------------------------- synthetic files

PARQUET_CASES = synth.parquet_cases()
BINLOG_CASES = synth.binlog_cases()


@pytest.mark.parametrize("name", sorted(PARQUET_CASES))
def test_parquet_shapes(dump, tmp_path, name):
    data, expect = PARQUET_CASES[name]
    path = tmp_path / name
    path.write_bytes(data)
    result = run([dump, "--parquet", str(path)])
    if "error" in expect:
        assert result.returncode == 1
        assert expect["error"] in result.stderr, result.stderr
        return
    assert result.returncode == 0, result.stderr
    got = parse_dump(result.stdout)
    assert [h["column"] for h, _ in got] == [c[0] for c in expect["columns"]]
    for (header, values), (col, want) in zip(got, expect["columns"]):
        assert header["rows"] == len(want)
        assert header["null_count"] == sum(v is None for v in want), col
        assert values == want, col


@pytest.mark.parametrize("name", sorted(BINLOG_CASES))
def test_binlog_shapes(dump, tmp_path, name):
    data, expect = BINLOG_CASES[name]
    path = tmp_path / name
    path.write_bytes(data)
    result = run([dump, str(path)])
    if "error" in expect:
        assert result.returncode == 1
        assert expect["error"] in result.stderr, result.stderr
        return
    assert result.returncode == 0, result.stderr
    [(header, values)] = parse_dump(result.stdout)
    if "deletes" in expect:
        assert header["kind"] == "deletes"
        assert [[v["pk"], v["ts"]] for v in values] == expect["deletes"]
    else:
        assert header["kind"] == "insert"
        assert header["nullable"] == expect.get("nullable", False)
        assert values == expect["rows"]


def event_boundaries(exe, path):
    """Offsets where a data event after the first one starts: the only strict
    prefixes that are themselves well-formed binlogs."""
    [(header, _)] = parse_dump(run([exe, path]).stdout)
    return [e["offset"] for e in header["events"][1:]]


def check_truncations(exe, path):
    result = run([exe, "--truncate", path])
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout)
    assert summary["full_file_ok"], path
    assert summary["accepted_cuts"] == event_boundaries(exe, path), path


def test_binlog_damage_synthetic(dump, tmp_path):
    """Every prefix of each synthetic binlog is refused, except those ending
    exactly between two events; byte flips never crash."""
    for name in ["two_insert_events", "nullable_varchar", "delta_json_strings",
                 "delta_multi_field_string", "delta_legacy"]:
        path = tmp_path / name
        path.write_bytes(BINLOG_CASES[name][0])
        check_truncations(dump, str(path))
        result = run([dump, "--flip", str(path), "3000", "17"])
        assert result.returncode == 0, result.stderr


def test_allocation_limit_is_an_error(dump, tmp_path):
    data, _ = PARQUET_CASES["vectors_dict_then_plain"]
    path = tmp_path / "vectors"
    path.write_bytes(data)
    result = run([dump, "--max-alloc", "100000", "--parquet", str(path)])
    assert result.returncode == 1
    assert "allocation limit" in result.stderr


# ---------------------------------------------------------------- real Milvus 2.3 files

@pytest.fixture(scope="module")
def captured(tmp_path_factory):
    for name in ("MILVUS_HOST", "MILVUS_PORT", "MILVUS_DATA_DIR"):
        env(name)
    out = tmp_path_factory.mktemp("binlog_capture")
    result = subprocess.run([sys.executable, os.path.join(HERE, "binlog_capture.py"), str(out),
                             "--prefix", "binlog_test"],
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr[-4000:]
    with open(out / "manifest.json") as f:
        manifest = json.load(f)
    return str(out), manifest


def field_names(coll):
    names = dict(SYSTEM_FIELDS)
    for f in coll["fields"]:
        names[f["field_id"]] = f["name"]
    return names


def decode_segment(exe, base, coll, seg):
    """Rows of one segment: the i-th files of all fields zipped, batch by batch."""
    names = field_names(coll)
    logs = {int(fid): sorted(paths, key=lambda p: int(os.path.basename(p)))
            for fid, paths in seg["insert_logs"].items()}
    batches = {len(paths) for paths in logs.values()}
    assert len(batches) == 1, f"fields of segment {seg['segment_id']} differ in file count"
    rows = []
    for batch in range(batches.pop()):
        fids = sorted(logs)
        decoded = dump_files(exe, [os.path.join(base, logs[fid][batch]) for fid in fids])
        counts = {h["rows"] for h, _ in decoded}
        assert len(counts) == 1, f"batch {batch} of segment {seg['segment_id']}: row counts {counts}"
        columns = {}
        for fid, (header, values) in zip(fids, decoded):
            assert header["field_id"] == fid and header["segment_id"] == seg["segment_id"]
            assert header["collection_id"] == coll["collection_id"]
            if fid in names:
                name = names[fid]
            else:
                # The dynamic field is a JSON field describe_collection does not list.
                assert coll["enable_dynamic_field"] and header["data_type"] == JSON_TYPE, header
                name = "$meta"
            if header["data_type"] == JSON_TYPE:
                values = [json.loads(v) for v in values]
            columns[name] = values
        for r in range(counts.pop()):
            row = {name: values[r] for name, values in columns.items()}
            if row.get("$meta") == {}:
                del row["$meta"]
            rows.append(row)
    return rows


def delete_timestamps(exe, base, paths):
    """pk -> latest delete timestamp over the given delta logs."""
    latest = {}
    if not paths:
        return latest
    for header, entries in dump_files(exe, [os.path.join(base, p) for p in paths]):
        assert header["kind"] == "deletes" and header["field_id"] == -1
        for e in entries:
            latest[e["pk"]] = max(latest.get(e["pk"], 0), e["ts"])
    return latest


def live_rows(exe, base, coll):
    key = coll["primary_key"]
    rows = []
    for seg in coll["segments"]:
        seg_rows = decode_segment(exe, base, coll, seg)
        assert len(seg_rows) == seg["num_rows"], seg["segment_id"]
        rows += seg_rows
    deleted = delete_timestamps(exe, base, coll["all_delta_logs"])
    live = [r for r in rows if not r["_ts"] < deleted.get(r[key], -1)]
    return rows, deleted, live


def strip_system(row):
    return {k: v for k, v in row.items() if k not in ("_rowid", "_ts")}


@pytest.mark.parametrize("collection", ["types", "varchar", "f16", "multifile"])
def test_real_files_match_pymilvus(dump, captured, collection):
    base, manifest = captured
    [coll] = [c for c in manifest["collections"] if c["name"] == f"binlog_test_{collection}"]
    if collection == "multifile":
        # The point of this collection: segments whose fields span several files.
        assert max(len(paths) for seg in coll["segments"]
                   for paths in seg["insert_logs"].values()) >= 2
    if coll["rows_source"] == "query":
        assert coll["model_matches_query"], coll.get("model_difference")
    key = coll["primary_key"]
    rows, deleted, live = live_rows(dump, base, coll)
    by_key = {}
    for r in live:
        assert r[key] not in by_key, f"key {r[key]!r} live twice"
        by_key[r[key]] = strip_system(r)
    want = {r[key]: r for r in coll["rows"]}
    assert sorted(by_key, key=json.dumps) == sorted(want, key=json.dumps)
    for k, row in want.items():
        assert by_key[k] == row, k

    # The fixture must exercise the timestamp rule: keys deleted and then
    # inserted again survive, which dropping every deleted key would miss.
    revived = set(coll["changes"]["reinserted"]) - set(coll["changes"]["redeleted"])
    assert revived and revived <= set(want)
    naive = {r[key] for r in rows if r[key] not in deleted}
    assert naive != set(want)


def test_real_descriptors(dump, captured):
    """What the real files say about themselves, and the shapes 2.3.5 writes."""
    base, manifest = captured
    for coll in manifest["collections"]:
        types = {f["field_id"]: f["data_type"] for f in coll["fields"]}
        types.update({0: 5, 1: 5})
        for seg in coll["segments"]:
            for fid, paths in seg["insert_logs"].items():
                for header, _ in dump_files(dump, [os.path.join(base, p) for p in paths]):
                    assert header["partition_id"] == seg["partition_id"]
                    assert header["data_type"] == types.get(int(fid), JSON_TYPE)
                    assert len(header["events"]) == 1 and header["events"][0]["type"] == 1
                    assert header["original_size"] > 0 and header["column"] == "val"
                    assert not header["nullable"] and not header["multi_field"]
            if seg["delta_logs"]:
                for header, _ in dump_files(dump, [os.path.join(base, p) for p in seg["delta_logs"]]):
                    assert header["segment_id"] == seg["segment_id"]
                    assert header["data_type"] == 20 and not header["multi_field"]


def real_samples(captured):
    """A few real files of different shapes: vectors, strings, JSON, deletes."""
    base, manifest = captured
    picks = []
    for coll in manifest["collections"]:
        seg = min(coll["segments"], key=lambda s: s["num_rows"])
        by_name = {f["name"]: str(f["field_id"]) for f in coll["fields"]}
        for name in ("fv", "s", "j", "arr_s", "bv", "h", "pk"):
            if name in by_name and by_name[name] in seg["insert_logs"]:
                picks.append(seg["insert_logs"][by_name[name]][0])
        picks += seg["delta_logs"][:1]
    return [os.path.join(base, p) for p in picks]


def test_truncated_real_files_are_refused(dump, captured):
    samples = real_samples(captured)
    assert len(samples) >= 8
    for path in samples:
        check_truncations(dump, path)


def test_damaged_real_files_do_not_crash(dump, captured):
    for i, path in enumerate(real_samples(captured)):
        result = run([dump, "--flip", path, "2000", str(1000 + i)])
        assert result.returncode == 0, result.stderr[-2000:]
        summary = json.loads(result.stdout)
        assert summary["rounds"] == 2000


# ---------------------------------------------------------------- fuzzing

def libfuzzer_missing():
    clang = shutil.which("clang-14") or shutil.which("clang")
    if clang is None:
        return "clang is not installed (Debian: apt-get install clang-14)"
    probe = subprocess.run(
        [clang, "-fsanitize=fuzzer", "-x", "c", "-", "-o", "/dev/null"],
        input=b"#include <stdint.h>\n#include <stddef.h>\n"
              b"int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return 0; }\n",
        capture_output=True)
    if probe.returncode != 0:
        return ("clang cannot link libFuzzer (Debian: apt-get install libclang-rt-14-dev): "
                + probe.stderr.decode(errors="replace")[-300:])
    return None


def test_fuzzers_find_no_crash(captured, tmp_path):
    missing = libfuzzer_missing()
    if missing:
        pytest.skip(missing)
    base, _ = captured
    result = subprocess.run([os.path.join(HERE, "fuzz", "run.sh"), "20", base],
                            capture_output=True, text=True, timeout=600,
                            env=dict(os.environ, FUZZ_OUT=str(tmp_path)))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
