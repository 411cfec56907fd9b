"""Security: Milvus's own permissions, and strings that try to change a pushed expression.

- Against the auth-enabled Milvus 2.3 (milvus23_auth), a Milvus user without
  rights on a collection gets a permission ERROR (42501) naming the call, and
  gets rows once root grants the privileges.
- Hostile strings (quotes, backslashes, Milvus operators, unicode, control
  characters) through WHERE and through a pushed DELETE: every result equals
  local evaluation on a heap mirror, and a DELETE removes exactly what the
  same DELETE removes locally.
"""
import random

import psycopg
import pytest
from pymilvus import MilvusClient

from conftest import connect, env
from milvus_client import server_port

READER, READER_PASSWORD = "fdw_reader", "reader-pass-1"


@pytest.fixture(scope="module")
def auth():
    """root's client of the auth-enabled server, a collection, and a reader user."""
    port = env("MILVUS_AUTH_PORT")
    root = MilvusClient(uri=f"http://127.0.0.1:{port}",
                        token=f"{env('MILVUS_AUTH_USER')}:{env('MILVUS_AUTH_PASSWORD')}")
    if READER in root.list_users():
        for role in root.describe_user(READER).get("roles", []):
            root.revoke_role(READER, role)
        root.drop_user(READER)
    root.create_user(READER, READER_PASSWORD)
    if root.has_collection("rbac_secret"):
        root.drop_collection("rbac_secret")
    root.create_collection("rbac_secret", dimension=2, consistency_level="Strong")
    root.insert("rbac_secret", [{"id": i, "vector": [i, 1]} for i in range(5)])
    conn = connect()
    conn.execute("CREATE EXTENSION IF NOT EXISTS milvus_fdw")
    conn.execute("DROP SERVER IF EXISTS sec_auth CASCADE")
    conn.execute(f"CREATE SERVER sec_auth FOREIGN DATA WRAPPER milvus_fdw "
                 f"OPTIONS (host '127.0.0.1', port '{port}')")
    conn.execute(f"CREATE USER MAPPING FOR CURRENT_USER SERVER sec_auth "
                 f"OPTIONS (user '{READER}', password '{READER_PASSWORD}')")
    conn.execute("CREATE FOREIGN TABLE sec_secret (id bigint, vector real[]) SERVER sec_auth "
                 "OPTIONS (collection 'rbac_secret')")
    yield root, conn
    conn.execute("DROP SERVER sec_auth CASCADE")
    conn.close()
    if "fdw_read_secret" in root.list_roles():
        for p in ("Query", "Search", "Load", "GetLoadState", "GetStatistics"):
            try:
                root.revoke_privilege("fdw_read_secret", "Collection", p, "rbac_secret")
            except Exception:
                pass
        try:
            root.revoke_role(READER, "fdw_read_secret")
        except Exception:
            pass
        root.drop_role("fdw_read_secret")
    root.drop_user(READER)
    root.drop_collection("rbac_secret")


def sqlstate_of(conn, sql):
    with pytest.raises(psycopg.Error) as exc:
        conn.execute(sql)
    return exc.value.sqlstate, str(exc.value)


def test_user_without_rights_gets_permission_error(auth):
    _, conn = auth
    state, message = sqlstate_of(conn, "SELECT * FROM sec_secret")
    assert state == "42501", message
    assert "permission" in message.lower() or "privilege" in message.lower(), message
    state, message = sqlstate_of(conn, "INSERT INTO sec_secret VALUES (9, '{9,9}')")
    assert state == "42501", message


def test_granted_rights_let_the_user_read(auth):
    root, conn = auth
    if "fdw_read_secret" not in root.list_roles():
        root.create_role("fdw_read_secret")
    for p in ("Query", "Search", "Load", "GetLoadState", "GetStatistics"):
        root.grant_privilege("fdw_read_secret", "Collection", p, "rbac_secret")
    root.grant_role(READER, "fdw_read_secret")
    rows = conn.execute("SELECT id FROM sec_secret ORDER BY id").fetchall()
    assert [r[0] for r in rows] == [0, 1, 2, 3, 4]
    # reading does not grant writing
    state, message = sqlstate_of(conn, "INSERT INTO sec_secret VALUES (9, '{9,9}')")
    assert state == "42501", message


# ---- hostile strings ----

