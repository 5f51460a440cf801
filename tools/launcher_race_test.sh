#!/usr/bin/env bash
# Two first invocations of ./cnnc at once on a fresh clone: the launcher builds once, under a
# lock, and both print the version (before the lock, the second failed with "cnnc: build failed"
# and 85 lines of Maven errors). Run by .ci/run, which starts from a fresh clone.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rm -f cli/target/.cnnc-built
out="$(mktemp -d)"
./cnnc --version >"$out/1" 2>&1 & first=$!
sleep 1
./cnnc --version >"$out/2" 2>&1 & second=$!
status=0
wait "$first" || status=1
wait "$second" || status=1
for f in "$out/1" "$out/2"; do
  if ! grep -q '^cnnc [0-9]' "$f"; then status=1; fi
done
if [[ $status -ne 0 ]]; then
  echo "launcher race: FAILED"; cat "$out/1" "$out/2"; exit 1
fi
echo "launcher race: both printed the version; $(grep -c 'waiting for another' "$out/1" "$out/2" | awk -F: '{s+=$2} END {print s}') waited for the other's build"
