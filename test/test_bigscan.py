"""A collection far beyond Milvus's 16384-row query window reads back whole,
each row exactly once: by SELECT and by a cursor FETCHed in steps."""
import pytest

from conftest import connect
from milvus_client import client, server_port

ROWS = 100000


@pytest.fixture(scope="module")
def big():
    conn = connect()
    conn.execute("CREATE EXTENSION IF NOT EXISTS milvus_fdw")
    conn.execute("DROP SERVER IF EXISTS big_m23 CASCADE")
    conn.execute(f"CREATE SERVER big_m23 FOREIGN DATA WRAPPER milvus_fdw "
                 f"OPTIONS (host '127.0.0.1', port '{server_port('m23')}')")
    conn.execute("""CREATE FOREIGN TABLE big (id bigint, label text, vec real[]) SERVER big_m23
                    OPTIONS (collection 'big_scan', primary_key 'id', vector_field 'vec',
                             dim '4', batch_size '10000')""")
    conn.execute("SELECT milvus_drop_collection('big', true)")
    # keys in scrambled order, so pages must really be merged by key
    conn.execute(f"""INSERT INTO big SELECT (i * 7919) % {ROWS} + 1, 'row ' || i,
                     ARRAY[i, 1, 2, 3]::real[] FROM generate_series(0, {ROWS - 1}) i""")
    yield conn
    conn.execute("SELECT milvus_drop_collection('big', true)")
    conn.execute("DROP SERVER big_m23 CASCADE")
    conn.close()


EXPECTED = (ROWS, ROWS, ROWS * (ROWS + 1) // 2)


def test_select_reads_every_row_once(big):
    assert big.execute("SELECT count(*), count(DISTINCT id), sum(id) FROM "
                       "(SELECT id, label FROM big) s").fetchone() == EXPECTED
    # and every label came with its own row
    ours = big.execute("SELECT sum(id::numeric * hashtext(label)) FROM big").fetchone()[0]
    expected = big.execute(f"SELECT sum((((i * 7919) % {ROWS}) + 1)::numeric * hashtext('row ' || i)) "
                           f"FROM generate_series(0, {ROWS - 1}) i").fetchone()[0]
    assert ours == expected


def test_cursor_fetches_in_steps(big):
    seen = []
    with big.transaction():
        big.execute("DECLARE c CURSOR FOR SELECT id FROM big")
        while True:
            rows = big.execute("FETCH 1000 FROM c").fetchall()
            if not rows:
                break
            seen.extend(r[0] for r in rows)
    assert (len(seen), len(set(seen)), sum(seen)) == EXPECTED
    # pages come in key order
    assert seen == sorted(seen)


def test_pymilvus_agrees(big):
    c = client("m23")
    it = c.query_iterator("big_scan", batch_size=16384, output_fields=["id"],
                          consistency_level="Strong")
    ids = []
    while True:
        page = it.next()
        if not page:
            it.close()
            break
        ids.extend(r["id"] for r in page)
    assert (len(ids), len(set(ids)), sum(ids)) == EXPECTED
