"""Soak: 8 sessions mixing INSERT, SELECT, search and DELETE on one collection.

Each session owns a key range, so it knows exactly which of its rows must
exist; it checks what it reads as it goes (its own writes are visible to it),
and at the end the collection holds exactly the union of what the sessions
kept, by count and by key checksum through pymilvus.  Runs for SOAK_SECONDS
(default 300; `scripts/test.sh --long`: 1800).  Every `scripts/test.sh` runs it.
"""
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from conftest import connect  # noqa: E402
from milvus_client import client, server_port  # noqa: E402

SESSIONS = 8
RANGE = 1_000_000          # keys of session s: s * RANGE + n
DIM = 8


def vector(key):
    return "{" + ",".join(str((key * (i + 3)) % 97 / 97.0) for i in range(DIM)) + "}"


def worker(s, deadline, errors, kept):
    rng = random.Random(s)
    conn = connect()
    mine = set()
    next_key = s * RANGE
    ops = 0
    try:
        while time.monotonic() < deadline:
            op = rng.random()
            if op < 0.45:                                  # a batch insert in a transaction
                n = rng.randint(1, 300)
                keys = list(range(next_key, next_key + n))
                next_key += n
                with conn.transaction():
                    with conn.cursor().copy("COPY soak (id, owner, vec) FROM STDIN") as cp:
                        for k in keys:
                            cp.write_row((k, s, vector(k)))
                mine.update(keys)
            elif op < 0.65 and mine:                       # delete some of ours
                victims = rng.sample(sorted(mine), min(len(mine), rng.randint(1, 50)))
                conn.execute("DELETE FROM soak WHERE id = ANY(%s)", (victims,))
                mine.difference_update(victims)
            elif op < 0.85:                                # read ours back
                got = conn.execute("SELECT count(*), coalesce(sum(id), 0) FROM soak WHERE owner = %s",
                                   (s,)).fetchone()
                want = (len(mine), sum(mine))
                if tuple(int(x) for x in got) != want:
                    errors.append(f"session {s}: read {got}, expected {want}")
                    return
            else:                                          # a search among ours
                rows = conn.execute(
                    "SELECT id FROM soak WHERE owner = %s ORDER BY vec <-> %s::real[] LIMIT 5",
                    (s, vector(rng.randint(0, 10**6)))).fetchall()
                if any(r[0] not in mine for r in rows):
                    errors.append(f"session {s}: search returned a key it does not hold")
                    return
            ops += 1
    except Exception as e:  # noqa: BLE001 - reported below
        errors.append(f"session {s}: {type(e).__name__}: {e}")
    finally:
        kept[s] = (mine, ops)
        conn.close()


def test_soak():
    seconds = float(os.environ.get("SOAK_SECONDS", "300"))
    conn = connect()
    conn.execute("CREATE EXTENSION IF NOT EXISTS milvus_fdw")
    conn.execute("DROP SERVER IF EXISTS soak_m23 CASCADE")
    conn.execute(f"CREATE SERVER soak_m23 FOREIGN DATA WRAPPER milvus_fdw "
                 f"OPTIONS (host '127.0.0.1', port '{server_port('m23')}', timeout '60')")
    conn.execute(f"""CREATE FOREIGN TABLE soak (id bigint, owner integer, vec real[]) SERVER soak_m23
                     OPTIONS (collection 'soak', primary_key 'id', vector_field 'vec', dim '{DIM}',
                              index_type 'FLAT', metric_type 'L2')""")
    conn.execute("SELECT milvus_drop_collection('soak', true)")
    conn.execute("SELECT milvus_create_collection('soak')")
    deadline = time.monotonic() + seconds
    errors, kept = [], {}
    threads = [threading.Thread(target=worker, args=(s, deadline, errors, kept))
               for s in range(SESSIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 300)
    assert errors == []
    expected = set().union(*(k for k, _ in kept.values()))
    ops = sum(n for _, n in kept.values())
    print(f"soak: {ops} operations in {seconds:.0f} s, {len(expected)} rows kept")
    c = client("m23")
    got = set()
    it = c.query_iterator("soak", batch_size=10000, output_fields=["id"], consistency_level="Strong")
    while True:
        page = it.next()
        if not page:
            break
        got.update(r["id"] for r in page)
    it.close()
    assert len(got) == len(expected) and sum(got) == sum(expected)
    assert got == expected
    conn.execute("SELECT milvus_drop_collection('soak', true)")
    conn.execute("DROP SERVER soak_m23 CASCADE")
    conn.close()
