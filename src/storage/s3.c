/*-------------------------------------------------------------------------
 *
 * s3.c
 *		The S3 back end of milvus_fdw's storage access: ListObjectsV2,
 *		(ranged) GET Object, PUT Object (from memory and a file, for bulk
 *		import) and DELETE Object against MinIO or S3, path-style, signed
 *		with AWS Signature V4 (sigv4.c), over libcurl.
 *
 * Rules kept here, because a backend must stay in control of its process:
 *  - Transfers run through a curl multi handle that we poll in short slices
 *    (WAIT_SLICE_MS), so a cancel or the deadline is noticed within one
 *    slice even when the peer is silent.  The xferinfo callback checks the
 *    same flags mid-transfer.  Neither calls anything that can ERROR
 *    (longjmp through curl would leave it in pieces): they only read
 *    InterruptPending and friends and a monotonic clock.
 *  - The write callback allocates with MCXT_ALLOC_NO_OOM and reports
 *    failure to curl instead of raising; the read callback of an upload
 *    uses plain pread() on a descriptor opened beforehand, and reports a
 *    failure the same way.
 *  - Only after curl has returned and the easy handle has left the multi
 *    handle do we raise ERRORs or run CHECK_FOR_INTERRUPTS().
 *  - The curl handles belong to the client's memory context: a reset
 *    callback frees them, so an ERROR anywhere (or the end of the
 *    transaction) cannot leak them.
 *  - curl never uses signals (CURLOPT_NOSIGNAL) and is initialised lazily,
 *    once per backend.
 *
 * Errors (SQLSTATEs as the Milvus calls in connection.c use them):
 *   28000 access denied (HTTP 401/403), with S3's Code and Message;
 *   58P01 no such key or bucket (HTTP 404);
 *   08001 the endpoint could not be reached (after retries);
 *   08006 no answer within the deadline, or the connection broke;
 *   57014 canceled;
 *   HV000 any other failure answer.
 * Transient failures (connection errors, HTTP 500/502/503/504, SlowDown,
 * RequestTimeout, a body shorter than its Content-Length) are retried with
 * a short backoff, at most S3_MAX_ATTEMPTS times, all within the deadline.
 * An upload's deadline grows by one second per S3_MIN_UPLOAD_RATE bytes,
 * so a large file is not cut off by a timeout meant for small requests.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/memutils.h"
#include "utils/wait_event.h"

#include "s3_xml.h"
#include "sigv4.h"
#include "storage_int.h"

/* How long one wait for curl lasts: bounds the reaction to a cancel. */
#define WAIT_SLICE_MS		50
/* Attempts of one request, and the backoff before the second (doubling). */
#define S3_MAX_ATTEMPTS		5
#define S3_FIRST_BACKOFF_MS	50
#define S3_MAX_BACKOFF_MS	1000
/* Bytes of a non-XML error body quoted in a message. */
#define S3_BODY_QUOTE		200
/* Slowest upload we wait for: bytes per second added to an upload's deadline. */
#define S3_MIN_UPLOAD_RATE	(1024 * 1024)

struct S3Client
{
	MemoryContext cxt;
	char	   *server_name;	/* or NULL */
	bool		tls;
	char	   *authority;		/* host[:port]: the Host header, as signed */
	char	   *base_url;		/* scheme://authority */
	char	   *bucket;
	char	   *root;			/* "" or "files/": prepended to keys */
	char	   *region;
	char	   *access_key;		/* NULL: anonymous */
	char	   *secret_key;
	char	   *ca_cert;
	int			timeout_ms;
	int			max_keys;
	char	   *description;
	CURL	   *easy;
	CURLM	   *multi;
	struct curl_slist *headers; /* of the request in flight */
	char		curl_error[CURL_ERROR_SIZE];
	MemoryContextCallback cleanup;
};

/* One request's answer, filled by the curl callbacks. */
typedef struct S3Response
{
	MemoryContext cxt;			/* where the body goes */
	char	   *body;
	size_t		len;
	size_t		cap;
	long		status;
	int64		content_length; /* -1: none */
	int64		range_start;	/* from Content-Range, -1: none */
	int64		range_total;	/* "/TOTAL" of Content-Range, -1: unknown */
	int64		deadline_ms;	/* monotonic */
	bool		out_of_memory;
	bool		canceled;
	bool		deadline_passed;
} S3Response;

/*
 * What a PUT sends: HEAD, then the first FILE_LEN bytes of descriptor FD
 * (none when FD is -1).  Read by curl's read callback from POS on.
 */
typedef struct S3Body
{
	const char *head;
	size_t		head_len;
	int			fd;
	int64		file_len;
	int64		pos;
	int			read_errno;		/* why reading FD failed, 0 if it did not */
	bool		short_file;		/* FD ended before FILE_LEN */
} S3Body;

