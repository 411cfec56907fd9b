"""Read throughput and search latency: milvus_fdw's SELECTs against pymilvus.

Setup (untimed): a collection of 200k rows (--quick: 20k) with an Int64 key
`id`, an Int64 `grp` = id % 10 and a 128-dim FloatVector `vec`, written with
pymilvus, flushed, indexed FLAT with metric L2 and loaded (consistency level
Bounded); two foreign tables (id bigint, grp bigint, vec real[]) over it, one
reading at Bounded and one at Strong (milvus_fdw's default).

Both sides always read at the same consistency level:

  read_full        every row's id and vector, Bounded.
                   ours: SELECT count(id), sum(id), sum(vec[1]) FROM ft at the
                   best milvus_fdw.fetch_size (count(*) alone would be pushed
                   down); baseline: query_iterator over id and vec at its best
                   batch_size (pymilvus 3.0's iterator always reads at the
                   collection's level, Bounded).  rows/s.  Ours at Strong is
                   printed for information.
  read_filtered    the rows of grp = 3 (a tenth) with their vectors, Bounded.
                   ours: the same aggregate WHERE grp = 3 (sent to Milvus as
                   grp == 3); baseline: query(filter="grp == 3"), or
                   query_iterator if the server caps query at 16384 rows.
  read_filtered_client   SELECT id, vec FROM ft WHERE grp = 3 fetched into this
                   Python process through psycopg (binary), against the same
                   baseline: the rows end where pymilvus delivers them.
  read_filtered_strong   read_filtered at Strong on both sides.
  search_p50/_p95  200 single-vector top-10 searches after 10 warm-up ones,
                   Bounded.  ours: EXECUTE of PREPARE s(real[]) AS SELECT id
                   FROM ft ORDER BY vec <-> $1 LIMIT 10 (a Milvus search);
                   baseline: MilvusClient.search(limit=10).  Latency in ms.
  search_p50_strong  the same at Strong, 50 searches (--quick: 20).

Throughputs are the best of --repeat runs (default 2) per setting.

Run: $VENV/bin/python bench/read.py [--quick] [--repeat N]
"""
import argparse
import time

from pymilvus import DataType

import common

COLLECTION = "bench_read"
DIM = 128
FETCH_SIZES = [4096, 8192, 16384]            # milvus_fdw.fetch_size
BATCH_SIZES = [1000, 4096, 8192, 16384]      # pymilvus query_iterator batch_size
MILVUS_QUERY_WINDOW = 16384


# ---- setup ----

def create_collection(client, n):
    if client.has_collection(COLLECTION):
        client.drop_collection(COLLECTION)
    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("grp", DataType.INT64)
    schema.add_field("vec", DataType.FLOAT_VECTOR, dim=DIM)
    client.create_collection(COLLECTION, schema=schema, consistency_level="Bounded")
    vectors = common.random_vectors(n, DIM, seed=7)
    for start in range(0, n, 10_000):
        ids = range(start, min(start + 10_000, n))
        client.insert(COLLECTION, [{"id": i, "grp": i % 10, "vec": v}
                                   for i, v in zip(ids, vectors[ids.start:ids.stop].tolist())])
    client.flush(COLLECTION)
    index = client.prepare_index_params()
    index.add_index("vec", index_type="FLAT", metric_type="L2")
    client.create_index(COLLECTION, index)
    deadline = time.monotonic() + 120
    while client.describe_index(COLLECTION, "vec").get("pending_index_rows", 0) > 0:
        if time.monotonic() > deadline:
            raise SystemExit("the FLAT index was not built within 2 minutes")
        time.sleep(0.5)
    client.load_collection(COLLECTION)


def create_foreign_tables(conn):
    for table, level in (("bench_read", "Strong"), ("bench_read_bounded", "Bounded")):
        conn.execute(f"CREATE FOREIGN TABLE {table} (id bigint, grp bigint, vec real[]) "
                     f"SERVER {common.SERVER} "
                     f"OPTIONS (collection '{COLLECTION}', consistency_level '{level}')")


def explain(conn, sql):
    return "\n".join(r[0] for r in conn.execute(f"EXPLAIN (VERBOSE, COSTS OFF) {sql}"))


def require_in_plan(conn, sql, needle):
    plan = explain(conn, sql)
    if needle not in plan:
        raise SystemExit(f"expected {needle!r} in the plan of {sql}:\n{plan}")
    return plan


# ---- timing helpers ----

def best_time(fn, repeat):
    """The shortest wall time of `repeat` calls of fn, and fn's last result."""
    best = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - t0
        best = elapsed if best is None else min(best, elapsed)
    return best, result


def check(what, got, expected):
    if got != expected:
        raise SystemExit(f"{what}: got {got}, expected {expected}")


# ---- the two sides ----

def ours_aggregate(conn, sql):
    def run():
        return conn.execute(sql).fetchone()
    return run


