"""Object storage access (src/storage/) through milvus_storage_list() and
milvus_storage_read(): MinIO and local storage, paging, ranges, the errors a
user sees, deadlines, cancel, retries, the SigV4 test vector and the XML
fuzzer.

Needs the services of scripts/services.sh, MinIO and milvus23_s3 included
(MINIO_ENDPOINT, MILVUS_S3_PORT, ... in .run/env). Objects of its own go
under storage_test/ in the bucket, apart from Milvus's root "files/".
"""
import datetime
import hashlib
import hmac
import http.client
import os
import random
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse

import psycopg
import pytest

from conftest import ROOT, connect, env

TEST_ROOT = "storage_test"          # root_path of the test's own objects
MANY = 1100                         # more than one default page (1000)
BLOB_SIZE = 300_000


# ---------------------------------------------------------------- a small S3 client

def _quote(s, safe="-_.~"):
    return urllib.parse.quote(s, safe=safe)


class S3:
    """Just enough S3 to set up and check the test's objects: SigV4-signed
    PUT, GET and ListObjectsV2 over one keep-alive connection. Written apart
    from the C client, so that each checks the other."""

    def __init__(self, endpoint, access_key, secret_key, bucket, region="us-east-1"):
        self.host = endpoint
        self.access_key, self.secret_key = access_key, secret_key
        self.bucket, self.region = bucket, region
        self.conn = None

    def _headers(self, method, path, query, payload):
        now = datetime.datetime.now(datetime.timezone.utc)
        amz_date = now.strftime("%Y%m%dT%H%M%SZ")
        date = amz_date[:8]
        payload_hash = hashlib.sha256(payload).hexdigest()
        canonical_query = "&".join(f"{k}={v}" for k, v in sorted(
            (_quote(k), _quote(v)) for k, v in query.items()))
        canonical = "\n".join([
            method, path, canonical_query,
            f"host:{self.host}", f"x-amz-content-sha256:{payload_hash}",
            f"x-amz-date:{amz_date}", "",
            "host;x-amz-content-sha256;x-amz-date", payload_hash])
        scope = f"{date}/{self.region}/s3/aws4_request"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                             hashlib.sha256(canonical.encode()).hexdigest()])
        key = ("AWS4" + self.secret_key).encode()
        for part in (date, self.region, "s3", "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        return canonical_query, {
            "Host": self.host, "x-amz-date": amz_date,
            "x-amz-content-sha256": payload_hash,
            "Authorization": f"AWS4-HMAC-SHA256 Credential={self.access_key}/{scope}, "
                             f"SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
                             f"Signature={signature}"}

    def request(self, method, key=None, query=None, payload=b""):
        path = "/" + _quote(self.bucket)
        if key is not None:
            path += "/" + _quote(key, safe="-_.~/")
        query = query or {}
        canonical_query, headers = self._headers(method, path, query, payload)
        url = path + ("?" + canonical_query if canonical_query else "")
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, timeout=30)
            try:
                self.conn.request(method, url, body=payload, headers=headers)
                resp = self.conn.getresponse()
                return resp.status, resp.read()
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise

    def put(self, key, data):
        status, body = self.request("PUT", key, payload=data)
        assert status == 200, body

    def get(self, key):
        status, body = self.request("GET", key)
        assert status == 200, body
        return body

    def list(self, prefix):
        """{key: size} under PREFIX, by the XML of ListObjectsV2."""
        import xml.etree.ElementTree as ET
        ns = "{http://s3.amazonaws.com/doc/2006-03-01/}"
        out, token = {}, None
        while True:
            query = {"list-type": "2", "prefix": prefix}
            if token:
                query["continuation-token"] = token
            status, body = self.request("GET", query=query)
            assert status == 200, body
            root = ET.fromstring(body)
            for c in root.findall(ns + "Contents"):
                out[c.find(ns + "Key").text] = int(c.find(ns + "Size").text)
            if root.find(ns + "IsTruncated").text != "true":
                return out
            token = root.find(ns + "NextContinuationToken").text


# ---------------------------------------------------------------- fixtures

def blob(n, seed):
    return random.Random(seed).randbytes(n)


@pytest.fixture(scope="module")
def s3():
    client = S3(env("MINIO_ENDPOINT"), env("MINIO_ACCESS_KEY"), env("MINIO_SECRET_KEY"),
                env("MINIO_BUCKET"))
    yield client
    if client.conn:
        client.conn.close()


