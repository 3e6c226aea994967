# `muqir play DIR`: a field bundle played through ALSA's file plugin over the
# null PCM (as play.sh: tests/e2e/asoundrc in a test HOME records exactly what
# is handed to the device; MUQIR_DEVICE_CLOCK=system paces it). Each run has
# its own HOME and recording, and they run side by side to keep the test
# short. Keys are sent on stdin (a fifo) once the recording shows the item
# has been sounding: nothing depends on how fast this machine is.
#
# Recordings are compared with the bundle's files sample for sample after
# dropping zero samples from both (the device's silence before, after, during
# a pause or a skip): "whole:F" is all of F, "prefix:F" a beginning of F.
. "$(dirname "$0")/lib.sh"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
export LSAN_OPTIONS="suppressions=$PWD/tests/e2e/audio-lsan.supp:print_suppressions=0"
export XDG_CACHE_HOME="$T/cache"
BPS=192000   # bytes a second in a recording: 48 kHz, 2 channels, 16 bits

cat > "$T/seq.py" <<'PY'
import sys, array, wave
def load(p):
    if p.endswith('.raw'):
        a = array.array('h', open(p, 'rb').read())
    else:
        w = wave.open(p); assert w.getsampwidth() == 2
        a = array.array('h', w.readframes(w.getnframes()))
    return array.array('h', (v for v in a if v)).tobytes()
rec = load(sys.argv[1])
segs = [(s.split(':', 1)[0], load(s.split(':', 1)[1])) for s in sys.argv[2:]]
def common(i, j, p):   # bytes of p that rec[i:j] starts with, whole samples
    lo, hi = 0, min(len(p), j - i) // 2
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if rec.startswith(p[:2 * mid], i): lo = mid
        else: hi = mid - 1
    return 2 * lo
def fill(i, j, prefixes, cuts):   # rec[i:j] = a beginning of each prefix in turn
    for p in prefixes:
        m = common(i, j, p); cuts.append((m // 2, len(p) // 2)); i += m
    return i == j
def match(i, k, cuts):
    w = next((n for n in range(k, len(segs)) if segs[n][0] == 'whole'), None)
    prefixes = [s for _, s in segs[k:w if w is not None else len(segs)]]
    if w is None:
        return fill(i, len(rec), prefixes, cuts)
    W = segs[w][1]; head = W[:512]; j = rec.find(head, i)
    while j >= 0:
        c = list(cuts)
        if j % 2 == 0 and rec.startswith(W, j) and fill(i, j, prefixes, c) and match(j + len(W), w + 1, c):
            cuts[:] = c; return True
        j = rec.find(head, j + 1)
    return False
cuts = []
if match(0, 0, cuts):
    print('ok', ' '.join('%d/%d' % c for c in cuts))
else:
    print('no match: %d samples recorded, segments %s' % (len(rec) // 2, [len(s) // 2 for _, s in segs]))
PY
# seq DESC NAME SEGMENTS...: the recording of run NAME is SEGMENTS; prints the cuts.
seq_of() { python3 "$T/seq.py" "$T/$1.raw" "${@:2}" 2>&1; }
expect_seq() {
    local d=$1 n=$2; shift 2
    local got; got=$(seq_of "$n" "$@")
    case $got in ok*) pass "$d";; *) fail "$d: $got";; esac
}
# play_as NAME ARGS...: muqir play ARGS recording to $T/NAME.raw; status in $T/NAME.rc.
play_as() {
    local n=$1; shift
    mkdir -p "$T/h-$n"
    sed "s|@OUT@|$T/$n.raw|" tests/e2e/asoundrc > "$T/h-$n/.asoundrc"
    HOME="$T/h-$n" MUQIR_DEVICE_CLOCK=system "$MUQIR" play "$@" >"$T/$n.out" 2>"$T/$n.err"
    echo $? > "$T/$n.rc"
}
# wait_bytes FILE N: until FILE holds N bytes (at most 60 s: the ASan build on a busy machine).
wait_bytes() {
    for _ in $(seq 600); do
        [ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -ge "$2" ] && return 0
        sleep 0.1
    done
    return 1
}
# drive NAME DIR STEPS...: plays DIR with stdin from a fifo; a step is
# wait:BYTES (until the recording is that long), sleep:S, or keys to send.
drive() {
    local n=$1 dir=$2 fd; shift 2
    mkfifo "$T/$n.in"
    play_as "$n" "$dir" < "$T/$n.in" &
    local pid=$!
    exec {fd}>"$T/$n.in"
    for step in "$@"; do
        case $step in
        wait:*) wait_bytes "$T/$n.raw" "${step#wait:}" || echo "timeout" >> "$T/$n.drive" ;;
        sleep:*) sleep "${step#sleep:}" ;;
        *) printf '%s' "$step" >&"$fd" ;;
        esac
    done
    exec {fd}>&-
    wait "$pid"
}
rc_of() { cat "$T/$1.rc" 2>/dev/null || echo none; }

