"""IMPORT FOREIGN SCHEMA gives a usable foreign table for every collection on
each server: each one answers count(*) and a full read of a few rows."""
import pytest

from conftest import connect
from milvus_client import client, server_port


@pytest.mark.parametrize("server", ["m23", "lite"])
def test_every_collection_imports_and_reads(server):
    conn = connect()
    conn.execute("CREATE EXTENSION IF NOT EXISTS milvus_fdw")
    conn.execute(f"DROP SERVER IF EXISTS imp_{server} CASCADE")
    conn.execute(f"CREATE SERVER imp_{server} FOREIGN DATA WRAPPER milvus_fdw "
                 f"OPTIONS (host '127.0.0.1', port '{server_port(server)}')")
    conn.execute(f"DROP SCHEMA IF EXISTS imp_{server} CASCADE")
    conn.execute(f"CREATE SCHEMA imp_{server}")
    try:
        # a collection of our own, so the server has at least one
        c = client(server)
        if not c.has_collection("imp_probe"):
            c.create_collection("imp_probe", dimension=2)
        conn.execute(f'IMPORT FOREIGN SCHEMA "default" FROM SERVER imp_{server} INTO imp_{server}')
        tables = [r[0] for r in conn.execute(
            "SELECT foreign_table_name FROM information_schema.foreign_tables "
            "WHERE foreign_table_schema = %s", (f"imp_{server}",)).fetchall()]
        # collections dropped by a concurrent test between listing and import are fine
        assert set(tables) >= {"imp_probe"}
        for t in tables:
            count = conn.execute(f'SELECT count(*) FROM imp_{server}."{t}"').fetchone()[0]
            rows = conn.execute(f'SELECT * FROM imp_{server}."{t}" LIMIT 3').fetchall()
            assert len(rows) == min(count, 3), t
    finally:
        conn.execute(f"DROP SCHEMA IF EXISTS imp_{server} CASCADE")
        conn.execute(f"DROP SERVER IF EXISTS imp_{server} CASCADE")
        conn.close()
