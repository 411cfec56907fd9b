"""pymilvus clients of the live servers: the independent side of round-trip tests."""
import os

from pymilvus import MilvusClient


def client(server):
    """A MilvusClient for 'm23' (Milvus 2.3) or 'lite' (Milvus Lite 3.x)."""
    port = os.environ["MILVUS_PORT" if server == "m23" else "MILVUS_LITE_PORT"]
    return MilvusClient(uri=f"http://127.0.0.1:{port}")


def query_all(c, collection, fields):
    """Every entity of a collection, by primary key order of the 'id' field."""
    rows = c.query(collection, filter="id >= 0 or id < 0", output_fields=fields,
                   consistency_level="Strong")
    return sorted((dict(r) for r in rows), key=lambda r: r["id"])


def server_port(server):
    return os.environ["MILVUS_PORT" if server == "m23" else "MILVUS_LITE_PORT"]
