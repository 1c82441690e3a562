#!/bin/sh
# ctest helper for the examples' bad-input exits (examples/CMakeLists.txt):
#   expect_error.sh EXPECTED PROGRAM [ARGS...]
# passes when PROGRAM exits with 1 after printing exactly one line on stderr, of the form
# "<program>: error: ...", that contains EXPECTED.
expected=$1
shift
program=$(basename "$1")
err=$("$@" 2>&1 >/dev/null)
rc=$?
fail() {
  printf 'FAIL: %s\n  exit code: %s\n  stderr:\n%s\n' "$1" "$rc" "$err"
  exit 1
}
[ "$rc" -eq 1 ] || fail "expected exit code 1"
[ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] || fail "expected one line on stderr"
case $err in
  "$program: error: "*) ;;
  *) fail "expected the line to start with '$program: error: '" ;;
esac
case $err in
  *"$expected"*) ;;
  *) fail "expected the line to contain '$expected'" ;;
esac
printf '%s\n' "$err"
