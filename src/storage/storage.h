/*-------------------------------------------------------------------------
 *
 * storage.h
 *		Access to Milvus's object storage, for scans that read binlogs and
 *		for bulk import: list the objects under a prefix, read (a range of)
 *		one object, write and delete objects, in a local directory (Milvus
 *		with local storage) or in MinIO/S3.
 *
 * Keys are relative to the storage root: the directory storage_path, or
 * root_path inside the bucket ("insert_log/1/2/3/100/4"), never with a
 * leading '/'.  Everything is palloc'd in the memory context current at the
 * call; failures are ERRORs.  A MilvusStorage lives in its own memory
 * context under the one current at open, and releases its connections when
 * that context goes (milvus_storage_close, or the end of the transaction).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MILVUS_STORAGE_H
#define MILVUS_STORAGE_H

#include "postgres.h"

#include "foreign/foreign.h"
#include "nodes/pg_list.h"
#include "storage/fd.h"

/* Defaults of the S3 side, as Milvus's own (configs/milvus.yaml). */
#define MILVUS_STORAGE_DEFAULT_BUCKET		"a-bucket"
#define MILVUS_STORAGE_DEFAULT_ROOT_PATH	"files"
#define MILVUS_STORAGE_DEFAULT_REGION		"us-east-1"
#define MILVUS_STORAGE_DEFAULT_TIMEOUT_MS	30000

typedef struct MilvusStorageConfig
{
	/* for messages: the foreign server's name, or NULL */
	const char *server_name;

	/* local storage: the directory Milvus calls localStorage.path */
	const char *storage_path;

	/* S3 (when storage_path is NULL) */
	const char *endpoint;		/* host:port or http(s)://host[:port] */
	const char *bucket;			/* NULL: MILVUS_STORAGE_DEFAULT_BUCKET */
	const char *root_path;		/* NULL: MILVUS_STORAGE_DEFAULT_ROOT_PATH; "" = none */
	bool		use_ssl;		/* https even for host:port */
	const char *region;			/* NULL: MILVUS_STORAGE_DEFAULT_REGION */
	const char *access_key;		/* NULL: unsigned (anonymous) requests */
	const char *secret_key;
	const char *ca_cert;		/* PEM file of the CA, or NULL for the system's */
	int			timeout_ms;		/* deadline of each call, retries included; 0: default */
	int			max_keys;		/* ListObjectsV2 page size; 0: the server's (1000) */
} MilvusStorageConfig;

/* One object of a listing. */
typedef struct StorageObject
{
	char	   *key;			/* relative to the root */
	int64		size;
} StorageObject;

typedef struct MilvusStorage MilvusStorage;

extern MilvusStorage *milvus_storage_open(const MilvusStorageConfig *cfg);

/*
 * The storage of a milvus_fdw foreign server, with the storage credentials
 * of USERID's user mapping (or PUBLIC's).  ERROR when the server has neither
 * storage_path nor storage_endpoint.
 */
extern MilvusStorage *milvus_storage_open_for(ForeignServer *server, Oid userid);

/* The configuration milvus_storage_open_for() uses, to adjust before opening. */
extern void milvus_storage_config_for(ForeignServer *server, Oid userid,
									  MilvusStorageConfig *cfg);

/*
 * Every object whose key starts with PREFIX (a plain string prefix, as S3's;
 * "" lists everything), recursively, as a List of StorageObject *, sorted by
 * key (bytewise, as S3 orders them).
 */
extern List *milvus_storage_list(MilvusStorage *storage, const char *prefix);

/*
 * LENGTH bytes of object KEY from OFFSET (LENGTH -1: to the end; fewer when
 * the object ends first).  Returns a palloc'd buffer with a NUL after the
 * data; *len_out gets the data's length.  ERROR when the key does not exist
 * or OFFSET is past its end.
 */
extern char *milvus_storage_get(MilvusStorage *storage, const char *key,
								int64 offset, int64 length, size_t *len_out);

/*
 * A whole object, like milvus_storage_get, in memory from ALLOC(CTX, size)
 * where the back end can size it first (local storage), so a caller reading
 * many large files can reuse its buffers; elsewhere palloc'd as by
 * milvus_storage_get.
 */
typedef void *(*StorageAllocFn) (void *ctx, size_t size);
extern char *milvus_storage_get_with(MilvusStorage *storage, const char *key,
									 StorageAllocFn alloc, void *ctx, size_t *len_out);

/*
 * Write object KEY: HEAD_LEN bytes of HEAD, then the first FILE_LEN bytes
 * of FILE, a virtual file of fd.c (-1: none; read from offset 0, the
 * caller keeps it open).  A local file appears whole or not at all (it is
 * written under another name and renamed); on S3 it is one PutObject.  An
 * existing object is replaced.
 */
extern void milvus_storage_put_file(MilvusStorage *storage, const char *key,
									const char *head, size_t head_len,
									File file, int64 file_len);

/* Write object KEY from memory. */
extern void milvus_storage_put(MilvusStorage *storage, const char *key,
							   const char *data, size_t len);

/*
 * Delete object KEY; a missing one is no error.  In local storage the
 * directories this leaves empty go too, except one directly under the root.
 */
extern void milvus_storage_delete(MilvusStorage *storage, const char *key);

/*
 * KEY as Milvus's Import wants a file named: for local storage the absolute
 * path (Milvus 2.3 opens import files by path, and a relative one would be
 * taken from its working directory), for S3 the object key in the bucket,
 * root_path included.
 */
extern char *milvus_storage_milvus_path(MilvusStorage *storage, const char *key);

extern void milvus_storage_close(MilvusStorage *storage);

/* "s3://bucket/root" or the local directory: for messages. */
extern const char *milvus_storage_describe(MilvusStorage *storage);

#endif							/* MILVUS_STORAGE_H */