@pytest.fixture(scope="module")
def objects(s3):
    """The test's objects in MinIO, put once (kept between runs)."""
    have = s3.list(TEST_ROOT + "/")
    wanted = {f"{TEST_ROOT}/many/{i:05d}": f"object {i}\n".encode() for i in range(MANY)}
    wanted[f"{TEST_ROOT}/blob"] = blob(BLOB_SIZE, 1)
    wanted[f"{TEST_ROOT}/empty"] = b""
    # keys that need URI encoding in the path and entities in the XML
    for name in ("a b", "plus+sign", "eq=amp&", "semi;colon", "caf\u00e9/\u00fcber",
                 "quote\"apos'", "lt<gt>", "pct%20", "tilde~star*", "comma,bang!"):
        wanted[f"{TEST_ROOT}/odd/{name}"] = name.encode()
    for key, data in wanted.items():
        if have.get(key) != len(data):
            s3.put(key, data)
    return wanted


@pytest.fixture(scope="module")
def admin():
    conn = connect()
    conn.execute("CREATE EXTENSION IF NOT EXISTS milvus_fdw")
    if conn.execute("SELECT to_regprocedure('milvus_storage_list(name, text, integer)')").fetchone()[0] is None:
        conn.close()
        pytest.skip("milvus_storage_list() is not declared in the extension yet "
                    "(declarations: src/storage/storage_sql.c)")
    yield conn
    conn.close()


def create_server(conn, name, options, mapping=None):
    conn.execute(f"DROP SERVER IF EXISTS {name} CASCADE")
    opts = ", ".join(f"{k} '{v}'" for k, v in options.items())
    conn.execute(f"CREATE SERVER {name} FOREIGN DATA WRAPPER milvus_fdw OPTIONS ({opts})")
    if mapping is not None:
        opts = ", ".join(f"{k} '{v}'" for k, v in mapping.items())
        conn.execute(f"CREATE USER MAPPING FOR PUBLIC SERVER {name} OPTIONS ({opts})")
    return name


@pytest.fixture(scope="module")
def servers(admin, objects):
    """storage_test_*: MinIO with the test's root, MinIO with Milvus's root,
    wrong secret, local storage of milvus23."""
    minio = {"storage_endpoint": env("MINIO_ENDPOINT"), "bucket": env("MINIO_BUCKET"),
             "timeout": "10"}
    creds = {"storage_user": env("MINIO_ACCESS_KEY"), "storage_password": env("MINIO_SECRET_KEY")}
    names = {
        "test": create_server(admin, "storage_test_s3", {**minio, "root_path": TEST_ROOT}, creds),
        "milvus": create_server(admin, "storage_test_milvus", {**minio, "root_path": env("MINIO_ROOT_PATH")}, creds),
        "wrong": create_server(admin, "storage_test_wrong", {**minio, "root_path": TEST_ROOT},
                               {**creds, "storage_password": "not-the-secret"}),
        "local": create_server(admin, "storage_test_local", {"storage_path": env("MILVUS_DATA_DIR")}),
    }
    yield names
    for name in names.values():
        admin.execute(f"DROP SERVER IF EXISTS {name} CASCADE")


def sql_list(conn, server, prefix, page_size=0):
    return dict(conn.execute("SELECT key, size FROM milvus_storage_list(%s, %s, %s::int)",
                             (server, prefix, page_size)).fetchall())


def sql_read(conn, server, key, offset=0, length=-1):
    return conn.execute("SELECT milvus_storage_read(%s, %s, %s::bigint, %s::bigint)",
                        (server, key, offset, length)).fetchone()[0]


def sql_error(conn, query, params=()):
    with pytest.raises(psycopg.Error) as exc:
        conn.execute(query, params)
    return exc.value


# ---------------------------------------------------------------- MinIO

def test_list_pages_over_minio(admin, servers, objects):
    """More than one page of 1000, and small pages: every key once, in order."""
    want = {k[len(TEST_ROOT) + 1:]: len(v) for k, v in objects.items() if "/many/" in k}
    for page_size in (0, 7, 1000):
        rows = admin.execute("SELECT key, size FROM milvus_storage_list(%s, 'many/', %s::int)",
                             (servers["test"], page_size)).fetchall()
        assert len(rows) == MANY
        assert dict(rows) == want
        assert [k for k, _ in rows] == sorted(want)
    # a prefix that ends inside a name, and one that names nothing
    assert sql_list(admin, servers["test"], "many/0109") == {f"many/0109{i}": len(f"object 109{i}\n")
                                                            for i in range(10)}
    assert sql_list(admin, servers["test"], "nothing/here/") == {}


