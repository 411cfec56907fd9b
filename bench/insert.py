"""Insert throughput: milvus_fdw's INSERT ... SELECT against pymilvus inserts.

For each size (200k x 128-dim and 50k x 768-dim; --quick: 20k and 5k) the same
numpy vectors are written into fresh collections of the same schema on the
Milvus 2.3 of .run/env, with the same rows per Insert request:

  baseline  pymilvus MilvusClient.insert(), batch_size rows a call, the row
            dicts built beforehand; wall time from the first insert to the last
            one's return, CPU seconds of this Python process (gRPC threads too)
  ours      INSERT INTO <foreign table> SELECT * FROM bench_src, a local heap
            table holding the same vectors (loaded by COPY, untimed), with the
            table option batch_size; wall time of the statement (its commit
            included), CPU seconds of the backend from /proc/<pid>/stat
  zero-CPU  a client that costs nothing: pymilvus's own Insert requests,
  client    serialized beforehand, sent as bytes on a raw gRPC channel one
            after another (and again with 4 in flight); its wall time is the
            server's alone, so its rows/s over pymilvus's is the most any
            client could gain on this machine

The backend's CPU includes reading bench_src (its vectors are TOASTed), which
the baseline does not pay: its rows are built before the clock starts.  So
the CPU of reading the same rows (SELECT sum(array_length(vec, 1)), which
detoasts each vector as the INSERT does) is measured too, and a second CPU
line compares what is left, milvus_fdw's own work, with pymilvus's.

The Milvus server does most of the work and its speed drifts, so each side
runs --repeat times, alternating which goes first, after the server has gone
quiet; the medians are reported.

Run: $VENV/bin/python bench/insert.py [--quick] [--batch-size N] [--repeat N]
"""
import argparse
import collections
import statistics
import time

import grpc
import numpy as np
from pymilvus import DataType
from pymilvus.grpc_gen import milvus_pb2, schema_pb2

import common

SIZES = [(200_000, 128), (50_000, 768)]
QUICK_SIZES = [(20_000, 128), (5_000, 768)]


def baseline_collection(client, name, dim):
    """The collection milvus_create_collection() makes: Int64 key, FloatVector,
    AUTOINDEX with COSINE, Bounded consistency, loaded."""
    if client.has_collection(name):
        client.drop_collection(name)
    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("vec", DataType.FLOAT_VECTOR, dim=dim)
    index = client.prepare_index_params()
    index.add_index("vec", index_type="AUTOINDEX", metric_type="COSINE")
    client.create_collection(name, schema=schema, index_params=index,
                             consistency_level="Bounded")


def visible_after(client, collection, n):
    """Seconds a Strong count(*) takes right after the last insert: it returns once
    Milvus has consumed every row (and its time tick has passed)."""
    t0 = time.perf_counter()
    res = client.query(collection, filter="", output_fields=["count(*)"],
                       consistency_level="Strong")
    count = res[0]["count(*)"]
    if count != n:
        raise SystemExit(f"collection {collection} holds {count} rows, not {n}")
    return time.perf_counter() - t0


class Result:
    """One run of one side: wall and CPU seconds, Milvus server CPU seconds
    (None if its process was not found), seconds until all rows were visible."""

    def __init__(self, wall, cpu, server_cpu, visible):
        self.wall, self.cpu, self.server_cpu, self.visible = wall, cpu, server_cpu, visible

    def describe(self, n, who):
        server = "n/a" if self.server_cpu is None else f"{self.server_cpu:.2f} cpu-s"
        return (f"{n / self.wall:.0f} rows/s ({self.wall:.2f} s), {who} {self.cpu:.2f} cpu-s, "
                f"Milvus server {server}, all visible {self.visible:.2f} s later")

    @staticmethod
    def median(results):
        def med(key):
            values = [getattr(r, key) for r in results]
            return None if None in values else statistics.median(values)
        return Result(med("wall"), med("cpu"), med("server_cpu"), med("visible"))


def run_in_python(client, collection, dim, n, send, check=lambda: None):
    """One run of a client in this process: a fresh collection, send() timed with
    this process's CPU (gRPC threads too), check() after the clock, then the rows
    counted."""
    baseline_collection(client, collection, dim)
    common.wait_until_quiet()
    server = common.ServerCpu()
    server.start()
    cpu0, t0 = time.process_time(), time.perf_counter()
    send()
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    server_cpu = server.stop()
    check()
    result = Result(wall, cpu, server_cpu, visible_after(client, collection, n))
    client.drop_collection(collection)
    return result


