/*-------------------------------------------------------------------------
 *
 * options.c
 *		Every milvus_fdw option: where it is allowed, how its value is
 *		checked, and its resolved form with defaults.
 *
 * One table lists them all; the validator, the resolvers and the error
 * hints read it, so an option is added in one place.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/reloptions.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_user_mapping.h"
#include "commands/defrem.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"

#include "milvus_fdw.h"

typedef enum OptionKind
{
	OPT_TEXT,					/* any non-empty text */
	OPT_NAME,					/* a Milvus identifier */
	OPT_INT,					/* integer within [min, max] */
	OPT_SECONDS,				/* positive number of seconds */
	OPT_BOOL,
	OPT_URI,					/* http://host[:port] or https://host[:port] */
	OPT_ENDPOINT,				/* host:port, optionally with a scheme */
	OPT_FILE,					/* absolute path; only superusers set it */
	OPT_CHOICE,					/* one of a fixed list, case-insensitive */
	OPT_JSON					/* a JSON object */
} OptionKind;

typedef struct MilvusOption
{
	const char *name;
	Oid			context;		/* catalog of the object it belongs to */
	OptionKind	kind;
	int			min;			/* OPT_INT bounds */
	int			max;
	const char *const *choices; /* OPT_CHOICE, NULL-terminated */
	bool		secret;			/* refused outside user mappings */
} MilvusOption;

static const char *const consistency_choices[] = {
	"Strong", "Session", "Bounded", "Eventually", "Collection", NULL
};
/* Milvus field types a column may ask for when milvus_fdw creates a collection */
static const char *const milvus_type_choices[] = {
	"Bool", "Int8", "Int16", "Int32", "Int64", "Float", "Double", "VarChar",
	"JSON", "Array", "FloatVector", "BinaryVector", "Float16Vector",
	"BFloat16Vector", "SparseFloatVector", NULL
};
static const char *const insert_mode_choices[] = {"insert", "upsert", NULL};
static const char *const scan_method_choices[] = {"auto", "query", "binlog", NULL};
static const char *const insert_method_choices[] = {"insert", "import", NULL};
static const char *const metric_choices[] = {
	"L2", "IP", "COSINE", "HAMMING", "JACCARD", NULL
};

/*
 * The option table.  Keep it in step with the README's option reference.
 */
static const MilvusOption milvus_options[] = {
	/* server: where Milvus is */
	{"host", ForeignServerRelationId, OPT_TEXT},
	{"port", ForeignServerRelationId, OPT_INT, 1, 65535},
	{"uri", ForeignServerRelationId, OPT_URI},
	{"use_tls", ForeignServerRelationId, OPT_BOOL},
	{"database", ForeignServerRelationId, OPT_NAME},
	{"ca_cert", ForeignServerRelationId, OPT_FILE},
	{"client_cert", ForeignServerRelationId, OPT_FILE},
	{"client_key", ForeignServerRelationId, OPT_FILE},
	{"server_name", ForeignServerRelationId, OPT_TEXT},
	{"timeout", ForeignServerRelationId, OPT_SECONDS},
	/* server: Milvus's object storage */
	{"storage_endpoint", ForeignServerRelationId, OPT_ENDPOINT},
	{"bucket", ForeignServerRelationId, OPT_TEXT},
	{"root_path", ForeignServerRelationId, OPT_TEXT},
	{"storage_use_ssl", ForeignServerRelationId, OPT_BOOL},
	{"storage_region", ForeignServerRelationId, OPT_TEXT},
	{"storage_path", ForeignServerRelationId, OPT_FILE},
	{"storage_ca_cert", ForeignServerRelationId, OPT_FILE},

	/* user mapping: credentials */
	{"user", UserMappingRelationId, OPT_TEXT, 0, 0, NULL, true},
	{"password", UserMappingRelationId, OPT_TEXT, 0, 0, NULL, true},
	{"token", UserMappingRelationId, OPT_TEXT, 0, 0, NULL, true},
	{"storage_user", UserMappingRelationId, OPT_TEXT, 0, 0, NULL, true},
	{"storage_password", UserMappingRelationId, OPT_TEXT, 0, 0, NULL, true},
	{"password_required", UserMappingRelationId, OPT_BOOL},

	/* foreign table: which collection and how to write it */
	{"collection", ForeignTableRelationId, OPT_NAME},
	{"partition", ForeignTableRelationId, OPT_NAME},
	{"primary_key", ForeignTableRelationId, OPT_NAME},
	{"vector_field", ForeignTableRelationId, OPT_NAME},
	{"dim", ForeignTableRelationId, OPT_INT, 1, MILVUS_MAX_DIM},
	{"auto_id", ForeignTableRelationId, OPT_BOOL},
	{"batch_size", ForeignTableRelationId, OPT_INT, 1, 1000000},
	{"consistency_level", ForeignTableRelationId, OPT_CHOICE, 0, 0, consistency_choices},
	{"insert_mode", ForeignTableRelationId, OPT_CHOICE, 0, 0, insert_mode_choices},
	{"insert_method", ForeignTableRelationId, OPT_CHOICE, 0, 0, insert_method_choices},
	{"index_type", ForeignTableRelationId, OPT_NAME},
	{"metric_type", ForeignTableRelationId, OPT_CHOICE, 0, 0, metric_choices},
	{"search_params", ForeignTableRelationId, OPT_JSON},
	{"scan_method", ForeignTableRelationId, OPT_CHOICE, 0, 0, scan_method_choices},
	{"binlog_flush", ForeignTableRelationId, OPT_BOOL},

	/* column */
	{"field", AttributeRelationId, OPT_NAME},
	{"type", AttributeRelationId, OPT_CHOICE, 0, 0, milvus_type_choices},

	{NULL}
};

