/*-------------------------------------------------------------------------
 *
 * grpc_call.h
 *		Unary gRPC calls over gRPC C core, safe inside a PostgreSQL backend.
 *
 * Knows nothing of Milvus messages or of the executor: it moves bytes with a
 * deadline, honours query cancel and reports a wait event.  It never raises
 * an ERROR while a call is pending; callers turn results into ERRORs.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MILVUS_GRPC_CALL_H
#define MILVUS_GRPC_CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct MvChannel MvChannel;

typedef struct MvChannelConfig
{
	const char *target;			/* "host:port" */
	bool		use_tls;
	const char *ca_pem;			/* PEM text, NULL for the default roots */
	const char *cert_pem;		/* client certificate chain, or NULL */
	const char *key_pem;		/* client private key, or NULL */
	const char *server_name;	/* TLS name override, or NULL */
} MvChannelConfig;

typedef struct MvMetadata
{
	const char *key;
	const char *value;
} MvMetadata;

#define MV_MESSAGE_LEN 512

typedef struct MvCallResult
{
	int			status;			/* grpc_status_code; 0 = OK */
	char		message[MV_MESSAGE_LEN];	/* gRPC status details */
	uint8_t    *response;		/* palloc'd response bytes, when status 0 */
	size_t		response_len;
	size_t		request_len;
} MvCallResult;

/* gRPC status codes we treat specially (values fixed by gRPC). */
#define MV_GRPC_OK					0
#define MV_GRPC_CANCELLED			1
#define MV_GRPC_DEADLINE_EXCEEDED	4
#define MV_GRPC_PERMISSION_DENIED	7
#define MV_GRPC_RESOURCE_EXHAUSTED	8
#define MV_GRPC_UNIMPLEMENTED		12
#define MV_GRPC_UNAVAILABLE			14
#define MV_GRPC_UNAUTHENTICATED		16

/*
 * A request body allocated by gRPC, so that gRPC sends it without copying it
 * (a 768-dim batch is ~3 MB; a copy of every batch costs as much as encoding
 * it).  Fill mv_request_data() and release it when the call is over; it is
 * malloc'd, outside memory contexts: callers release it in a PG_FINALLY.
 */
typedef struct MvRequest MvRequest;

extern MvChannel *mv_channel_create(const MvChannelConfig *config);
extern void mv_channel_destroy(MvChannel *channel);
extern bool mv_channel_failed(MvChannel *channel);
extern void mv_unary_call(MvChannel *channel, const char *method,
						  const MvMetadata *metadata, int n_metadata,
						  MvRequest *request, int timeout_ms,
						  MvCallResult *result);
extern MvRequest *mv_request_create(size_t len);
extern uint8_t *mv_request_data(MvRequest *request);
extern void mv_request_release(MvRequest *request);
extern const char *mv_grpc_status_name(int status);

#endif							/* MILVUS_GRPC_CALL_H */