def run_baseline(client, collection, dim, batches, n):
    def send():
        for batch in batches:
            client.insert(collection, batch)
    return run_in_python(client, collection, dim, n, send)


def run_ours(conn, client, table, collection, n):
    conn.execute(f"SELECT milvus_drop_collection('{table}', missing_ok => true)")
    conn.execute(f"SELECT milvus_create_collection('{table}')")
    conn.execute("SELECT milvus_fdw_stats_reset()")
    pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    common.wait_until_quiet()
    server = common.ServerCpu()
    server.start()
    cpu0, t0 = common.process_cpu(pid), time.perf_counter()
    conn.execute(f"INSERT INTO {table} SELECT * FROM bench_src")
    wall, cpu = time.perf_counter() - t0, common.process_cpu(pid) - cpu0
    result = Result(wall, cpu, server.stop(), visible_after(client, collection, n))
    result.stats = common.fdw_stats(conn).get("Insert", (0, 0, 0))
    conn.execute(f"SELECT milvus_drop_collection('{table}')")
    return result


def zero_cpu_requests(collection, ids, vectors, batch_size):
    """Every batch's InsertRequest as pymilvus builds it (column-wise FieldData),
    serialized to bytes before any clock starts."""
    requests = []
    for s in range(0, len(ids), batch_size):
        chunk_ids, chunk = ids[s:s + batch_size], vectors[s:s + batch_size]
        req = milvus_pb2.InsertRequest(collection_name=collection, num_rows=len(chunk_ids))
        key = req.fields_data.add()
        key.type, key.field_name = schema_pb2.DataType.Int64, "id"
        key.scalars.long_data.data.extend(chunk_ids.tolist())
        vec = req.fields_data.add()
        vec.type, vec.field_name = schema_pb2.DataType.FloatVector, "vec"
        vec.vectors.dim = chunk.shape[1]
        vec.vectors.float_vector.data.extend(chunk.ravel().tolist())
        requests.append(req.SerializeToString())
    return requests


def send_all(insert, requests, in_flight):
    """Every request's reply bytes, at most in_flight requests outstanding."""
    if in_flight == 1:
        return [insert(request, timeout=120) for request in requests]
    pending, replies = collections.deque(), []
    for request in requests:
        if len(pending) == in_flight:
            replies.append(pending.popleft().result())
        pending.append(insert.future(request, timeout=120))
    replies.extend(future.result() for future in pending)
    return replies


def run_zero_cpu_client(client, collection, dim, requests, n, in_flight):
    channel = grpc.insecure_channel(f"127.0.0.1:{common.env('MILVUS_PORT')}",
                                    options=[("grpc.max_send_message_length", -1),
                                             ("grpc.max_receive_message_length", -1)])
    grpc.channel_ready_future(channel).result(timeout=30)
    # bytes in, bytes out: no serializer, so the client's work per call is gRPC's alone
    insert = channel.unary_unary("/milvus.proto.milvus.MilvusService/Insert")
    replies = []

    def check():
        for reply in replies:
            status = milvus_pb2.MutationResult.FromString(reply).status
            if status.error_code or status.code:
                raise SystemExit(f"zero-CPU client: Insert failed: {status.reason}")

    try:
        return run_in_python(client, collection, dim, n,
                             lambda: replies.extend(send_all(insert, requests, in_flight)),
                             check)
    finally:
        channel.close()


def source_read_cpu(conn, repeat=3):
    """Median backend CPU seconds of reading bench_src's rows, vectors detoasted."""
    pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    runs = []
    for _ in range(repeat):
        cpu0 = common.process_cpu(pid)
        conn.execute("SELECT sum(array_length(vec, 1)) FROM bench_src")
        runs.append(common.process_cpu(pid) - cpu0)
    return statistics.median(runs)


