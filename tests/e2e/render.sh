# render: a real program becomes a 48 kHz WAV of the length `check` announced,
# not silent, written atomically. Measured with sox, an independent reader.
. "$(dirname "$0")/lib.sh"

run_muqir check scripts/demo.yaml
expect_rc "check scripts/demo.yaml exits 0" 0
expect_in "check prints the total" "$T/out" "total "
total=$(sed -n 's/^total .*(\([0-9.]*\) s).*/\1/p' "$T/out")
above "check announces a length" "${total:-0}" 30

run_muqir render scripts/demo.yaml -o "$T/demo.wav"
expect_rc "render scripts/demo.yaml exits 0" 0
rate=$(soxi -r "$T/demo.wav" 2>/dev/null)
check "the WAV is 48 kHz (soxi: ${rate:-none})" test "${rate:-0}" = 48000
secs=$(soxi -D "$T/demo.wav" 2>/dev/null)
near "the WAV is as long as check said" "${secs:-0}" "${total:-0}" 1.0
rms=$(sox "$T/demo.wav" -n stat 2>&1 | awk '/RMS +amplitude/ { print $3 }')
above "the WAV is not silent (RMS)" "${rms:-0}" 0.01
peak=$(sox "$T/demo.wav" -n stat 2>&1 | awk '/Maximum amplitude/ { print $3 }')
check "the WAV does not clip (peak ${peak:-?})" awk -v p="${peak:-1}" 'BEGIN { exit !(p < 0.99) }'
check "no temporary file is left next to the output" \
    test -z "$(find "$T" -name '.demo.wav.*')"

# A program with an output rate renders at that rate, mono when asked.
cat > "$T/mono.yaml" <<'YAML'
title: 单声道
output: { rate: 22050, channels: 1 }
items:
  - announce: 今天晴，最高气温25摄氏度。
  - pause: 2s
YAML
run_muqir render "$T/mono.yaml" -o "$T/mono.wav"
expect_rc "render of a 22.05 kHz mono program exits 0" 0
check "output.rate is honoured" test "$(soxi -r "$T/mono.wav")" = 22050
check "output.channels is honoured" test "$(soxi -c "$T/mono.wav")" = 1
# The trailing 2 s pause is there: the last 1.9 s are digital silence.
tailmax=$(sox "$T/mono.wav" -n trim -1.9 stat 2>&1 | awk '/Maximum amplitude/ { print $3 }')
check "a pause item is silence (last 1.9 s peak ${tailmax:-?})" test "${tailmax:-1}" = 0.000000

# An earlier file of the same name survives a failed render.
echo "earlier" > "$T/keep.wav"
run_muqir render tests/programs/bad/yaml-syntax.yaml -o "$T/keep.wav"
check "a failed render leaves the earlier file intact" grep -q earlier "$T/keep.wav"

# Where the output cannot be written, the message names it; status 1.
run_muqir render scripts/demo.yaml -o "$T/no/such/dir/x.wav"
expect_rc "render into a missing folder exits 1" 1
expect_in "the message names the output" "$T/err" "$T/no/such/dir/x.wav"

# An unknown output format is bad usage, refused before synthesis.
run_muqir render scripts/demo.yaml -o "$T/x.xyz"
expect_rc "render to an unknown format exits 2" 2
expect_in "the message says which formats work" "$T/err" ".wav"

# Music and speech in one program: the file is as long as check says.
mkdir -p "$T/m" && sox -n -r 44100 -c 1 "$T/m/tone.flac" synth 3 sine 440 2>/dev/null
cat > "$T/m/music.yaml" <<'YAML'
title: 音乐
items:
  - music: tone.flac
    length: 2s
  - announce: 你好。
YAML
run_muqir check "$T/m/music.yaml"
mtotal=$(sed -n 's/^total .*(\([0-9.]*\) s).*/\1/p' "$T/out")
run_muqir render "$T/m/music.yaml" -o "$T/m/out.wav"
expect_rc "render of music then speech exits 0" 0
near "music + speech: the file is as long as check said" "$(soxi -D "$T/m/out.wav")" "${mtotal:-0}" 0.02

# Ctrl-C during a render: exit 130, no output and no temporary file.
for i in $(seq 40); do echo "  - read: $PWD/content/texts/02-daitou-shigan.txt"; done > "$T/items"
{ printf 'title: 长节目\nitems:\n'; cat "$T/items"; } > "$T/long.yaml"
"$MUQIR" render "$T/long.yaml" -o "$T/long.wav" 2>"$T/err" &
pid=$!
sleep 1
kill -INT "$pid"
wait "$pid"
RC=$?
expect_rc "Ctrl-C during render exits 130" 130
check "Ctrl-C leaves no output" test ! -e "$T/long.wav"
check "Ctrl-C leaves no temporary file" test -z "$(find "$T" -name '.long.wav.*')"

# The terminal going away (SIGHUP: an ssh session dropped) stops a render as
# Ctrl-C does: exit 129, nothing left behind, not even the private speech
# folder --no-cache keeps in TMPDIR (killed outright, it left 179 MB there).
mkdir -p "$T/tmp"
TMPDIR="$T/tmp" "$MUQIR" render "$T/long.yaml" -o "$T/long.wav" --no-cache 2>"$T/err" &
pid=$!
sleep 1
kill -HUP "$pid"
wait "$pid"
RC=$?
expect_rc "SIGHUP during render exits 129" 129
expect_in "it says the output was not written" "$T/err" "$T/long.wav was not written"
check "SIGHUP leaves no output" test ! -e "$T/long.wav"
check "SIGHUP leaves nothing in TMPDIR ($(ls -A "$T/tmp" | head -3 | tr '\n' ' '))" \
    test -z "$(ls -A "$T/tmp")"