static const char *
context_name(Oid context)
{
	switch (context)
	{
		case ForeignServerRelationId:
			return "a foreign server";
		case UserMappingRelationId:
			return "a user mapping";
		case ForeignTableRelationId:
			return "a foreign table";
		case AttributeRelationId:
			return "a foreign table column";
		default:
			return "this object";
	}
}

static const MilvusOption *
find_option(const char *name, Oid context)
{
	const MilvusOption *opt;

	for (opt = milvus_options; opt->name; opt++)
		if (opt->context == context && strcmp(opt->name, name) == 0)
			return opt;
	return NULL;
}

static const MilvusOption *
find_option_anywhere(const char *name)
{
	const MilvusOption *opt;

	for (opt = milvus_options; opt->name; opt++)
		if (strcmp(opt->name, name) == 0)
			return opt;
	return NULL;
}

static char *
valid_options_list(Oid context)
{
	StringInfoData buf;
	const MilvusOption *opt;

	initStringInfo(&buf);
	for (opt = milvus_options; opt->name; opt++)
	{
		if (opt->context != context)
			continue;
		appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "", opt->name);
	}
	return buf.len > 0 ? buf.data : "<none>";
}

static void
report_unknown_option(const char *name, Oid context)
{
	const MilvusOption *elsewhere = find_option_anywhere(name);

	if (elsewhere && elsewhere->secret)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("option \"%s\" is not allowed on %s", name, context_name(context)),
				 errdetail("Credentials are kept only in user mappings, where other users cannot read them."),
				 errhint("Use CREATE USER MAPPING ... SERVER ... OPTIONS (%s '...').", name)));
	if (elsewhere)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("invalid option \"%s\" for %s", name, context_name(context)),
				 errdetail("Option \"%s\" belongs to %s.", name, context_name(elsewhere->context)),
				 errhint("Valid options in this context are: %s", valid_options_list(context))));
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
			 errmsg("invalid option \"%s\"", name),
			 errhint("Valid options in this context are: %s", valid_options_list(context))));
}

static void
report_bad_value(const char *name, const char *value, const char *expected)
{
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
			 errmsg("invalid value for option \"%s\": \"%s\"", name, value),
			 errdetail("%s", expected)));
}

/*
 * Parse a Milvus URI: http://host[:port], https://host[:port] (TLS) or
 * tcp://host[:port].  Returns false on a malformed URI.
 */