# The bundle: a 3.5 s tone, an announcement, a 0.8 s tone (the pause is not a file).
sox -n -r 44100 -c 1 "$T/a.flac" synth 3.5 sine 330 gain -10 2>/dev/null
sox -n -r 44100 -c 2 "$T/c.flac" synth 0.8 sine 550 gain -12 2>/dev/null
cat > "$T/p.yaml" <<'YAML'
title: 测试包
items:
  - name: 长音
    clip: a.flac
  - pause: 0.5s
  - name: 通知
    announce: 各位乡亲，晚上好。
  - name: 短音
    clip: c.flac
YAML
run_muqir bundle "$T/p.yaml" -o "$T/pack" --format wav --quiet
expect_rc "bundle (wav) for the player" 0
P=$T/pack
A=$P/01-长音.wav B=$P/03-通知.wav C=$P/04-短音.wav
check "the bundle has its three files" test -f "$A" -a -f "$B" -a -f "$C"
run_muqir bundle "$T/p.yaml" -o "$T/pack-mp3" --quiet
expect_rc "the same bundle as mp3 (the default)" 0

# Variants: a file missing and one damaged; a damaged manifest beside its
# playlist; files at other rates and channel counts listed by a playlist.
cp -r "$P" "$T/broken" && rm "$T/broken/01-长音.wav" && echo "not audio" > "$T/broken/03-通知.wav"
cp -r "$P" "$T/damaged" && head -c 100 "$P/manifest.json" > "$T/damaged/manifest.json"
mkdir -p "$T/mixed"
sox -n -r 48000 -c 2 -b 16 "$T/mixed/x.wav" synth 0.5 sine 440 gain -12 2>/dev/null
sox -n -r 22050 -c 1 -b 16 "$T/mixed/y.wav" synth 0.5 sine 660 gain -12 2>/dev/null
sox -n -r 44100 -c 2 "$T/mixed/z.flac" synth 0.5 sine 880 gain -12 2>/dev/null
printf '#EXTM3U\n#EXTINF:1,x\nx.wav\n#EXTINF:1,y\ny.wav\nz.flac\n' > "$T/mixed/playlist.m3u"

# Everything that plays, side by side.
play_as whole "$P" </dev/null &
play_as mp3 "$T/pack-mp3" </dev/null &
play_as manifest "$P/manifest.json" --quiet </dev/null &
play_as m3u "$P/playlist.m3u" </dev/null &
play_as broken "$T/broken" </dev/null &
play_as damaged "$T/damaged" </dev/null &
play_as mixed "$T/mixed" </dev/null &
drive next "$P" wait:$((BPS / 2)) n &
drive quit "$P" wait:$((BPS / 2)) q &
drive pause "$P" wait:$((BPS / 2)) ' ' sleep:1 ' ' &
drive replay "$P" wait:$((BPS / 2)) r &
drive back "$P" wait:$((BPS / 2)) np &
drive restart "$P" wait:$((BPS * 26 / 10)) p &
if command -v strace >/dev/null; then
    # (LeakSanitizer cannot run under ptrace: off for this run of the ASan build.)
    (mkdir -p "$T/h-strace"; sed "s|@OUT@|$T/strace.raw|" tests/e2e/asoundrc > "$T/h-strace/.asoundrc"
     HOME="$T/h-strace" MUQIR_DEVICE_CLOCK=system ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0" strace -f -qq -e trace=open,openat,stat,newfstatat,access \
         -o "$T/strace.txt" "$MUQIR" play "$T/mixed" --quiet </dev/null >/dev/null 2>&1
     echo $? > "$T/strace.rc") &
fi
wait

