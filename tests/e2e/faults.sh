# Faults: a full disk during export, Ctrl-C and SIGTERM during render, a
# content file that disappears after `check`, an unreadable cache. muqir must
# say what failed, lose nothing (an earlier file of the same name survives) and
# leave nothing behind (no partial output, no temporary files, no processes).
. "$(dirname "$0")/lib.sh"
export XDG_CACHE_HOME="$T/cache" SOURCE_DATE_EPOCH=1700000000

# no_leftovers DESC DIR: no temporary file of an export in DIR.
no_leftovers() {
    local left
    left=$(find "$2" -maxdepth 1 -name '.*.wav.*' -o -maxdepth 1 -name '.*.ogg.*' | head -n 3)
    check "$1 (${left:-none left})" test -z "$left"
}

# ---- a full disk: the file size limit (RLIMIT_FSIZE) stands for it ----
mkdir -p "$T/disk"
cp tests/programs/good/minimal.yaml "$T/disk/p.yaml"
echo "earlier take" > "$T/disk/out.wav"
# 200 KB: the temporary mix (float, 48 kHz stereo) outgrows it at once.
(ulimit -f 200; exec "$MUQIR" render "$T/disk/p.yaml" -o "$T/disk/out.wav") >"$T/out" 2>"$T/err"
RC=$?
expect_rc "disk full during the mix: exit 1" 1
expect_in "disk full during the mix: the output is named" "$T/err" "$T/disk/out.wav"
expect_in "disk full during the mix: the cause is given" "$T/err" "File too large"
check "disk full during the mix: the earlier file is intact" grep -qx "earlier take" "$T/disk/out.wav"
no_leftovers "disk full during the mix: no temporary file" "$T/disk"
# The synthesis process met the limit first, writing the speech's cache entry
# as it spoke: it drops the entry whole.
check "disk full during the mix: no cache entry, whole or in part" \
    test -z "$(find "$T/cache" -name '*.mqs*' 2>/dev/null | head -n 1)"

# The limit between the temporary mix and the output: the output itself
# cannot be written. 2 s of 8 kHz mono silence: the mix is 64000 bytes, the
# float WAV a little more (its header and bext chunk). --no-cache: the first
# render below is in the output cache, and a reuse of it (a hard link, as
# the date stamped is fixed) writes nothing; outcache.sh tests a full disk
# while a reused file is copied.
printf 'title: 静\noutput: { rate: 8000, channels: 1, loudness: off }\nitems:\n  - pause: 2s\n' \
    > "$T/disk/quiet.yaml"
run_muqir render "$T/disk/quiet.yaml" -o "$T/disk/full.wav" --bits float
expect_rc "the quiet program renders without a limit" 0
size=$(stat -c %s "$T/disk/full.wav")
blocks=$(( size / 1024 ))      # ulimit -f counts 1024-byte blocks
above "the limit leaves room for the mix (bytes)" "$((blocks * 1024))" 64000
(ulimit -f "$blocks"; exec "$MUQIR" render "$T/disk/quiet.yaml" -o "$T/disk/out.wav" --bits float \
    --no-cache) >"$T/out" 2>"$T/err"
RC=$?
expect_rc "disk full writing the output: exit 1" 1
expect_in "disk full writing the output: the write failure is named" "$T/err" "$T/disk/out.wav: write failed: File too large"
check "disk full writing the output: the earlier file is intact" grep -qx "earlier take" "$T/disk/out.wav"
no_leftovers "disk full writing the output: no temporary file" "$T/disk"
# The same for a new file: nothing is left under its name.
(ulimit -f "$blocks"; exec "$MUQIR" render "$T/disk/quiet.yaml" -o "$T/disk/new.wav" --bits float \
    --no-cache) >"$T/out" 2>"$T/err"
RC=$?
expect_rc "disk full, new output: exit 1" 1
check "disk full, new output: no partial file" test ! -e "$T/disk/new.wav"
# bundle on a full disk fails cleanly too.
(ulimit -f 100; exec "$MUQIR" bundle "$T/disk/p.yaml" -o "$T/disk/pack" --format wav) >"$T/out" 2>"$T/err"
RC=$?
expect_rc "bundle on a full disk: exit 1" 1
check "bundle on a full disk: no partial audio file" \
    test -z "$(find "$T/disk/pack" -name '*.wav' -size +0 2>/dev/null | while read -r f; do soxi "$f" >/dev/null 2>&1 || echo "$f"; done)"