# Over an earlier take of 21 MB the old file is freed by a holder process
# after muqir exits (mq_release): that process must keep none of muqir's
# descriptors, or `$(muqir ...)` would wait for it. Timed out at 120 s.
cp "$T/demo.wav" "$T/take.wav" 2>/dev/null
before=$(stat -c %i "$T/take.wav" 2>/dev/null)
msg=$(timeout 120 "$MUQIR" render scripts/demo.yaml -o "$T/take.wav" --no-cache 2>&1)
RC=$?
expect_rc "a render over an earlier take, inside \$(...), returns" 0
check "it says it wrote the take" grep -q "wrote $T/take.wav" <<< "$msg"
check "the take is a new file" test "$(stat -c %i "$T/take.wav")" != "$before"
check "the new take equals the first render" cmp -s -i 736 "$T/take.wav" "$T/demo.wav"

# An output that would replace one of the program's own files is refused
# before anything is written, and the file keeps its bytes: a render used to
# write its captions over the program (`--srt show.yaml`) or its audio over
# the bed it had just mixed (`-o bed.ogg`).
mkdir -p "$T/own"
cp content/music/bed.ogg "$T/own/bed.ogg"
echo "你好。今天天气很好。" > "$T/own/text.txt"
printf '你好\tni3 hao3\n' > "$T/own/lex.tsv"
cat > "$T/own/show.yaml" <<'YAML'
title: 自己的文件
lexicon: lex.tsv
items:
  - announce: 各位听众好。
    bed: bed.ogg
  - read: text.txt
YAML
sums=$(cd "$T/own" && md5sum bed.ogg text.txt lex.tsv show.yaml)
for args in "-o $T/own/bed.ogg|is a bed the program plays ($T/own/show.yaml:4:5)" \
            "-o $T/own/x.wav --srt $T/own/show.yaml|(--srt): is the program itself" \
            "-o $T/own/x.wav --lrc $T/own/../own/text.txt|is a text the program reads ($T/own/show.yaml:6:5)" \
            "-o $T/own/x.wav --cue $T/own/lex.tsv|is a lexicon the program uses"; do
    run_muqir render "$T/own/show.yaml" ${args%%|*}
    expect_rc "render ${args%%|*} (a file of the program) exits 2" 2
    expect_in "render ${args%%|*} says why" "$T/err" "${args#*|}"
done
check "the program's own files keep their bytes" \
    test "$(cd "$T/own" && md5sum bed.ogg text.txt lex.tsv show.yaml)" = "$sums"
check "and nothing was written beside them" test ! -e "$T/own/x.wav"

# A read-only file is not replaced (the rename would need only the folder's
# permission), whether it is the output or a caption file.
run_muqir render "$T/own/show.yaml" -o "$T/own/ro.wav" --quiet
expect_rc "a render to a new file works" 0
chmod a-w "$T/own/ro.wav"
sum=$(md5sum < "$T/own/ro.wav")
run_muqir render "$T/own/show.yaml" -o "$T/own/ro.wav" --loudness -16 --quiet
expect_rc "a render over a read-only output exits 1" 1
expect_in "it says the file is read-only" "$T/err" "$T/own/ro.wav: is read-only"
run_muqir render "$T/own/show.yaml" -o "$T/own/x.wav" --srt "$T/own/ro.wav" --quiet
expect_rc "a read-only caption destination too" 1
check "the read-only file keeps its bytes" test "$(md5sum < "$T/own/ro.wav")" = "$sum"
check "and nothing was written" test ! -e "$T/own/x.wav"
chmod u+w "$T/own/ro.wav"

# A word said alone is shorter than a BS.1770 gating block (400 ms): it is
# measured as one block of its own length and normalized like anything
# longer, instead of reading -inf LUFS and keeping eSpeak NG's own level.
run_muqir say 你好 -o "$T/word.wav" --no-cache
expect_rc "say 你好 exits 0" 0
check "it is shorter than 400 ms ($(soxi -D "$T/word.wav" 2>/dev/null) s)" \
    awk -v d="$(soxi -D "$T/word.wav" 2>/dev/null)" 'BEGIN { exit !(d > 0 && d < 0.4) }'
expect_in "and is brought to -23 LUFS" "$T/err" "2 channels, -23.0 LUFS"

# What a render killed outright (SIGKILL, a power cut) leaves beside its
# output — the hidden temporary file, as large as the export — is removed by
# the next successful render of that output once 10 minutes old; a fresh one
# (another render at work) and names of any other shape stay.
mkdir -p "$T/stale"
for f in .w.wav.Ab12Cd .w.srt.Zz9Yy8 .w.wav.notmine .x.wav.Qq1Ww2 .w.wav.Fresh1; do
    head -c 1000 /dev/zero > "$T/stale/$f"
done
touch -d '1 hour ago' "$T/stale/.w.wav.Ab12Cd" "$T/stale/.w.srt.Zz9Yy8" \
    "$T/stale/.w.wav.notmine" "$T/stale/.x.wav.Qq1Ww2"
run_muqir say 你好 -o "$T/stale/w.wav" --quiet
expect_rc "say into a folder with leftovers exits 0" 0
run_muqir render "$T/own/show.yaml" -o "$T/stale/w.wav" --srt "$T/stale/w.srt" --quiet
expect_rc "render into it exits 0" 0
check "the old leftovers of w.wav and w.srt are gone" \
    test ! -e "$T/stale/.w.wav.Ab12Cd" -a ! -e "$T/stale/.w.srt.Zz9Yy8"
check "a fresh one, another output's and an odd name stay" \
    test -e "$T/stale/.w.wav.Fresh1" -a -e "$T/stale/.x.wav.Qq1Ww2" -a -e "$T/stale/.w.wav.notmine"