static bool curl_initialised = false;

/* ---------------------------------------------------------------- helpers */

static int64
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * A cancel or terminate is pending.  Other interrupts (barriers, catchup,
 * notifications) do not end a transfer: CHECK_FOR_INTERRUPTS would just
 * serve them afterwards.  Reads signal-set flags only: safe in callbacks.
 */
static inline bool
cancel_requested(void)
{
	return InterruptPending && (QueryCancelPending || ProcDiePending);
}

static void
ensure_curl(void)
{
	if (curl_initialised)
		return;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("could not initialise libcurl")));
	curl_initialised = true;
}

static void
client_cleanup(void *arg)
{
	S3Client   *c = arg;

	if (c->headers)
		curl_slist_free_all(c->headers);
	c->headers = NULL;
	if (c->easy)
	{
		if (c->multi)
			curl_multi_remove_handle(c->multi, c->easy);
		curl_easy_cleanup(c->easy);
		c->easy = NULL;
	}
	if (c->multi)
		curl_multi_cleanup(c->multi);
	c->multi = NULL;
}

/* An allocator for s3_xml.c: NULL on failure, reported as out of memory. */
static void *
xml_palloc(void *arg, size_t size)
{
	return MemoryContextAllocExtended(CurrentMemoryContext, size,
									  MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
}

static const S3XmlAllocator xml_allocator = {xml_palloc, NULL};

/*
 * http(s)://host[:port][/], or host[:port]: sets *tls when the scheme says
 * https, and returns the authority.
 */
static char *
parse_endpoint(const char *endpoint, bool *tls)
{
	const char *p = endpoint;
	size_t		len;

	if (pg_strncasecmp(p, "https://", 8) == 0)
	{
		*tls = true;
		p += 8;
	}
	else if (pg_strncasecmp(p, "http://", 7) == 0)
		p += 7;
	else if (strstr(p, "://") != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("storage_endpoint \"%s\" has an unknown scheme", endpoint),
				 errhint("An object storage endpoint looks like host:port or http(s)://host:port.")));
	len = strcspn(p, "/?#");
	if (len == 0 || memchr(p, '@', len) != NULL ||
		(p[len] != '\0' && strcmp(p + len, "/") != 0))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("storage_endpoint \"%s\" is not host:port or http(s)://host:port", endpoint),
				 errhint("Give the bucket and root path in the options bucket and root_path.")));
	return pnstrdup(p, len);
}

S3Client *
s3_client_create(const MilvusStorageConfig *cfg, MemoryContext cxt)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(cxt);
	S3Client   *c = palloc0(sizeof(S3Client));
	const char *root = cfg->root_path ? cfg->root_path : MILVUS_STORAGE_DEFAULT_ROOT_PATH;
	size_t		rootlen;

	c->cxt = cxt;
	c->server_name = cfg->server_name ? pstrdup(cfg->server_name) : NULL;
	c->tls = cfg->use_ssl;
	c->authority = parse_endpoint(cfg->endpoint, &c->tls);
	c->base_url = psprintf("%s://%s", c->tls ? "https" : "http", c->authority);
	c->bucket = pstrdup(cfg->bucket && cfg->bucket[0] ? cfg->bucket : MILVUS_STORAGE_DEFAULT_BUCKET);
	c->region = pstrdup(cfg->region && cfg->region[0] ? cfg->region : MILVUS_STORAGE_DEFAULT_REGION);
	/* "files", "/files/" and "files/" are the same root: keys go under "files/" */
	while (*root == '/')
		root++;
	rootlen = strlen(root);
	while (rootlen > 0 && root[rootlen - 1] == '/')
		rootlen--;
	c->root = rootlen > 0 ? psprintf("%.*s/", (int) rootlen, root) : "";
	if (cfg->access_key && cfg->access_key[0])
	{
		if (cfg->secret_key == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
					 errmsg("object storage access key given without a secret key"),
					 errhint("Set storage_password beside storage_user in the user mapping.")));
		c->access_key = pstrdup(cfg->access_key);
		c->secret_key = pstrdup(cfg->secret_key);
	}
	c->ca_cert = cfg->ca_cert ? pstrdup(cfg->ca_cert) : NULL;
	c->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : MILVUS_STORAGE_DEFAULT_TIMEOUT_MS;
	c->max_keys = cfg->max_keys;
	c->description = psprintf("s3://%s/%s at %s", c->bucket, c->root, c->base_url);

	ensure_curl();
	/* the callback first: whatever is created below is freed with cxt */
	c->cleanup.func = client_cleanup;
	c->cleanup.arg = c;
	MemoryContextRegisterResetCallback(cxt, &c->cleanup);
	c->easy = curl_easy_init();
	c->multi = curl_multi_init();
	if (c->easy == NULL || c->multi == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("could not create a curl handle")));
	MemoryContextSwitchTo(oldcxt);
	return c;
}