def test_read_whole_and_ranges_over_minio(admin, servers, objects):
    data = objects[f"{TEST_ROOT}/blob"]
    server = servers["test"]
    assert sql_read(admin, server, "blob") == data
    for offset, length in [(0, 1), (1, 10), (4096, 70_000), (BLOB_SIZE - 5, 5),
                           (BLOB_SIZE - 5, 100), (123, -1), (0, BLOB_SIZE), (0, 0), (10, 0)]:
        want = data[offset:] if length < 0 else data[offset:offset + length]
        assert sql_read(admin, server, "blob", offset, length) == want, (offset, length)
    err = sql_error(admin, "SELECT milvus_storage_read(%s, 'blob', %s::bigint)", (server, BLOB_SIZE))
    assert err.sqlstate == "22023" and "past the end" in str(err)
    # an empty object reads as empty from 0, whatever the length
    assert sql_read(admin, server, "empty") == b""
    assert sql_read(admin, server, "empty", 0, 10) == b""


def test_keys_that_need_encoding(admin, servers, objects):
    odd = {k[len(TEST_ROOT) + 1:]: v for k, v in objects.items() if "/odd/" in k}
    assert sql_list(admin, servers["test"], "odd/") == {k: len(v) for k, v in odd.items()}
    for key, data in odd.items():
        assert sql_read(admin, servers["test"], key) == data, key


def test_milvus_binlogs_in_minio(admin, servers, s3):
    """milvus23_s3 flushes a collection into MinIO; we list and read its binlogs."""
    from pymilvus import DataType, MilvusClient
    client = MilvusClient(uri=f"http://127.0.0.1:{env('MILVUS_S3_PORT')}", timeout=60)
    name = "storage_test_binlogs"
    if client.has_collection(name):
        client.drop_collection(name)
    schema = MilvusClient.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("vec", DataType.FLOAT_VECTOR, dim=8)
    client.create_collection(name, schema=schema)
    rng = random.Random(7)
    client.insert(name, [{"id": i, "vec": [rng.random() for _ in range(8)]} for i in range(2000)])
    client.flush(name)
    coll_id = client.describe_collection(name)["collection_id"]
    try:
        prefix = f"insert_log/{coll_id}/"
        listed = sql_list(admin, servers["milvus"], prefix)
        root = env("MINIO_ROOT_PATH") + "/"
        assert listed == {k[len(root):]: v for k, v in s3.list(root + prefix).items()}
        # RowID, Timestamp, id, vec: one directory per field
        fields = {key.split("/")[4] for key in listed}
        assert fields == {"0", "1", "100", "101"}
        for key, size in listed.items():
            data = sql_read(admin, servers["milvus"], key)
            assert len(data) == size
            assert data[:4] == b"\xbc\xfa\xff\x00"      # binlog magic
            assert data == s3.get(root + key)
            assert sql_read(admin, servers["milvus"], key, 0, 4) == data[:4]
    finally:
        client.drop_collection(name)
        client.close()


def test_wrong_secret_is_an_auth_error(admin, servers):
    for query in ("SELECT * FROM milvus_storage_list(%s, 'many/')",
                  "SELECT milvus_storage_read(%s, 'blob')"):
        err = sql_error(admin, query, (servers["wrong"],))
        assert err.sqlstate == "28000"
        assert "denied access" in err.diag.message_primary
        assert env("MINIO_BUCKET") in err.diag.message_primary
        assert "SignatureDoesNotMatch" in err.diag.message_detail
        assert "storage_password" in err.diag.message_hint
        assert "storage_test_wrong" in err.diag.message_hint


