"""TLS against a real TLS-serving Milvus 2.3 (milvus23_tls, certificate of a
self-signed CA that scripts/services.sh makes): the CA in `ca_cert` lets
every call through; without it, or with the wrong name, the handshake fails
with a certificate ERROR naming the option to set.  Mutual TLS against
milvus23_mtls: client_cert and client_key get in; no certificate, or one of
another CA, is refused with a hint naming them."""
import psycopg
import pytest

from conftest import env


def make_server(pg, name, options):
    pg.execute(f"DROP SERVER IF EXISTS {name} CASCADE")
    pg.execute(f"CREATE SERVER {name} FOREIGN DATA WRAPPER milvus_fdw OPTIONS ({options})")


def reads_and_writes(pg, server, table):
    """Every kind of call gets through SERVER: version, DDL, Insert, Query."""
    assert pg.execute(f"SELECT milvus_server_version('{server}')").fetchone()[0].startswith("v2.3")
    pg.execute(f"""CREATE FOREIGN TABLE {table} (id bigint, vec real[]) SERVER {server}
                   OPTIONS (collection '{table}', primary_key 'id', vector_field 'vec', dim '2')""")
    pg.execute(f"SELECT milvus_drop_collection('{table}', true)")
    pg.execute(f"INSERT INTO {table} SELECT i, ARRAY[i, 1]::real[] FROM generate_series(1, 100) i")
    assert pg.execute(f"SELECT count(*), sum(id) FROM {table} WHERE vec[2] = 1").fetchone() == (100, 5050)
    pg.execute(f"SELECT milvus_drop_collection('{table}')")


def test_ca_cert_lets_reads_and_writes_through(pg):
    port, ca = env("MILVUS_TLS_PORT"), env("MILVUS_TLS_CA")
    make_server(pg, "tls_ok", f"host 'localhost', port '{port}', ca_cert '{ca}', timeout '10'")
    try:
        reads_and_writes(pg, "tls_ok", "tls_items")
    finally:
        pg.execute("DROP SERVER tls_ok CASCADE")


@pytest.mark.parametrize("options", [
    "use_tls 'true'",                         # the system's CAs do not know ours
    "uri 'https://localhost:{port}'",
])
def test_without_the_ca_the_certificate_is_refused(pg, options):
    port = env("MILVUS_TLS_PORT")
    opts = options.format(port=port)
    if "uri" not in opts:
        opts = f"host 'localhost', port '{port}', {opts}"
    make_server(pg, "tls_noca", opts + ", timeout '10'")
    try:
        with pytest.raises(psycopg.Error) as err:
            pg.execute("SELECT milvus_server_version('tls_noca')")
        assert err.value.sqlstate == "08001"
        assert "TLS handshake" in str(err.value)
        assert "certificate verify failed" in err.value.diag.message_detail
        assert "ca_cert" in err.value.diag.message_hint
    finally:
        pg.execute("DROP SERVER tls_noca CASCADE")


def test_wrong_server_name_is_refused(pg):
    port, ca = env("MILVUS_TLS_PORT"), env("MILVUS_TLS_CA")
    make_server(pg, "tls_name", f"host '127.0.0.1', port '{port}', ca_cert '{ca}', "
                                f"server_name 'not-this-host', timeout '10'")
    try:
        with pytest.raises(psycopg.Error) as err:
            pg.execute("SELECT milvus_server_version('tls_name')")
        assert err.value.sqlstate == "08001"
    finally:
        pg.execute("DROP SERVER tls_name CASCADE")


def test_plaintext_client_cannot_talk_to_a_tls_server(pg):
    port = env("MILVUS_TLS_PORT")
    make_server(pg, "tls_plain", f"host '127.0.0.1', port '{port}', timeout '5'")
    try:
        with pytest.raises(psycopg.Error) as err:
            pg.execute("SELECT milvus_server_version('tls_plain')")
        assert err.value.sqlstate.startswith("08")
    finally:
        pg.execute("DROP SERVER tls_plain CASCADE")


# ---------------------------------------------------------------- mutual TLS
# milvus23_mtls asks every client for a certificate signed by its CA.

def mtls_options(client=None):
    port, d = env("MILVUS_MTLS_PORT"), env("MILVUS_MTLS_DIR")
    opts = f"host 'localhost', port '{port}', ca_cert '{d}/ca.pem', timeout '10'"
    if client:
        opts += f", client_cert '{d}/{client}.pem', client_key '{d}/{client}.key'"
    return opts


def test_mutual_tls_with_a_client_certificate(pg):
    make_server(pg, "mtls_ok", mtls_options("client"))
    try:
        reads_and_writes(pg, "mtls_ok", "mtls_items")
    finally:
        pg.execute("DROP SERVER mtls_ok CASCADE")


@pytest.mark.parametrize("client, hint", [
    (None, "set the server options client_cert and client_key"),
    ("other-client", "must be signed by a CA the server trusts"),
])
def test_mutual_tls_refuses_a_missing_or_foreign_certificate(pg, client, hint):
    make_server(pg, "mtls_bad", mtls_options(client))
    try:
        with pytest.raises(psycopg.Error) as err:
            pg.execute("SELECT milvus_server_version('mtls_bad')")
        assert err.value.sqlstate == "08001"
        assert "TLS handshake" in str(err.value)
        assert hint in err.value.diag.message_hint
    finally:
        pg.execute("DROP SERVER mtls_bad CASCADE")