const char *
s3_client_describe(S3Client *c)
{
	return c->description;
}

/* ---------------------------------------------------------------- curl callbacks */

/* Never raises: on failure tells curl to stop (CURLE_WRITE_ERROR). */
static size_t
write_callback(char *data, size_t size, size_t nmemb, void *arg)
{
	S3Response *r = arg;
	size_t		n = size * nmemb;

	if (r->len + n + 1 > r->cap)
	{
		size_t		want = Max(r->cap * 2, r->len + n + 1);
		char	   *grown;

		/* the announced length at once, when it is believable */
		if (r->content_length > 0 && (size_t) r->content_length + 1 > want &&
			(size_t) r->content_length < MaxAllocHugeSize)
			want = (size_t) r->content_length + 1;
		want = Max(want, 16384);
		if (want >= MaxAllocHugeSize)
		{
			r->out_of_memory = true;
			return 0;
		}
		grown = MemoryContextAllocExtended(r->cxt, want, MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
		if (grown == NULL)
		{
			r->out_of_memory = true;
			return 0;
		}
		if (r->len > 0)
			memcpy(grown, r->body, r->len);
		if (r->body)
			pfree(r->body);
		r->body = grown;
		r->cap = want;
	}
	memcpy(r->body + r->len, data, n);
	r->len += n;
	return n;
}

/* A header line starts with NAME (case-insensitively): its value, trimmed. */
static bool
header_value(const char *line, size_t len, const char *name, char *out, size_t outlen)
{
	size_t		nlen = strlen(name);
	size_t		i,
				j = 0;

	if (len <= nlen || pg_strncasecmp(line, name, nlen) != 0)
		return false;
	for (i = nlen; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	for (; i < len && line[i] != '\r' && line[i] != '\n' && j + 1 < outlen; i++)
		out[j++] = line[i];
	out[j] = '\0';
	return true;
}

/* Content-Length and Content-Range of the response; plain C only. */
static size_t
header_callback(char *line, size_t size, size_t nmemb, void *arg)
{
	S3Response *r = arg;
	size_t		len = size * nmemb;
	char		value[128];

	/* a new response (after 100 Continue, say) starts afresh */
	if (len >= 5 && memcmp(line, "HTTP/", 5) == 0)
	{
		r->content_length = -1;
		r->range_start = -1;
		r->range_total = -1;
	}
	else if (header_value(line, len, "content-length:", value, sizeof(value)))
	{
		char	   *end;
		long long	v = strtoll(value, &end, 10);

		if (end != value && *end == '\0' && v >= 0)
			r->content_length = v;
	}
	else if (header_value(line, len, "content-range:", value, sizeof(value)))
	{
		/* "bytes START-END/TOTAL", or "bytes *\/TOTAL" with a 416 */
		long long	start,
					last,
					total;

		if (sscanf(value, "bytes %lld-%lld/%lld", &start, &last, &total) == 3)
		{
			r->range_start = start;
			r->range_total = total;
		}
		else if (sscanf(value, "bytes */%lld", &total) == 1)
			r->range_total = total;
	}
	return len;
}

/* Stops the transfer on a cancel or past the deadline; never raises. */
static int
xferinfo_callback(void *arg, curl_off_t dltotal, curl_off_t dlnow,
				  curl_off_t ultotal, curl_off_t ulnow)
{
	S3Response *r = arg;

	if (cancel_requested())
	{
		r->canceled = true;
		return 1;
	}
	if (monotonic_ms() >= r->deadline_ms)
	{
		r->deadline_passed = true;
		return 1;
	}
	return 0;
}

/* Hands curl the next bytes of an upload; never raises. */
static size_t
read_callback(char *buf, size_t size, size_t nitems, void *arg)
{
	S3Body	   *b = arg;
	size_t		want = size * nitems;
	size_t		done = 0;
	int64		total = (int64) b->head_len + b->file_len;

	/* a cancel is noticed by xferinfo_callback, which says so in the response */
	while (done < want && b->pos < total)
	{
		size_t		n;

		if (b->pos < (int64) b->head_len)
		{
			n = Min(want - done, b->head_len - (size_t) b->pos);
			memcpy(buf + done, b->head + b->pos, n);
		}
		else
		{
			int64		off = b->pos - (int64) b->head_len;
			ssize_t		got = pread(b->fd, buf + done,
									(size_t) Min((int64) (want - done), b->file_len - off),
									(off_t) off);

			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0)
			{
				b->read_errno = errno;
				return CURL_READFUNC_ABORT;
			}
			if (got == 0)
			{
				b->short_file = true;
				return CURL_READFUNC_ABORT;
			}
			n = (size_t) got;
		}
		done += n;
		b->pos += n;
	}
	return done;
}

/* Rewinds an upload when curl must send it again; never raises. */
static int
seek_callback(void *arg, curl_off_t offset, int origin)
{
	S3Body	   *b = arg;

	if (origin != SEEK_SET || offset < 0 || offset > (curl_off_t) b->head_len + b->file_len)
		return CURL_SEEKFUNC_CANTSEEK;
	b->pos = (int64) offset;
	return CURL_SEEKFUNC_OK;
}

/* ---------------------------------------------------------------- one attempt */

/*
 * Run one METHOD ("GET", "PUT" with BODY, "DELETE") of URL with HEADERS
 * (already built) until it completes, is canceled or passes the deadline.
 * Calls nothing that can raise between adding the handle and removing it.
 */
static CURLcode
perform(S3Client *c, const char *method, const char *url, S3Body *body, S3Response *r)
{
	CURLcode	result = CURLE_OK;
	int64		remaining = Max(r->deadline_ms - monotonic_ms(), 1);
	bool		done = false;

	curl_easy_reset(c->easy);
	c->curl_error[0] = '\0';
	curl_easy_setopt(c->easy, CURLOPT_URL, url);
	if (body != NULL)
	{
		body->pos = 0;
		curl_easy_setopt(c->easy, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c->easy, CURLOPT_READFUNCTION, read_callback);
		curl_easy_setopt(c->easy, CURLOPT_READDATA, body);
		curl_easy_setopt(c->easy, CURLOPT_SEEKFUNCTION, seek_callback);
		curl_easy_setopt(c->easy, CURLOPT_SEEKDATA, body);
		curl_easy_setopt(c->easy, CURLOPT_INFILESIZE_LARGE,
						 (curl_off_t) (body->head_len + body->file_len));
	}
	else
	{
		curl_easy_setopt(c->easy, CURLOPT_HTTPGET, 1L);
		if (strcmp(method, "GET") != 0)
			curl_easy_setopt(c->easy, CURLOPT_CUSTOMREQUEST, method);
	}
	curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(c->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->easy, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c->easy, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c->easy, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(c->easy, CURLOPT_PROTOCOLS, (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(c->easy, CURLOPT_USERAGENT, "milvus_fdw");
	curl_easy_setopt(c->easy, CURLOPT_ERRORBUFFER, c->curl_error);
	curl_easy_setopt(c->easy, CURLOPT_TIMEOUT_MS, (long) remaining);
	curl_easy_setopt(c->easy, CURLOPT_CONNECTTIMEOUT_MS, (long) remaining);
	curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, write_callback);
	curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c->easy, CURLOPT_HEADERFUNCTION, header_callback);
	curl_easy_setopt(c->easy, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c->easy, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c->easy, CURLOPT_XFERINFOFUNCTION, xferinfo_callback);
	curl_easy_setopt(c->easy, CURLOPT_XFERINFODATA, r);
	if (c->ca_cert)
		curl_easy_setopt(c->easy, CURLOPT_CAINFO, c->ca_cert);

	if (curl_multi_add_handle(c->multi, c->easy) != CURLM_OK)
		return CURLE_FAILED_INIT;
	pgstat_report_wait_start(PG_WAIT_EXTENSION);
	while (!done)
	{
		int			running = 0;
		CURLMcode	mc = curl_multi_perform(c->multi, &running);
		CURLMsg    *msg;
		int			left;

		if (mc != CURLM_OK)
		{
			snprintf(c->curl_error, sizeof(c->curl_error), "%s", curl_multi_strerror(mc));
			result = CURLE_RECV_ERROR;
			break;
		}
		while ((msg = curl_multi_info_read(c->multi, &left)) != NULL)
		{
			if (msg->msg == CURLMSG_DONE && msg->easy_handle == c->easy)
			{
				result = msg->data.result;
				done = true;
			}
		}
		if (done || running == 0)
			break;
		if (cancel_requested())
		{
			r->canceled = true;
			result = CURLE_ABORTED_BY_CALLBACK;
			break;
		}
		if (monotonic_ms() >= r->deadline_ms)
		{
			r->deadline_passed = true;
			result = CURLE_OPERATION_TIMEDOUT;
			break;
		}
		mc = curl_multi_poll(c->multi, NULL, 0, WAIT_SLICE_MS, NULL);
		if (mc != CURLM_OK)
		{
			snprintf(c->curl_error, sizeof(c->curl_error), "%s", curl_multi_strerror(mc));
			result = CURLE_RECV_ERROR;
			break;
		}
	}
	pgstat_report_wait_end();
	/* leaving the multi handle ends a transfer still in progress */
	curl_multi_remove_handle(c->multi, c->easy);
	curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &r->status);
	return result;
}

/* ---------------------------------------------------------------- requests */

/* Failures worth another attempt: the network's, not the request's. */
static bool
transient_curl_error(CURLcode rc)
{
	switch (rc)
	{
		case CURLE_COULDNT_CONNECT:
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_SEND_ERROR:
		case CURLE_RECV_ERROR:
		case CURLE_GOT_NOTHING:
		case CURLE_PARTIAL_FILE:
		case CURLE_HTTP2:
		case CURLE_HTTP2_STREAM:
		case CURLE_SSL_CONNECT_ERROR:
			return true;
		default:
			return false;
	}
}

/* The S3 error of a failure answer, when its body is one; else NULLs. */
static S3XmlError
parse_error_body(const S3Response *r)
{
	S3XmlError err;

	memset(&err, 0, sizeof(err));
	if (r->len > 0 &&
		s3xml_parse_error(r->body, r->len, &xml_allocator, &err, NULL, 0) != S3XML_OK)
		memset(&err, 0, sizeof(err));
	return err;
}

static bool
retryable_answer(const S3Response *r)
{
	S3XmlError err;

	if (r->status == 500 || r->status == 502 || r->status == 503 || r->status == 504)
		return true;
	err = parse_error_body(r);
	return err.code != NULL &&
		(strcmp(err.code, "SlowDown") == 0 || strcmp(err.code, "RequestTimeout") == 0 ||
		 strcmp(err.code, "InternalError") == 0);
}

static const char *
curl_reason(S3Client *c, CURLcode rc)
{
	return c->curl_error[0] ? pstrdup(c->curl_error) : curl_easy_strerror(rc);
}

/* Sleep MS milliseconds, or less when a latch or interrupt comes. */
static void
backoff_sleep(int64 ms)
{
	if (ms <= 0)
		return;
	(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					 (long) ms, PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();
}

/*
 * METHOD PATH?QUERY (both encoded) with an optional Range, and for a PUT
 * the BODY, retrying transient failures within the deadline.  Returns with
 * any answer the server gave (the caller judges its status); raises for
 * everything else.  WHAT names the object or listing in messages.
 */
static void
s3_request(S3Client *c, const char *method, const char *path, const char *query,
		   const char *range, S3Body *body, const char *what, S3Response *r)
{
	int64		upload_ms = body ? (int64) ((body->head_len + body->file_len) * 1000.0 / S3_MIN_UPLOAD_RATE) : 0;
	int			timeout_ms = (int) Min((int64) c->timeout_ms + upload_ms, (int64) PG_INT32_MAX);
	int64		deadline = monotonic_ms() + timeout_ms;
	char	   *url = psprintf("%s%s%s%s", c->base_url, path, query[0] ? "?" : "", query);
	const char *last_failure = NULL;
	int			attempt;

	memset(r, 0, sizeof(*r));
	r->cxt = CurrentMemoryContext;
	r->deadline_ms = deadline;

	for (attempt = 1;; attempt++)
	{
		CURLcode	rc;
		char	   *authorization = NULL;
		char		amz_date[17];
		struct curl_slist *h;

		if (monotonic_ms() >= deadline)
			ereport(ERROR,
					(errcode(ERRCODE_CONNECTION_FAILURE),
					 errmsg("object storage at %s did not answer for %s within %d ms",
							c->base_url, what, timeout_ms),
					 last_failure ? errdetail("Last failure: %s (attempt %d).", last_failure, attempt - 1) : 0,
					 errhint("Check the object storage, or raise the server's \"timeout\" option.")));

		if (c->access_key)
		{
			SigV4Request sig;
			const char *error = NULL;

			memset(&sig, 0, sizeof(sig));
			sig.method = method;
			sig.payload_hash = body ? SIGV4_UNSIGNED_PAYLOAD : NULL;
			sig.canonical_uri = path;
			sig.canonical_query = query;
			sig.host = c->authority;
			sig.region = c->region;
			sig.service = "s3";
			sig.access_key = c->access_key;
			sig.secret_key = c->secret_key;
			sig.now = time(NULL);
			authorization = sigv4_authorization(&sig, amz_date, &error);
			if (authorization == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INTERNAL_ERROR),
						 errmsg("could not sign an object storage request: %s", error)));
		}

		/* the header list is freed below, or by the cleanup callback */
		if (c->headers)
			curl_slist_free_all(c->headers);
		c->headers = NULL;
		h = curl_slist_append(NULL, psprintf("Host: %s", c->authority));
		c->headers = h;
		if (h && authorization)
		{
			h = curl_slist_append(h, psprintf("Authorization: %s", authorization));
			h = h ? curl_slist_append(h, psprintf("x-amz-content-sha256: %s",
												   body ? SIGV4_UNSIGNED_PAYLOAD : SIGV4_EMPTY_PAYLOAD_SHA256)) : NULL;
			h = h ? curl_slist_append(h, psprintf("x-amz-date: %s", amz_date)) : NULL;
		}
		if (h && range)
			h = curl_slist_append(h, psprintf("Range: %s", range));
		if (h == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory")));

		r->len = 0;
		r->status = 0;
		r->content_length = -1;
		r->range_start = -1;
		r->range_total = -1;
		r->out_of_memory = r->canceled = r->deadline_passed = false;

		if (body)
		{
			body->read_errno = 0;
			body->short_file = false;
		}
		rc = perform(c, method, url, body, r);
		curl_slist_free_all(c->headers);
		c->headers = NULL;

		/* curl is idle now: we may raise */
		if (r->canceled)
		{
			CHECK_FOR_INTERRUPTS();
			/* a cancel held off by the caller: still stop here */
			ereport(ERROR,
					(errcode(ERRCODE_QUERY_CANCELED),
					 errmsg("canceling object storage request for %s", what)));
		}
		if (body && body->read_errno != 0)
		{
			errno = body->read_errno;
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read the file to upload as %s: %m", what)));
		}
		if (body && body->short_file)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("the file to upload as %s ended before " INT64_FORMAT " bytes",
							what, body->file_len)));
		if (r->out_of_memory)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory while receiving %s", what),
					 r->content_length >= 0 ?
					 errdetail("The answer has " INT64_FORMAT " bytes.", r->content_length) : 0));
		if (rc == CURLE_OK)
		{
			if (r->content_length >= 0 && (int64) r->len != r->content_length)
				last_failure = psprintf("the answer ended after %zu of " INT64_FORMAT " bytes",
										r->len, r->content_length);
			else if (retryable_answer(r) && attempt < S3_MAX_ATTEMPTS)
				last_failure = psprintf("HTTP %ld", r->status);
			else
				break;
		}
		else if (r->deadline_passed || rc == CURLE_OPERATION_TIMEDOUT)
			ereport(ERROR,
					(errcode(ERRCODE_CONNECTION_FAILURE),
					 errmsg("object storage at %s did not answer for %s within %d ms",
							c->base_url, what, timeout_ms),
					 errdetail("curl: %s (attempt %d).", curl_reason(c, rc), attempt),
					 errhint("Check the object storage, or raise the server's \"timeout\" option.")));
		else if (transient_curl_error(rc))
			last_failure = psprintf("curl: %s", curl_reason(c, rc));
		else
			ereport(ERROR,
					(errcode(ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION),
					 errmsg("could not reach object storage at %s for %s", c->base_url, what),
					 errdetail("curl: %s.", curl_reason(c, rc)),
					 c->tls ? errhint("Check the endpoint's certificate (server option storage_ca_cert names the CA file).") :
					 errhint("Check the server option storage_endpoint.")));

		if (attempt >= S3_MAX_ATTEMPTS)
			ereport(ERROR,
					(errcode(rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ?
							 ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION :
							 ERRCODE_CONNECTION_FAILURE),
					 errmsg("could not reach object storage at %s for %s", c->base_url, what),
					 errdetail("%s (after %d attempts).", last_failure, attempt),
					 errhint("Check that MinIO or S3 is running and listening at %s (server option storage_endpoint).",
							 c->authority)));
		backoff_sleep(Min(Min((int64) S3_FIRST_BACKOFF_MS << (attempt - 1), S3_MAX_BACKOFF_MS),
						  deadline - monotonic_ms()));
	}

	/* an answer with no body still gets a buffer, NUL-terminated */
	if (r->body == NULL)
	{
		r->body = palloc(1);
		r->cap = 1;
	}
	r->body[r->len] = '\0';
}

