/*-------------------------------------------------------------------------
 *
 * grpc_call.c
 *		Channels and unary calls over gRPC C core inside a PostgreSQL backend.
 *
 * Rules kept here, because a backend is single-threaded and gRPC is not:
 *  - gRPC is initialised lazily, in the backend, never in the postmaster.
 *  - Every gRPC entry point runs with all signals blocked, so any thread
 *    gRPC starts inherits a full mask and PostgreSQL's handlers only ever
 *    run on the backend's own thread.
 *  - We wait on the completion queue in short slices; between slices the
 *    signals are unblocked, and a pending cancel or terminate cancels the
 *    call, which is drained before we return.  No ERROR is raised while a
 *    call is pending: CHECK_FOR_INTERRUPTS runs only after cleanup.
 *  - gRPC's threads never touch PostgreSQL memory: bytes are copied into
 *    palloc'd memory on this thread after the call completed.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <pthread.h>
#include <signal.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>

#include "miscadmin.h"
#include "utils/memutils.h"
#include "utils/wait_event.h"

#include "grpc_call.h"

/* How long one wait slice lasts: bounds the reaction time to a cancel. */
#define WAIT_SLICE_MS 50

struct MvChannel
{
	grpc_channel *channel;
};

static bool grpc_initialised = false;
static grpc_completion_queue *call_queue = NULL;

static void
block_signals(sigset_t *saved)
{
	sigset_t	all;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, saved);
}

static void
restore_signals(const sigset_t *saved)
{
	pthread_sigmask(SIG_SETMASK, saved, NULL);
}

/* Called with signals blocked. */
static void
ensure_grpc(void)
{
	if (grpc_initialised)
		return;
	grpc_init();
	call_queue = grpc_completion_queue_create_for_next(NULL);
	grpc_initialised = true;
}

static grpc_arg
int_arg(const char *key, int value)
{
	grpc_arg	arg;

	arg.type = GRPC_ARG_INTEGER;
	arg.key = (char *) key;
	arg.value.integer = value;
	return arg;
}