check "bundle on a full disk: no temporary file" test -z "$(find "$T/disk/pack" -name '.*' 2>/dev/null)"

# ---- signals during render: SIGINT (Ctrl-C) and SIGTERM, serial and parallel ----
for i in $(seq 30); do echo "  - read: $PWD/content/texts/02-daitou-shigan.txt"; done > "$T/items"
{ printf 'title: 长节目\nitems:\n'; cat "$T/items"; } > "$T/long.yaml"
echo "$T/long.yaml" > "$T/pattern"   # (a file: grep's own arguments must not match)
for sig in INT TERM; do
    for jobs in 1 2; do
        rm -rf "$T/cache" "$T/sig"; mkdir -p "$T/sig"
        echo "earlier take" > "$T/sig/long.wav"
        "$MUQIR" render "$T/long.yaml" -o "$T/sig/long.wav" --jobs "$jobs" 2>"$T/err" &
        pid=$!
        sleep 1.5
        kill -"$sig" "$pid"
        wait "$pid"
        RC=$?
        want=130; [ "$sig" = TERM ] && want=143   # 128 + the signal, as a shell reports it
        expect_rc "SIG$sig (--jobs $jobs) during render exits $want" "$want"
        expect_in "SIG$sig (--jobs $jobs): it says it was interrupted" "$T/err" "interrupted"
        check "SIG$sig (--jobs $jobs): the earlier file is intact" grep -qx "earlier take" "$T/sig/long.wav"
        no_leftovers "SIG$sig (--jobs $jobs): no temporary file" "$T/sig"
        check "SIG$sig (--jobs $jobs): no temporary cache entry" \
            test -z "$(find "$T/cache" -name '*.mqs.*' 2>/dev/null)"
        sleep 0.3
        check "SIG$sig (--jobs $jobs): no synthesis process left" \
            test -z "$(grep -lsF -f "$T/pattern" /proc/[0-9]*/cmdline)"
        # Entries the interrupted processes left (all of the same text).
        find "$T/cache" -name '*.mqs' -exec stat -c %s {} + >> "$T/sizes" 2>/dev/null
    done
done
# Speech cut short by the stop is never kept: every entry left is the whole
# item (an interrupted render used to store empty or shortened entries, which
# later renders took for the item's speech).
printf 'title: 一段\nitems:\n  - read: %s\n' "$PWD/content/texts/02-daitou-shigan.txt" > "$T/one.yaml"
XDG_CACHE_HOME="$T/refcache" "$MUQIR" check "$T/one.yaml" >/dev/null 2>&1
whole=$(find "$T/refcache" -name '*.mqs' -exec stat -c %s {} + 2>/dev/null | head -n 1)
check "interrupted renders left only whole entries ($(sort -u "$T/sizes" 2>/dev/null | tr '\n' ' ')vs ${whole:-?})" \
    test -n "$whole" -a -z "$(grep -vx "$whole" "$T/sizes" 2>/dev/null)"
# Later in the export (the second pass): the same.
rm -rf "$T/sig"; mkdir -p "$T/sig"
"$MUQIR" render "$T/long.yaml" -o "$T/sig/long.wav" 2>"$T/err" &   # cached now
pid=$!
for _ in $(seq 100); do
    # As soon as the mix has begun: a cached render of this program now
    # takes only a few seconds, and waiting for a megabyte let it finish.
    [ -n "$(find "$T/sig" -name '.long.wav.mix.*' 2>/dev/null)" ] && break
    sleep 0.02
done
kill -TERM "$pid"
wait "$pid"
RC=$?
expect_rc "SIGTERM while mixing exits 143" 143
check "SIGTERM while mixing: no output" test ! -e "$T/sig/long.wav"
no_leftovers "SIGTERM while mixing: no temporary file" "$T/sig"

