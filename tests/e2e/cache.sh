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

# The last items are spoken in parts, each a process of its own and an entry
# of its own (mq_render_parts.c): here the third item, which starts after 70 %
# of the speech. The file is the same whether the parts are spoken by two
# processes or one after another, from the cache or damaged entries.
printf 'title: 分段\nitems:\n  - read: %s\n  - read: %s\n  - read: %s\n' \
    "$PWD/content/texts/02-daitou-shigan.txt" "$PWD/content/texts/04-weimin-fuwu.txt" \
    "$PWD/content/texts/06-jiceng-ganbu.txt" > "$T/parts.yaml"
export XDG_CACHE_HOME="$T/parts-cache"
run_muqir render "$T/parts.yaml" -o "$T/p1.wav" --srt "$T/p1.srt" --jobs 2
expect_rc "a render whose last item is spoken in parts" 0
expect_in "it counts items, not parts" "$T/err" "speech: 3 items synthesized"
n=$(find "$T/parts-cache/muqir" -name '*.mqs' | wc -l)
above "the cache holds more entries than items (${n})" "$n" 3
run_muqir render "$T/parts.yaml" -o "$T/p2.wav" --srt "$T/p2.srt" --no-cache --jobs 1
expect_rc "the same, serial, without the cache" 0
check "parts by two processes and by one: bit-identical" cmp -s "$T/p1.wav" "$T/p2.wav"
check "and the same captions" cmp -s "$T/p1.srt" "$T/p2.srt"
# The parted item's captions are those of the item spoken whole (alone in a
# programme it is not in parts), in order.
printf 'title: 整段\nitems:\n  - read: %s\n' "$PWD/content/texts/06-jiceng-ganbu.txt" > "$T/whole.yaml"
run_muqir render "$T/whole.yaml" -o "$T/w.wav" --srt "$T/w.srt"
texts() { awk 'NF && $0 !~ /-->/ && $0 !~ /^[0-9]+$/' "$1"; }
texts "$T/w.srt" > "$T/w.txt"
texts "$T/p1.srt" | tail -n "$(wc -l < "$T/w.txt")" > "$T/p1.txt"
check "the parted item's captions are the whole item's ($(wc -l < "$T/w.txt"))" \
    cmp -s "$T/w.txt" "$T/p1.txt"
grep -- '-->' "$T/p1.srt" | sed 's/ --> /\n/' | awk -F'[:,]' '{ print $1 * 3600 + $2 * 60 + $3 + $4 / 1000 }' > "$T/ptimes"
check "caption times never go back across the parts" sort -n -c "$T/ptimes"
find "$T/parts-cache" \( -name '*.mqo' -o -name '*.mqd' \) -delete
run_muqir render "$T/parts.yaml" -o "$T/p3.wav"
expect_in "a re-render takes every part from the cache" "$T/err" "speech: 0 items synthesized, 3 from the cache"
check "and is bit-identical" cmp -s "$T/p1.wav" "$T/p3.wav"
for entry in $(find "$T/parts-cache/muqir" -name '*.mqs'); do
    printf 'garbage' | dd of="$entry" bs=1 seek=200 conv=notrunc 2>/dev/null
done
find "$T/parts-cache" \( -name '*.mqo' -o -name '*.mqd' \) -delete
run_muqir render "$T/parts.yaml" -o "$T/p4.wav"
expect_rc "parts with damaged entries" 0
expect_in "the damage is reported" "$T/err" "damaged"
check "and the output is still the right one" cmp -s "$T/p1.wav" "$T/p4.wav"