/* Printable start of a non-XML body, for a message. */
static char *
quote_body(const S3Response *r)
{
	size_t		n = Min(r->len, S3_BODY_QUOTE);
	char	   *s = pnstrdup(r->body, n);
	char	   *p;

	for (p = s; *p; p++)
		if ((unsigned char) *p < 0x20)
			*p = ' ';
	return s;
}

/*
 * Raise the ERROR for a failure answer (anything but 200/206/204).  ACTION
 * says what was asked ("return", "store", "delete").
 */
static void
raise_for_answer(S3Client *c, const S3Response *r, const char *what, bool listing,
				 const char *action)
{
	S3XmlError err = parse_error_body(r);
	char	   *detail;

	if (err.code)
		detail = psprintf("S3 error %s: %s", err.code, err.message ? err.message : "(no message)");
	else if (r->len > 0)
		detail = psprintf("HTTP %ld: %s", r->status, quote_body(r));
	else
		detail = psprintf("HTTP %ld with no body.", r->status);

	if (r->status == 401 || r->status == 403)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("object storage at %s denied access to %s", c->base_url, what),
				 errdetail("%s", detail),
				 c->access_key == NULL ?
				 errhint("No credentials were sent: set storage_user and storage_password in a user mapping%s%s%s.",
						 c->server_name ? " for server \"" : "",
						 c->server_name ? c->server_name : "",
						 c->server_name ? "\"" : "") :
				 c->server_name ?
				 errhint("Check storage_user and storage_password in the user mapping for server \"%s\".",
						 c->server_name) :
				 errhint("Check the object storage access key and secret key.")));
	if (r->status == 404 &&
		(listing || (err.code && strcmp(err.code, "NoSuchBucket") == 0)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FILE),
				 errmsg("bucket \"%s\" does not exist at %s", c->bucket, c->base_url),
				 errdetail("%s", detail),
				 errhint("Check the server option bucket.")));
	if (r->status == 404)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FILE),
				 errmsg("%s does not exist", what),
				 errdetail("%s", detail)));
	ereport(ERROR,
			(errcode(ERRCODE_FDW_ERROR),
			 errmsg("object storage at %s failed to %s %s", c->base_url, action, what),
			 errdetail("%s", detail)));
}

