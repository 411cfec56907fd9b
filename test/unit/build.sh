#!/usr/bin/env bash
# Builds test/unit/binlog_dump, the standalone driver of the binlog and
# Parquet readers (src/binlog), without PostgreSQL.
#
#   test/unit/build.sh [OUTPUT] [--no-sanitize]
#
# Default output: test/unit/build/binlog_dump.  Uses $CC (else cc) with -O2
# -Wall -Wextra and, when the compiler supports them, AddressSanitizer and
# UndefinedBehaviorSanitizer, so that the damaged-input tests catch
# over-reads rather than just surviving them.  Prints the binary's path.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-$here/build/binlog_dump}"
sanitize=1
[ "${2:-}" = "--no-sanitize" ] && sanitize=0
cc="${CC:-cc}"
mkdir -p "$(dirname "$out")"

flags=(-std=c99 -O2 -g -Wall -Wextra -I"$root/src/binlog")
if [ "$sanitize" = 1 ]; then
  probe="$(mktemp -d)"
  trap 'rm -rf "$probe"' EXIT
  echo 'int main(void){return 0;}' > "$probe/t.c"
  if "$cc" -fsanitize=address,undefined -fno-sanitize-recover=undefined \
       "$probe/t.c" -o "$probe/t" 2>/dev/null; then
    flags+=(-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  else
    echo "build.sh: $cc lacks -fsanitize=address,undefined; building without" >&2
  fi
fi

"$cc" "${flags[@]}" -o "$out" \
  "$here/binlog_dump.c" \
  "$root/src/binlog/binlog.c" "$root/src/binlog/parquet.c" "$root/src/binlog/thrift_compact.c" \
  -lzstd -lm
echo "$out"
