"""Shared helpers of the milvus_fdw benchmarks: connections, CPU clocks, result lines.

Every benchmark runs the baseline (pymilvus) and ours (milvus_fdw through
PostgreSQL) in the same run against the same Milvus 2.3 server, whose address
and the scratch cluster's come from .run/env (source it, or use bench/run.sh).
"""
import logging
import os
import struct
import sys
import time

import numpy as np
import psycopg
from pymilvus import MilvusClient

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVER = "bench_m23"  # the foreign server the benchmarks create and drop
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# pymilvus's query_iterator warns on every Milvus 2.3 that it found no session timestamp
logging.getLogger("pymilvus").setLevel(logging.ERROR)


def env(name):
    value = os.environ.get(name)
    if not value:
        sys.exit(f"{name} is not set: source .run/env first (or use bench/run.sh)")
    return value


def busy_cores(seconds=1.0):
    """Cores the whole machine keeps busy over a short sample, from /proc/stat."""
    def sample():
        with open("/proc/stat") as f:
            ticks = [int(x) for x in f.readline().split()[1:]]
        return sum(ticks), ticks[3] + ticks[4]  # total, idle + iowait
    total0, idle0 = sample()
    time.sleep(seconds)
    total1, idle1 = sample()
    return os.cpu_count() * (1 - (idle1 - idle0) / max(total1 - total0, 1))


def machine_note():
    """Cores and how busy they are before we start: other work skews every number."""
    busy = busy_cores()
    note = f"machine: {os.cpu_count()} cores, {busy:.2f} busy before the run"
    if busy > 0.5:
        note += " (other work is running: expect slower, noisier numbers)"
    return note


def pg_connect():
    """An autocommit session on the scratch cluster, with milvus_fdw loaded."""
    conn = psycopg.connect(host=env("PGHOST"), port=env("PGPORT"), user=env("PGUSER"),
                           dbname=env("PGDATABASE"), autocommit=True)
    conn.execute("CREATE EXTENSION IF NOT EXISTS milvus_fdw")
    conn.execute("SELECT milvus_fdw_version()")  # loads the library: its GUCs exist
    return conn


def create_server(conn):
    """A fresh foreign server for the Milvus 2.3 of .run/env (no auth on it)."""
    conn.execute(f"DROP SERVER IF EXISTS {SERVER} CASCADE")
    conn.execute(f"CREATE SERVER {SERVER} FOREIGN DATA WRAPPER milvus_fdw "
                 f"OPTIONS (host '127.0.0.1', port '{env('MILVUS_PORT')}')")


def drop_server(conn):
    conn.execute(f"DROP SERVER IF EXISTS {SERVER} CASCADE")


def milvus_client():
    return MilvusClient(uri=f"http://127.0.0.1:{env('MILVUS_PORT')}")


def process_cpu(pid):
    """User + system CPU seconds of a process, all its threads, from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def milvus_server_pid():
    """The Milvus 2.3 process started by scripts/services.sh, or None."""
    try:
        with open(os.path.join(ROOT, ".run", "pids", "milvus23.pid")) as f:
            pgid = int(f.read().split()[0])
    except (OSError, ValueError):
        return None
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm") as f:
                comm = f.read().strip()
            if comm == "milvus" and os.getpgid(int(entry)) == pgid:
                return int(entry)
        except OSError:
            continue
    return None


class ServerCpu:
    """CPU seconds the Milvus server spends between start() and stop()."""

    def __init__(self):
        self.pid = milvus_server_pid()
        self._t0 = None

    def start(self):
        self._t0 = process_cpu(self.pid) if self.pid else None

    def stop(self):
        """The seconds since start(), or None if the server's process is unknown."""
        return None if self._t0 is None else process_cpu(self.pid) - self._t0


def wait_until_quiet(max_wait=60.0, busy=0.3, interval=0.5):
    """Wait until the Milvus server uses less than `busy` cores (its idle level is
    about 0.1) over two intervals in a row, so background work of an earlier
    phase (flushes, index builds, drops) is not charged to the next one.
    Returns the seconds waited."""
    pid = milvus_server_pid()
    if pid is None:
        return 0.0
    start = time.monotonic()
    quiet = 0
    while quiet < 2 and time.monotonic() - start < max_wait:
        before = process_cpu(pid)
        time.sleep(interval)
        quiet = quiet + 1 if (process_cpu(pid) - before) / interval < busy else 0
    return time.monotonic() - start


def random_vectors(n, dim, seed):
    return np.random.default_rng(seed).random((n, dim), dtype=np.float32)


def copy_vectors(conn, table, ids, vectors, chunk=10000):
    """COPY (id bigint, vec real[]) rows into a local table, in binary.

    The binary COPY stream is built with numpy, so the floats arrive bit for bit
    and a few hundred MB take seconds, not minutes of text formatting.
    """
    n, dim = vectors.shape
    row = np.dtype([("nfields", ">i2"), ("id_len", ">i4"), ("id", ">i8"),
                    # a real[] in binary: header, then (length, value) per element
                    ("vec_len", ">i4"), ("ndim", ">i4"), ("flags", ">i4"), ("elemtype", ">u4"),
                    ("nelems", ">i4"), ("lbound", ">i4"),
                    ("elems", [("len", ">i4"), ("val", ">f4")], (dim,))])
    header = b"PGCOPY\n\xff\r\n\0" + struct.pack(">ii", 0, 0)
    with conn.cursor().copy(f"COPY {table} FROM STDIN (FORMAT binary)") as copy:
        copy.write(header)
        for start in range(0, n, chunk):
            stop = min(start + chunk, n)
            buf = np.zeros(stop - start, dtype=row)
            buf["nfields"] = 2
            buf["id_len"] = 8
            buf["id"] = ids[start:stop]
            buf["vec_len"] = 20 + 8 * dim
            buf["ndim"] = 1
            buf["elemtype"] = 700  # float4
            buf["nelems"] = dim
            buf["lbound"] = 1
            buf["elems"]["len"] = 4
            buf["elems"]["val"] = vectors[start:stop]
            copy.write(buf.tobytes())
        copy.write(struct.pack(">h", -1))


def fdw_stats(conn):
    """milvus_fdw_stats() of this session: {method: (calls, bytes_sent, bytes_received)}."""
    rows = conn.execute("SELECT method, calls, bytes_sent, bytes_received "
                        "FROM milvus_fdw_stats()").fetchall()
    return {method: (calls, sent, received) for method, calls, sent, received in rows}


def percentile(values, p):
    """The p-th percentile (0-100), linear between closest ranks."""
    return float(np.percentile(np.asarray(values), p))


def fmt(x):
    """A number with 3-4 significant digits, plain notation."""
    if x >= 1000:
        return f"{x:.0f}"
    if x >= 100:
        return f"{x:.1f}"
    if x >= 10:
        return f"{x:.2f}"
    return f"{x:.3f}"


def ratio_line(name, ours, baseline, unit, lower_is_better=False):
    """The result line of one comparison; ratio > 1 means ours is better."""
    ratio = baseline / ours if lower_is_better else ours / baseline
    return f"{name}: ratio {ratio:.2f} (ours {fmt(ours)} {unit}, baseline {fmt(baseline)} {unit})"
