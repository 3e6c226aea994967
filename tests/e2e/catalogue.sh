# Every broken program in tests/programs/bad/ is refused by `check` with the
# exit status and the messages its .expect file names (first line: status;
# each further line: a text that must appear on stderr).
. "$(dirname "$0")/lib.sh"
n=0
for y in tests/programs/bad/*.yaml; do
    exp=${y%.yaml}.expect
    [ -f "$exp" ] || { fail "$y has no .expect file"; continue; }
    n=$((n + 1))
    run_muqir check "$y"
    want=$(head -n 1 "$exp")
    expect_rc "check $y exits $want" "$want"
    while IFS= read -r line; do
        [ -n "$line" ] && expect_in "check $y says: $line" "$T/err" "$line"
    done < <(tail -n +2 "$exp")
    # Nothing is written to stdout for a bad program: no partial running order.
    check "check $y prints no running order" test ! -s "$T/out"
done
above "catalogue has at least 15 broken programs" "$n" 14

# render refuses a broken program the same way, before any audio work.
run_muqir render tests/programs/bad/yaml-syntax.yaml -o "$T/x.wav"
expect_rc "render of a syntax error exits 2" 2
if grep -qE '^tests/programs/bad/yaml-syntax.yaml:[0-9]+:[0-9]+: ' "$T/err"; then
    pass "render reports FILE:LINE:COLUMN"
else
    fail "render reports FILE:LINE:COLUMN: $(cat "$T/err")"
fi
check "render of a broken program writes no file" test ! -e "$T/x.wav"
