/*-------------------------------------------------------------------------
 *
 * s3_xml.h
 *		A small, strict parser for the two XML documents an S3 client of
 *		milvus_fdw reads: ListObjectsV2 results and Error bodies.
 *
 * Plain C with no PostgreSQL dependency, so that it can be fuzzed on its
 * own (test/fuzz_s3xml/).  Memory comes from a caller-supplied allocator and
 * is never freed by the parser: the caller owns its lifetime (a memory
 * context in the backend, an arena in the fuzzer).
 *
 *-------------------------------------------------------------------------
 */
#ifndef S3_XML_H
#define S3_XML_H

#include <stddef.h>
#include <stdint.h>

/*
 * Returns SIZE bytes, or NULL when out of memory (the parse then fails with
 * S3XML_NOMEM).  It may also not return at all (palloc's ERROR), as long as
 * the caller can live with that: the parser holds no other resources.
 */
typedef void *(*S3XmlAllocFn) (void *arg, size_t size);

typedef struct S3XmlAllocator
{
	S3XmlAllocFn alloc;
	void	   *arg;
} S3XmlAllocator;

typedef enum S3XmlStatus
{
	S3XML_OK = 0,
	S3XML_SYNTAX,				/* not well-formed XML, or beyond our limits */
	S3XML_SCHEMA,				/* well-formed, but not the document expected */
	S3XML_NOMEM
} S3XmlStatus;

/* One <Contents> of a listing. */
typedef struct S3XmlObject
{
	char	   *key;			/* decoded, NUL-terminated UTF-8 */
	int64_t		size;
} S3XmlObject;

/* A ListObjectsV2 result (<ListBucketResult>). */
typedef struct S3XmlListing
{
	S3XmlObject *objects;
	size_t		nobjects;
	int			is_truncated;	/* <IsTruncated>true</IsTruncated> */
	char	   *next_token;		/* <NextContinuationToken>, or NULL */
} S3XmlListing;

/* An S3 error body (<Error>); absent elements are NULL. */
typedef struct S3XmlError
{
	char	   *code;
	char	   *message;
} S3XmlError;

/* Deepest element nesting accepted (S3's documents use 3). */
#define S3XML_MAX_DEPTH 32

/*
 * Parse BUF[0..LEN) as a ListObjectsV2 result into *OUT.  On failure returns
 * the status and, when ERRBUF is not NULL, a short reason with the byte
 * offset in ERRBUF.  A truncated listing must carry a non-empty
 * NextContinuationToken.
 */
extern S3XmlStatus s3xml_parse_listing(const char *buf, size_t len,
									   const S3XmlAllocator *allocator,
									   S3XmlListing *out,
									   char *errbuf, size_t errbuflen);

/* Parse BUF[0..LEN) as an S3 <Error> body into *OUT. */
extern S3XmlStatus s3xml_parse_error(const char *buf, size_t len,
									 const S3XmlAllocator *allocator,
									 S3XmlError *out,
									 char *errbuf, size_t errbuflen);

#endif							/* S3_XML_H */