MvChannel *
mv_channel_create(const MvChannelConfig *config)
{
	MvChannel  *ch;
	grpc_arg	args[10];
	int			nargs = 0;
	grpc_channel_args channel_args;
	grpc_channel_credentials *creds;
	sigset_t	saved;

	/* gRPC's threads must never be forked into every backend. */
	if (!IsUnderPostmaster && IsPostmasterEnvironment)
		elog(ERROR, "milvus_fdw: gRPC must not be initialised in the postmaster");

	ch = MemoryContextAllocZero(TopMemoryContext, sizeof(MvChannel));

	/* Milvus answers can be large; its own limits apply on the server. */
	args[nargs++] = int_arg(GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, -1);
	args[nargs++] = int_arg(GRPC_ARG_MAX_SEND_MESSAGE_LENGTH, -1);
	/*
	 * Reconnect quickly after a server restart instead of backing off.  The
	 * minimum (also the connect timeout) stays gRPC's: a slow peer is not a
	 * dead one, and the call's own deadline bounds the wait.
	 */
	args[nargs++] = int_arg(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
	args[nargs++] = int_arg(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
	/* Detect dead peers during long calls. */
	args[nargs++] = int_arg(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
	args[nargs++] = int_arg(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
	/* Retries are ours to decide: only idempotent calls are retried. */
	args[nargs++] = int_arg(GRPC_ARG_ENABLE_RETRIES, 0);
	if (config->use_tls && config->server_name)
	{
		grpc_arg	name;

		name.type = GRPC_ARG_STRING;
		name.key = GRPC_SSL_TARGET_NAME_OVERRIDE_ARG;
		name.value.string = (char *) config->server_name;
		args[nargs++] = name;
	}
	channel_args.num_args = nargs;
	channel_args.args = args;

	block_signals(&saved);
	ensure_grpc();
	if (config->use_tls)
	{
		grpc_ssl_pem_key_cert_pair pair;

		pair.private_key = config->key_pem;
		pair.cert_chain = config->cert_pem;
		creds = grpc_ssl_credentials_create(config->ca_pem,
											config->cert_pem ? &pair : NULL,
											NULL, NULL);
	}
	else
		creds = grpc_insecure_credentials_create();
	ch->channel = grpc_channel_create(config->target, creds, &channel_args);
	grpc_channel_credentials_release(creds);
	restore_signals(&saved);

	return ch;
}

void
mv_channel_destroy(MvChannel *channel)
{
	sigset_t	saved;

	if (channel == NULL)
		return;
	block_signals(&saved);
	grpc_channel_destroy(channel->channel);
	restore_signals(&saved);
	pfree(channel);
}

/*
 * True when the channel's connection failed and gRPC is backing off: a fresh
 * channel connects at once, which is what a user expects after a restart.
 */
bool
mv_channel_failed(MvChannel *channel)
{
	grpc_connectivity_state state;
	sigset_t	saved;

	block_signals(&saved);
	state = grpc_channel_check_connectivity_state(channel->channel, 0);
	restore_signals(&saved);
	return state == GRPC_CHANNEL_TRANSIENT_FAILURE ||
		state == GRPC_CHANNEL_SHUTDOWN;
}

static bool
cancel_requested(void)
{
	return QueryCancelPending || ProcDiePending;
}

/* Copy the received message into palloc'd memory; false on out-of-memory. */
static bool
copy_response(grpc_byte_buffer *buffer, MvCallResult *result)
{
	grpc_byte_buffer_reader reader;
	grpc_slice	slice;
	size_t		len = grpc_byte_buffer_length(buffer);
	size_t		off = 0;

	result->response = palloc_extended(len + 1, MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
	if (result->response == NULL)
		return false;
	if (!grpc_byte_buffer_reader_init(&reader, buffer))
		return false;
	while (grpc_byte_buffer_reader_next(&reader, &slice))
	{
		size_t		n = GRPC_SLICE_LENGTH(slice);

		if (off + n <= len)
			memcpy(result->response + off, GRPC_SLICE_START_PTR(slice), n);
		off += n;
		grpc_slice_unref(slice);
	}
	grpc_byte_buffer_reader_destroy(&reader);
	result->response_len = Min(off, len);
	return true;
}

struct MvRequest
{
	grpc_slice	body;
};

/*
 * gRPC's slices are refcounted: the send below takes its own reference, so
 * the body stays valid for as long as gRPC's transport may still read it,
 * even after a cancelled call has returned.  Only malloc and free happen
 * here: no gRPC thread is started, no signal mask is needed.
 */
MvRequest *
mv_request_create(size_t len)
{
	MvRequest  *request = palloc(sizeof(MvRequest));

	request->body = grpc_slice_malloc(len);
	return request;
}

uint8_t *
mv_request_data(MvRequest *request)
{
	return GRPC_SLICE_START_PTR(request->body);
}

void
mv_request_release(MvRequest *request)
{
	if (request == NULL)
		return;
	grpc_slice_unref(request->body);
	pfree(request);
}

void
mv_unary_call(MvChannel *channel, const char *method,
			  const MvMetadata *metadata, int n_metadata,
			  MvRequest *request, int timeout_ms, MvCallResult *result)
{
	grpc_metadata md[8];
	grpc_metadata_array initial_md;
	grpc_metadata_array trailing_md;
	grpc_byte_buffer *send_buffer;
	grpc_byte_buffer *recv_buffer = NULL;
	grpc_status_code status = GRPC_STATUS_UNKNOWN;
	grpc_slice	details = grpc_empty_slice();
	grpc_slice	method_slice;
	grpc_call  *call;
	grpc_call_error start_error;
	grpc_op		ops[6];
	gpr_timespec deadline;
	bool		cancelled = false;
	sigset_t	saved;
	int			i;

	memset(result, 0, sizeof(*result));
	result->request_len = GRPC_SLICE_LENGTH(request->body);
	Assert(n_metadata <= (int) lengthof(md));
	memset(md, 0, sizeof(md));

	block_signals(&saved);
	ensure_grpc();

	/*
	 * Copies, never "static" slices of our strings: gRPC's HPACK encoder keeps
	 * the slices it has sent (the path above all) for the channel's life and
	 * compares later calls' against them, so a static slice of palloc'd
	 * memory becomes a dangling pointer that a later call reads (a segfault
	 * in memcmp once the memory is unmapped).
	 */
	method_slice = grpc_slice_from_copied_string(method);
	for (i = 0; i < n_metadata; i++)
	{
		md[i].key = grpc_slice_from_copied_string(metadata[i].key);
		md[i].value = grpc_slice_from_copied_string(metadata[i].value);
	}
	grpc_metadata_array_init(&initial_md);
	grpc_metadata_array_init(&trailing_md);

	deadline = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
							gpr_time_from_millis(timeout_ms, GPR_TIMESPAN));
	call = grpc_channel_create_call(channel->channel, NULL,
									GRPC_PROPAGATE_DEFAULTS, call_queue,
									method_slice, NULL, deadline, NULL);

	/* takes a reference to the body: no copy */
	send_buffer = grpc_raw_byte_buffer_create(&request->body, 1);

	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[0].data.send_initial_metadata.count = n_metadata;
	ops[0].data.send_initial_metadata.metadata = md;
	ops[1].op = GRPC_OP_SEND_MESSAGE;
	ops[1].data.send_message.send_message = send_buffer;
	ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
	ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
	ops[3].data.recv_initial_metadata.recv_initial_metadata = &initial_md;
	ops[4].op = GRPC_OP_RECV_MESSAGE;
	ops[4].data.recv_message.recv_message = &recv_buffer;
	ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	ops[5].data.recv_status_on_client.trailing_metadata = &trailing_md;
	ops[5].data.recv_status_on_client.status = &status;
	ops[5].data.recv_status_on_client.status_details = &details;

	start_error = grpc_call_start_batch(call, ops, lengthof(ops), call, NULL);
	restore_signals(&saved);

	if (start_error == GRPC_CALL_OK)
	{
		pgstat_report_wait_start(PG_WAIT_EXTENSION);
		for (;;)
		{
			grpc_event	ev;

			block_signals(&saved);
			ev = grpc_completion_queue_next(call_queue,
											gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
														 gpr_time_from_millis(WAIT_SLICE_MS, GPR_TIMESPAN)),
											NULL);
			restore_signals(&saved);
			/* pending signals are delivered here, setting the flags */
			if (ev.type == GRPC_OP_COMPLETE)
				break;
			if (ev.type == GRPC_QUEUE_SHUTDOWN)
				break;
			if (!cancelled && cancel_requested())
			{
				block_signals(&saved);
				grpc_call_cancel(call, NULL);
				restore_signals(&saved);
				cancelled = true;
			}
		}
		pgstat_report_wait_end();
	}
	else
	{
		status = GRPC_STATUS_INTERNAL;
		snprintf(result->message, sizeof(result->message),
				 "grpc_call_start_batch failed with error %d", (int) start_error);
	}

	result->status = (int) status;
	if (start_error == GRPC_CALL_OK && GRPC_SLICE_LENGTH(details) > 0)
	{
		size_t		n = Min(GRPC_SLICE_LENGTH(details), sizeof(result->message) - 1);

		memcpy(result->message, GRPC_SLICE_START_PTR(details), n);
		result->message[n] = '\0';
	}
	if (status == GRPC_STATUS_OK)
	{
		if (recv_buffer == NULL)
		{
			/* OK without a message: treat as an empty message */
			result->response = palloc0(1);
			result->response_len = 0;
		}
		else if (!copy_response(recv_buffer, result))
		{
			result->status = GRPC_STATUS_RESOURCE_EXHAUSTED;
			strlcpy(result->message, "out of memory while receiving the response",
					sizeof(result->message));
		}
	}

	block_signals(&saved);
	if (recv_buffer)
		grpc_byte_buffer_destroy(recv_buffer);
	grpc_byte_buffer_destroy(send_buffer);
	grpc_slice_unref(details);
	grpc_metadata_array_destroy(&initial_md);
	grpc_metadata_array_destroy(&trailing_md);
	for (i = 0; i < n_metadata; i++)
	{
		grpc_slice_unref(md[i].key);
		grpc_slice_unref(md[i].value);
	}
	grpc_call_unref(call);
	grpc_slice_unref(method_slice);
	restore_signals(&saved);

	/* Everything is released: now a cancel may raise its ERROR. */
	if (cancelled)
		CHECK_FOR_INTERRUPTS();
}

const char *
mv_grpc_status_name(int status)
{
	static const char *const names[] = {
		"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
		"NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
		"FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
		"INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"
	};

	if (status >= 0 && status < (int) lengthof(names))
		return names[status];
	return "UNKNOWN";
}
