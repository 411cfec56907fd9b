"""Soak: 8 sessions mixing INSERT, SELECT, search and DELETE on one collection.

Each session owns a key range, so it knows exactly which of its rows must
exist; it checks what it reads as it goes (its own writes are visible to it),
and at the end the collection holds exactly the union of what the sessions
kept, by count and by key checksum through pymilvus.

Milvus 2.3.5's query node now and then keeps serving a row that a DELETE
removed (CI saw it once in a 5-minute run; the delete is durable: the row
is gone once Milvus restarts and reloads the collection from its files).  A
read that differs from what the session holds is therefore checked: if the
only difference is rows this session deleted and pymilvus, asked directly,
sees them too, it is counted as a Milvus anomaly and reported, not failed;
anything else fails.  At the end, if pymilvus still sees such rows, Milvus
2.3 is restarted and the collection must then match exactly.  Runs for SOAK_SECONDS
(default 300; `scripts/test.sh --long`: 1800).  Every `scripts/test.sh` runs it.
"""
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from conftest import connect, services  # noqa: E402
from milvus_client import client, server_port  # noqa: E402

SESSIONS = 8
RANGE = 1_000_000          # keys of session s: s * RANGE + n
DIM = 8


def vector(key):
    return "{" + ",".join(str((key * (i + 3)) % 97 / 97.0) for i in range(DIM)) + "}"


def visible_in_milvus(keys):
    """Which of KEYS pymilvus sees, at Strong consistency."""
    if not keys:
        return set()
    c = client("m23")
    rows = c.query("soak", filter=f"id in {sorted(keys)}", output_fields=["id"],
                   consistency_level="Strong", limit=16384)
    c.close()
    return {r["id"] for r in rows}


def worker(s, deadline, errors, kept, anomalies):
    rng = random.Random(s)
    conn = connect()
    mine = set()
    gone = set()                   # keys this session deleted
    stale = set()                  # of those, keys Milvus went on serving
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
                gone.update(victims)
            elif op < 0.85:                                # read ours back
                got = conn.execute("SELECT count(*), coalesce(sum(id), 0) FROM soak WHERE owner = %s",
                                   (s,)).fetchone()
                want = (len(mine), sum(mine))
                if tuple(int(x) for x in got) != want:
                    ids = {r[0] for r in conn.execute("SELECT id FROM soak WHERE owner = %s", (s,))}
                    extra, missing = ids - mine, mine - ids
                    if missing or not extra or not extra <= gone or visible_in_milvus(extra) != extra:
                        errors.append(f"session {s}: read {got}, expected {want}; "
                                      f"extra {sorted(extra)[:5]}, missing {sorted(missing)[:5]}")
                        return
                    if extra - stale:
                        anomalies.append(f"session {s}: Milvus still serves deleted keys "
                                         f"{sorted(extra - stale)}")
                        stale.update(extra)
            else:                                          # a search among ours
                rows = conn.execute(
                    "SELECT id FROM soak WHERE owner = %s ORDER BY vec <-> %s::real[] LIMIT 5",
                    (s, vector(rng.randint(0, 10**6)))).fetchall()
                extra = {r[0] for r in rows} - mine
                if extra and not (extra <= gone and visible_in_milvus(extra) == extra):
                    errors.append(f"session {s}: search returned keys it does not hold: {sorted(extra)}")
                    return
            ops += 1
    except Exception as e:  # noqa: BLE001 - reported below
        errors.append(f"session {s}: {type(e).__name__}: {e}")
    finally:
        kept[s] = (mine, ops)
        conn.close()


def all_keys(wait=False):
    """Every key of the collection through pymilvus's query_iterator (WAIT:
    until Milvus serves it again after a restart)."""
    deadline = time.monotonic() + 180
    while True:
        try:
            c = client("m23")
            got = set()
            it = c.query_iterator("soak", batch_size=10000, output_fields=["id"],
                                  consistency_level="Strong")
            while True:
                page = it.next()
                if not page:
                    break
                got.update(r["id"] for r in page)
            it.close()
            return got
        except Exception:           # noqa: BLE001 - not served yet after the restart
            if not wait or time.monotonic() > deadline:
                raise
            time.sleep(2)


def all_deleted(keys, kept):
    """Whether each key belongs to a session that does not keep it: a key the
    session inserted and then deleted (keys are never reused)."""
    for k in keys:
        s = k // RANGE
        if s not in kept or k in kept[s][0]:
            return False
    return True


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
    errors, kept, anomalies = [], {}, []
    threads = [threading.Thread(target=worker, args=(s, deadline, errors, kept, anomalies))
               for s in range(SESSIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 300)
    assert errors == []
    expected = set().union(*(k for k, _ in kept.values()))
    ops = sum(n for _, n in kept.values())
    print(f"soak: {ops} operations in {seconds:.0f} s, {len(expected)} rows kept")
    for a in anomalies:
        print(f"soak: Milvus anomaly: {a}")
    got = all_keys()
    if got != expected:
        # only rows the sessions deleted may differ, and only until Milvus reloads
        assert got > expected and all_deleted(got - expected, kept), \
            (sorted(got - expected)[:10], sorted(expected - got)[:10])
        print(f"soak: Milvus anomaly: {len(got - expected)} deleted rows still served at the "
              f"end; restarting Milvus 2.3")
        services("restart", "--no-build", "milvus23")
        got = all_keys(wait=True)
    assert len(got) == len(expected) and sum(got) == sum(expected)
    assert got == expected
    conn.execute("SELECT milvus_drop_collection('soak', true)")
    conn.execute("DROP SERVER soak_m23 CASCADE")
    conn.close()
