/*
 * fuzz_parquet.c
 *		libFuzzer target of the Parquet reader (src/binlog/parquet.c): any
 *		input must end in a result or an error, never a crash, an over-read,
 *		a huge allocation or an inconsistent column.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "parquet.h"

static volatile unsigned sink;

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FuzzArena	arena = {0};
	PqMem		mem = fuzz_mem(&arena);
	PqError		err;
	PqFile		file;
	int64_t		rows;
	bool		have_rows;

	have_rows = pq_file_num_rows(data, size, &rows, &err);
	if (pq_open(data, size, &mem, &file, &err))
	{
		int			c;

		/* The cheap row count must agree with the full footer parse. */
		if (!have_rows || rows != file.num_rows)
			abort();
		for (c = 0; c < file.num_columns && c < 4; c++)
		{
			PqColumn	col;

			if (pq_read(&file, c, &mem, &col, &err))
			{
				if (col.num_rows != file.num_rows)
					abort();
				sink += fuzz_check_column(&col);
			}
			else if (memchr(err.msg, '\0', sizeof(err.msg)) == NULL || err.msg[0] == '\0')
				abort();		/* every failure explains itself */
		}
	}
	fuzz_arena_free(&arena);
	return 0;
}
