"""Whole-collection scans from binlogs: milvus_fdw against pymilvus and a heap table.

Setup (untimed), once per storage kind -- local (the Milvus 2.3 with local
storage) and minio (the Milvus 2.3 keeping its files in MinIO): a collection of
200k rows (--quick: 50k) with an Int64 key `id` and a 128-dim FloatVector
`vec`, written with pymilvus and flushed; a foreign table over it with
scan_method 'binlog'; a local heap table holding the same rows (COPY, then
VACUUM ANALYZE so it is all-visible and hinted).

Each comparison runs the same aggregate, SELECT count(*), sum(vec[1]), over
every row, at PostgreSQL's default settings (parallel workers allowed):

  scan_vs_iterator_<storage>  ours: the binlog scan, which starts with a
                   Flush and reads the segments' files; baseline: pymilvus
                   query_iterator over id and vec at its best batch_size,
                   summing vec[0] in Python.  rows/s.  Goal: >= 5.
  scan_vs_heap_<storage>      ours as above; baseline: the same query on the
                   heap table.  rows/s.  Goal: >= 0.25.
  scan_noflush_vs_heap_<storage>  the same with the table option
                   binlog_flush 'false' (no Flush first: what Milvus has
                   persisted; the Flush waits for a time tick, ~200 ms).

Ours is also printed with parallel workers off, for information.  Throughputs
are the best of --repeat runs (default 3).

Run: $VENV/bin/python bench/scan.py [--quick] [--repeat N]
"""
import argparse
import os
import time

from pymilvus import DataType, MilvusClient

import common

DIM = 128
BATCH_SIZES = [4096, 8192, 16384]

STORAGES = {
    # name: (port variable, collection, foreign server storage options, user mapping options)
    "local": ("MILVUS_PORT", "bench_scan_local",
              lambda: f"storage_path '{common.env('MILVUS_DATA_DIR')}'", None),
    "minio": ("MILVUS_S3_PORT", "bench_scan_minio",
              lambda: (f"storage_endpoint '{common.env('MINIO_ENDPOINT')}', "
                       f"bucket '{common.env('MINIO_BUCKET')}', "
                       f"root_path '{os.environ.get('MINIO_ROOT_PATH', 'files')}'"),
              lambda: (f"storage_user '{common.env('MINIO_ACCESS_KEY')}', "
                       f"storage_password '{common.env('MINIO_SECRET_KEY')}'")),
}


def best_time(fn, repeat):
    best = None
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - t0
        best = elapsed if best is None else min(best, elapsed)
    return best, result


def create_collection(client, name, vectors):
    if client.has_collection(name):
        client.drop_collection(name)
    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("vec", DataType.FLOAT_VECTOR, dim=DIM)
    client.create_collection(name, schema=schema, consistency_level="Bounded")
    n = len(vectors)
    for start in range(0, n, 10_000):
        stop = min(start + 10_000, n)
        client.insert(name, [{"id": i, "vec": v}
                             for i, v in zip(range(start, stop), vectors[start:stop].tolist())])
    client.flush(name)
    index = client.prepare_index_params()
    index.add_index("vec", index_type="FLAT", metric_type="L2")
    client.create_index(name, index)
    client.load_collection(name)


def baseline_iterate(client, name, batch_size):
    def run():
        it = client.query_iterator(name, batch_size=batch_size, output_fields=["id", "vec"])
        count = 0
        vec_sum = 0.0
        while True:
            rows = it.next()
            if not rows:
                it.close()
                return count, vec_sum
            count += len(rows)
            vec_sum += sum(r["vec"][0] for r in rows)
    return run


def sql_run(conn, sql):
    def run():
        return conn.execute(sql).fetchone()
    return run


def check_count(what, got, n):
    if got != n:
        raise SystemExit(f"{what}: {got} rows, expected {n}")