static bool
parse_uri(const char *uri, char **host, int *port, bool *tls)
{
	const char *rest;
	const char *colon;
	const char *end;
	char	   *endptr;
	long		p;

	if (pg_strncasecmp(uri, "https://", 8) == 0)
	{
		*tls = true;
		rest = uri + 8;
	}
	else if (pg_strncasecmp(uri, "http://", 7) == 0)
	{
		*tls = false;
		rest = uri + 7;
	}
	else if (pg_strncasecmp(uri, "tcp://", 6) == 0)
	{
		*tls = false;
		rest = uri + 6;
	}
	else
		return false;

	/* the host ends at ':' (port), '/' (ignored path) or the end */
	end = rest + strcspn(rest, "/");
	colon = memchr(rest, ':', end - rest);
	if ((colon ? colon : end) == rest)
		return false;
	*host = pnstrdup(rest, (colon ? colon : end) - rest);
	if (strpbrk(*host, " @?#[]") != NULL)
		return false;
	if (colon)
	{
		errno = 0;
		p = strtol(colon + 1, &endptr, 10);
		if (errno != 0 || endptr != end || endptr == colon + 1 || p < 1 || p > 65535)
			return false;
		*port = (int) p;
	}
	else
		*port = *tls ? MILVUS_DEFAULT_TLS_PORT : MILVUS_DEFAULT_PORT;
	return true;
}

static int
parse_int_option(const char *name, const char *value, int min, int max)
{
	char	   *end;
	long		v;

	errno = 0;
	v = strtol(value, &end, 10);
	while (*end == ' ')
		end++;
	if (errno != 0 || end == value || *end != '\0' || v < min || v > max)
		report_bad_value(name, value,
						 psprintf("Option \"%s\" must be an integer from %d to %d.",
								  name, min, max));
	return (int) v;
}

static int
parse_seconds_option(const char *name, const char *value)
{
	char	   *end;
	double		v;

	errno = 0;
	v = strtod(value, &end);
	if (errno != 0 || end == value || *end != '\0' || isnan(v) || v <= 0 || v > 86400)
		report_bad_value(name, value,
						 psprintf("Option \"%s\" is a number of seconds greater than 0 and at most 86400.",
								  name));
	return (int) Max(1, v * 1000);
}

static bool
parse_bool_option(const char *name, const char *value)
{
	bool		result;

	if (!parse_bool(value, &result))
		report_bad_value(name, value,
						 psprintf("Option \"%s\" takes a boolean value: true or false.", name));
	return result;
}

static int
parse_choice_option(const MilvusOption *opt, const char *value)
{
	int			i;
	StringInfoData buf;

	for (i = 0; opt->choices[i]; i++)
		if (pg_strcasecmp(opt->choices[i], value) == 0)
			return i;
	initStringInfo(&buf);
	for (i = 0; opt->choices[i]; i++)
		appendStringInfo(&buf, "%s%s", i ? ", " : "", opt->choices[i]);
	report_bad_value(opt->name, value,
					 psprintf("Option \"%s\" must be one of: %s.", opt->name, buf.data));
	return -1;
}

/*
 * Milvus names: a letter or underscore, then letters, digits and
 * underscores (the rule Milvus applies to collections, fields, partitions and
 * databases), up to 255 characters.  Field names may also be "$meta".
 */
static bool
valid_milvus_name(const char *name)
{
	const char *p;

	if (strcmp(name, "$meta") == 0)
		return true;
	if (name[0] == '\0' || strlen(name) > 255)
		return false;
	if (!(isalpha((unsigned char) name[0]) || name[0] == '_'))
		return false;
	for (p = name + 1; *p; p++)
		if (!(isalnum((unsigned char) *p) || *p == '_'))
			return false;
	return true;
}

