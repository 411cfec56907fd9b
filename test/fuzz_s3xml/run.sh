#!/usr/bin/env bash
# Builds and runs the checks of src/storage/s3_xml.c, the S3 XML parser:
# the known-answer tests (unit_s3xml.c), then the libFuzzer target
# (fuzz_s3xml.c) with ASan and UBSan for a bounded time, starting from the
# seed documents in corpus/ (real MinIO answers).
#
# Usage: test/fuzz_s3xml/run.sh [SECONDS]     (default 60; FUZZ_SECONDS too)
# Builds into $FUZZ_WORK (default /tmp/milvus_fdw_fuzz_s3xml); a crash leaves
# its input there and the exit status non-zero.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
src="$here/../../src/storage"
seconds=${1:-${FUZZ_SECONDS:-60}}
work=${FUZZ_WORK:-/tmp/milvus_fdw_fuzz_s3xml}
clang=${CLANG:-}
if [ -z "$clang" ]; then
  for c in clang-14 clang /usr/bin/clang-14; do
    if command -v "$c" >/dev/null 2>&1; then clang=$c; break; fi
  done
fi
[ -n "$clang" ] || { echo "run.sh: no clang found (apt-get install clang-14 libclang-rt-14-dev)" >&2; exit 1; }
mkdir -p "$work/corpus"

flags=(-std=c99 -g -O1 -Wall -Wextra -Werror -I"$src" -fsanitize=address,undefined
       -fno-sanitize-recover=undefined)

"$clang" "${flags[@]}" "$here/unit_s3xml.c" "$src/s3_xml.c" -o "$work/unit_s3xml"
# The known-answer test leaks its results on purpose.
ASAN_OPTIONS=detect_leaks=0 "$work/unit_s3xml"

if ! "$clang" "${flags[@]}" -fsanitize=fuzzer "$here/fuzz_s3xml.c" "$src/s3_xml.c" \
       -o "$work/fuzz_s3xml" 2>"$work/build.log"; then
  cat "$work/build.log" >&2
  echo "run.sh: building the fuzzer failed (libFuzzer is in libclang-rt-14-dev)" >&2
  exit 1
fi
# corpus/ is read-only input; new inputs go to the work directory's corpus.
cd "$work"
"$work/fuzz_s3xml" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
  -dict="$here/s3xml.dict" -print_final_stats=1 "$work/corpus" "$here/corpus" 2>&1 | tail -n 25
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ]; then
  echo "run.sh: the fuzzer failed (status $status); crash inputs are in $work" >&2
  exit "$status"
fi
echo "fuzz_s3xml: no crash in ${seconds}s"