def baseline_iterate(client, batch_size, filter=""):
    # pymilvus 3.0's query_iterator sends use_default_consistency=True whatever
    # consistency_level says: it reads at the collection's level, Bounded
    def run():
        it = client.query_iterator(COLLECTION, batch_size=batch_size, filter=filter,
                                   output_fields=["id", "vec"])
        count = id_sum = 0
        vec_sum = 0.0
        while True:
            rows = it.next()
            if not rows:
                it.close()
                return count, id_sum, vec_sum
            count += len(rows)
            id_sum += sum(r["id"] for r in rows)
            vec_sum += sum(r["vec"][0] for r in rows)
    return run


def baseline_query(client, filter, level):
    def run():
        rows = client.query(COLLECTION, filter=filter, output_fields=["id", "vec"],
                            consistency_level=level)
        return len(rows), sum(r["id"] for r in rows), sum(r["vec"][0] for r in rows)
    return run


def search_latencies(fn, queries, warmup):
    for q in queries[:warmup]:
        fn(q)
    times = []
    for q in queries[warmup:]:
        t0 = time.perf_counter()
        fn(q)
        times.append((time.perf_counter() - t0) * 1000)
    return times


def array_literal(vector):
    return "'{" + ",".join(repr(x) for x in vector) + "}'"


# ---- the benchmarks ----