static void
check_value(const MilvusOption *opt, const char *value)
{
	switch (opt->kind)
	{
		case OPT_TEXT:
			if (value[0] == '\0')
				report_bad_value(opt->name, value,
								 psprintf("Option \"%s\" must not be empty.", opt->name));
			break;
		case OPT_NAME:
			if (!valid_milvus_name(value))
				report_bad_value(opt->name, value,
								 "Milvus names start with a letter or underscore and contain only letters, digits and underscores (at most 255).");
			break;
		case OPT_INT:
			(void) parse_int_option(opt->name, value, opt->min, opt->max);
			break;
		case OPT_SECONDS:
			(void) parse_seconds_option(opt->name, value);
			break;
		case OPT_BOOL:
			(void) parse_bool_option(opt->name, value);
			break;
		case OPT_URI:
			{
				char	   *host;
				int			port;
				bool		tls;

				if (!parse_uri(value, &host, &port, &tls))
					report_bad_value(opt->name, value,
									 "A Milvus URI looks like http://host:19530, or https://host[:port] for TLS.");
				break;
			}
		case OPT_ENDPOINT:
			if (value[0] == '\0' || strchr(value, ' ') != NULL)
				report_bad_value(opt->name, value,
								 "An object storage endpoint looks like host:port or http(s)://host:port.");
			break;
		case OPT_FILE:
			if (!is_absolute_path(value))
				report_bad_value(opt->name, value,
								 psprintf("Option \"%s\" must be an absolute path.", opt->name));
			if (!superuser())
				ereport(ERROR,
						(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						 errmsg("only superusers can set option \"%s\"", opt->name),
						 errdetail("The file is read by the server process.")));
			break;
		case OPT_CHOICE:
			(void) parse_choice_option(opt, value);
			break;
		case OPT_JSON:
			{
				MemoryContext cxt = CurrentMemoryContext;
				bool		object = false;

				PG_TRY();
				{
					Datum		j = DirectFunctionCall1(jsonb_in, CStringGetDatum(value));

					object = JB_ROOT_IS_OBJECT(DatumGetJsonbP(j));
				}
				PG_CATCH();
				{
					/* not JSON at all: say so in this option's terms */
					MemoryContextSwitchTo(cxt);
					FlushErrorState();
				}
				PG_END_TRY();
				if (!object)
					report_bad_value(opt->name, value,
									 psprintf("Option \"%s\" is a JSON object, such as {\"ef\": 64}.", opt->name));
				break;
			}
	}
}

/* Cross-option rules, checked on the complete option list of one object. */
static void
check_combination(List *options, Oid context)
{
	ListCell   *lc;
	bool		has_uri = false,
				has_host = false,
				has_port = false,
				has_path = false,
				has_endpoint = false,
				has_cert = false,
				has_key = false,
				has_token = false,
				has_password = false;

	foreach(lc, options)
	{
		DefElem    *def = lfirst_node(DefElem, lc);

		has_uri |= strcmp(def->defname, "uri") == 0;
		has_host |= strcmp(def->defname, "host") == 0;
		has_port |= strcmp(def->defname, "port") == 0;
		has_path |= strcmp(def->defname, "storage_path") == 0;
		has_endpoint |= strcmp(def->defname, "storage_endpoint") == 0;
		has_cert |= strcmp(def->defname, "client_cert") == 0;
		has_key |= strcmp(def->defname, "client_key") == 0;
		has_token |= strcmp(def->defname, "token") == 0;
		has_password |= strcmp(def->defname, "password") == 0;

		if (context == UserMappingRelationId &&
			strcmp(def->defname, "password_required") == 0 &&
			!superuser() && !defGetBoolean(def))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("password_required=false is superuser-only"),
					 errhint("User mappings with the password_required option set to false may only be created or modified by the superuser.")));
	}

	if (has_uri && (has_host || has_port))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("options \"uri\" and \"%s\" conflict", has_host ? "host" : "port"),
				 errhint("Give either uri, or host and port.")));
	if (has_path && has_endpoint)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("options \"storage_path\" and \"storage_endpoint\" conflict"),
				 errhint("Use storage_path for a Milvus with local storage, storage_endpoint for MinIO or S3.")));
	if (has_cert != has_key)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("option \"%s\" needs option \"%s\"",
						has_cert ? "client_cert" : "client_key",
						has_cert ? "client_key" : "client_cert")));
	if (has_token && has_password)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("options \"token\" and \"password\" conflict"),
				 errhint("A token is either an API key or \"user:password\"; give one or the other.")));
}

