--
-- WHERE pushdown: which clauses Milvus evaluates (shown in the Milvus
-- request), which stay local (shown as Filter), and that both give the rows
-- a local table gives.  Needs the services of scripts/services.sh.
--
\set VERBOSITY default
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS milvus_fdw;
RESET client_min_messages;
\getenv milvus_port MILVUS_PORT
CREATE SERVER m23 FOREIGN DATA WRAPPER milvus_fdw
  OPTIONS (host '127.0.0.1', port :'milvus_port');

CREATE FOREIGN TABLE pd (id bigint, i integer, f real, d double precision, s text,
                         b boolean, j jsonb, arr integer[], vec real[])
  SERVER m23
  OPTIONS (collection 'regress_pushdown', primary_key 'id', vector_field 'vec', dim '2');
SELECT milvus_drop_collection('pd', true) IS NOT NULL AS clean;
CREATE TABLE pd_local (id bigint, i integer, f real, d double precision, s text,
                       b boolean, j jsonb, arr integer[], vec real[]);
INSERT INTO pd_local VALUES
  (1, 10, 0.5, 1.5, 'alpha', true, '{"tag": "red", "n": 1}', '{1,2}', '{1,0}'),
  (2, 20, 1.25, -2.5, 'beta', false, '{"tag": "blue", "n": 2}', '{2,3}', '{0,1}'),
  (3, 30, -3, 100, 'it''s', true, '{"tag": "red", "n": "3"}', '{}', '{1,1}'),
  (4, -5, 0.1, 0, 'say "hi"', false, '{"tag": "1"}', '{4}', '{2,2}'),
  (5, 0, 2, 1e10, E'back\\slash', true, '{}', '{1,5,9}', '{3,3}'),
  (6, 7, 0, -0.5, E'new\nline', false, '{"tag": "green"}', '{7}', '{0,0}'),
  (7, 7, 1e6, 2.25, 'alphabet', true, '{"tag": "red"}', '{2}', '{5,5}'),
  (8, 100, 0.5, 3, '100%', false, '{"tag": "red"}', '{3,4}', '{1,2}');
INSERT INTO pd SELECT * FROM pd_local;

-- Each query below runs on the foreign table and on the local copy; the
-- check prints the rows that differ (none).
CREATE FUNCTION pd_diff(cond text) RETURNS TABLE (side text, id bigint)
LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE format(
    '(SELECT ''milvus only'', id FROM pd WHERE %1$s EXCEPT ALL SELECT ''milvus only'', id FROM pd_local WHERE %1$s)
     UNION ALL
     (SELECT ''local only'', id FROM pd_local WHERE %1$s EXCEPT ALL SELECT ''local only'', id FROM pd WHERE %1$s)',
    cond);
END $$;

-- ===== Comparisons on integers, booleans, floats, text =====
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM pd WHERE i >= 10 AND id <> 3;
SELECT id FROM pd WHERE i >= 10 AND id <> 3 ORDER BY id;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM pd WHERE 7 = i;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM pd WHERE b;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM pd WHERE NOT b;
-- a real constant that float32 holds exactly goes as is; others are bounded
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM pd WHERE f = 0.5;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM pd WHERE f > 0.1;
SELECT * FROM pd_diff('f > 0.1');
SELECT * FROM pd_diff('f = 0.1');
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM pd WHERE d < 2.25;
-- text: equality always; ordering under a byte-order collation
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM pd WHERE s = 'it''s' OR s = 'say "hi"';
SELECT id FROM pd WHERE s = 'it''s' OR s = 'say "hi"' ORDER BY id;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM pd WHERE s = E'back\\slash' OR s = E'new\nline';
SELECT id FROM pd WHERE s = E'back\\slash' OR s = E'new\nline' ORDER BY id;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM pd WHERE s > 'b';
SELECT * FROM pd_diff('s > ''b''');

-- ===== IN, BETWEEN, AND / OR / NOT =====
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM pd WHERE i IN (7, 20, 999);
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM pd WHERE i NOT IN (7, 20);
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM pd WHERE id BETWEEN 2 AND 4;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM pd WHERE NOT (i > 10 OR b);
SELECT * FROM pd_diff('NOT (i > 10 OR b) AND id IN (1, 2, 4, 6, 9)');

-- ===== LIKE with a literal prefix =====
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM pd WHERE s LIKE 'alph%';
SELECT id FROM pd WHERE s LIKE 'alph%' ORDER BY id;
-- wildcards inside the prefix, and infix patterns, stay local
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM pd WHERE s LIKE 'a_p%';
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM pd WHERE s LIKE '%pha%';

-- ===== IS NULL on fields that cannot be NULL =====
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM pd WHERE s IS NULL;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM pd WHERE s IS NOT NULL AND id < 3;

-- ===== JSON fields and arrays =====
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM pd WHERE j ->> 'tag' = 'red';
SELECT id FROM pd WHERE j ->> 'tag' = 'red' ORDER BY id;
-- '1' could be the number 1 in JSON: not pushed
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM pd WHERE j ->> 'tag' = '1';
SELECT * FROM pd_diff('j ->> ''n'' = ''3''');
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM pd WHERE arr @> '{2}';
SELECT id FROM pd WHERE arr @> '{2}' ORDER BY id;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM pd WHERE arr && '{5,7}';
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM pd WHERE 9 = ANY (arr);
SELECT * FROM pd_diff('arr @> ''{}''');

-- ===== Parameters, as Spark's prepared statements send them =====
PREPARE q(bigint, text) AS SELECT id FROM pd WHERE id > $1 AND s <> $2;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE q(3, 'alphabet');
EXECUTE q(3, 'alphabet');
-- a generic plan shows the placeholders and sends the values
SET plan_cache_mode = force_generic_plan;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE q(3, 'alphabet');
EXECUTE q(3, 'alphabet');
EXECUTE q(3, NULL);
RESET plan_cache_mode;
DEALLOCATE q;
-- hostile strings are literals, never expression syntax
SELECT id FROM pd WHERE s = '" or id > 0 or "';
SELECT id FROM pd WHERE s = E'\\" or id > 0 or \\"';

-- ===== What stays local =====
-- volatile functions, functions Milvus lacks, casts, vector columns
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM pd WHERE i > random() * 10;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM pd WHERE length(s) = 5;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM pd WHERE i::text = '7';
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM pd WHERE vec = '{1,0}';
-- a mix: the pushable part goes, the rest is filtered here
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM pd WHERE i > 5 AND length(s) > 4;
SELECT id FROM pd WHERE i > 5 AND length(s) > 4 ORDER BY id;

DROP FUNCTION pd_diff(text);
DROP TABLE pd_local;
DROP SERVER m23 CASCADE;
