/*-------------------------------------------------------------------------
 *
 * local.c
 *		The local-directory back end of milvus_fdw's storage access: a Milvus
 *		with common.storageType local keeps its binlogs as plain files under
 *		localStorage.path, with the same relative paths as object keys.
 *
 * storage.c has checked every key (no leading '/', no ".." component).
 * Directories and files are opened through fd.c (AllocateDir,
 * OpenTransientFile), so an ERROR part-way closes them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/memutils.h"
#include "utils/wait_event.h"

#include "storage_int.h"

/* Deepest directory nesting listed: Milvus uses 6; also stops symlink loops. */
#define LOCAL_MAX_DEPTH 64

/* Bytes read per pread, between interrupt checks. */
#define LOCAL_READ_CHUNK (8 * 1024 * 1024)

void
local_storage_check_root(const char *root_dir)
{
	struct stat st;

	if (!is_absolute_path(root_dir))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("storage_path \"%s\" is not an absolute path", root_dir)));
	if (stat(root_dir, &st) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not access storage_path directory \"%s\": %m", root_dir)));
	if (!S_ISDIR(st.st_mode))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("storage_path \"%s\" is not a directory", root_dir)));
}

/*
 * Add the files of directory RELDIR ("" or ending in '/') whose names start
 * with NAME_PREFIX to *OUT, and everything below its matching directories.
 */
static void
list_directory(MilvusStorage *storage, const char *reldir, const char *name_prefix,
			   int depth, List **out)
{
	char	   *path = psprintf("%s/%s", storage->root_dir, reldir);
	size_t		prefix_len = strlen(name_prefix);
	DIR		   *dir;
	struct dirent *de;

	if (depth > LOCAL_MAX_DEPTH)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("directory \"%s\" is nested too deeply", path),
				 errdetail("Local storage is listed %d levels deep at most; a symbolic link loop?",
						   LOCAL_MAX_DEPTH)));
	dir = AllocateDir(path);
	if (dir == NULL)
	{
		/* a prefix naming nothing lists nothing, as in S3 */
		if (errno == ENOENT || errno == ENOTDIR)
			return;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open directory \"%s\": %m", path)));
	}
	while ((de = ReadDir(dir, path)) != NULL)
	{
		char	   *child;
		struct stat st;

		CHECK_FOR_INTERRUPTS();
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (strncmp(de->d_name, name_prefix, prefix_len) != 0)
			continue;
		child = psprintf("%s%s", path, de->d_name);
		/* stat, not lstat: a symbolic link stands for what it points to */
		if (stat(child, &st) != 0)
		{
			if (errno == ENOENT)	/* removed since readdir */
				continue;
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not stat file \"%s\": %m", child)));
		}
		if (S_ISDIR(st.st_mode))
			list_directory(storage, psprintf("%s%s/", reldir, de->d_name), "", depth + 1, out);
		else if (S_ISREG(st.st_mode))
		{
			StorageObject *obj = palloc(sizeof(StorageObject));

			obj->key = psprintf("%s%s", reldir, de->d_name);
			obj->size = (int64) st.st_size;
			*out = lappend(*out, obj);
		}
		pfree(child);
	}
	FreeDir(dir);
	pfree(path);
}

List *
local_storage_list(MilvusStorage *storage, const char *prefix)
{
	const char *slash = strrchr(prefix, '/');
	char	   *reldir;
	const char *name_prefix;
	List	   *objects = NIL;

	/* "insert_log/1/2" lists the entries of insert_log/1/ that start with "2" */
	if (slash != NULL)
	{
		reldir = pnstrdup(prefix, slash - prefix + 1);
		name_prefix = slash + 1;
	}
	else
	{
		reldir = "";
		name_prefix = prefix;
	}
	list_directory(storage, reldir, name_prefix, 0, &objects);
	list_sort(objects, storage_object_cmp);
	return objects;
}

char *
local_storage_get(MilvusStorage *storage, const char *key, int64 offset,
				  int64 length, size_t *len_out)
{
	return local_storage_get_with(storage, key, offset, length, NULL, NULL, len_out);
}

/* As local_storage_get, into memory from alloc (palloc when NULL). */
char *
local_storage_get_with(MilvusStorage *storage, const char *key, int64 offset,
					   int64 length, StorageAllocFn alloc, void *alloc_ctx,
					   size_t *len_out)
{
	char	   *path = psprintf("%s/%s", storage->root_dir, key);
	struct stat st;
	int			fd;
	int64		size;
	int64		want;
	int64		done = 0;
	char	   *buf;

	fd = OpenTransientFile(path, O_RDONLY | PG_BINARY);
	if (fd < 0)
	{
		bool		missing = (errno == ENOENT);

		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\": %m", path),
				 missing ?
				 errdetail("Object \"%s\" does not exist in local storage \"%s\".",
						   key, storage->root_dir) : 0));
	}
	if (fstat(fd, &st) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not stat file \"%s\": %m", path)));
	if (!S_ISREG(st.st_mode))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a regular file", path)));
	size = (int64) st.st_size;
	/* as in S3: a range may start at 0 of an empty object, not past an end */
	if (offset > 0 && offset >= size)
		storage_range_error(key, offset, size);
	want = size - Min(offset, size);
	if (length >= 0 && length < want)
		want = length;
	if ((Size) want >= MaxAllocHugeSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("cannot read " INT64_FORMAT " bytes of file \"%s\" at once", want, path)));

	buf = alloc ? alloc(alloc_ctx, want + 1) : MemoryContextAllocHuge(CurrentMemoryContext, want + 1);
	while (done < want)
	{
		ssize_t		n;

		CHECK_FOR_INTERRUPTS();
		pgstat_report_wait_start(PG_WAIT_EXTENSION);
		n = pg_pread(fd, buf + done, Min(want - done, LOCAL_READ_CHUNK), offset + done);
		pgstat_report_wait_end();
		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read file \"%s\": %m", path)));
		}
		if (n == 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("file \"%s\" ended at byte " INT64_FORMAT " while reading it",
							path, offset + done),
					 errdetail("It had " INT64_FORMAT " bytes when opened.", size)));
		done += n;
	}
	if (CloseTransientFile(fd) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not close file \"%s\": %m", path)));
	buf[want] = '\0';
	*len_out = (size_t) want;
	pfree(path);
	return buf;
}