# ---- a content file that disappears between check and render ----
mkdir -p "$T/gone"
cp content/texts/01-intro.txt "$T/gone/intro.txt"
cp content/clips/chime.ogg "$T/gone/chime.ogg"
printf 'title: 消失\nitems:\n  - clip: chime.ogg\n  - read: intro.txt\n' > "$T/gone/p.yaml"
run_muqir check "$T/gone/p.yaml"
expect_rc "check passes while the files are there" 0
rm "$T/gone/intro.txt"
run_muqir render "$T/gone/p.yaml" -o "$T/gone/out.wav"
expect_rc "render after the text file disappeared exits 2" 2
expect_in "the missing text file is named" "$T/err" "no such file 'intro.txt'"
check "no output" test ! -e "$T/gone/out.wav"
cp content/texts/01-intro.txt "$T/gone/intro.txt"
rm "$T/gone/chime.ogg"
run_muqir render "$T/gone/p.yaml" -o "$T/gone/out.wav"
expect_rc "render after the clip disappeared exits 2" 2
expect_in "the missing clip is named" "$T/err" "no such file 'chime.ogg'"
# A clip replaced by something that is not audio after check.
echo "not audio any more" > "$T/gone/chime.ogg"
run_muqir render "$T/gone/p.yaml" -o "$T/gone/out.wav"
expect_rc "render after the clip was overwritten with text exits 2" 2
expect_in "the damaged clip is named" "$T/err" "chime.ogg: not a valid Ogg file"
no_leftovers "no temporary file after the failed renders" "$T/gone"

# ---- an unreadable cache entry: synthesis instead ----
# (Each render below must reach the speech cache: the output cache's entries
# go first, or an unchanged render would reuse its output; see outcache.sh.)
drop_outputs() { find "$T/cache" \( -name '*.mqo' -o -name '*.mqd' \) -delete; }
rm -rf "$T/cache"
P=tests/programs/good/minimal.yaml
run_muqir render "$P" -o "$T/ref.wav"
expect_rc "a render fills the cache" 0
entry=$(find "$T/cache" -name '*.mqs' | head -n 1)
check "the cache holds the entry" test -n "$entry"
# A folder where the entry should be (chmod 000 does not stop root).
rm -f "$entry" && mkdir "$entry"
drop_outputs; run_muqir render "$P" -o "$T/a.wav"
expect_rc "an empty folder in place of a cache entry: render still works" 0
check "an empty folder in place of a cache entry: same output" cmp -s "$T/ref.wav" "$T/a.wav"
check "the folder was replaced by a good entry" test -f "$entry"
rm -f "$entry" && mkdir -p "$entry/x"
drop_outputs; run_muqir render "$P" -o "$T/b.wav"
expect_rc "a folder that cannot be removed in place of an entry: render still works" 0
expect_in "it says the cache could not keep the speech" "$T/err" "not kept by the cache"
check "a folder in place of a cache entry: same output" cmp -s "$T/ref.wav" "$T/b.wav"
rm -rf "$entry"
# A zero-length entry and a truncated one.
drop_outputs; run_muqir render "$P" -o "$T/c.wav"
: > "$entry"
drop_outputs; run_muqir render "$P" -o "$T/d.wav"
expect_rc "a zero-length cache entry: render still works" 0
expect_in "the zero-length entry is reported" "$T/err" "damaged"
check "a zero-length cache entry: same output" cmp -s "$T/ref.wav" "$T/d.wav"
truncate -s 100 "$entry"
drop_outputs; run_muqir render "$P" -o "$T/e.wav"
expect_rc "a truncated cache entry: render still works" 0
check "a truncated cache entry: same output" cmp -s "$T/ref.wav" "$T/e.wav"
# A cache folder that is a file: a warning, not a failure (cache.sh checks the
# message); a cache sub-folder that is a file: the same.
rm -rf "$T/cache" && mkdir -p "$T/cache/muqir"
sub=$(basename "$(dirname "$entry")")
rm -rf "$T/cache/muqir/$sub" && printf 'not a folder' > "$T/cache/muqir/$sub"
drop_outputs; run_muqir render "$P" -o "$T/f.wav"
expect_rc "a file in place of a cache sub-folder: render still works" 0
check "a file in place of a cache sub-folder: same output" cmp -s "$T/ref.wav" "$T/f.wav"