def bench_storage(conn, storage, vectors, repeat, lines):
    port_var, name, server_opts, mapping_opts = STORAGES[storage]
    n = len(vectors)
    client = MilvusClient(uri=f"http://127.0.0.1:{common.env(port_var)}")
    print(f"== {storage}: {n} rows x {DIM} dims, flushed", flush=True)
    create_collection(client, name, vectors)
    server = f"bench_scan_{storage}"
    conn.execute(f"DROP SERVER IF EXISTS {server} CASCADE")
    conn.execute(f"CREATE SERVER {server} FOREIGN DATA WRAPPER milvus_fdw OPTIONS "
                 f"(host '127.0.0.1', port '{common.env(port_var)}', {server_opts()})")
    if mapping_opts:
        conn.execute(f"CREATE USER MAPPING FOR CURRENT_USER SERVER {server} OPTIONS ({mapping_opts()})")
    conn.execute(f"CREATE FOREIGN TABLE {name} (id bigint, vec real[]) SERVER {server} "
                 f"OPTIONS (collection '{name}', scan_method 'binlog')")
    conn.execute(f"DROP TABLE IF EXISTS {name}_heap")
    conn.execute(f"CREATE TABLE {name}_heap (id bigint, vec real[])")
    common.copy_vectors(conn, f"{name}_heap", list(range(n)), vectors)
    conn.execute(f"VACUUM ANALYZE {name}_heap")
    common.wait_until_quiet()

    sql = "SELECT count(*), sum(vec[1]) FROM {}"
    plan = "\n".join(r[0] for r in conn.execute("EXPLAIN (VERBOSE, COSTS OFF) " + sql.format(name)))
    if "binlog" not in plan:
        raise SystemExit(f"expected a binlog scan:\n{plan}")
    print("  plan: " + ("parallel" if "Gather" in plan else "serial"), flush=True)

    seconds, (count, ours_sum) = best_time(sql_run(conn, sql.format(name)), repeat)
    check_count("ours", count, n)
    ours = n / seconds
    print(f"  ours      binlog scan   : {ours:9.0f} rows/s ({seconds:.3f} s)", flush=True)
    conn.execute("SET max_parallel_workers_per_gather = 0")
    seconds, (count, _) = best_time(sql_run(conn, sql.format(name)), repeat)
    conn.execute("RESET max_parallel_workers_per_gather")
    check_count("ours serial", count, n)
    print(f"  ours      serial        : {n / seconds:9.0f} rows/s ({seconds:.3f} s)", flush=True)

    conn.execute(f"ALTER FOREIGN TABLE {name} OPTIONS (ADD binlog_flush 'false')")
    seconds, (count, _) = best_time(sql_run(conn, sql.format(name)), repeat)
    conn.execute(f"ALTER FOREIGN TABLE {name} OPTIONS (DROP binlog_flush)")
    check_count("ours without flush", count, n)
    noflush = n / seconds
    print(f"  ours      binlog_flush off: {noflush:9.0f} rows/s ({seconds:.3f} s)", flush=True)

    seconds, (count, heap_sum) = best_time(sql_run(conn, sql.format(name + "_heap")), repeat)
    check_count("heap", count, n)
    heap = n / seconds
    print(f"  heap      local table   : {heap:9.0f} rows/s ({seconds:.3f} s)", flush=True)
    if abs(ours_sum - heap_sum) > 1e-3 * max(1.0, abs(heap_sum)):
        raise SystemExit(f"sum(vec[1]) differs: ours {ours_sum}, heap {heap_sum}")

    best_iter = 0.0
    for bs in BATCH_SIZES:
        seconds, (count, _) = best_time(baseline_iterate(client, name, bs), max(1, repeat - 1))
        check_count("pymilvus", count, n)
        print(f"  baseline  batch {bs:5}   : {n / seconds:9.0f} rows/s ({seconds:.3f} s)", flush=True)
        best_iter = max(best_iter, n / seconds)

    lines.append(common.ratio_line(f"scan_vs_iterator_{storage}", ours, best_iter, "rows/s"))
    lines.append(common.ratio_line(f"scan_vs_heap_{storage}", ours, heap, "rows/s"))
    lines.append(common.ratio_line(f"scan_noflush_vs_heap_{storage}", noflush, heap, "rows/s"))
    conn.execute(f"DROP TABLE {name}_heap")
    conn.execute(f"DROP SERVER {server} CASCADE")
    client.drop_collection(name)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="50k rows instead of 200k")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--storage", choices=sorted(STORAGES), action="append",
                        help="only this storage (repeatable); default: both")
    args = parser.parse_args()
    n = 50_000 if args.quick else 200_000
    print(common.machine_note(), flush=True)
    conn = common.pg_connect()
    vectors = common.random_vectors(n, DIM, seed=11)
    lines = []
    for storage in args.storage or ["local", "minio"]:
        bench_storage(conn, storage, vectors, args.repeat, lines)
    print()
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
