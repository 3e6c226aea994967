# Limits: texts too long to speak in one item or one program, text files over
# the size limit, numbers of thousands of digits — each refused (or read) with
# a clear message in seconds, never a hang or gigabytes of memory. (The YAML
# limits — aliases, nesting, counts — are unit-tested in test_limits.)
. "$(dirname "$0")/lib.sh"
export XDG_CACHE_HOME="$T/cache"

# timed DESC MAXSECS MAXMB CMD...: runs CMD (as run_muqir), checks time and
# peak memory (not under ASan, whose shadow memory would count).
timed() {
    local d=$1 maxs=$2 maxmb=$3; shift 3
    local t0 t1
    t0=$(date +%s.%N)
    # Peak resident memory of the command (its children's, from getrusage).
    python3 -c 'import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:], stdout=open(sys.argv[1] + "/out", "w"), stderr=open(sys.argv[1] + "/err", "w"))
open(sys.argv[1] + "/mem", "w").write("%d\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(rc)' "$T" "$MUQIR" "$@"
    RC=$?
    t1=$(date +%s.%N)
    local secs kb
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
    kb=$(tail -n 1 "$T/mem")
    check "$d: under $maxs s ($secs s)" awk -v s="$secs" -v m="$maxs" 'BEGIN { exit !(s < m) }'
    if [ -z "${ASAN:-}" ] && ! ldd "$MUQIR" | grep -q libasan; then
        check "$d: under $maxmb MB (${kb:-?} KB)" test "${kb:-0}" -lt $((maxmb * 1024))
    fi
}

# One item with 100,000 syllables (some 7 hours of speech).
python3 - "$T" <<'PY'
import sys
t = sys.argv[1]
s = open('content/texts/03-bianqi-limin.txt', encoding='utf-8').read()
run = ''.join(c for c in s if '\u4e00' <= c <= '\u9fff')
open(t + '/long.txt', 'w', encoding='utf-8').write((run * 80)[:100000] + '。\n')
open(t + '/19k.txt', 'w', encoding='utf-8').write((run * 20)[:19000] + '。\n')
with open(t + '/many.yaml', 'w', encoding='utf-8') as f:
    f.write('title: 太长\nitems:\n' + '  - read: 19k.txt\n' * 20)
PY
printf 'title: 太长\nitems:\n  - announce: 你好。\n  - read: long.txt\n' > "$T/long.yaml"
timed "check of a 100,000-syllable item" 30 400 check "$T/long.yaml"
expect_rc "a 100,000-syllable item is refused" 2
expect_in "it says where and why" "$T/err" "$T/long.yaml:4:5: the text is too long for one item: 100000 syllables"
expect_in "it says what to do" "$T/err" "split it into several items"
check "check prints no running order" test ! -s "$T/out"
timed "render of a 100,000-syllable item" 30 400 render "$T/long.yaml" -o "$T/long.wav"
expect_rc "render refuses it too" 2
check "render writes nothing" test ! -e "$T/long.wav"

# A program that adds up to more than a day of speech.
timed "check of 20 items of 19,000 syllables" 60 500 check "$T/many.yaml"
expect_rc "a program of 380,000 syllables is refused" 2
expect_in "it says the program has too much to say" "$T/err" "the program has too much to say"

# A text file over 4 MB.
python3 -c "import sys; open(sys.argv[1], 'w').write('好' * 1500000)" "$T/huge.txt"
printf 'title: 太大\nitems:\n  - read: huge.txt\n' > "$T/huge.yaml"
timed "check of a 4.5 MB text file" 10 300 check "$T/huge.yaml"
expect_rc "a 4.5 MB text file is refused" 2
expect_in "as larger than 4 MB" "$T/err" "'huge.txt' is larger than 4 MB"

# Numbers of thousands of digits and a megabyte without punctuation, in
# pinyin: read (digit by digit), quickly.
python3 -c "import sys; open(sys.argv[1], 'w').write('共' + '9' * 5000 + '个，' + '1' * 3000 + '.' + '5' * 3000 + '%\n')" "$T/digits.txt"
timed "pinyin of 11,000 digits" 10 200 pinyin -f "$T/digits.txt"
expect_rc "pinyin reads numbers of thousands of digits" 0
expect_in "digit by digit" "$T/out" "jiu3 jiu3 jiu3"
python3 -c "import sys; open(sys.argv[1], 'w').write('乌兰牧骑' * 80000 + 'ABC' * 20000 + '\n')" "$T/run.txt"
timed "pinyin of a 1 MB line without punctuation" 30 400 pinyin -f "$T/run.txt"
expect_rc "pinyin reads it" 0
longest=$(tr '|' '\n' < "$T/out" | awk '{ if (NF > m) m = NF } END { print m + 0 }')
check "no phrase of more than 64 syllables (longest $longest)" test "$longest" -le 64
