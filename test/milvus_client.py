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


def flushed_collection(server, name, rows, dim, seed=3):
    """A new collection NAME (dropped first) of ROWS random DIM-vectors with ids
    0..ROWS-1, flushed so that its binlogs are in storage; returns the client."""
    import random
    rng = random.Random(seed)
    c = client(server)
    if c.has_collection(name):
        c.drop_collection(name)
    c.create_collection(name, dimension=dim, consistency_level="Strong")
    for start in range(0, rows, 5000):
        c.insert(name, [{"id": i, "vector": [rng.random() for _ in range(dim)]}
                        for i in range(start, min(rows, start + 5000))])
    c.flush(name)
    return c
