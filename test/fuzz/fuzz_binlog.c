/*
 * fuzz_binlog.c
 *		libFuzzer target of the binlog reader (src/binlog/binlog.c): event
 *		framing, descriptor extras JSON, insert-log columns and delta-log
 *		entries (JSON, legacy and MULTI_FIELD forms).
 */
#include <stdint.h>
#include <string.h>

#include "binlog.h"
#include "fuzz_common.h"

static volatile unsigned sink;

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FuzzArena	arena = {0};
	PqMem		mem = fuzz_mem(&arena);
	PqError		err;
	BinlogFile	file;

	if (binlog_parse(data, size, &mem, &file, &err))
	{
		PqColumn	col;
		BinlogDeletes del;
		int			i;

		if (file.num_events < 1 || file.extras[file.extras_len] != '\0')
			abort();
		for (i = 0; i < file.num_events; i++)
		{
			const BinlogEvent *e = &file.events[i];

			if (e->payload < data || e->payload + e->payload_len > data + size)
				abort();
		}
		if (binlog_read_field(data, size, &mem, NULL, &col, &err))
			sink += fuzz_check_column(&col);
		if (binlog_read_deletes(data, size, &mem, &del, &err))
		{
			int64_t		k;

			for (k = 0; k < del.count; k++)
			{
				sink += (unsigned) del.timestamps[k];
				if (del.pk_is_string)
				{
					if (del.pk_offsets[k + 1] < del.pk_offsets[k])
						abort();
					if (del.pk_offsets[k + 1] > del.pk_offsets[k])
						sink += del.pk_data[del.pk_offsets[k + 1] - 1];
				}
				else
					sink += (unsigned) del.int_pks[k];
			}
		}
	}
	fuzz_arena_free(&arena);
	return 0;
}
