#!/usr/bin/env bash
# Builds the libFuzzer targets of the binlog and Parquet readers (src/binlog)
# with clang's -fsanitize=fuzzer,address,undefined and runs each for a
# bounded time.  Exits nonzero if a target crashes (the reproducer is kept
# under $FUZZ_OUT/artifacts and named in the output).
#
#   test/fuzz/run.sh [SECONDS_PER_TARGET] [SEED_DIR...]
#
# SECONDS_PER_TARGET defaults to 30.  Seeds: the committed corpus in
# test/fuzz/corpus/{binlog,parquet}, plus every file under each SEED_DIR
# (e.g. the output of test/binlog_capture.py): binlog files seed the binlog
# target, and their Parquet payloads (extracted here) the Parquet target.
# Work files go to $FUZZ_OUT (default: a fresh temporary directory).
# Needs clang-14 (or $CLANG) and libFuzzer (Debian: libclang-rt-14-dev).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
seconds="${1:-30}"
shift || true
clang="${CLANG:-$(command -v clang-14 || command -v clang || true)}"
if [ -z "$clang" ]; then
  echo "run.sh: no clang found (set CLANG)" >&2
  exit 2
fi
out="${FUZZ_OUT:-$(mktemp -d /tmp/binlog_fuzz.XXXXXX)}"
mkdir -p "$out/bin" "$out/artifacts"

flags=(-std=c99 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -fno-omit-frame-pointer -I"$root/src/binlog")
readers=("$root/src/binlog/binlog.c" "$root/src/binlog/parquet.c" "$root/src/binlog/thrift_compact.c")
for target in fuzz_parquet fuzz_binlog; do
  "$clang" "${flags[@]}" -o "$out/bin/$target" "$here/$target.c" "${readers[@]}" -lzstd
done

# Seeds: committed corpus + binlogs from the seed dirs + their payloads.
mkdir -p "$out/seeds/binlog" "$out/seeds/parquet" "$out/corpus/binlog" "$out/corpus/parquet"
cp "$here"/corpus/binlog/* "$out/seeds/binlog/" 2>/dev/null || true
cp "$here"/corpus/parquet/* "$out/seeds/parquet/" 2>/dev/null || true
if [ $# -gt 0 ]; then
  python3 - "$out/seeds" "$@" <<'PY'
import hashlib, os, struct, sys
out, dirs = sys.argv[1], sys.argv[2:]
MAGIC = b"\xbc\xfa\xff\x00"
def save(kind, data):
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(out, kind, name), "wb") as f:
        f.write(data)
for d in dirs:
    for root, _, files in os.walk(d):
        for fn in files:
            data = open(os.path.join(root, fn), "rb").read()
            if not data.startswith(MAGIC) or len(data) > 256 * 1024:
                continue
            save("binlog", data)
            pos = 4
            while pos + 17 <= len(data):        # walk events by their length
                length = struct.unpack_from("<i", data, pos + 9)[0]
                if length < 17 or pos + length > len(data):
                    break
                if data[pos + 8] in (1, 2):
                    save("parquet", data[pos + 33:pos + length])
                pos += length
PY
fi
echo "run.sh: seeds: $(ls "$out/seeds/binlog" | wc -l) binlog, $(ls "$out/seeds/parquet" | wc -l) parquet; work dir $out"

status=0
for target in fuzz_parquet fuzz_binlog; do
  kind="${target#fuzz_}"
  log="$out/$target.log"
  echo "run.sh: $target for ${seconds}s"
  if "$out/bin/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -dict="$here/binlog.dict" -artifact_prefix="$out/artifacts/$target-" \
       -print_final_stats=1 "$out/corpus/$kind" "$out/seeds/$kind" > "$log" 2>&1; then
    grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$log" | sed "s/^/  /"
    grep -E "^#[0-9]+ +DONE" "$log" | tail -1 | sed "s/^/  /" || true
  else
    status=1
    echo "run.sh: $target FAILED; last lines of $log:" >&2
    tail -40 "$log" >&2
    ls "$out/artifacts" >&2
  fi
done
exit $status
