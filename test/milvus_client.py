"""pymilvus clients of the live servers: the independent side of round-trip tests."""
import os

from pymilvus import MilvusClient


PORT_VARIABLES = {
    "m23": "MILVUS_PORT",            # Milvus 2.3, local storage
    "m23s3": "MILVUS_S3_PORT",       # Milvus 2.3, storage in MinIO
    "lite": "MILVUS_LITE_PORT",      # Milvus Lite 3.x
}


def client(server):
    """A MilvusClient for one of the live servers (see PORT_VARIABLES)."""
    return MilvusClient(uri=f"http://127.0.0.1:{server_port(server)}")


def query_all(c, collection, fields):
    """Every entity of a collection, by primary key order of the 'id' field."""
    # with a limit: Milvus 2.3.5 without one can drop rows of duplicated keys
    rows = c.query(collection, filter="id >= 0 or id < 0", output_fields=fields,
                   consistency_level="Strong", limit=16384)
    return sorted((dict(r) for r in rows), key=lambda r: r["id"])


def server_port(server):
    return os.environ[PORT_VARIABLES[server]]
