# lib.sh — helpers for end-to-end tests: each check prints PASS/FAIL lines
# that tests/run counts. MUQIR is the binary under test.
set -u
: "${MUQIR:=build/muqir}"
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
T=$(mktemp -d /tmp/muqir-e2e.XXXXXX)
trap 'rm -rf "$T"' EXIT

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; }
# check DESC CMD...: passes when CMD succeeds.
check() { local d=$1; shift; if "$@"; then pass "$d"; else fail "$d"; fi; }
# run_muqir ARGS...: runs muqir, leaving stdout in $T/out, stderr in $T/err, status in $RC.
run_muqir() { "$MUQIR" "$@" >"$T/out" 2>"$T/err"; RC=$?; }
# expect_rc DESC WANT
expect_rc() {
    if [ "$RC" -eq "$2" ]; then pass "$1"; else fail "$1: exit $RC, want $2; stderr: $(head -c 400 "$T/err")"; fi
}
# expect_in DESC FILE TEXT: TEXT occurs in FILE.
expect_in() {
    if grep -qF -- "$3" "$2"; then pass "$1"; else fail "$1: '$3' not in: $(head -c 600 "$2")"; fi
}
# near DESC GOT WANT TOL: |GOT - WANT| <= TOL (decimals).
near() {
    if awk -v g="$2" -v w="$3" -v t="$4" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(d <= t) }'; then
        pass "$1 ($2 ~ $3 +- $4)"
    else
        fail "$1: got $2, want $3 +- $4"
    fi
}
# above DESC GOT MIN
above() {
    if awk -v g="$2" -v m="$3" 'BEGIN { exit !(g > m) }'; then pass "$1 ($2 > $3)"; else fail "$1: $2 is not > $3"; fi
}