/* "/bucket" or "/bucket/key", URI-encoded for the URL and the signature. */
static char *
object_path(S3Client *c, const char *full_key)
{
	StringInfoData path;

	initStringInfo(&path);
	appendStringInfoChar(&path, '/');
	sigv4_uri_encode(&path, c->bucket, false);
	if (full_key)
	{
		appendStringInfoChar(&path, '/');
		sigv4_uri_encode(&path, full_key, true);
	}
	return path.data;
}

List *
s3_client_list(S3Client *c, const char *prefix)
{
	char	   *full_prefix = psprintf("%s%s", c->root, prefix);
	size_t		full_len = strlen(full_prefix);
	size_t		root_len = strlen(c->root);
	char	   *path = object_path(c, NULL);
	char	   *what = psprintf("the listing of \"%s\" in bucket \"%s\"", full_prefix, c->bucket);
	char	   *token = NULL;
	List	   *objects = NIL;
	bool		more = true;
	MemoryContext callercxt = CurrentMemoryContext;
	MemoryContext pagecxt;

	/* each page's body and parse live only until its keys are copied out */
	pagecxt = AllocSetContextCreate(CurrentMemoryContext, "milvus_fdw S3 listing page",
									ALLOCSET_DEFAULT_SIZES);
	while (more)
	{
		SigV4Param	params[4];
		int			nparams = 0;
		char		max_keys[16];
		S3Response	r;
		S3XmlListing listing;
		char		err[160];
		S3XmlStatus st;
		size_t		i;

		params[nparams++] = (SigV4Param) {"list-type", "2"};
		params[nparams++] = (SigV4Param) {"prefix", full_prefix};
		if (c->max_keys > 0)
		{
			snprintf(max_keys, sizeof(max_keys), "%d", c->max_keys);
			params[nparams++] = (SigV4Param) {"max-keys", max_keys};
		}
		if (token)
			params[nparams++] = (SigV4Param) {"continuation-token", token};

		MemoryContextSwitchTo(pagecxt);
		s3_request(c, "GET", path, sigv4_canonical_query(params, nparams), NULL, NULL, what, &r);
		if (r.status != 200)
			raise_for_answer(c, &r, what, true, "return");
		st = s3xml_parse_listing(r.body, r.len, &xml_allocator, &listing, err, sizeof(err));
		if (st == S3XML_NOMEM)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory while parsing %s", what)));
		if (st != S3XML_OK)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
					 errmsg("object storage at %s sent an unreadable answer for %s", c->base_url, what),
					 errdetail("%s.", err)));
		MemoryContextSwitchTo(callercxt);
		for (i = 0; i < listing.nobjects; i++)
		{
			StorageObject *obj;

			if (strncmp(listing.objects[i].key, full_prefix, full_len) != 0)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_ERROR),
						 errmsg("object storage at %s listed key \"%s\" for prefix \"%s\"",
								c->base_url, listing.objects[i].key, full_prefix)));
			obj = palloc(sizeof(StorageObject));
			obj->key = pstrdup(listing.objects[i].key + root_len);
			obj->size = listing.objects[i].size;
			objects = lappend(objects, obj);
		}
		more = listing.is_truncated;
		if (more && token && strcmp(token, listing.next_token) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("object storage at %s repeated a continuation token for %s",
							c->base_url, what)));
		if (token)
			pfree(token);
		token = more ? pstrdup(listing.next_token) : NULL;
		MemoryContextReset(pagecxt);
		CHECK_FOR_INTERRUPTS();
	}
	MemoryContextDelete(pagecxt);
	/* S3 sends keys in this order already; the contract does not rely on it */
	list_sort(objects, storage_object_cmp);
	return objects;
}

