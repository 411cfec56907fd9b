"""The SQL migrations of examples/ run end to end and are checked from outside.

Each example is run as a user would run it (psql -f, settings from the
environment through \\getenv) and checks its own result in SQL; these tests
check it again independently of PostgreSQL: the MariaDB side through the
mariadb command-line client, the Milvus side through pymilvus, row by row
(counts, keys, md5 checksums of the text columns, vectors as float32).

  examples/mariadb_source.sql + mariadb_to_milvus.sql   MariaDB -> Milvus (mysql_fdw)
  examples/milvus_to_milvus.sql                          Milvus -> transform -> Milvus, two servers
  examples/milvus_to_postgres.sql                        Milvus -> table -> Milvus
"""
import hashlib
import json
import math
import os
import shutil
import subprocess

import numpy as np

from conftest import ROOT, connect, env
from milvus_client import client

EXAMPLES = os.path.join(ROOT, "examples")


def run_psql(example):
    """Run examples/<example> with psql as a user would; return its output."""
    result = subprocess.run(
        ["psql", "-X", "-v", "ON_ERROR_STOP=1", "-f", os.path.join(EXAMPLES, example)],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, \
        f"{example} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def mariadb(sql=None, file=None):
    """Run SQL (or a file) with the mariadb client as the test user; return rows of strings."""
    cli = shutil.which("mariadb") or shutil.which("mysql")
    assert cli, "the mariadb client is missing (Debian package mariadb-client)"
    cmd = [cli, "--no-defaults", "--protocol=tcp", "-h", env("MARIADB_HOST"),
           "-P", env("MARIADB_PORT"), "-u", env("MARIADB_USER"),
           "--default-character-set=utf8mb4", "--batch", "--raw", "--skip-column-names",
           env("MARIADB_DATABASE")]
    stdin = open(file, encoding="utf-8").read() if file else sql
    result = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "MYSQL_PWD": env("MARIADB_PASSWORD")})
    assert result.returncode == 0, result.stderr
    return [line.split("\t") for line in result.stdout.splitlines()]


def milvus_rows(c, collection, pk, fields, lo, hi, step=10000):
    """Every entity with lo <= pk < hi, read in key ranges below Milvus's query window."""
    rows = []
    for start in range(lo, hi, step):
        rows += c.query(collection, filter=f"{pk} >= {start} and {pk} < {min(start + step, hi)}",
                        output_fields=fields, consistency_level="Strong")
    rows = sorted((dict(r) for r in rows), key=lambda r: r[pk])
    assert len({r[pk] for r in rows}) == len(rows), "duplicate keys"
    return rows


def milvus_count(c, collection):
    res = c.query(collection, filter="", output_fields=["count(*)"], consistency_level="Strong")
    return res[0]["count(*)"]


def fields_of(c, collection):
    """{field name: (type name, element type name, params)} of a collection."""
    d = c.describe_collection(collection)
    return {f["name"]: (f["type"].name, getattr(f.get("element_type"), "name", None),
                        {k: int(v) for k, v in f.get("params", {}).items()})
            for f in d["fields"]}


def md5_lines(lines):
    return hashlib.md5("\n".join(lines).encode("utf-8")).hexdigest()


def f32(values):
    return np.asarray(values, dtype=np.float32)


# ------------------------------------------------------------ MariaDB -> Milvus

def test_mariadb_to_milvus():
    # The source, as examples/mariadb_source.sql leaves it in MariaDB.
    mariadb(file=os.path.join(EXAMPLES, "mariadb_source.sql"))
    assert mariadb("SELECT COUNT(*), COUNT(embedding) FROM mig_docs") == [["3000", "2970"]]
    source = mariadb("SELECT id, title, category, embedding FROM mig_docs "
                     "WHERE embedding IS NOT NULL ORDER BY id")
    # MariaDB's own checksum of the text columns, in key order.
    [[mariadb_md5]] = mariadb(
        "SET SESSION group_concat_max_len = 16777216; "
        "SELECT MD5(GROUP_CONCAT(CONCAT_WS('|', id, title, category) ORDER BY id SEPARATOR '\\n')) "
        "FROM mig_docs WHERE embedding IS NOT NULL")
    assert md5_lines(f"{i}|{t}|{c}" for i, t, c, _ in source) == mariadb_md5
    assert any("🚀" in t for _, t, _, _ in source)

    out = run_psql("mariadb_to_milvus.sql")
    assert "WHERE ((`embedding` IS NOT NULL))" in out, "the WHERE clause was not sent to MariaDB"

    c = client("m23")
    try:
        assert fields_of(c, "mig_docs") == {
            "id": ("INT64", None, {}),
            "title": ("VARCHAR", None, {"max_length": 800}),
            "category": ("VARCHAR", None, {"max_length": 80}),
            "vec": ("FLOAT_VECTOR", None, {"dim": 8}),
        }
        assert milvus_count(c, "mig_docs") == 2970
        rows = milvus_rows(c, "mig_docs", "id", ["id", "title", "category", "vec"], 1, 3001)
    finally:
        c.close()
    assert [r["id"] for r in rows] == [int(s[0]) for s in source]
    assert md5_lines(f"{r['id']}|{r['title']}|{r['category']}" for r in rows) == mariadb_md5
    got = f32([r["vec"] for r in rows])
    want = f32([json.loads(s[3]) for s in source])
    assert got.shape == (2970, 8)
    assert np.array_equal(got, want)