def test_missing_key_and_bucket(admin, servers):
    err = sql_error(admin, "SELECT milvus_storage_read(%s, 'many/nope')", (servers["test"],))
    assert err.sqlstate == "58P01"
    assert f'"{TEST_ROOT}/many/nope"' in err.diag.message_primary
    assert "NoSuchKey" in err.diag.message_detail
    create_server(admin, "storage_test_nobucket",
                  {"storage_endpoint": env("MINIO_ENDPOINT"), "bucket": "no-such-bucket"},
                  {"storage_user": env("MINIO_ACCESS_KEY"), "storage_password": env("MINIO_SECRET_KEY")})
    try:
        err = sql_error(admin, "SELECT * FROM milvus_storage_list('storage_test_nobucket', '')")
        assert err.sqlstate == "58P01" and '"no-such-bucket"' in err.diag.message_primary
    finally:
        admin.execute("DROP SERVER storage_test_nobucket CASCADE")


def test_bad_keys_are_refused(admin, servers):
    for key in ("../x", "a/../b", "/abs", "dir/", "", "back\\slash"):
        err = sql_error(admin, "SELECT milvus_storage_read(%s, %s)", (servers["test"], key))
        assert err.sqlstate == "22023", key
    err = sql_error(admin, "SELECT * FROM milvus_storage_list(%s, '..')", (servers["test"],))
    assert err.sqlstate == "22023"


def test_no_storage_configured(admin):
    create_server(admin, "storage_test_none", {"host": "127.0.0.1"})
    try:
        err = sql_error(admin, "SELECT * FROM milvus_storage_list('storage_test_none', '')")
        assert "no object storage configured" in err.diag.message_primary
        assert "storage_endpoint" in err.diag.message_hint
    finally:
        admin.execute("DROP SERVER storage_test_none CASCADE")


# ---------------------------------------------------------------- local storage

def test_local_storage_of_milvus23(admin, servers):
    root = env("MILVUS_DATA_DIR")
    want = {}
    for dirpath, _, files in os.walk(os.path.join(root, "insert_log")):
        for f in files:
            path = os.path.join(dirpath, f)
            want[os.path.relpath(path, root)] = os.path.getsize(path)
    if not want:
        pytest.skip("milvus23 has flushed nothing yet")
    rows = admin.execute("SELECT key, size FROM milvus_storage_list(%s, 'insert_log/')",
                         (servers["local"],)).fetchall()
    assert dict(rows) == want
    assert [k for k, _ in rows] == sorted(want)
    key = next(iter(sorted(want)))
    with open(os.path.join(root, key), "rb") as f:
        data = f.read()
    assert sql_read(admin, servers["local"], key) == data
    assert data[:4] == b"\xbc\xfa\xff\x00"
    assert sql_read(admin, servers["local"], key, 1, 3) == data[1:4]
    assert sql_read(admin, servers["local"], key, len(data) - 2, 100) == data[-2:]
    err = sql_error(admin, "SELECT milvus_storage_read(%s, %s, %s::bigint)", (servers["local"], key, len(data)))
    assert err.sqlstate == "22023"
    err = sql_error(admin, "SELECT milvus_storage_read(%s, 'insert_log/nope')", (servers["local"],))
    assert err.sqlstate == "58P01" and "insert_log/nope" in err.diag.message_primary
    assert "No such file" in err.diag.message_primary
    err = sql_error(admin, "SELECT milvus_storage_read(%s, 'insert_log/../../configs/milvus.yaml')",
                    (servers["local"],))
    assert err.sqlstate == "22023"


def test_local_storage_needs_pg_read_server_files(admin, servers):
    admin.execute(f"GRANT USAGE ON FOREIGN SERVER {servers['local']} TO alice")
    try:
        admin.execute("SET ROLE alice")
        err = sql_error(admin, "SELECT * FROM milvus_storage_list(%s, 'insert_log/')",
                        (servers["local"],))
        assert err.sqlstate == "42501" and "pg_read_server_files" in err.diag.message_detail
    finally:
        admin.execute("RESET ROLE")
        admin.execute(f"REVOKE USAGE ON FOREIGN SERVER {servers['local']} FROM alice")


# ---------------------------------------------------------------- deadlines, cancel, retries

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_dead_endpoint_fails_fast(admin):
    port = free_port()       # nothing listens there
    create_server(admin, "storage_test_dead", {"storage_endpoint": f"127.0.0.1:{port}", "timeout": "5"})
    try:
        t0 = time.monotonic()
        err = sql_error(admin, "SELECT * FROM milvus_storage_list('storage_test_dead', '')")
        elapsed = time.monotonic() - t0
        assert err.sqlstate == "08001"
        assert f"127.0.0.1:{port}" in err.diag.message_primary
        assert "attempts" in err.diag.message_detail
        assert elapsed < 5, elapsed
    finally:
        admin.execute("DROP SERVER storage_test_dead CASCADE")


