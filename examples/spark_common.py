"""What every Spark example shares: settings from the environment, a local Spark
session with the JDBC drivers, JDBC options, and the milvus_fdw setup in SQL.

Settings come from the environment; variables that are not set are read from
.run/env (written by `scripts/services.sh start`), so after starting the
project's services the examples run as they are:

    scripts/services.sh start
    .run/venv/bin/python examples/spark_quickstart.py

    PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE   PostgreSQL with milvus_fdw (Spark's
                                                     JDBC URL and the setup connection)
    MILVUS_HOST, MILVUS_PORT                         Milvus as PostgreSQL reaches it (the
                                                     foreign server's host and port)
    MILVUS_USER, MILVUS_PASSWORD (or MILVUS_TOKEN)   Milvus credentials (user mapping), if any
    MILVUS_STORAGE_ENDPOINT, MILVUS_STORAGE_USER,    Milvus's object storage as PostgreSQL
    MILVUS_STORAGE_PASSWORD, MILVUS_BUCKET,          reaches it (spark_bulk_import.py; else
    MILVUS_ROOT_PATH                                 milvus23_s3: MILVUS_S3_PORT, MINIO_*)
    MARIADB_HOST, MARIADB_PORT, MARIADB_USER,        MariaDB/MySQL as Spark reaches it
    MARIADB_PASSWORD, MARIADB_DATABASE               (spark_mysql_embedding_milvus.py)
    POSTGRES_JDBC_JAR, MARIADB_JDBC_JAR              the JDBC drivers (default: Debian's
                                                     libpostgresql-jdbc-java, libmariadb-java)
    SPARK_MASTER                                     default local[2]

docker/compose.yaml sets the same variables for its `examples` container.
"""
import os
import shlex

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
POSTGRES_JDBC_JAR = "/usr/share/java/postgresql.jar"
MARIADB_JDBC_JAR = "/usr/share/java/mariadb-java-client.jar"


def load_env(path=None):
    """Exports of .run/env (or $MILVUS_FDW_ENV) for the variables not set already."""
    path = path or os.environ.get("MILVUS_FDW_ENV") or os.path.join(ROOT, ".run", "env")
    if not os.path.exists(path):
        return
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("export ") or "=" not in line:
                continue
            name, _, value = line[len("export "):].partition("=")
            words = shlex.split(value) if value else [""]
            os.environ.setdefault(name.strip(), words[0] if words else "")


load_env()


def setting(name, default=None):
    value = os.environ.get(name)
    return value if value else default


# ------------------------------------------------------------------ Spark

def spark_session(app, master=None):
    """A local Spark session with the PostgreSQL and MariaDB JDBC drivers."""
    # Spark's driver binds loopback: nothing here talks to other machines, and
    # Spark would otherwise warn about the host name's address.
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    jars = [j for j in (setting("POSTGRES_JDBC_JAR", POSTGRES_JDBC_JAR),
                        setting("MARIADB_JDBC_JAR", MARIADB_JDBC_JAR)) if os.path.exists(j)]
    spark = (SparkSession.builder
             .master(master or setting("SPARK_MASTER", "local[2]"))
             .appName(app)
             .config("spark.jars", ",".join(jars))
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.shuffle.partitions", "4")
             .config("spark.driver.memory", setting("SPARK_DRIVER_MEMORY", "2g"))
             .getOrCreate())
    spark.sparkContext.setLogLevel(setting("SPARK_LOG_LEVEL", "ERROR"))
    return spark


def pg_jdbc_url():
    return (f"jdbc:postgresql://{setting('PGHOST', 'localhost')}:{setting('PGPORT', '5432')}/"
            f"{setting('PGDATABASE', 'postgres')}")


def pg_jdbc(table=None, **options):
    """Options of Spark's JDBC source and sink for the PostgreSQL with milvus_fdw."""
    opts = {"url": pg_jdbc_url(), "driver": "org.postgresql.Driver",
            "user": setting("PGUSER", "postgres")}
    if setting("PGPASSWORD"):
        opts["password"] = setting("PGPASSWORD")
    if table:
        opts["dbtable"] = table
    opts.update({k: str(v) for k, v in options.items()})
    return opts


def mariadb_jdbc(table=None, **options):
    """Options of Spark's JDBC source and sink for MariaDB (MariaDB Connector/J).

    The URL says jdbc:mysql: so that Spark picks its MySQL dialect (backquoted
    identifiers); Connector/J 2.x accepts that scheme.
    """
    opts = {"url": (f"jdbc:mysql://{setting('MARIADB_HOST', 'localhost')}:"
                    f"{setting('MARIADB_PORT', '3306')}/{setting('MARIADB_DATABASE', 'test')}"),
            "driver": "org.mariadb.jdbc.Driver",
            "user": setting("MARIADB_USER", "root")}
    if setting("MARIADB_PASSWORD"):
        opts["password"] = setting("MARIADB_PASSWORD")
    if table:
        opts["dbtable"] = table
    opts.update({k: str(v) for k, v in options.items()})
    return opts


