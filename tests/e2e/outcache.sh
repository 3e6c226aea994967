# The output cache: an unchanged render is the earlier render's files, byte
# for byte; a changed content file or option renders again; a damaged entry
# is caught and never delivered; --no-cache leaves it alone.
. "$(dirname "$0")/lib.sh"
export XDG_CACHE_HOME="$T/cache" SOURCE_DATE_EPOCH=1700000000

cp content/texts/01-intro.txt "$T/intro.txt"
cp content/music/bed.ogg "$T/bed.ogg"
cp content/clips/chime.ogg "$T/chime.ogg"
cat > "$T/p.yaml" <<'EOF'
title: 缓存
items:
  - clip: chime.ogg
  - read: intro.txt
    bed: bed.ogg
  - announce: 谢谢收听。
EOF
reused() { grep -qF "output reused from the cache" "$T/err"; }

run_muqir render "$T/p.yaml" -o "$T/a.wav" --srt "$T/a.srt" --cue "$T/a.cue"
expect_rc "first render" 0
check "the first render is not reused" sh -c "! grep -qF 'reused' '$T/err'"
check "it is kept in the cache" test -n "$(find "$T/cache/muqir" -name '*.mqo')"
# (The entry may be a hard link to a.wav itself: damaging it below damages
# a.wav too. The reference is a copy.)
cp "$T/a.wav" "$T/ref.wav"

mkdir -p "$T/2"
run_muqir render "$T/p.yaml" -o "$T/2/a.wav" --srt "$T/2/a.srt" --cue "$T/2/a.cue"
expect_rc "the same render again (another folder)" 0
check "is reused from the cache" reused
expect_in "the report still gives the figures" "$T/err" "wrote $T/2/a.wav ("
check "the audio is bit-identical" cmp -s "$T/a.wav" "$T/2/a.wav"
check "the captions are identical" cmp -s "$T/a.srt" "$T/2/a.srt"
check "the cue sheet is identical" cmp -s "$T/a.cue" "$T/2/a.cue"
check "no temporary file is left" test -z "$(find "$T/2" -name '.*')"
# The date stamped is the stored one: the entry is delivered by hard link.
ino() { stat -c %i "$1"; }
check "the audio is delivered by hard link (the first render's file)" \
    test "$(ino "$T/a.wav")" = "$(ino "$T/2/a.wav")"
run_muqir render "$T/p.yaml" -o "$T/2/a.wav" --srt "$T/2/a.srt" --cue "$T/2/a.cue"
check "onto itself: reused" reused
check "(still the same file)" test "$(ino "$T/a.wav")" = "$(ino "$T/2/a.wav")"
check "(and the same bytes)" cmp -s "$T/ref.wav" "$T/2/a.wav"
# The cue sheet names its audio file: another name is another render.
run_muqir render "$T/p.yaml" -o "$T/b.wav" --srt "$T/b.srt" --cue "$T/b.cue"
check "with a cue sheet, another audio file name is not reused" sh -c "! grep -qF 'reused' '$T/err'"
expect_in "and its cue sheet names it" "$T/b.cue" 'FILE "b.wav"'
check "the audio is still the same" cmp -s "$T/a.wav" "$T/b.wav"

run_muqir render "$T/p.yaml" -o "$T/c.wav" --no-cache
expect_rc "--no-cache" 0
check "--no-cache renders" sh -c "! grep -qF 'reused' '$T/err'"
check "and writes the same file" cmp -s "$T/a.wav" "$T/c.wav"

# Options and content that change the output miss.
run_muqir render "$T/p.yaml" -o "$T/d.wav" --loudness -24
expect_rc "another loudness" 0
check "another loudness is not reused" sh -c "! grep -qF 'reused' '$T/err'"
run_muqir render "$T/p.yaml" -o "$T/d.wav" --bits 24
check "another sample format is not reused" sh -c "! grep -qF 'reused' '$T/err'"
run_muqir render "$T/p.yaml" -o "$T/d.flac"
check "another format is not reused" sh -c "! grep -qF 'reused' '$T/err'"
run_muqir render "$T/p.yaml" -o "$T/d.wav"
check "without the captions: another entry" sh -c "! grep -qF 'reused' '$T/err'"
run_muqir render "$T/p.yaml" -o "$T/e.wav"
check "which the next render without captions reuses" reused
check "(the same audio as with them)" cmp -s "$T/a.wav" "$T/e.wav"

