/*-------------------------------------------------------------------------
 *
 * sigv4.h
 *		AWS Signature Version 4 for the requests of milvus_fdw's S3 client
 *		(GET, PUT, DELETE): URI encoding, the canonical query string and the
 *		Authorization header.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MILVUS_SIGV4_H
#define MILVUS_SIGV4_H

#include <time.h>

#include "lib/stringinfo.h"

/* SHA-256 of the empty payload, hex: GET and DELETE send no body. */
#define SIGV4_EMPTY_PAYLOAD_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* The payload hash of a body that is sent but not hashed (S3's own term). */
#define SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"

/* One query parameter, not yet encoded. */
typedef struct SigV4Param
{
	const char *name;
	const char *value;
} SigV4Param;

typedef struct SigV4Request
{
	const char *method;			/* "GET", "PUT", "DELETE" */
	const char *canonical_uri;	/* the path, already URI-encoded ("/bucket/key") */
	const char *canonical_query;	/* from sigv4_canonical_query(), or "" */
	const char *host;			/* the Host header's value, exactly as sent */
	const char *region;
	const char *service;		/* "s3" */
	const char *access_key;
	const char *secret_key;
	time_t		now;
	/* x-amz-content-sha256: hex SHA-256 of the body, SIGV4_UNSIGNED_PAYLOAD, or NULL for none */
	const char *payload_hash;
} SigV4Request;

/*
 * Append S URI-encoded as SigV4 wants it: every byte but A-Z a-z 0-9 - _ . ~
 * as %XY (upper-case hex); '/' kept when KEEP_SLASH (object key paths).
 */
extern void sigv4_uri_encode(StringInfo buf, const char *s, bool keep_slash);

/*
 * The canonical query string of PARAMS: each name and value encoded, sorted
 * by name then value, joined with '&'.  Used as the URL's query too, so what
 * is sent is exactly what is signed.
 */
extern char *sigv4_canonical_query(const SigV4Param *params, int nparams);

/*
 * Sign REQ.  Returns the Authorization header's value (palloc'd) and puts
 * the matching x-amz-date value (YYYYMMDD'T'HHMMSS'Z') in AMZ_DATE (17
 * bytes).  Returns NULL with *ERROR set when hashing failed.
 */
extern char *sigv4_authorization(const SigV4Request *req, char amz_date[17],
								 const char **error);

#endif							/* MILVUS_SIGV4_H */