def prepare_ours(conn, table, collection, ids, vectors, batch_size):
    """bench_src with the vectors, and a foreign table for the collection."""
    dim = vectors.shape[1]
    conn.execute("DROP TABLE IF EXISTS bench_src")
    conn.execute("CREATE TABLE bench_src (id bigint, vec real[])")
    common.copy_vectors(conn, "bench_src", ids, vectors)
    conn.execute("VACUUM ANALYZE bench_src")
    # read it once, TOAST included, so the timed INSERT finds it in memory
    conn.execute("SELECT sum(array_length(vec, 1)) FROM bench_src")
    conn.execute(f"DROP FOREIGN TABLE IF EXISTS {table}")
    conn.execute(f"CREATE FOREIGN TABLE {table} (id bigint, vec real[]) SERVER {common.SERVER} "
                 f"OPTIONS (collection '{collection}', primary_key 'id', vector_field 'vec', "
                 f"dim '{dim}', batch_size '{batch_size}')")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="20k x 128 and 5k x 768")
    parser.add_argument("--batch-size", type=int, default=1000,
                        help="rows per Insert request on both sides (default 1000)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each side per size (default 3); medians reported")
    args = parser.parse_args()

    print(common.machine_note(), flush=True)
    client = common.milvus_client()
    conn = common.pg_connect()
    common.create_server(conn)
    lines = []
    try:
        for n, dim in QUICK_SIZES if args.quick else SIZES:
            name = f"insert_{dim}d"
            print(f"== {name}: {n} rows x {dim} dims, {args.batch_size} rows per Insert "
                  f"request, {args.repeat} runs each", flush=True)
            ids = np.arange(n, dtype=np.int64)
            vectors = common.random_vectors(n, dim, seed=dim)
            table, collection = f"bench_{name}", f"bench_{name}_fdw"
            prepare_ours(conn, table, collection, ids, vectors, args.batch_size)
            batches = [[{"id": i, "vec": v}
                        for i, v in zip(ids[s:s + args.batch_size].tolist(),
                                        vectors[s:s + args.batch_size].tolist())]
                       for s in range(0, n, args.batch_size)]
            requests = zero_cpu_requests(f"bench_{name}_zero", ids, vectors, args.batch_size)
            del vectors

            runs = {"baseline": [], "ours": [], "zero": [], "zero4": []}
            sides = list(runs)
            for rep in range(args.repeat):
                # rotate who goes first: the server may drift within a run
                for side in sides[rep % 4:] + sides[:rep % 4]:
                    if side == "baseline":
                        r = run_baseline(client, f"bench_{name}_pymilvus", dim, batches, n)
                        print(f"  baseline pymilvus: {r.describe(n, 'client')}", flush=True)
                    elif side == "ours":
                        r = run_ours(conn, client, table, collection, n)
                        calls, sent, _ = r.stats
                        print(f"  ours milvus_fdw:   {r.describe(n, 'backend')}; "
                              f"{calls} Insert calls, {sent / 1e6:.1f} MB sent", flush=True)
                    else:
                        in_flight = 1 if side == "zero" else 4
                        r = run_zero_cpu_client(client, f"bench_{name}_zero", dim, requests, n,
                                                in_flight)
                        print(f"  zero-CPU client, {in_flight} in flight: "
                              f"{r.describe(n, 'client')}", flush=True)
                    runs[side].append(r)
            b, o, z, z4 = (Result.median(runs[side]) for side in sides)
            src = source_read_cpu(conn)
            print(f"  median: baseline {b.describe(n, 'client')}\n"
                  f"          ours     {o.describe(n, 'backend')}\n"
                  f"          zero-CPU {z.describe(n, 'client')}\n"
                  f"          zero-CPU, 4 in flight {z4.describe(n, 'client')}\n"
                  f"  of the backend's CPU, reading bench_src takes {src:.2f} cpu-s\n"
                  f"  the most any client can gain over pymilvus on this server: "
                  f"{b.wall / z.wall:.2f}x, {b.wall / z4.wall:.2f}x with 4 requests in flight "
                  f"(ours {b.wall / o.wall:.2f}x)")
            lines.append(common.ratio_line(name, n / o.wall, n / b.wall, "rows/s"))
            lines.append(common.ratio_line(f"{name}_cpu", o.cpu, b.cpu, "cpu-s",
                                           lower_is_better=True))
            lines.append(common.ratio_line(f"{name}_cpu_without_source", max(o.cpu - src, 0.01),
                                           b.cpu, "cpu-s", lower_is_better=True))
            lines.append(common.ratio_line(f"{name}_vs_zero_cpu_client", n / o.wall, n / z.wall,
                                           "rows/s"))
            del batches, requests
    finally:
        for name in client.list_collections():
            if name.startswith("bench_insert_"):
                client.drop_collection(name)
        conn.execute("DROP TABLE IF EXISTS bench_src")
        common.drop_server(conn)
        conn.close()
        client.close()

    print()
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
