/*-------------------------------------------------------------------------
 *
 * storage_int.h
 *		What the storage back ends (local.c, s3.c) share with storage.c,
 *		which checks keys and dispatches.  Not for callers outside
 *		src/storage/: they use storage.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MILVUS_STORAGE_INT_H
#define MILVUS_STORAGE_INT_H

#include "storage.h"

typedef struct S3Client S3Client;

struct MilvusStorage
{
	MemoryContext cxt;			/* holds this struct and the back end's state */
	char	   *description;	/* for messages */
	char	   *server_name;	/* or NULL */
	/* local storage */
	char	   *root_dir;		/* NULL for S3 */
	/* S3 */
	S3Client   *s3;
};

/* local.c; keys checked by storage.c */
extern void local_storage_check_root(const char *root_dir);
extern List *local_storage_list(MilvusStorage *storage, const char *prefix);
extern char *local_storage_get(MilvusStorage *storage, const char *key,
							   int64 offset, int64 length, size_t *len_out);
extern char *local_storage_get_with(MilvusStorage *storage, const char *key,
									int64 offset, int64 length, StorageAllocFn alloc,
									void *alloc_ctx, size_t *len_out);
extern void local_storage_put(MilvusStorage *storage, const char *key, const char *head,
							  size_t head_len, File file, int64 file_len);
extern void local_storage_delete(MilvusStorage *storage, const char *key);

/* s3.c */
extern S3Client *s3_client_create(const MilvusStorageConfig *cfg, MemoryContext cxt);
extern const char *s3_client_describe(S3Client *client);
extern List *s3_client_list(S3Client *client, const char *prefix);
extern char *s3_client_get(S3Client *client, const char *key,
						   int64 offset, int64 length, size_t *len_out);
extern void s3_client_put(S3Client *client, const char *key, const char *head,
						  size_t head_len, File file, int64 file_len);
extern void s3_client_delete(S3Client *client, const char *key);
extern char *s3_client_full_key(S3Client *client, const char *key);

/* Compare two StorageObject pointers by key, bytewise (list_sort). */
extern int	storage_object_cmp(const ListCell *a, const ListCell *b);

/* The ERROR for a range that starts past the end of an object. */
extern void storage_range_error(const char *key, int64 offset, int64 size) pg_attribute_noreturn();

#endif							/* MILVUS_STORAGE_INT_H */
