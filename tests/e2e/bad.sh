# The catalogue of bad command lines (tests/bad/cmdline.tsv): each is refused
# with its exit status and message, leaves no file behind, and never crashes.
# (Bad programs, texts and audio files are in tests/programs/bad/, run by
# catalogue.sh.)
. "$(dirname "$0")/lib.sh"
P=$PWD/tests/programs/good/minimal.yaml
B=$PWD/tests/bad/programs/files
n=0
while IFS=$'\t' read -r want args text; do
    case $want in ''|'#'*) continue ;; esac
    n=$((n + 1))
    rm -rf "${T:?}"/* && : > "$T/file" && mkdir "$T/dir.wav"
    args=$(eval "printf '%s\n' $args")   # expand $T, $P, $B; one word a line
    mapfile -t argv <<<"$args"
    text=$(eval "printf '%s' \"$text\"")
    run_muqir "${argv[@]}"
    expect_rc "muqir ${argv[*]} exits $want" "$want"
    expect_in "muqir ${argv[*]} says: $text" "$T/err" "$text"
    left=$(cd "$T" && ls -A | grep -vxE 'file|dir\.wav|out|err')
    check "muqir ${argv[*]} leaves no file (${left:-none})" test -z "$left"
done < tests/bad/cmdline.tsv
above "at least 30 bad command lines" "$n" 29

# Programs the loader accepts but whose texts or audio files are bad
# (tests/bad/programs/, .expect as in tests/programs/bad/): `check` and
# `render` both refuse them with the file named, before any output exists.
m=0
for y in tests/bad/programs/*.yaml; do
    exp=${y%.yaml}.expect
    [ -f "$exp" ] || { fail "$y has no .expect file"; continue; }
    m=$((m + 1))
    want=$(head -n 1 "$exp")
    for cmd in check render; do
        rm -rf "${T:?}"/*
        if [ $cmd = check ]; then run_muqir check "$y"; else run_muqir render "$y" -o "$T/x.wav"; fi
        expect_rc "$cmd $y exits $want" "$want"
        while IFS= read -r line; do
            [ -n "$line" ] && expect_in "$cmd $y says: $line" "$T/err" "$line"
        done < <(tail -n +2 "$exp")
        left=$(cd "$T" && ls -A | grep -vxE 'out|err')
        check "$cmd $y leaves no file (${left:-none})" test -z "$left"
    done
done
above "at least 10 programs with bad texts or audio" "$m" 9