# A straight play: every file, whole, in order; the summary with the CPU figure.
check "play DIR exits 0" test "$(rc_of whole)" = 0
expect_seq "the recording is the three files, sample for sample, in order" whole whole:"$A" whole:"$B" whole:"$C"
expect_in "the summary counts the items" "$T/whole.err" "played 3 of 3 items"
check "the summary gives the CPU use while playing" grep -qE 'CPU [0-9]+\.[0-9] % of one core' "$T/whole.err"
check "no item lines when stderr is not a terminal" sh -c "! grep -q '▶' '$T/whole.err'"
frames=$(( $(python3 -c "import wave,sys; print(sum(wave.open(f).getnframes() for f in sys.argv[1:]))" "$A" "$B" "$C") ))
secs=$(sed -n 's/.*items, \([0-9.]*\) s on.*/\1/p' "$T/whole.err")
near "the seconds played are the files' length" "${secs:-0}" "$(awk -v f="$frames" 'BEGIN { printf "%.1f", f / 48000 }')" 0.11

# The manifest or the playlist named directly; --quiet.
check "play DIR/manifest.json exits 0" test "$(rc_of manifest)" = 0
expect_seq "DIR/manifest.json plays the bundle" manifest whole:"$A" whole:"$B" whole:"$C"
check "--quiet prints nothing" test ! -s "$T/manifest.err"
check "play DIR/playlist.m3u exits 0" test "$(rc_of m3u)" = 0
expect_seq "DIR/playlist.m3u plays the bundle" m3u whole:"$A" whole:"$B" whole:"$C"

# MP3, the default format: decoded by libsndfile; the length is the manifest's.
check "an mp3 bundle plays" test "$(rc_of mp3)" = 0
mp3secs=$(python3 -c "import json,sys; print(sum(i['seconds'] for i in json.load(open(sys.argv[1]))['items']))" "$T/pack-mp3/manifest.json")
secs=$(sed -n 's/.*items, \([0-9.]*\) s on.*/\1/p' "$T/mp3.err")
near "the mp3 bundle plays for the manifest's length" "${secs:-0}" "$mp3secs" 0.15

# Keys. n: the rest of the first item is dropped at once, the others play whole.
check "n: exits 0" test "$(rc_of next)" = 0
expect_seq "n skips the rest of the first item" next prefix:"$A" whole:"$B" whole:"$C"
read -r cut _ <<< "$(seq_of next prefix:"$A" whole:"$B" whole:"$C" | sed -n 's/^ok //p')"
check "n cut the first item short (${cut:-?} samples heard)" \
    awk -v c="${cut:-0/0}" 'BEGIN { split(c, v, "/"); exit !(v[1] > 0 && v[1] < v[2]) }'
check "q: exits 0" test "$(rc_of quit)" = 0
expect_seq "q stops: only the start of the first item sounds" quit prefix:"$A"
expect_in "q: the summary says one item was played" "$T/quit.err" "played 1 of 3 items"
check "pause: exits 0" test "$(rc_of pause)" = 0
expect_seq "pause and resume lose and repeat nothing" pause whole:"$A" whole:"$B" whole:"$C"
above "the pause shows as silence in the recording (bytes)" "$(stat -c %s "$T/pause.raw")" \
    $(( frames * 4 + BPS / 2 ))
check "r: exits 0" test "$(rc_of replay)" = 0
expect_seq "r plays the first item again from its start" replay prefix:"$A" whole:"$A" whole:"$B" whole:"$C"
check "n then p: exits 0" test "$(rc_of back)" = 0
expect_seq "p at the start of an item goes back to the one before" back prefix:"$A" prefix:"$B" whole:"$A" whole:"$B" whole:"$C"
check "p late in an item: exits 0" test "$(rc_of restart)" = 0
expect_seq "p more than 2 s into an item starts it again" restart prefix:"$A" whole:"$A" whole:"$B" whole:"$C"
check "no key wait timed out" test ! -e "$T/next.drive" -a ! -e "$T/restart.drive"

# A missing and a damaged file: each named and skipped, the rest plays, the
# status says something was wrong (2: a file is not valid audio).
check "a bundle with a missing and a damaged file exits 2" test "$(rc_of broken)" = 2
expect_in "the missing file is named" "$T/broken.err" "item 1: $T/broken/01-长音.wav: cannot open: No such file or directory; skipped"
expect_in "the damaged file is named" "$T/broken.err" "item 2: $T/broken/03-通知.wav: not a valid WAV file"
expect_seq "the rest of the bundle still plays" broken whole:"$C"
expect_in "and the summary counts what played" "$T/broken.err" "played 1 of 3 items"