# ------------------------------------------------------------------ SQL

def pg_connect():
    """An autocommit psycopg session on the same PostgreSQL, milvus_fdw created."""
    import psycopg

    kw = dict(host=setting("PGHOST", "localhost"), port=setting("PGPORT", "5432"),
              user=setting("PGUSER", "postgres"), dbname=setting("PGDATABASE", "postgres"))
    if setting("PGPASSWORD"):
        kw["password"] = setting("PGPASSWORD")
    conn = psycopg.connect(autocommit=True, **kw)
    conn.execute("CREATE EXTENSION IF NOT EXISTS milvus_fdw")
    return conn


def literal(value):
    """A SQL literal (DDL takes no parameters)."""
    return "'" + str(value).replace("'", "''") + "'"


def options_clause(options):
    return ", ".join(f"{k} {literal(v)}" for k, v in options.items())


def storage_settings():
    """A Milvus whose object storage PostgreSQL can write to, for bulk import:
    (port, server options, user mapping options).

    MILVUS_STORAGE_ENDPOINT (+ _USER, _PASSWORD, MILVUS_BUCKET, MILVUS_ROOT_PATH)
    describe the storage of the Milvus at MILVUS_PORT (docker/compose.yaml);
    without them, the services of scripts/services.sh give milvus23_s3, the
    Milvus 2.3 that keeps its files in MinIO (MILVUS_S3_PORT, MINIO_*)."""
    if setting("MILVUS_STORAGE_ENDPOINT"):
        port = setting("MILVUS_PORT", "19530")
        endpoint, user, password = (setting("MILVUS_STORAGE_ENDPOINT"),
                                    setting("MILVUS_STORAGE_USER", "minioadmin"),
                                    setting("MILVUS_STORAGE_PASSWORD", "minioadmin"))
        bucket, root = setting("MILVUS_BUCKET", "a-bucket"), setting("MILVUS_ROOT_PATH", "files")
    elif setting("MILVUS_S3_PORT") and setting("MINIO_ENDPOINT"):
        port = setting("MILVUS_S3_PORT")
        endpoint, user, password = (setting("MINIO_ENDPOINT"), setting("MINIO_ACCESS_KEY"),
                                    setting("MINIO_SECRET_KEY"))
        bucket, root = setting("MINIO_BUCKET", "a-bucket"), setting("MINIO_ROOT_PATH", "files")
    else:
        raise SystemExit("bulk import needs Milvus's object storage: set MILVUS_STORAGE_ENDPOINT "
                         "(and MILVUS_STORAGE_USER, MILVUS_STORAGE_PASSWORD, MILVUS_BUCKET, "
                         "MILVUS_ROOT_PATH), or start scripts/services.sh's milvus23_s3")
    return (port, {"storage_endpoint": endpoint, "bucket": bucket, "root_path": root},
            {"storage_user": user, "storage_password": password})


def create_server(conn, server, storage=False):
    """A fresh foreign server for Milvus (milvus.host, milvus.port) and this user's
    mapping (milvus.username, milvus.password or milvus.token); with storage,
    for the Milvus of storage_settings() and its object storage (milvus.bucket,
    milvus.rootpath, milvus.storage.*)."""
    port, server_opts, mapping = setting("MILVUS_PORT", "19530"), {}, {}
    if storage:
        port, server_opts, mapping = storage_settings()
    conn.execute(f"DROP SERVER IF EXISTS {server} CASCADE")
    conn.execute(f"CREATE SERVER {server} FOREIGN DATA WRAPPER milvus_fdw OPTIONS ("
                 + options_clause({"host": setting("MILVUS_HOST", "localhost"), "port": port,
                                   **server_opts}) + ")")
    if setting("MILVUS_TOKEN"):
        mapping["token"] = setting("MILVUS_TOKEN")
    elif setting("MILVUS_PASSWORD"):
        mapping.update(user=setting("MILVUS_USER", "root"), password=setting("MILVUS_PASSWORD"))
    clause = f" OPTIONS ({options_clause(mapping)})" if mapping else ""
    conn.execute(f"CREATE USER MAPPING FOR CURRENT_USER SERVER {server}{clause}")


def create_table(conn, server, table, columns, **options):
    """A foreign table over a collection (dropped first, with the collection when
    drop_collection): the collection options are the connector's
    milvus.collection.* options."""
    drop = options.pop("drop_collection", True)
    conn.execute(f"DROP FOREIGN TABLE IF EXISTS {table}")
    conn.execute(f"CREATE FOREIGN TABLE {table} ({columns}) SERVER {server} OPTIONS ("
                 + options_clause(options) + ")")
    if drop:
        conn.execute("SELECT milvus_drop_collection(%s::regclass, missing_ok => true)", (table,))


def collection_exists(conn, server, collection):
    return conn.execute("SELECT count(*) FROM milvus_list_collections(%s) AS c WHERE c = %s",
                        (server, collection)).fetchone()[0] == 1


def count(conn, table):
    return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
