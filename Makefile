# milvus_fdw — PGXS build.
#
# Generates C from our own subset of Milvus's gRPC API (src/proto/*.proto) with
# protoc-c, then builds the extension against gRPC C core, protobuf-c, libcurl
# and libzstd.

MODULE_big = milvus_fdw
EXTENSION  = milvus_fdw
DATA       = sql/milvus_fdw--1.0.sql
PGFILEDESC = "milvus_fdw - foreign data wrapper for Milvus"

PROTOS     = $(wildcard src/proto/*.proto)
PROTO_C    = $(PROTOS:.proto=.pb-c.c)
PROTO_H    = $(PROTOS:.proto=.pb-c.h)
PROTO_OBJS = $(PROTOS:.proto=.pb-c.o)

OBJS = \
	milvus_fdw.o \
	src/options.o \
	src/connection.o \
	src/admin.o \
	src/schema.o \
	src/convert.o \
	src/modify.o \
	src/scan.o \
	src/distance.o \
	src/upper.o \
	src/deparse.o \
	src/segments.o \
	src/binlog_scan.o \
	src/import.o src/import_writer.o \
	src/milvus/grpc_call.o \
	$(patsubst %.c,%.o,$(wildcard src/binlog/*.c src/storage/*.c)) \
	$(PROTO_OBJS)

# Regression suites: sql/<name>.sql with expected/<name>.out, every file but
# the extension script. scripts/test.sh runs them against live servers.
REGRESS = $(filter-out milvus_fdw--%,$(patsubst sql/%.sql,%,$(wildcard sql/*.sql)))

PG_CONFIG ?= pg_config
PG_CPPFLAGS = -Isrc -Isrc/proto -Isrc/milvus $(shell pkg-config --cflags grpc libprotobuf-c)
PG_CFLAGS   = -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare
SHLIB_LINK  = $(shell pkg-config --libs grpc libprotobuf-c libcurl libzstd) -lpthread
EXTRA_CLEAN = $(PROTO_C) $(PROTO_H)

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# Generated code is not ours: build it without our extra warnings.
$(PROTO_OBJS): CFLAGS += -Wno-extra -Wno-unused-parameter

src/proto/%.pb-c.c src/proto/%.pb-c.h: src/proto/%.proto $(PROTOS)
	protoc-c --proto_path=src/proto --c_out=src/proto $(notdir $<)

# Every object may include the generated headers.
$(filter-out $(PROTO_OBJS),$(OBJS)): $(PROTO_H) milvus_fdw.h

.PHONY: print-regress
print-regress:
	@echo $(REGRESS)

# Every element of every vector written is checked for NaN/Inf (convert.c):
# let gcc vectorize that loop, as pgvector does for its distance loops.
src/convert.o: CFLAGS += -ftree-vectorize -fvect-cost-model=dynamic
