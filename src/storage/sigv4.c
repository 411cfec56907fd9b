/*-------------------------------------------------------------------------
 *
 * sigv4.c
 *		AWS Signature Version 4 for milvus_fdw's S3 requests.
 *
 * The signed headers are always host, x-amz-content-sha256 and x-amz-date,
 * which is all a reader and writer of objects needs.  The payload hash is
 * the empty body's unless the request gives one (a PUT of an import file
 * sends UNSIGNED-PAYLOAD rather than hash hundreds of megabytes first).  SHA-256 and HMAC-SHA-256 come from PostgreSQL's own
 * common/cryptohash.h and common/hmac.h (OpenSSL underneath when PostgreSQL
 * was built with it), so the extension links no crypto library of its own.
 *
 * No ereport here: failures are returned, so that the file also builds as
 * frontend code (-DFRONTEND against libpgcommon) for a standalone check of
 * the AWS test vectors.
 *
 *-------------------------------------------------------------------------
 */
#ifdef FRONTEND
#include "postgres_fe.h"
#else
#include "postgres.h"
#endif

#include "common/cryptohash.h"
#include "common/hmac.h"
#include "common/sha2.h"

#include "sigv4.h"

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define SIGV4_SIGNED_HEADERS "host;x-amz-content-sha256;x-amz-date"

void
sigv4_uri_encode(StringInfo buf, const char *s, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	for (p = (const unsigned char *) s; *p; p++)
	{
		unsigned char c = *p;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && keep_slash))
			appendStringInfoChar(buf, (char) c);
		else
		{
			appendStringInfoChar(buf, '%');
			appendStringInfoChar(buf, hex[c >> 4]);
			appendStringInfoChar(buf, hex[c & 0xF]);
		}
	}
}

typedef struct EncodedParam
{
	char	   *name;
	char	   *value;
} EncodedParam;

static int
compare_params(const void *a, const void *b)
{
	const EncodedParam *pa = a;
	const EncodedParam *pb = b;
	int			cmp = strcmp(pa->name, pb->name);

	return cmp != 0 ? cmp : strcmp(pa->value, pb->value);
}

char *
sigv4_canonical_query(const SigV4Param *params, int nparams)
{
	EncodedParam *enc;
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	if (nparams == 0)
		return buf.data;
	enc = palloc(sizeof(EncodedParam) * nparams);
	for (i = 0; i < nparams; i++)
	{
		StringInfoData part;

		initStringInfo(&part);
		sigv4_uri_encode(&part, params[i].name, false);
		enc[i].name = part.data;
		initStringInfo(&part);
		sigv4_uri_encode(&part, params[i].value ? params[i].value : "", false);
		enc[i].value = part.data;
	}
	/* sorted by encoded name (byte order), as the canonical request wants */
	qsort(enc, nparams, sizeof(EncodedParam), compare_params);
	for (i = 0; i < nparams; i++)
		appendStringInfo(&buf, "%s%s=%s", i ? "&" : "", enc[i].name, enc[i].value);
	return buf.data;
}

static void
append_hex(StringInfo buf, const uint8 *bytes, int n)
{
	static const char hex[] = "0123456789abcdef";
	int			i;

	for (i = 0; i < n; i++)
	{
		appendStringInfoChar(buf, hex[bytes[i] >> 4]);
		appendStringInfoChar(buf, hex[bytes[i] & 0xF]);
	}
}

/* SHA-256 of DATA[0..LEN) into OUT; false with *error on failure. */
static bool
sha256(const char *data, size_t len, uint8 out[PG_SHA256_DIGEST_LENGTH], const char **error)
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);
	bool		ok;

	if (ctx == NULL)
	{
		*error = "out of memory";
		return false;
	}
	ok = pg_cryptohash_init(ctx) == 0 &&
		pg_cryptohash_update(ctx, (const uint8 *) data, len) == 0 &&
		pg_cryptohash_final(ctx, out, PG_SHA256_DIGEST_LENGTH) == 0;
	if (!ok)
		*error = pg_cryptohash_error(ctx);
	pg_cryptohash_free(ctx);
	return ok;
}

