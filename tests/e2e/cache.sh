# The render cache, parallel synthesis and reproducible output.
. "$(dirname "$0")/lib.sh"
export XDG_CACHE_HOME="$T/cache" SOURCE_DATE_EPOCH=1700000000

cp scripts/demo.yaml "$T/p.yaml" 2>/dev/null
sed -i "s|\.\./content/|$PWD/content/|g" "$T/p.yaml"

# Two renders of the same program are bit-identical; so are a serial and a
# parallel synthesis.
run_muqir render "$T/p.yaml" -o "$T/a.wav" --jobs 2
expect_rc "first render (2 processes)" 0
expect_in "the first render synthesizes every speech item" "$T/err" "from the cache"
n=$(sed -n 's/.*speech: \([0-9]*\) items\? synthesized.*/\1/p' "$T/err")
above "it synthesized the speech items" "${n:-0}" 0
run_muqir render "$T/p.yaml" -o "$T/b.wav" --no-cache --jobs 1
expect_rc "a serial render without the cache" 0
check "serial and parallel renders are bit-identical" cmp -s "$T/a.wav" "$T/b.wav"
run_muqir render "$T/p.yaml" -o "$T/c.wav"
expect_rc "a cached re-render" 0
expect_in "an unchanged re-render reuses the output (tests/e2e/outcache.sh)" "$T/err" "output reused from the cache"
check "a cached re-render is bit-identical" cmp -s "$T/a.wav" "$T/c.wav"
# Without the output cache's entries: the speech cache alone.
drop_outputs() { find "$T/cache" \( -name '*.mqo' -o -name '*.mqd' \) -delete; }
drop_outputs
run_muqir render "$T/p.yaml" -o "$T/c.wav"
expect_rc "a re-render from the speech cache" 0
expect_in "the re-render takes all speech from the cache" "$T/err" "speech: 0 items synthesized"
check "a re-render from the speech cache is bit-identical" cmp -s "$T/a.wav" "$T/c.wav"

# Editing one item re-synthesizes only it.
python3 - "$T/p.yaml" <<'PY'
import re, sys
p = sys.argv[1]; s = open(p, encoding='utf-8').read()
m = re.search(r'^\s*-?\s*announce: .*$', s, re.M)
s = s[:m.end()] + '另外，今天有风。' + s[m.end():]
open(p, 'w', encoding='utf-8').write(s)
PY
run_muqir render "$T/p.yaml" -o "$T/d.wav"
expect_rc "render after editing one item" 0
expect_in "only the edited item is synthesized" "$T/err" "speech: 1 item synthesized"

# A damaged cache entry is caught, replaced, never played. Every entry is
# damaged: the cache also holds the item as it was before the edit, which
# this render does not read.
entries=$(find "$T/cache/muqir" -name '*.mqs')
check "the cache holds entries" test -n "$entries"
for entry in $entries; do
    printf 'garbage' | dd of="$entry" bs=1 seek=200 conv=notrunc 2>/dev/null
done
drop_outputs
run_muqir render "$T/p.yaml" -o "$T/e.wav"
expect_rc "render with a damaged cache entry" 0
expect_in "the damaged entry is reported" "$T/err" "damaged"
check "and the output is still the right one" cmp -s "$T/d.wav" "$T/e.wav"

# A cache that cannot be used is a warning, not a failure.
printf 'not a folder' > "$T/file"
XDG_CACHE_HOME="$T/file" "$MUQIR" render "$T/p.yaml" -o "$T/f.wav" >"$T/out" 2>"$T/err"
RC=$?
expect_rc "render with an unusable cache folder" 0
expect_in "it says it goes on without a cache" "$T/err" "without a cache"
check "and writes the same file" cmp -s "$T/d.wav" "$T/f.wav"

# The same text several times: a synthesis process may find its item's entry
# already made by another one. It used to reuse that entry's buffer, which the
# cache had mapped read-only, and die writing into it (the benchmark's
# one-hour program, found with make bench).
{
    printf 'title: 重复\nitems:\n'
    for _ in 1 2 3 4 5 6; do
        printf '  - read: %s\n' "$PWD/content/texts/01-intro.txt"
        printf '  - read: %s\n' "$PWD/content/texts/00-title.txt"
    done
} > "$T/repeat.yaml"
XDG_CACHE_HOME="$T/repeat-cache" "$MUQIR" check "$T/repeat.yaml" --jobs 2 >"$T/out" 2>"$T/err"
RC=$?
expect_rc "the same item many times, 2 processes, cold cache" 0
XDG_CACHE_HOME="$T/repeat-cache" "$MUQIR" render "$T/repeat.yaml" -o "$T/r1.wav" >"$T/out" 2>"$T/err"
RC=$?
expect_rc "and its render from that cache" 0
"$MUQIR" render "$T/repeat.yaml" -o "$T/r2.wav" --no-cache --jobs 1 >"$T/out" 2>"$T/err"
RC=$?
expect_rc "and a serial render without a cache" 0
check "the same bytes either way" cmp -s "$T/r1.wav" "$T/r2.wav"