def read_full(conn, client, n, repeat, lines):
    sql = "SELECT count(id), sum(id), sum(vec[1]) FROM {table}"
    require_in_plan(conn, sql.format(table="bench_read_bounded"), "output_fields=[id, vec]")
    print(f"== read_full: {n} rows, id and a {DIM}-dim vector each, Bounded", flush=True)

    def ours_run(table, fetch_size, runs):
        conn.execute(f"SET milvus_fdw.fetch_size = {fetch_size}")
        conn.execute("SELECT milvus_fdw_stats_reset()")
        seconds, (count, id_sum, _) = best_time(ours_aggregate(conn, sql.format(table=table)),
                                                runs)
        check("ours: rows", count, n)
        check("ours: sum(id)", id_sum, n * (n - 1) // 2)
        calls, _, received = common.fdw_stats(conn)["Query"]
        conn.execute("RESET milvus_fdw.fetch_size")
        return seconds, (f"{n / seconds:8.0f} rows/s ({seconds:.2f} s); {calls // runs} "
                         f"Query calls, {received / runs / 1e6:.1f} MB received a run")

    ours = {}
    for fs in FETCH_SIZES:
        ours[fs], text = ours_run("bench_read_bounded", fs, repeat)
        print(f"  ours     fetch_size {fs:5}: {text}", flush=True)
    base = {}
    for bs in BATCH_SIZES:
        seconds, (count, id_sum, _) = best_time(baseline_iterate(client, bs), repeat)
        check("baseline: rows", count, n)
        check("baseline: sum(id)", id_sum, n * (n - 1) // 2)
        base[bs] = seconds
        print(f"  baseline batch_size {bs:5}: {n / seconds:8.0f} rows/s ({seconds:.2f} s)",
              flush=True)
    best_fs, best_bs = min(ours, key=ours.get), min(base, key=base.get)
    print(f"  best: ours fetch_size {best_fs}, baseline batch_size {best_bs}")
    # for information: milvus_fdw's default level, where every page is a Strong query
    _, text = ours_run("bench_read", best_fs, 1)
    print(f"  ours at Strong (milvus_fdw's default), fetch_size {best_fs}: {text}", flush=True)
    lines.append(common.ratio_line("read_full", n / ours[best_fs], n / base[best_bs], "rows/s"))
    return best_fs


def read_filtered(conn, client, n, repeat, fetch_size, lines):
    expected = len(range(3, n, 10))
    expected_sum = sum(range(3, n, 10))
    print(f"== read_filtered: grp = 3, {expected} of {n} rows, fetch_size {fetch_size}",
          flush=True)
    conn.execute(f"SET milvus_fdw.fetch_size = {fetch_size}")
    sql = "SELECT count(id), sum(id), sum(vec[1]) FROM {table} WHERE grp = 3"
    plan = require_in_plan(conn, sql.format(table="bench_read"), "expr=(grp == 3)")
    print("  " + next(line.strip() for line in plan.splitlines() if "grp == 3" in line))

    for table, level, suffix in (("bench_read_bounded", "Bounded", ""),
                                 ("bench_read", "Strong", "_strong")):
        seconds, (count, id_sum, _) = best_time(ours_aggregate(conn, sql.format(table=table)),
                                                repeat)
        check("ours: rows", count, expected)
        check("ours: sum(id)", id_sum, expected_sum)
        print(f"  {level + ':':8} ours     (aggregate in Postgres): {expected / seconds:8.0f} rows/s "
              f"({seconds:.3f} s)")

        # pymilvus query without a limit may stop at Milvus's query window
        if baseline_query(client, "grp == 3", level)()[0] == expected:
            how, fn = "query()", baseline_query(client, "grp == 3", level)
        else:
            how, fn = "query_iterator()", baseline_iterate(client, MILVUS_QUERY_WINDOW,
                                                           "grp == 3")
        b_seconds, (count, id_sum, _) = best_time(fn, repeat)
        check("baseline: rows", count, expected)
        check("baseline: sum(id)", id_sum, expected_sum)
        print(f"  {level + ':':8} baseline {how + ':':24} {expected / b_seconds:8.0f} rows/s "
              f"({b_seconds:.3f} s)")
        lines.append(common.ratio_line(f"read_filtered{suffix}", expected / seconds,
                                       expected / b_seconds, "rows/s"))
        if suffix:
            continue

        # the same rows into this process, as pymilvus delivers them
        cur = conn.cursor(binary=True)

        def fetch():
            cur.execute(f"SELECT id, vec FROM {table} WHERE grp = 3")
            rows = cur.fetchall()
            return len(rows), sum(r[0] for r in rows), sum(r[1][0] for r in rows)

        c_seconds, (count, id_sum, _) = best_time(fetch, repeat)
        check("ours (client): rows", count, expected)
        check("ours (client): sum(id)", id_sum, expected_sum)
        print(f"  {level + ':':8} ours     (rows to psycopg):       {expected / c_seconds:8.0f} rows/s "
              f"({c_seconds:.3f} s)")
        lines.append(common.ratio_line("read_filtered_client", expected / c_seconds,
                                       expected / b_seconds, "rows/s"))
    conn.execute("RESET milvus_fdw.fetch_size")


def search(conn, client, table, level, queries, warmup):
    """p50 and p95 latencies (ms) of both sides at one consistency level."""
    conn.execute("DEALLOCATE ALL")
    conn.execute(f"PREPARE s(real[]) AS SELECT id FROM {table} ORDER BY vec <-> $1 LIMIT 10")
    statements = [f"EXECUTE s({array_literal(q)})" for q in queries]
    require_in_plan(conn, statements[0], "search(")

    def ours(sql):
        rows = conn.execute(sql).fetchall()
        assert len(rows) == 10

    def baseline(q):
        hits = client.search(COLLECTION, data=[q], limit=10, anns_field="vec",
                             search_params={"metric_type": "L2"}, consistency_level=level)
        assert len(hits[0]) == 10

    # the same answers from both sides, for the first query
    first = [r[0] for r in conn.execute(statements[0])]
    hits = client.search(COLLECTION, data=[queries[0]], limit=10, anns_field="vec",
                         search_params={"metric_type": "L2"}, consistency_level=level)
    check("top-10 ids", first, [h["id"] for h in hits[0]])

    o = search_latencies(ours, statements, warmup)
    b = search_latencies(baseline, queries, warmup)
    return ((common.percentile(o, 50), common.percentile(o, 95)),
            (common.percentile(b, 50), common.percentile(b, 95)))


def search_bench(conn, client, n, quick, lines):
    queries = common.random_vectors(210, DIM, seed=8).tolist()
    print(f"== search: top 10 of {n} rows (FLAT, L2), 200 searches after 10 warm-up, "
          f"Bounded", flush=True)
    (o50, o95), (b50, b95) = search(conn, client, "bench_read_bounded", "Bounded", queries, 10)
    print(f"  ours     p50 {o50:.2f} ms, p95 {o95:.2f} ms\n"
          f"  baseline p50 {b50:.2f} ms, p95 {b95:.2f} ms", flush=True)
    lines.append(common.ratio_line("search_p50", o50, b50, "ms", lower_is_better=True))
    lines.append(common.ratio_line("search_p95", o95, b95, "ms", lower_is_better=True))

    count = 20 if quick else 50
    print(f"== search at Strong: {count} searches after 3 warm-up", flush=True)
    (o50, o95), (b50, b95) = search(conn, client, "bench_read", "Strong",
                                    queries[:count + 3], 3)
    print(f"  ours     p50 {o50:.2f} ms, p95 {o95:.2f} ms\n"
          f"  baseline p50 {b50:.2f} ms, p95 {b95:.2f} ms", flush=True)
    lines.append(common.ratio_line("search_p50_strong", o50, b50, "ms", lower_is_better=True))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="20k rows instead of 200k")
    parser.add_argument("--repeat", type=int, default=2,
                        help="runs per throughput setting, best kept (default 2)")
    args = parser.parse_args()
    n = 20_000 if args.quick else 200_000

    print(common.machine_note(), flush=True)
    client = common.milvus_client()
    conn = common.pg_connect()
    lines = []
    try:
        t0 = time.perf_counter()
        create_collection(client, n)
        common.create_server(conn)
        create_foreign_tables(conn)
        print(f"setup: {n} rows written, flushed, indexed and loaded in "
              f"{time.perf_counter() - t0:.0f} s", flush=True)
        common.wait_until_quiet()

        fetch_size = read_full(conn, client, n, args.repeat, lines)
        read_filtered(conn, client, n, args.repeat, fetch_size, lines)
        search_bench(conn, client, n, args.quick, lines)
    finally:
        client.drop_collection(COLLECTION)
        common.drop_server(conn)
        conn.close()
        client.close()

    print()
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
