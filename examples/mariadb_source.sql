-- The MariaDB side of examples/mariadb_to_milvus.sql: a table of documents
-- whose embeddings were computed elsewhere and stored the way applications
-- keep vectors in MySQL/MariaDB: as a JSON array and as comma-separated text.
--
-- Run with the MariaDB client (credentials from .run/env):
--   source .run/env
--   MYSQL_PWD=$MARIADB_PASSWORD mariadb -h $MARIADB_HOST -P $MARIADB_PORT \
--     -u $MARIADB_USER $MARIADB_DATABASE < examples/mariadb_source.sql
--
-- 3000 documents, ids 1..3000 (from MariaDB's SEQUENCE engine); every
-- 100th has no embedding yet (NULL) and is not migrated.  The 8 vector
-- elements are sin(id * j * 0.7 + j), j = 1..8, with 6 decimals, so any
-- client can recompute them.  Titles include accented letters, Japanese
-- and an emoji, to check that text crosses three systems unchanged.

-- This file is UTF-8 whatever the client's default character set.
SET NAMES utf8mb4;

CREATE OR REPLACE TABLE mig_docs (
  id            BIGINT PRIMARY KEY,
  title         VARCHAR(200) NOT NULL,
  category      VARCHAR(20) NOT NULL,
  embedding     JSON NULL,        -- '[0.123456,-0.5,...]' (JSON = LONGTEXT with a JSON_VALID check)
  embedding_csv TEXT NULL         -- '0.123456,-0.5,...'
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

INSERT INTO mig_docs (id, title, category, embedding, embedding_csv)
SELECT id,
       CONCAT('doc ', id, ': ',
              ELT(1 + id % 6, 'Milvus stores vectors', 'MariaDB stores rows',
                  'PostgreSQL joins them', 'Spark moves them',
                  'café, naïve façade', '日本語のテキスト 🚀')),
       ELT(1 + id % 3, 'news', 'blog', 'paper'),
       IF(id % 100 = 0, NULL, CONCAT('[', csv, ']')),
       IF(id % 100 = 0, NULL, csv)
  FROM (SELECT seq AS id,
               CONCAT_WS(',',
                 CAST(ROUND(SIN(seq * 1 * 0.7 + 1), 6) AS DECIMAL(9,6)),
                 CAST(ROUND(SIN(seq * 2 * 0.7 + 2), 6) AS DECIMAL(9,6)),
                 CAST(ROUND(SIN(seq * 3 * 0.7 + 3), 6) AS DECIMAL(9,6)),
                 CAST(ROUND(SIN(seq * 4 * 0.7 + 4), 6) AS DECIMAL(9,6)),
                 CAST(ROUND(SIN(seq * 5 * 0.7 + 5), 6) AS DECIMAL(9,6)),
                 CAST(ROUND(SIN(seq * 6 * 0.7 + 6), 6) AS DECIMAL(9,6)),
                 CAST(ROUND(SIN(seq * 7 * 0.7 + 7), 6) AS DECIMAL(9,6)),
                 CAST(ROUND(SIN(seq * 8 * 0.7 + 8), 6) AS DECIMAL(9,6))) AS csv
          FROM seq_1_to_3000) AS s;

SELECT COUNT(*) AS documents, COUNT(embedding) AS with_embedding FROM mig_docs;