def test_silent_endpoint_ends_at_the_deadline(admin, stall):
    create_server(admin, "storage_test_stall", {"storage_endpoint": f"127.0.0.1:{stall.port}",
                                                "timeout": "1.5"})
    try:
        t0 = time.monotonic()
        err = sql_error(admin, "SELECT milvus_storage_read('storage_test_stall', 'k')")
        elapsed = time.monotonic() - t0
        assert err.sqlstate == "08006" and "within 1500 ms" in err.diag.message_primary
        assert 1.4 < elapsed < 3, elapsed
    finally:
        admin.execute("DROP SERVER storage_test_stall CASCADE")


class SlowProxy:
    """Forwards each connection to MinIO, but sends the answer back at
    RATE bytes every 50 ms: a slow transfer that is in progress."""

    def __init__(self, target, rate=512):
        host, port = target.rsplit(":", 1)
        self.target = (host, int(port))
        self.rate = rate
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.stopped = False
        self.first_byte = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        upstream = socket.create_connection(self.target)
        try:
            request = b""
            while b"\r\n\r\n" not in request:     # GETs have no body
                chunk = client.recv(65536)
                if not chunk:
                    return
                request += chunk
            upstream.sendall(request)
            while not self.stopped:
                data = upstream.recv(self.rate)
                if not data:
                    return
                client.sendall(data)
                self.first_byte.set()
                time.sleep(0.05)
        except OSError:
            pass
        finally:
            client.close()
            upstream.close()

    def close(self):
        self.stopped = True
        self.sock.close()


def test_cancel_during_a_slow_transfer(admin, objects):
    proxy = SlowProxy(env("MINIO_ENDPOINT"))
    create_server(admin, "storage_test_slow",
                  {"storage_endpoint": f"127.0.0.1:{proxy.port}", "root_path": TEST_ROOT,
                   "timeout": "60"},
                  {"storage_user": env("MINIO_ACCESS_KEY"), "storage_password": env("MINIO_SECRET_KEY")})
    victim = connect()
    pid = victim.info.backend_pid
    outcome = {}

    def read():
        t0 = time.monotonic()
        try:
            victim.execute("SELECT milvus_storage_read('storage_test_slow', 'blob')")
            outcome["error"] = None
        except psycopg.Error as e:
            outcome["error"] = e
        outcome["end"] = time.monotonic()
        outcome["took"] = outcome["end"] - t0

    try:
        thread = threading.Thread(target=read)
        thread.start()
        assert proxy.first_byte.wait(10), "the proxy never got an answer from MinIO"
        time.sleep(0.5)
        # waiting in the transfer, as pg_stat_activity shows it
        wait = admin.execute("SELECT wait_event_type, wait_event FROM pg_stat_activity WHERE pid = %s",
                             (pid,)).fetchone()
        assert wait == ("Extension", "Extension"), wait
        t_cancel = time.monotonic()
        assert admin.execute("SELECT pg_cancel_backend(%s)", (pid,)).fetchone()[0]
        thread.join(10)
        assert not thread.is_alive()
        assert outcome["error"] is not None and outcome["error"].sqlstate == "57014"
        assert outcome["end"] - t_cancel < 1.0, outcome["end"] - t_cancel
        # the session is usable afterwards
        assert victim.execute("SELECT 1").fetchone()[0] == 1
    finally:
        victim.close()
        proxy.close()
        admin.execute("DROP SERVER storage_test_slow CASCADE")


def test_statement_timeout_during_a_slow_transfer(admin, objects):
    proxy = SlowProxy(env("MINIO_ENDPOINT"))
    create_server(admin, "storage_test_slow2",
                  {"storage_endpoint": f"127.0.0.1:{proxy.port}", "root_path": TEST_ROOT,
                   "timeout": "60"},
                  {"storage_user": env("MINIO_ACCESS_KEY"), "storage_password": env("MINIO_SECRET_KEY")})
    try:
        with connect() as conn:
            conn.execute("SET statement_timeout = '700ms'")
            t0 = time.monotonic()
            err = sql_error(conn, "SELECT milvus_storage_read('storage_test_slow2', 'blob')")
            assert err.sqlstate == "57014"
            assert time.monotonic() - t0 < 1.7
    finally:
        proxy.close()
        admin.execute("DROP SERVER storage_test_slow2 CASCADE")