# ------------------------------------------------------------ Milvus -> Milvus

def unit4(vec):
    """The example's transformation: the first 4 elements at unit length (float64 norm)."""
    v = [float(x) for x in f32(vec[:4])]
    norm = math.sqrt(sum(x * x for x in v))
    return f32([x / norm for x in v])


def test_milvus_to_milvus():
    run_psql("milvus_to_milvus.sql")

    s3 = client("m23s3")
    lite = client("lite")
    try:
        fields = ["pk", "random", "embeddings"]
        source = milvus_rows(s3, "mig_transform_src", "pk", fields, 1, 3001)
        assert fields_of(s3, "mig_transform_src")["embeddings"] == ("FLOAT_VECTOR", None, {"dim": 8})
        targets = {}
        for name, c in (("same server", s3), ("Milvus Lite", lite)):
            assert fields_of(c, "mig_transform_dst") == {
                "pk": ("INT64", None, {}),
                "random": ("DOUBLE", None, {}),
                "embeddings": ("FLOAT_VECTOR", None, {"dim": 4}),
            }, name
            assert milvus_count(c, "mig_transform_dst") == 2250, name
            targets[name] = milvus_rows(c, "mig_transform_dst", "pk", fields, 1, 3001)
    finally:
        s3.close()
        lite.close()

    # The source the example wrote: random = (pk * 7919 % 1000) / 1000.
    assert [r["pk"] for r in source] == list(range(1, 3001))
    assert all(r["random"] == (r["pk"] * 7919 % 1000) / 1000 for r in source)
    expected = [r for r in source if r["random"] < 0.75]
    assert len(expected) == 2250
    want = np.stack([unit4(r["embeddings"]) for r in expected])
    for name, rows in targets.items():
        assert [r["pk"] for r in rows] == [r["pk"] for r in expected], name
        assert [r["random"] for r in rows] == [r["random"] for r in expected], name
        got = f32([r["embeddings"] for r in rows])
        assert got.shape == (2250, 4), name
        # float32 results of the same float64 arithmetic: equal, not close.
        assert np.array_equal(got, want), (name, np.abs(got - want).max())
        assert np.allclose(np.linalg.norm(got.astype(np.float64), axis=1), 1, atol=1e-6), name


# ------------------------------------------------------------ Milvus -> Postgres -> Milvus

ITEM_FIELDS = ["id", "title", "stock", "score", "price", "active", "meta", "tags", "parts", "vec"]


def comparable(r):
    """An entity (pymilvus dict or SQL row as dict) as a tuple of plain values."""
    meta = r["meta"] if isinstance(r["meta"], dict) else json.loads(r["meta"])
    return (r["id"], r["title"], r["stock"], float(f32(r["score"])), r["price"], r["active"],
            json.dumps(meta, sort_keys=True), tuple(r["tags"]), tuple(r["parts"]),
            tuple(float(x) for x in f32(r["vec"])))


def test_milvus_to_postgres():
    run_psql("milvus_to_postgres.sql")

    c = client("m23")
    try:
        assert fields_of(c, "mig_pg_restored") == fields_of(c, "mig_pg_items")
        assert fields_of(c, "mig_pg_items")["tags"] == (
            "ARRAY", "VARCHAR", {"max_capacity": 4096, "max_length": 65535})
        for coll in ("mig_pg_items", "mig_pg_restored"):
            assert milvus_count(c, coll) == 20000, coll
        original = milvus_rows(c, "mig_pg_items", "id", ITEM_FIELDS, 1, 20001)
        restored = milvus_rows(c, "mig_pg_restored", "id", ITEM_FIELDS, 1, 20001)
    finally:
        c.close()

    with connect() as pg:
        cur = pg.execute(f"SELECT {', '.join(ITEM_FIELDS)} FROM mig_pg_local ORDER BY id")
        local = [dict(zip(ITEM_FIELDS, row)) for row in cur.fetchall()]
        [[pg_md5]] = pg.execute(
            "SELECT md5(string_agg(concat_ws('|', id, title, stock, active), E'\\n' ORDER BY id)) "
            "FROM mig_pg_local").fetchall()

    assert len(original) == len(local) == len(restored) == 20000
    assert [r["id"] for r in original] == list(range(1, 20001))
    want = [comparable(r) for r in original]
    assert [comparable(r) for r in local] == want
    assert [comparable(r) for r in restored] == want
    # A checksum computed by PostgreSQL over the table against pymilvus's rows.
    assert md5_lines(f"{r['id']}|{r['title']}|{r['stock']}|{'t' if r['active'] else 'f'}"
                     for r in original) == pg_md5
    # Some values the example wrote, recomputed.
    r7 = original[6]
    assert r7["title"] == "item 7 «special» ü"
    assert r7["meta"] == {"i": 7, "kind": "c", "odd": True}
    assert r7["tags"] == ["t7", "u7"] and r7["parts"] == [7, 14, -7]
    assert r7["score"] == 0.875 and r7["price"] == 0.07 and r7["active"] is False
