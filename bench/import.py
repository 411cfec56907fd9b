"""Bulk import throughput: insert_method 'import' against batched Insert calls.

The same numpy vectors (1 000 000 x 128-dim; --quick: 100 000) are written from a
local heap table into fresh collections of the same schema (Int64 key, FloatVector,
AUTOINDEX with COSINE, loaded: what milvus_create_collection() makes) on the Milvus 2.3
with local storage of .run/env, through the same foreign table definition:

  baseline  insert_method 'insert': INSERT INTO <foreign table> SELECT * FROM
            bench_src, sent as Insert calls of batch_size rows (1000)
  ours      insert_method 'import': the same statement; the rows go to NumPy
            files in Milvus's storage and one Import call at commit, waited for

Timed: the statement, its commit included (autocommit), i.e. until Milvus has
stored every row (Insert: acknowledged; Import: task Completed).  Also printed:
the backend's CPU seconds, the Milvus server's, and how long a Strong count(*)
then takes to see every row (imported segments become visible only when Milvus's
query nodes load them; inserted rows at once).

Each side runs --repeat times (default 1), alternating which goes first, after the
server has gone quiet; medians are reported.

Needs write access for the PostgreSQL server's OS user to <MILVUS_DATA_DIR>/milvus_fdw_import
(created here when run as root).

Run: $VENV/bin/python bench/import.py [--quick] [--repeat N] [--batch-size N]
"""
import argparse
import os
import statistics
import time

import numpy as np

import common

DIM = 128
SIZE = 1_000_000
QUICK_SIZE = 100_000


def prepare_storage():
    """The directory our files go to in Milvus's local storage, writable by the
    PostgreSQL server's OS user (the owner of its data directory)."""
    path = os.path.join(common.env("MILVUS_DATA_DIR"), "milvus_fdw_import")
    os.makedirs(path, exist_ok=True)
    if os.geteuid() == 0:
        owner = os.stat(common.env("PGDATA")).st_uid
        os.chown(path, owner, -1)


def visible_after(client, collection, n, limit=600.0):
    """Seconds until a Strong count(*) sees all n rows."""
    t0 = time.perf_counter()
    while True:
        res = client.query(collection, filter="", output_fields=["count(*)"],
                           consistency_level="Strong")
        count = res[0]["count(*)"]
        if count == n:
            return time.perf_counter() - t0
        if count > n or time.perf_counter() - t0 > limit:
            raise SystemExit(f"collection {collection} holds {count} rows, not {n}")
        time.sleep(0.5)


class Result:
    def __init__(self, wall, cpu, server_cpu, visible):
        self.wall, self.cpu, self.server_cpu, self.visible = wall, cpu, server_cpu, visible

    def describe(self, n):
        server = "n/a" if self.server_cpu is None else f"{self.server_cpu:.2f} cpu-s"
        return (f"{n / self.wall:.0f} rows/s ({self.wall:.2f} s), backend {self.cpu:.2f} cpu-s, "
                f"Milvus server {server}, all visible {self.visible:.2f} s later")

    @staticmethod
    def median(results):
        def med(key):
            values = [getattr(r, key) for r in results]
            return None if None in values else statistics.median(values)
        return Result(med("wall"), med("cpu"), med("server_cpu"), med("visible"))


def run(conn, client, table, collection, method, n):
    conn.execute(f"SELECT milvus_drop_collection('{table}', missing_ok => true)")
    conn.execute(f"SELECT milvus_create_collection('{table}')")
    conn.execute(f"ALTER FOREIGN TABLE {table} OPTIONS (SET insert_method '{method}')")
    pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    common.wait_until_quiet()
    server = common.ServerCpu()
    server.start()
    cpu0, t0 = common.process_cpu(pid), time.perf_counter()
    conn.execute(f"INSERT INTO {table} SELECT * FROM bench_src")
    wall, cpu = time.perf_counter() - t0, common.process_cpu(pid) - cpu0
    server_cpu = server.stop()
    result = Result(wall, cpu, server_cpu, visible_after(client, collection, n))
    conn.execute(f"SELECT milvus_drop_collection('{table}')")
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SIZE} rows")
    parser.add_argument("--batch-size", type=int, default=1000,
                        help="rows per Insert request of the baseline (default 1000)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of each side (default 1); medians reported")
    args = parser.parse_args()
    n = QUICK_SIZE if args.quick else SIZE

    print(common.machine_note(), flush=True)
    prepare_storage()
    client = common.milvus_client()
    conn = common.pg_connect()
    common.create_server(conn)
    conn.execute(f"ALTER SERVER {common.SERVER} OPTIONS (ADD storage_path "
                 f"'{common.env('MILVUS_DATA_DIR')}')")
    table, collection = "bench_import", "bench_import_fdw"
    try:
        print(f"== import_vs_insert: {n} rows x {DIM} dims, baseline {args.batch_size} rows "
              f"per Insert request, {args.repeat} run(s) each", flush=True)
        ids = np.arange(n, dtype=np.int64)
        vectors = common.random_vectors(n, DIM, seed=DIM)
        conn.execute("DROP TABLE IF EXISTS bench_src")
        conn.execute("CREATE TABLE bench_src (id bigint, vec real[])")
        common.copy_vectors(conn, "bench_src", ids, vectors)
        del vectors
        conn.execute("VACUUM ANALYZE bench_src")
        conn.execute("SELECT sum(array_length(vec, 1)) FROM bench_src")
        conn.execute(f"DROP FOREIGN TABLE IF EXISTS {table}")
        conn.execute(f"CREATE FOREIGN TABLE {table} (id bigint, vec real[]) SERVER {common.SERVER} "
                     f"OPTIONS (collection '{collection}', primary_key 'id', vector_field 'vec', "
                     f"dim '{DIM}', batch_size '{args.batch_size}', insert_method 'insert')")

        base, ours = [], []
        for rep in range(args.repeat):
            for side in (("baseline", "ours") if rep % 2 == 0 else ("ours", "baseline")):
                if side == "baseline":
                    r = run(conn, client, table, collection, "insert", n)
                    print(f"  baseline insert: {r.describe(n)}", flush=True)
                    base.append(r)
                else:
                    r = run(conn, client, table, collection, "import", n)
                    print(f"  ours import:     {r.describe(n)}", flush=True)
                    ours.append(r)
        b, o = Result.median(base), Result.median(ours)
        print(f"  median: baseline {b.describe(n)}\n          ours     {o.describe(n)}")
        line = common.ratio_line("import_vs_insert", n / o.wall, n / b.wall, "rows/s")
    finally:
        if client.has_collection(collection):
            client.drop_collection(collection)
        conn.execute("DROP TABLE IF EXISTS bench_src")
        common.drop_server(conn)
        conn.close()
        client.close()

    print()
    print(line)


if __name__ == "__main__":
    main()