HOSTILE = [
    "'", '"', "\\", "\\\\", "\\'", '\\"', "'\"'", "a' or 'a'='a", 'a" or id >= 0 or "',
    '" || id >= 0 || "', "x\") or (id >= 0", "label", "id", "true", "not", "in [1,2]",
    "%", "_", "%%", "a%b", "a_b", "like", "$meta", "${x}", "{}", "[]", "\n", "\r\n", "\t",
    "line1\nline2", "\x01\x02\x1f", "\x7f", "é", "ü", "日本語", "🙂", "a\u200bb", "\u202e",
    "\\u0027", "\\x27", "\\n", " ", "  leading", "trailing  ", "", "0", "-1", "1e308",
    "NaN", "null", "NULL", "; DROP TABLE x", "/*", "*/", "--", "json_contains(x, 1)",
]


def random_hostile(rng):
    parts = [rng.choice(HOSTILE) for _ in range(rng.randint(1, 3))]
    return "".join(parts)[:60]


@pytest.fixture(scope="module")
def strings():
    """A collection of hostile labels on Milvus 2.3 and the same rows in a heap table."""
    rng = random.Random(20261125)
    labels = list(dict.fromkeys(HOSTILE + [random_hostile(rng) for _ in range(100)]))
    conn = connect()
    conn.execute("CREATE EXTENSION IF NOT EXISTS milvus_fdw")
    conn.execute("DROP SERVER IF EXISTS sec_m23 CASCADE")
    conn.execute(f"CREATE SERVER sec_m23 FOREIGN DATA WRAPPER milvus_fdw "
                 f"OPTIONS (host '127.0.0.1', port '{server_port('m23')}')")
    conn.execute("""CREATE FOREIGN TABLE sec_labels (id bigint, label varchar(200), vec real[])
                    SERVER sec_m23 OPTIONS (collection 'sec_labels', primary_key 'id',
                                            vector_field 'vec', dim '2')""")
    conn.execute("SELECT milvus_drop_collection('sec_labels', true)")
    conn.execute("DROP TABLE IF EXISTS sec_labels_local")
    conn.execute("CREATE TABLE sec_labels_local (id bigint, label varchar(200))")
    with conn.transaction():
        for i, label in enumerate(labels):
            # each label twice, so a DELETE has something to leave behind when wrong
            for j in (0, 1):
                conn.execute("INSERT INTO sec_labels VALUES (%s, %s, '{1,2}')", (2 * i + j, label))
                conn.execute("INSERT INTO sec_labels_local VALUES (%s, %s)", (2 * i + j, label))
    yield conn, labels, rng
    conn.execute("SELECT milvus_drop_collection('sec_labels', true)")
    conn.execute("DROP SERVER sec_m23 CASCADE")
    conn.execute("DROP TABLE sec_labels_local")
    conn.close()


def ids(conn, sql, params=()):
    # no parameters: no placeholder parsing either (literals may hold '%')
    return sorted(r[0] for r in conn.execute(sql, params or None).fetchall())


def literal(conn, s):
    return conn.execute("SELECT quote_literal(%s)", (s,)).fetchone()[0]


def test_hostile_strings_in_where_match_local_evaluation(strings):
    conn, labels, rng = strings
    probes = labels + [random_hostile(rng) for _ in range(50)]
    divergences = []
    for s in probes:
        lit = literal(conn, s)
        prefix = s[: rng.randint(0, len(s))]
        for where, params in (
                (f"label = {lit}", ()),                       # a constant
                ("label = %s", (s,)),                          # a parameter
                (f"label <> {lit} AND id < 40", ()),
                (f"label IN ({lit}, {literal(conn, prefix)})", ()),
                (f"label LIKE {literal(conn, prefix.replace('%', '').replace('_', '') + '%')}", ()),
                (f"NOT (label = {lit}) OR id = 3", ())):
            remote = ids(conn, f"SELECT id FROM sec_labels WHERE {where}", params)
            local = ids(conn, f"SELECT id FROM sec_labels_local WHERE {where}", params)
            if remote != local:
                divergences.append((where, s, len(remote), len(local)))
    assert divergences == []


def test_hostile_strings_in_pushed_delete_remove_exactly_their_rows(strings):
    conn, labels, rng = strings
    victims = rng.sample(labels, 40)
    for s in victims:
        plan = "\n".join(r[0] for r in conn.execute(
            "EXPLAIN (VERBOSE, COSTS OFF) DELETE FROM sec_labels WHERE label = %s", (s,)))
        n_remote = conn.execute("DELETE FROM sec_labels WHERE label = %s", (s,)).rowcount
        n_local = conn.execute("DELETE FROM sec_labels_local WHERE label = %s", (s,)).rowcount
        # a pushed DELETE reports no row count; a fetched one must agree
        if "delete(collection=" not in plan:
            assert n_remote == n_local, s
    assert ids(conn, "SELECT id FROM sec_labels") == ids(conn, "SELECT id FROM sec_labels_local")
