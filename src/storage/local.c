/*-------------------------------------------------------------------------
 *
 * local.c
 *		The local-directory back end of milvus_fdw's storage access: a Milvus
 *		with common.storageType local keeps its binlogs as plain files under
 *		localStorage.path, with the same relative paths as object keys.
 *		Bulk import also writes files there (the PostgreSQL server's OS user
 *		then needs write access to the directories it writes into).
 *
 * storage.c has checked every key (no leading '/', no ".." component).
 * Directories and files are opened through fd.c (AllocateDir,
 * OpenTransientFile), so an ERROR part-way closes them.  A file is written
 * under a temporary name and renamed into place, so Milvus never sees half
 * of one.  Files and directories we create are readable by everyone, like
 * Milvus's own (Milvus may run as another OS user); PostgreSQL's umask
 * would make them private.
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

/* Modes of what we write: Milvus must be able to read it. */
#define LOCAL_DIR_MODE	0755
#define LOCAL_FILE_MODE 0644

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

/* ---------------------------------------------------------------- writing */

/* Create the directories of KEY's parent under the root, as needed. */
static void
make_parent_directories(MilvusStorage *storage, const char *key)
{
	char	   *path = psprintf("%s/%s", storage->root_dir, key);
	char	   *p = path + strlen(storage->root_dir) + 1;
	char	   *slash;

	while ((slash = strchr(p, '/')) != NULL)
	{
		*slash = '\0';
		if (mkdir(path, LOCAL_DIR_MODE) == 0)
		{
			/* the umask took bits we want: Milvus must traverse it */
			if (chmod(path, LOCAL_DIR_MODE) != 0)
				ereport(ERROR,
						(errcode_for_file_access(),
						 errmsg("could not change the mode of directory \"%s\": %m", path)));
		}
		else if (errno != EEXIST)
		{
			bool		denied = (errno == EACCES);

			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not create directory \"%s\": %m", path),
					 denied ?
					 errhint("The OS user of the PostgreSQL server needs write access to \"%s\" in Milvus's local storage.",
							 path) : 0));
		}
		*slash = '/';
		p = slash + 1;
	}
	pfree(path);
}

static void
write_all(int fd, const char *path, const char *data, size_t len)
{
	size_t		done = 0;

	while (done < len)
	{
		ssize_t		n;

		CHECK_FOR_INTERRUPTS();
		pgstat_report_wait_start(PG_WAIT_EXTENSION);
		n = write(fd, data + done, Min(len - done, LOCAL_READ_CHUNK));
		pgstat_report_wait_end();
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
		{
			/* a short write without errno is a full disk */
			if (n == 0)
				errno = ENOSPC;
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not write file \"%s\": %m", path)));
		}
		done += n;
	}
}

/*
 * Append the first LEN bytes of descriptor SRC to OUT: in the kernel with
 * copy_file_range() when both are on one file system, else through a buffer.
 */
static void
copy_descriptor(int src, int64 len, int out, const char *path)
{
	off_t		in_off = 0;
	bool		in_kernel = true;
	char	   *buf = NULL;

	while ((int64) in_off < len)
	{
		size_t		want = (size_t) Min(len - (int64) in_off, (int64) LOCAL_READ_CHUNK);
		ssize_t		n;

		CHECK_FOR_INTERRUPTS();
		if (in_kernel)
		{
			pgstat_report_wait_start(PG_WAIT_EXTENSION);
			n = copy_file_range(src, &in_off, out, NULL, want, 0);
			pgstat_report_wait_end();
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL ||
						  errno == EOPNOTSUPP))
			{
				in_kernel = false;
				continue;
			}
		}
		else
		{
			if (buf == NULL)
				buf = palloc(LOCAL_READ_CHUNK);
			pgstat_report_wait_start(PG_WAIT_EXTENSION);
			n = pg_pread(src, buf, want, in_off);
			pgstat_report_wait_end();
			if (n < 0 && errno == EINTR)
				continue;
			if (n > 0)
			{
				write_all(out, path, buf, n);
				in_off += n;
			}
		}
		if (n < 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not copy into file \"%s\": %m", path)));
		if (n == 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("the data to write to file \"%s\" ended after " INT64_FORMAT " of " INT64_FORMAT " bytes",
							path, (int64) in_off, len)));
	}
	if (buf)
		pfree(buf);
}

void
local_storage_put(MilvusStorage *storage, const char *key, const char *head,
				  size_t head_len, File file, int64 file_len)
{
	char	   *path = psprintf("%s/%s", storage->root_dir, key);
	char	   *tmp = psprintf("%s.tmp%d", path, MyProcPid);
	int			out;

	make_parent_directories(storage, key);
	out = OpenTransientFilePerm(tmp, O_WRONLY | O_CREAT | O_TRUNC | PG_BINARY, LOCAL_FILE_MODE);
	if (out < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create file \"%s\": %m", tmp)));
	PG_TRY();
	{
		if (fchmod(out, LOCAL_FILE_MODE) != 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not change the mode of file \"%s\": %m", tmp)));
		if (head_len > 0)
			write_all(out, tmp, head, head_len);
		if (file >= 0 && file_len > 0)
		{
			/*
			 * The virtual file's descriptor, opened again if fd.c closed it;
			 * nothing opens files while it is in use below.
			 */
			if (FileSize(file) < 0)
				ereport(ERROR,
						(errcode_for_file_access(),
						 errmsg("could not open the data to write to file \"%s\": %m", tmp)));
			copy_descriptor(FileGetRawDesc(file), file_len, out, tmp);
		}
		if (CloseTransientFile(out) != 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not close file \"%s\": %m", tmp)));
		out = -1;
		if (rename(tmp, path) != 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not rename file \"%s\" to \"%s\": %m", tmp, path)));
	}
	PG_CATCH();
	{
		/* the transient file itself is closed by the abort */
		(void) unlink(tmp);
		PG_RE_THROW();
	}
	PG_END_TRY();
	pfree(tmp);
	pfree(path);
}

/*
 * Remove file KEY (a missing one is no error), then the directories that
 * leaves empty, but never one directly under the root: an administrator
 * may have created it for us (as milvus_fdw_import/) where we could not.
 */
void
local_storage_delete(MilvusStorage *storage, const char *key)
{
	char	   *path = psprintf("%s/%s", storage->root_dir, key);
	size_t		root_len = strlen(storage->root_dir);
	char	   *slash;

	if (unlink(path) != 0 && errno != ENOENT)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not remove file \"%s\": %m", path)));
	while ((slash = strrchr(path + root_len + 1, '/')) != NULL)
	{
		*slash = '\0';
		if (strchr(path + root_len + 1, '/') == NULL)
			break;				/* directly under the root */
		if (rmdir(path) != 0)
			break;				/* not empty, or not ours: leave it */
	}
	pfree(path);
}
