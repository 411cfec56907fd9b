"""The connector's quick start through SQL leaves the collection pymilvus expects."""
import os
import subprocess

from conftest import ROOT
from milvus_client import client


def test_quickstart_creates_collection_with_four_entities():
    result = subprocess.run(
        ["psql", "-X", "-v", f"milvus_host={os.environ['MILVUS_HOST']}",
         "-v", f"milvus_port={os.environ['MILVUS_PORT']}",
         "-f", os.path.join(ROOT, "examples", "quickstart.sql")],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    c = client("m23")
    assert "hello_spark_milvus" in c.list_collections()
    rows = c.query("hello_spark_milvus", filter="id >= 0", output_fields=["id", "text", "vec"],
                   consistency_level="Strong")
    assert sorted(r["id"] for r in rows) == [1, 2, 3, 4]
    assert sorted(r["text"] for r in rows) == ["a", "b", "c", "d"]
    for r in rows:
        assert [float(x) for x in r["vec"]] == [1, 2, 3, 4, 5, 6, 7, 8]