char *
s3_client_get(S3Client *c, const char *key, int64 offset, int64 length, size_t *len_out)
{
	char	   *full_key = psprintf("%s%s", c->root, key);
	char	   *what = psprintf("object \"%s\" in bucket \"%s\"", full_key, c->bucket);
	char	   *range = NULL;
	S3Response	r;
	size_t		n;

	/* HTTP ranges are inclusive; none can say "no bytes", so 0 reads one */
	if (length == 0)
		range = psprintf("bytes=" INT64_FORMAT "-" INT64_FORMAT, offset, offset);
	else if (length > 0)
		range = psprintf("bytes=" INT64_FORMAT "-" INT64_FORMAT, offset, offset + length - 1);
	else if (offset > 0)
		range = psprintf("bytes=" INT64_FORMAT "-", offset);

	s3_request(c, "GET", object_path(c, full_key), "", range, NULL, what, &r);
	if (r.status == 416)
	{
		/* an empty object has no byte 0: reading from 0 gives nothing */
		if (offset == 0)
		{
			*len_out = 0;
			r.body[0] = '\0';
			return r.body;
		}
		storage_range_error(key, offset, r.range_total);
	}
	if (r.status != 200 && r.status != 206)
		raise_for_answer(c, &r, what, false, "return");

	n = r.len;
	if (r.status == 206 && r.range_start != offset)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("object storage at %s sent the wrong range of %s", c->base_url, what),
				 errdetail("Asked for bytes from " INT64_FORMAT ", got from " INT64_FORMAT ".",
						   offset, r.range_start)));
	if (r.status == 200 && range != NULL)
	{
		/* the server ignored Range and sent it all: cut it here */
		if (offset > 0 && (size_t) offset >= r.len)
			storage_range_error(key, offset, (int64) r.len);
		n = r.len - Min((size_t) offset, r.len);
		memmove(r.body, r.body + Min((size_t) offset, r.len), n);
	}
	if (length >= 0 && (int64) n > length)
		n = (size_t) length;
	r.body[n] = '\0';
	*len_out = n;
	return r.body;
}