PG_FUNCTION_INFO_V1(milvus_fdw_validator);

/*
 * Validate the options of a CREATE/ALTER of any object that uses milvus_fdw.
 */
Datum
milvus_fdw_validator(PG_FUNCTION_ARGS)
{
	List	   *options = untransformRelOptions(PG_GETARG_DATUM(0));
	Oid			context = PG_GETARG_OID(1);
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def = lfirst_node(DefElem, lc);
		const MilvusOption *opt = find_option(def->defname, context);

		if (opt == NULL)
			report_unknown_option(def->defname, context);
		check_value(opt, defGetString(def));
	}
	check_combination(options, context);

	PG_RETURN_VOID();
}

/* ---- resolved options ---- */

void
milvus_server_options(ForeignServer *server, MilvusServerOptions *opts)
{
	ListCell   *lc;

	memset(opts, 0, sizeof(*opts));
	opts->host = MILVUS_DEFAULT_HOST;
	opts->port = MILVUS_DEFAULT_PORT;
	opts->database = MILVUS_DEFAULT_DATABASE;
	opts->timeout_ms = MILVUS_DEFAULT_TIMEOUT_MS;
	opts->bucket = "a-bucket";
	opts->root_path = "files";
	opts->storage_region = "us-east-1";

	foreach(lc, server->options)
	{
		DefElem    *def = lfirst_node(DefElem, lc);
		const char *name = def->defname;
		char	   *value = defGetString(def);

		if (strcmp(name, "host") == 0)
			opts->host = value;
		else if (strcmp(name, "port") == 0)
			opts->port = parse_int_option(name, value, 1, 65535);
		else if (strcmp(name, "uri") == 0)
		{
			if (!parse_uri(value, &opts->host, &opts->port, &opts->use_tls))
				report_bad_value(name, value, "malformed URI");
		}
		else if (strcmp(name, "use_tls") == 0)
			opts->use_tls |= parse_bool_option(name, value);
		else if (strcmp(name, "database") == 0)
			opts->database = value;
		else if (strcmp(name, "ca_cert") == 0)
			opts->ca_cert = value;
		else if (strcmp(name, "client_cert") == 0)
			opts->client_cert = value;
		else if (strcmp(name, "client_key") == 0)
			opts->client_key = value;
		else if (strcmp(name, "server_name") == 0)
			opts->server_name = value;
		else if (strcmp(name, "timeout") == 0)
			opts->timeout_ms = parse_seconds_option(name, value);
		else if (strcmp(name, "storage_endpoint") == 0)
			opts->storage_endpoint = value;
		else if (strcmp(name, "bucket") == 0)
			opts->bucket = value;
		else if (strcmp(name, "root_path") == 0)
			opts->root_path = value;
		else if (strcmp(name, "storage_use_ssl") == 0)
			opts->storage_use_ssl = parse_bool_option(name, value);
		else if (strcmp(name, "storage_region") == 0)
			opts->storage_region = value;
		else if (strcmp(name, "storage_path") == 0)
			opts->storage_path = value;
	}
	/* TLS material implies TLS, as with the connector's secure options */
	if (opts->ca_cert || opts->client_cert)
		opts->use_tls = true;
}

void
milvus_user_options(UserMapping *mapping, MilvusUserOptions *opts)
{
	ListCell   *lc;

	memset(opts, 0, sizeof(*opts));
	opts->password_required = true;
	if (mapping == NULL)
		return;
	opts->has_mapping = true;
	foreach(lc, mapping->options)
	{
		DefElem    *def = lfirst_node(DefElem, lc);
		const char *name = def->defname;

		if (strcmp(name, "user") == 0)
			opts->user = defGetString(def);
		else if (strcmp(name, "password") == 0)
			opts->password = defGetString(def);
		else if (strcmp(name, "token") == 0)
			opts->token = defGetString(def);
		else if (strcmp(name, "storage_user") == 0)
			opts->storage_user = defGetString(def);
		else if (strcmp(name, "storage_password") == 0)
			opts->storage_password = defGetString(def);
		else if (strcmp(name, "password_required") == 0)
			opts->password_required = defGetBoolean(def);
	}
}