/* HMAC-SHA-256 of DATA under KEY into OUT; false with *error on failure. */
static bool
hmac_sha256(const uint8 *key, size_t keylen, const char *data, size_t len,
			uint8 out[PG_SHA256_DIGEST_LENGTH], const char **error)
{
	pg_hmac_ctx *ctx = pg_hmac_create(PG_SHA256);
	bool		ok;

	if (ctx == NULL)
	{
		*error = "out of memory";
		return false;
	}
	ok = pg_hmac_init(ctx, key, keylen) == 0 &&
		pg_hmac_update(ctx, (const uint8 *) data, len) == 0 &&
		pg_hmac_final(ctx, out, PG_SHA256_DIGEST_LENGTH) == 0;
	if (!ok)
		*error = pg_hmac_error(ctx);
	pg_hmac_free(ctx);
	return ok;
}

char *
sigv4_authorization(const SigV4Request *req, char amz_date[17], const char **error)
{
	struct tm	tm;
	char		date[9];
	StringInfoData canonical;
	StringInfoData to_sign;
	StringInfoData result;
	char	   *scope;
	char	   *secret;
	uint8		hash[PG_SHA256_DIGEST_LENGTH];
	uint8		key[PG_SHA256_DIGEST_LENGTH];
	uint8		signature[PG_SHA256_DIGEST_LENGTH];
	const char *payload_hash = req->payload_hash ? req->payload_hash : SIGV4_EMPTY_PAYLOAD_SHA256;

	gmtime_r(&req->now, &tm);
	strftime(amz_date, 17, "%Y%m%dT%H%M%SZ", &tm);
	strftime(date, sizeof(date), "%Y%m%d", &tm);
	scope = psprintf("%s/%s/%s/aws4_request", date, req->region, req->service);

	/* the canonical request: header names lower-case and sorted */
	initStringInfo(&canonical);
	appendStringInfo(&canonical, "%s\n%s\n%s\n", req->method, req->canonical_uri,
					 req->canonical_query ? req->canonical_query : "");
	appendStringInfo(&canonical, "host:%s\nx-amz-content-sha256:%s\nx-amz-date:%s\n\n",
					 req->host, payload_hash, amz_date);
	appendStringInfo(&canonical, "%s\n%s", SIGV4_SIGNED_HEADERS, payload_hash);
	if (!sha256(canonical.data, canonical.len, hash, error))
		return NULL;

	initStringInfo(&to_sign);
	appendStringInfo(&to_sign, "%s\n%s\n%s\n", SIGV4_ALGORITHM, amz_date, scope);
	append_hex(&to_sign, hash, sizeof(hash));

	/* the signing key: HMAC chain over date, region, service, "aws4_request" */
	secret = psprintf("AWS4%s", req->secret_key);
	if (!hmac_sha256((const uint8 *) secret, strlen(secret), date, strlen(date), key, error) ||
		!hmac_sha256(key, sizeof(key), req->region, strlen(req->region), key, error) ||
		!hmac_sha256(key, sizeof(key), req->service, strlen(req->service), key, error) ||
		!hmac_sha256(key, sizeof(key), "aws4_request", 12, key, error) ||
		!hmac_sha256(key, sizeof(key), to_sign.data, to_sign.len, signature, error))
	{
		explicit_bzero(secret, strlen(secret));
		return NULL;
	}
	explicit_bzero(secret, strlen(secret));
	pfree(secret);
	explicit_bzero(key, sizeof(key));

	initStringInfo(&result);
	appendStringInfo(&result, "%s Credential=%s/%s, SignedHeaders=%s, Signature=",
					 SIGV4_ALGORITHM, req->access_key, scope, SIGV4_SIGNED_HEADERS);
	append_hex(&result, signature, sizeof(signature));
	pfree(canonical.data);
	pfree(to_sign.data);
	pfree(scope);
	return result.data;
}