/*
 * PUT object KEY: HEAD_LEN bytes of HEAD, then the first FILE_LEN bytes of
 * virtual file FILE (-1: none), as one PutObject with an unsigned payload.
 * curl's read callback uses the file's descriptor with plain pread(): it
 * must not raise, and nothing opens files (which could make fd.c close it)
 * while the request runs.
 */
void
s3_client_put(S3Client *c, const char *key, const char *head, size_t head_len,
			  File file, int64 file_len)
{
	char	   *full_key = psprintf("%s%s", c->root, key);
	char	   *what = psprintf("object \"%s\" in bucket \"%s\"", full_key, c->bucket);
	S3Body		body;
	S3Response	r;

	memset(&body, 0, sizeof(body));
	body.head = head;
	body.head_len = head_len;
	body.fd = -1;
	if (file >= 0 && file_len > 0)
	{
		/* opened again if fd.c closed it to stay below its limit */
		if (FileSize(file) < 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not open the data to upload as %s: %m", what)));
		body.fd = FileGetRawDesc(file);
		body.file_len = file_len;
	}
	s3_request(c, "PUT", object_path(c, full_key), "", NULL, &body, what, &r);
	if (r.status != 200)
		raise_for_answer(c, &r, what, false, "store");
	pfree(r.body);
}

/* DELETE object KEY; S3 answers 204 whether or not it existed. */
void
s3_client_delete(S3Client *c, const char *key)
{
	char	   *full_key = psprintf("%s%s", c->root, key);
	char	   *what = psprintf("object \"%s\" in bucket \"%s\"", full_key, c->bucket);
	S3Response	r;

	s3_request(c, "DELETE", object_path(c, full_key), "", NULL, NULL, what, &r);
	if (r.status != 204 && r.status != 200 && r.status != 404)
		raise_for_answer(c, &r, what, false, "delete");
	pfree(r.body);
}

/* KEY as Milvus names it: the object key with the root path, in the bucket. */
char *
s3_client_full_key(S3Client *c, const char *key)
{
	return psprintf("%s%s", c->root, key);
}
