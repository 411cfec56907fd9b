"""Connection behaviour that SQL alone cannot show: cancel, deadlines, restarts.

Each test talks to real servers: Milvus Lite (stopped and restarted through
scripts/services.sh) and a TCP listener that never answers.
"""
import threading
import time

import psycopg
import pytest

from conftest import connect, env, services


def wait_for_wait_event(pg, pid, deadline=10.0):
    """Until the backend shows our wait event in pg_stat_activity."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        row = pg.execute("SELECT wait_event_type, wait_event FROM pg_stat_activity "
                         "WHERE pid = %s", (pid,)).fetchone()
        if row and row[0] == "Extension":
            return row
        time.sleep(0.05)
    pytest.fail(f"backend {pid} never waited on Milvus (last: {row})")


def run_in_thread(fn):
    box = {}

    def target():
        start = time.monotonic()
        try:
            box["result"] = fn()
        except Exception as e:  # noqa: BLE001 - the test inspects it
            box["error"] = e
        box["ended"] = time.monotonic()
        box["started"] = start

    t = threading.Thread(target=target, daemon=True)
    t.start()
    return t, box


def test_cancel_returns_within_one_second(pg, stall):
    pg.execute(f"CREATE SERVER stall_cancel FOREIGN DATA WRAPPER milvus_fdw "
               f"OPTIONS (host '127.0.0.1', port '{stall.port}', timeout '60')")
    try:
        victim = connect()
        pid = victim.info.backend_pid
        t, box = run_in_thread(
            lambda: victim.execute("SELECT milvus_server_version('stall_cancel')").fetchone())
        event = wait_for_wait_event(pg, pid)
        assert event == ("Extension", "Extension")
        cancelled_at = time.monotonic()
        assert pg.execute("SELECT pg_cancel_backend(%s)", (pid,)).fetchone()[0]
        t.join(10)
        assert not t.is_alive()
        assert isinstance(box.get("error"), psycopg.errors.QueryCanceled), box
        assert box["ended"] - cancelled_at < 1.0
        # the session is usable afterwards
        assert victim.execute("SELECT 1").fetchone() == (1,)
        victim.close()
    finally:
        pg.execute("DROP SERVER stall_cancel CASCADE")


def test_statement_timeout_interrupts_a_call(pg, stall):
    pg.execute(f"CREATE SERVER stall_timeout FOREIGN DATA WRAPPER milvus_fdw "
               f"OPTIONS (host '127.0.0.1', port '{stall.port}', timeout '60')")
    try:
        victim = connect()
        victim.execute("SET statement_timeout = '1s'")
        start = time.monotonic()
        with pytest.raises(psycopg.errors.QueryCanceled):
            victim.execute("SELECT milvus_server_version('stall_timeout')")
        assert time.monotonic() - start < 2.0
        victim.close()
    finally:
        pg.execute("DROP SERVER stall_timeout CASCADE")


def test_deadline_gives_a_clear_error(pg, stall):
    pg.execute(f"CREATE SERVER stall_deadline FOREIGN DATA WRAPPER milvus_fdw "
               f"OPTIONS (host '127.0.0.1', port '{stall.port}', timeout '2')")
    try:
        start = time.monotonic()
        with pytest.raises(psycopg.errors.ConnectionFailure) as err:
            pg.execute("SELECT milvus_server_version('stall_deadline')")
        elapsed = time.monotonic() - start
        assert 1.5 < elapsed < 4.0, elapsed
        assert "did not answer GetVersion within 2000 ms" in str(err.value)
        assert f"127.0.0.1:{stall.port}" in err.value.diag.message_hint
    finally:
        pg.execute("DROP SERVER stall_deadline CASCADE")


def test_restarted_server_is_reached_again(pg):
    port = env("MILVUS_LITE_PORT")
    pg.execute(f"CREATE SERVER lite_restart FOREIGN DATA WRAPPER milvus_fdw "
               f"OPTIONS (host '127.0.0.1', port '{port}', timeout '10')")
    try:
        version = pg.execute("SELECT milvus_server_version('lite_restart')").fetchone()[0]
        assert version.startswith("milvus_lite-")

        services("stop", "milvus_lite")
        start = time.monotonic()
        with pytest.raises(psycopg.errors.SqlclientUnableToEstablishSqlconnection) as err:
            pg.execute("SELECT milvus_server_version('lite_restart')")
        assert time.monotonic() - start < 10
        assert f"127.0.0.1:{port}" in err.value.diag.message_hint

        services("start", "milvus_lite")
        # same session, no milvus_fdw_disconnect_all(): the channel recovers
        again = pg.execute("SELECT milvus_server_version('lite_restart')").fetchone()[0]
        assert again == version
    finally:
        services("start", "milvus_lite")
        pg.execute("DROP SERVER lite_restart CASCADE")