class TLSProxy:
    """TLS in front of MinIO, with a self-signed certificate for 127.0.0.1
    made by the openssl command; relays bytes both ways."""

    def __init__(self, target, directory):
        import ssl
        host, port = target.rsplit(":", 1)
        self.target = (host, int(port))
        self.cert = os.path.join(directory, "cert.pem")
        key = os.path.join(directory, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", key, "-out", self.cert], check=True, capture_output=True)
        os.chmod(self.cert, 0o644)      # the postgres user reads it
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(self.cert, key)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped:
            try:
                raw, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    @staticmethod
    def _pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def _serve(self, raw):
        try:
            client = self.context.wrap_socket(raw, server_side=True)
        except OSError:
            raw.close()             # the client refused our certificate
            return
        upstream = socket.create_connection(self.target)
        threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()
        self._pump(client, upstream)

    def close(self):
        self.stopped = True
        self.sock.close()


def test_tls_endpoint(admin, objects):
    directory = tempfile.mkdtemp(prefix="milvus_fdw_tls_")
    os.chmod(directory, 0o755)
    proxy = TLSProxy(env("MINIO_ENDPOINT"), directory)
    creds = {"storage_user": env("MINIO_ACCESS_KEY"), "storage_password": env("MINIO_SECRET_KEY")}
    try:
        # an unknown CA is refused, with curl's reason
        for options in ({"storage_endpoint": f"https://127.0.0.1:{proxy.port}"},
                        {"storage_endpoint": f"127.0.0.1:{proxy.port}", "storage_use_ssl": "true"}):
            create_server(admin, "storage_test_tls", {**options, "root_path": TEST_ROOT}, creds)
            err = sql_error(admin, "SELECT milvus_storage_read('storage_test_tls', 'blob')")
            assert err.sqlstate == "08001", err
            assert "https://127.0.0.1" in err.diag.message_primary
            assert "certificate" in err.diag.message_detail
        # with its CA (once options.c knows storage_ca_cert) it reads
        try:
            create_server(admin, "storage_test_tls",
                          {"storage_endpoint": f"https://127.0.0.1:{proxy.port}", "root_path": TEST_ROOT,
                           "storage_ca_cert": proxy.cert}, creds)
        except psycopg.Error as e:
            pytest.skip(f"no storage_ca_cert option yet: {e.diag.message_primary}")
        assert sql_read(admin, "storage_test_tls", "blob") == objects[f"{TEST_ROOT}/blob"]
        assert sql_list(admin, "storage_test_tls", "many/0000") == {f"many/0000{i}": 9 for i in range(10)}
    finally:
        proxy.close()
        admin.execute("DROP SERVER IF EXISTS storage_test_tls CASCADE")
        shutil.rmtree(directory, ignore_errors=True)


class FlakyS3:
    """An HTTP server that answers GET /bucket/files/KEY by a plan: each
    request takes the next step, the last step repeats. Steps:
    ("status", CODE, BODY), ("truncate", DATA), ("ok", DATA)."""

    def __init__(self, plan):
        self.plan = list(plan)
        self.requests = 0
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        with client:
            buf = b""
            while True:
                while b"\r\n\r\n" not in buf:
                    chunk = client.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                _, buf = buf.split(b"\r\n\r\n", 1)
                step = self.plan[min(self.requests, len(self.plan) - 1)]
                self.requests += 1
                if step[0] == "status":
                    body = step[2]
                    client.sendall(b"HTTP/1.1 %d X\r\nContent-Type: application/xml\r\n"
                                   b"Content-Length: %d\r\n\r\n%s" % (step[1], len(body), body))
                elif step[0] == "truncate":
                    data = step[1]
                    client.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s"
                                   % (len(data), data[:len(data) // 2]))
                    return          # closes the connection early
                else:
                    data = step[1]
                    client.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(data), data))

    def close(self):
        self.stopped = True
        self.sock.close()


SLOW_DOWN = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
             b'<Message>Please reduce your request rate.</Message></Error>')