# A damaged manifest: its problem said, the playlist beside it played.
check "a damaged manifest exits 2" test "$(rc_of damaged)" = 2
expect_in "the manifest's problem is located" "$T/damaged.err" "$T/damaged/manifest.json:"
expect_in "and the playlist is played instead" "$T/damaged.err" "playing $T/damaged/playlist.m3u instead"
expect_seq "the whole bundle from the playlist" damaged whole:"$A" whole:"$B" whole:"$C"

# Other rates and channel counts: converted to the first file's (48 kHz stereo).
check "files at 48 kHz stereo, 22.05 kHz mono and 44.1 kHz stereo play" test "$(rc_of mixed)" = 0
expect_in "all three" "$T/mixed.err" "played 3 of 3 items"
secs=$(sed -n 's/.*items, \([0-9.]*\) s on.*/\1/p' "$T/mixed.err")
near "for their length together" "${secs:-0}" 1.5 0.06

# Never eSpeak NG, its data or the lexicon: no such file is even looked at.
# The control shows the check sees them when they are opened.
if command -v strace >/dev/null; then
    check "play DIR under strace exits 0" test "$(cat "$T/strace.rc")" = 0
    check "strace saw the bundle's files opened" grep -q 'mixed/y.wav' "$T/strace.txt"
    check "play DIR opens nothing of eSpeak NG or the voices" sh -c "! grep -E 'espeak-ng-data|/voices' '$T/strace.txt'"
    ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0" strace -f -qq -e trace=open,openat,stat,newfstatat,access \
        -o "$T/strace-say.txt" "$MUQIR" pinyin --phonemes 你好 >/dev/null 2>&1
    check "control: the same check sees eSpeak NG's data when it is used" grep -q 'espeak-ng-data' "$T/strace-say.txt"
    check "control: and the lexicon" grep -q '/voices/lexicon' "$T/strace-say.txt"
else
    fail "strace is not installed (tools/install-deps)"
fi

# Not bundles.
mkdir -p "$T/empty" "$T/other" && echo hi > "$T/other/notes.txt"
run_muqir play "$T/empty"
expect_rc "an empty folder is bad input" 2
expect_in "and said so" "$T/err" "$T/empty: not a muqir bundle: the folder is empty"
run_muqir play "$T/other/"
expect_rc "a folder without a manifest or playlist is bad input" 2
expect_in "and said so" "$T/err" "not a muqir bundle: it has no manifest.json or playlist.m3u"
run_muqir play "$T/no-such-pack/"
expect_rc "a folder that is not there is bad input" 2
expect_in "and is named" "$T/err" "$T/no-such-pack/: no such folder or file"
echo '{"items": []}' > "$T/other/manifest.json"
run_muqir play "$T/other"
expect_rc "a manifest with no items is bad input" 2
expect_in "and said so" "$T/err" "the bundle lists no items"

# On a terminal: the header with the keys, a line per item as it starts.
if command -v tmux >/dev/null; then
    S=muqir-play-bundle-$$
    mkdir -p "$T/h-tty" && sed "s|@OUT@|$T/tty.raw|" tests/e2e/asoundrc > "$T/h-tty/.asoundrc"
    tmux -L "$S" new-session -d -x 120 -y 12 \
        "HOME='$T/h-tty' MUQIR_DEVICE_CLOCK=system '$MUQIR' play '$P'; echo EXIT=\$?; sleep 5"
    wait_for() { # TEXT
        for _ in $(seq 150); do
            tmux -L "$S" capture-pane -p > "$T/screen"
            grep -qF -- "$1" "$T/screen" && return 0
            sleep 0.2
        done
        return 1
    }
    wait_for "q stops"
    expect_in "the keys are shown" "$T/screen" "n next, p previous, r replay, space pauses, q stops"
    wait_for "▶ 1/3"
    expect_in "the first item is shown with its number, title and length" "$T/screen" "▶ 1/3  长音  (3.5 s)"
    tmux -L "$S" send-keys n
    wait_for "▶ 2/3"
    expect_in "n: the next item is shown" "$T/screen" "▶ 2/3  通知"
    tmux -L "$S" send-keys q
    wait_for "EXIT="
    expect_in "q stops, exit status 0" "$T/screen" "EXIT=0"
    expect_in "the summary" "$T/screen" "played 2 of 3 items"
    tmux -L "$S" kill-server 2>/dev/null
else
    fail "tmux is not installed (tools/install-deps)"
fi