void
milvus_table_options(ForeignTable *table, MilvusTableOptions *opts)
{
	ListCell   *lc;

	memset(opts, 0, sizeof(*opts));
	opts->collection = get_rel_name(table->relid);
	opts->batch_size = MILVUS_DEFAULT_BATCH_SIZE;
	/*
	 * Strong by default: a read sees every write committed before it, from
	 * any session, as SQL users (and Spark jobs that write, then read) expect.
	 * 'Collection' follows the collection's own level, as pymilvus does.
	 */
	opts->consistency_level = MILVUS_CONSISTENCY_STRONG;
	/* index_type and metric_type stay NULL: schema.c picks per vector type */

	foreach(lc, table->options)
	{
		DefElem    *def = lfirst_node(DefElem, lc);
		const char *name = def->defname;
		char	   *value = defGetString(def);

		if (strcmp(name, "collection") == 0)
			opts->collection = value;
		else if (strcmp(name, "partition") == 0)
			opts->partition = value;
		else if (strcmp(name, "primary_key") == 0)
			opts->primary_key = value;
		else if (strcmp(name, "vector_field") == 0)
			opts->vector_field = value;
		else if (strcmp(name, "dim") == 0)
			opts->dim = parse_int_option(name, value, 1, MILVUS_MAX_DIM);
		else if (strcmp(name, "auto_id") == 0)
			opts->auto_id = parse_bool_option(name, value);
		else if (strcmp(name, "batch_size") == 0)
			opts->batch_size = parse_int_option(name, value, 1, 1000000);
		else if (strcmp(name, "consistency_level") == 0)
		{
			opts->consistency_level = parse_choice_option(find_option(name, ForeignTableRelationId), value);
			if (opts->consistency_level == MILVUS_CONSISTENCY_COLLECTION)
				opts->consistency_level = -1;
		}
		else if (strcmp(name, "insert_mode") == 0)
			opts->upsert = pg_strcasecmp(value, "upsert") == 0;
		else if (strcmp(name, "index_type") == 0)
			opts->index_type = value;
		else if (strcmp(name, "search_params") == 0)
			opts->search_params = value;
		else if (strcmp(name, "insert_method") == 0)
			opts->insert_method = parse_choice_option(find_option(name, ForeignTableRelationId), value);
		else if (strcmp(name, "binlog_flush") == 0)
			opts->binlog_no_flush = !parse_bool_option(name, value);
		else if (strcmp(name, "scan_method") == 0)
			opts->scan_method = parse_choice_option(find_option(name, ForeignTableRelationId), value);
		else if (strcmp(name, "metric_type") == 0)
			opts->metric_type = (char *) metric_choices[parse_choice_option(find_option(name, ForeignTableRelationId), value)];
	}
}

/* A foreign table's partition option, or NULL. */
char *
milvus_table_partition(Oid relid)
{
	MilvusTableOptions opts;

	milvus_table_options(GetForeignTable(relid), &opts);
	return opts.partition;
}

/* A column's option, or NULL. */
char *
milvus_column_option(Oid relid, AttrNumber attnum, const char *name)
{
	List	   *options = GetForeignColumnOptions(relid, attnum);
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def = lfirst_node(DefElem, lc);

		if (strcmp(def->defname, name) == 0)
			return defGetString(def);
	}
	return NULL;
}

/* The Milvus field behind a column: its "field" option, else its name. */
char *
milvus_column_field_name(Oid relid, AttrNumber attnum)
{
	char	   *field = milvus_column_option(relid, attnum, "field");

	return field ? field : get_attname(relid, attnum, false);
}

const char *
milvus_consistency_name(int level)
{
	if (level < 0 || level >= MILVUS_CONSISTENCY_COLLECTION)
		return "collection default";
	return consistency_choices[level];
}
