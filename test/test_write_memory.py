"""A long INSERT holds one batch in memory, not everything it has written.

Values a row brings (text, detoasted vectors) used to stay in the
transaction's write context until COMMIT: a 100 MB INSERT kept 100 MB.
Now what a batch points to is freed once the batch is sent, so the memory
of milvus_fdw's write buffers stays near one batch however many rows go by.
"""
from conftest import connect
from milvus_client import client, server_port

ROWS = 20000
DIM = 768
LABEL_BYTES = 2000


def write_buffer_bytes(conn):
    return conn.execute("SELECT coalesce(sum(total_bytes), 0) FROM pg_backend_memory_contexts "
                        "WHERE name LIKE 'milvus_fdw%'").fetchone()[0]


def test_long_insert_keeps_one_batch_in_memory():
    conn = connect()
    conn.execute("CREATE EXTENSION IF NOT EXISTS milvus_fdw")
    conn.execute("DROP SERVER IF EXISTS mem_m23 CASCADE")
    conn.execute(f"CREATE SERVER mem_m23 FOREIGN DATA WRAPPER milvus_fdw "
                 f"OPTIONS (host '127.0.0.1', port '{server_port('m23')}')")
    conn.execute(f"""CREATE FOREIGN TABLE mem_t (id bigint, label varchar(4000), vec real[])
                     SERVER mem_m23 OPTIONS (collection 'write_memory', primary_key 'id',
                     vector_field 'vec', dim '{DIM}', batch_size '500')""")
    # the vectors come TOASTed from a heap table, as in a migration
    conn.execute("DROP TABLE IF EXISTS mem_src")
    conn.execute("CREATE TABLE mem_src (id bigint, label text, vec real[])")
    conn.execute(f"""INSERT INTO mem_src SELECT i, repeat(md5(i::text), {LABEL_BYTES // 32}),
                            array_fill((i % 97)::real + 0.5, ARRAY[{DIM}])
                     FROM generate_series(1, {ROWS}) i""")
    conn.execute("SELECT milvus_drop_collection('mem_t', true)")
    try:
        with conn.transaction():
            conn.execute("INSERT INTO mem_t SELECT * FROM mem_src")
            held = write_buffer_bytes(conn)
        written = ROWS * (LABEL_BYTES + DIM * 4)
        # about 100 MB went by, in batches of 500 rows (about 2.5 MB)
        assert held < 16 * 1024 * 1024, f"write buffers hold {held} bytes after writing {written}"
        c = client("m23")
        c.flush("write_memory")
        assert c.query("write_memory", filter="", output_fields=["count(*)"],
                       consistency_level="Strong")[0]["count(*)"] == ROWS
        c.close()
    finally:
        conn.execute("SELECT milvus_drop_collection('mem_t', true)")
        conn.execute("DROP TABLE IF EXISTS mem_src")
        conn.execute("DROP SERVER mem_m23 CASCADE")
        conn.close()