@pytest.mark.parametrize("plan, outcome", [
    ([("status", 503, SLOW_DOWN), ("status", 500, b""), ("ok", b"payload")], b"payload"),
    ([("truncate", b"0123456789" * 100), ("ok", b"whole")], b"whole"),
    ([("status", 503, SLOW_DOWN)], "HV000"),
    ([("status", 400, b"<Error><Code>InvalidArgument</Code><Message>no &amp; never</Message></Error>")],
     "HV000"),
])
def test_retries_of_transient_failures(admin, plan, outcome):
    server = FlakyS3(plan)
    create_server(admin, "storage_test_flaky", {"storage_endpoint": f"127.0.0.1:{server.port}",
                                                "timeout": "10"})
    try:
        if isinstance(outcome, bytes):
            assert sql_read(admin, "storage_test_flaky", "k") == outcome
            assert server.requests == len(plan)
        else:
            err = sql_error(admin, "SELECT milvus_storage_read('storage_test_flaky', 'k')")
            assert err.sqlstate == outcome
            code = b"SlowDown" if b"SlowDown" in plan[0][2] else b"InvalidArgument"
            assert code.decode() in err.diag.message_detail
            # SlowDown is retried (5 attempts), a client error is not
            assert server.requests == (5 if code == b"SlowDown" else 1)
            if code == b"InvalidArgument":
                assert "no & never" in err.diag.message_detail
    finally:
        server.close()
        admin.execute("DROP SERVER storage_test_flaky CASCADE")


# ---------------------------------------------------------------- signing and XML, offline

SIGV4_CHECK = r"""
#include "postgres_fe.h"
#include "sigv4.h"
/* AWS's documented example: GET Bucket (List Objects) of examplebucket. */
int main(void)
{
	SigV4Param params[] = {{"prefix", "J"}, {"max-keys", "2"}};
	SigV4Request r = {0};
	struct tm tm = {0};
	char date[17];
	const char *error = NULL;
	char *auth;

	tm.tm_year = 113; tm.tm_mon = 4; tm.tm_mday = 24;
	r.method = "GET";
	r.canonical_uri = "/";
	r.canonical_query = sigv4_canonical_query(params, 2);
	r.host = "examplebucket.s3.amazonaws.com";
	r.region = "us-east-1";
	r.service = "s3";
	r.access_key = "AKIAIOSFODNN7EXAMPLE";
	r.secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
	r.now = timegm(&tm);
	auth = sigv4_authorization(&r, date, &error);
	printf("%s\n%s\n%s\n", r.canonical_query, date, auth ? auth : error);
	return 0;
}
"""


def test_sigv4_matches_the_aws_example(tmp_path):
    """src/storage/sigv4.c built as frontend code against libpgcommon."""
    pg_config = os.environ.get("PG_CONFIG", "/usr/lib/postgresql/15/bin/pg_config")
    out = lambda *a: subprocess.run([pg_config, *a], capture_output=True, text=True, check=True).stdout.strip()
    src = os.path.join(ROOT, "src", "storage")
    (tmp_path / "check.c").write_text(SIGV4_CHECK)
    server_inc = out("--includedir-server")
    build = subprocess.run(
        ["gcc", "-DFRONTEND", f"-I{out('--includedir')}", f"-I{server_inc}", f"-I{src}",
         str(tmp_path / "check.c"), os.path.join(src, "sigv4.c"),
         os.path.join(out("--pkglibdir"), "libpgcommon.a"), os.path.join(out("--pkglibdir"), "libpgport.a"),
         "-lssl", "-lcrypto", "-o", str(tmp_path / "check")],
        capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    lines = subprocess.run([str(tmp_path / "check")], capture_output=True, text=True,
                           check=True).stdout.splitlines()
    assert lines[0] == "max-keys=2&prefix=J"
    assert lines[1] == "20130524T000000Z"
    assert lines[2].endswith(
        "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    assert "SignedHeaders=host;x-amz-content-sha256;x-amz-date" in lines[2]


def test_xml_parser_fuzzer():
    """Known answers, then libFuzzer for 20 s (test/fuzz_s3xml/run.sh)."""
    if not (shutil.which("clang-14") or shutil.which("clang")):
        pytest.skip("no clang to build the fuzzer")
    result = subprocess.run([os.path.join(ROOT, "test", "fuzz_s3xml", "run.sh"), "20"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert " 0 failed" in result.stdout
    assert "no crash" in result.stdout