cp content/music/interlude.ogg "$T/bed.ogg"
run_muqir render "$T/p.yaml" -o "$T/f.wav"
expect_rc "a changed music file" 0
check "a changed music file is not reused" sh -c "! grep -qF 'reused' '$T/err'"
expect_in "its speech comes from the speech cache" "$T/err" "speech: 0 items synthesized"
check "and the output differs" sh -c "! cmp -s '$T/a.wav' '$T/f.wav'"
cp content/music/bed.ogg "$T/bed.ogg"
echo "另外，今天有风。" >> "$T/intro.txt"
run_muqir render "$T/p.yaml" -o "$T/g.wav"
check "an edited text is not reused" sh -c "! grep -qF 'reused' '$T/err'"
expect_in "only its item is synthesized" "$T/err" "speech: 1 item synthesized"
cp content/texts/01-intro.txt "$T/intro.txt"
run_muqir render "$T/p.yaml" -o "$T/h.wav"
check "the text as it was: reused" reused
check "the file as it was" cmp -s "$T/a.wav" "$T/h.wav"
SOURCE_DATE_EPOCH=1800000000 run_muqir render "$T/p.yaml" -o "$T/i.wav"
check "another date to stamp: not reused" sh -c "! grep -qF 'reused' '$T/err'"

# A damaged entry: caught, removed, rendered again, the right file written.
for data in $(find "$T/cache/muqir" -name '*.mqd'); do
    printf 'garbage' | dd of="$data" bs=1 seek=300000 conv=notrunc 2>/dev/null
done
run_muqir render "$T/p.yaml" -o "$T/j.wav"
expect_rc "render with a damaged output entry" 0
expect_in "the damage is reported" "$T/err" "damaged"
check "the damaged entry is not delivered" sh -c "! grep -qF 'reused' '$T/err'"
check "the right file is written" cmp -s "$T/ref.wav" "$T/j.wav"
run_muqir render "$T/p.yaml" -o "$T/k.wav"
check "the entry was stored again" reused
check "and is right" cmp -s "$T/ref.wav" "$T/k.wav"
find "$T/cache/muqir" -name '*.mqo' -exec truncate -s 10 {} +
run_muqir render "$T/p.yaml" -o "$T/l.wav"
expect_in "a damaged index is reported" "$T/err" "damaged"
check "and the right file written" cmp -s "$T/ref.wav" "$T/l.wav"

# Without SOURCE_DATE_EPOCH a render stamps the time it is made: a reused
# file is then a restamped copy, and the entry (the first render's file)
# keeps its own bytes.
unset SOURCE_DATE_EPOCH
run_muqir render "$T/p.yaml" -o "$T/n.wav"
check "(dated now: stored)" sh -c "! grep -qF 'reused' '$T/err'"
cp "$T/n.wav" "$T/n-ref.wav"
sleep 1.1
run_muqir render "$T/p.yaml" -o "$T/o.wav"
check "a second later: reused" reused
check "as a file of its own" test "$(ino "$T/n.wav")" != "$(ino "$T/o.wav")"
check "restamped" sh -c "! cmp -s '$T/n.wav' '$T/o.wav'"
check "and only its date and time differ" test "$(cmp -l "$T/n.wav" "$T/o.wav" | wc -l)" -le 18
check "the first render's file is unchanged" cmp -s "$T/n-ref.wav" "$T/n.wav"
sleep 1.1
run_muqir render "$T/p.yaml" -o "$T/n.wav"
check "a reuse over the entry's own file" reused
check "replaces it with a file of its own" test "$(ino "$T/n.wav")" != "$(ino "$T/n-ref.wav")"
check "(restamped)" sh -c "! cmp -s '$T/n-ref.wav' '$T/n.wav'"
run_muqir render "$T/p.yaml" -o "$T/o2.wav"
check "and the entry it came from is intact" reused

# A full disk while a reused file is written (restamped, so copied): named,
# the earlier file intact.
echo "earlier take" > "$T/m.wav"
sleep 1.1
(ulimit -f 200; exec "$MUQIR" render "$T/p.yaml" -o "$T/m.wav") >"$T/out" 2>"$T/err"
RC=$?
expect_rc "disk full writing a reused file: exit 1" 1
expect_in "the write failure is named" "$T/err" "$T/m.wav: write failed: File too large"
check "the earlier file is intact" grep -qx "earlier take" "$T/m.wav"
check "no temporary file" test -z "$(find "$T" -maxdepth 1 -name '.m.wav.*')"
