# `muqir play` and `muqir devices` without a sound card: ALSA's file plugin
# over the null PCM (tests/e2e/asoundrc in a test HOME) records exactly what
# was handed to the device. The null PCM has no clock, so
# MUQIR_DEVICE_CLOCK=system makes muqir pace it in real time (mq_device.h).
. "$(dirname "$0")/lib.sh"
# The sound system's own leaks are not muqir's (tests/e2e/audio-lsan.supp).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
export LSAN_OPTIONS="suppressions=$PWD/tests/e2e/audio-lsan.supp:print_suppressions=0"

mkdir -p "$T/home"
sed "s|@OUT@|$T/played.raw|" tests/e2e/asoundrc > "$T/home/.asoundrc"
dev() { HOME="$T/home" MUQIR_DEVICE_CLOCK=system "$@"; }

dev "$MUQIR" devices > "$T/devs" 2>"$T/err"
check "devices lists the test output with its host API and rate" \
    grep -qE '^ +0\* +default +ALSA +[0-9]+' "$T/devs"
check "devices prints nothing from ALSA or JACK on stderr" test ! -s "$T/err"

cat > "$T/p.yaml" <<'YAML'
title: 测试
items:
  - announce: 各位乡亲，晚上好！
  - pause: 0.5s
  - announce: 欢迎来到乌兰牧骑的演出现场。
    voice: narrator
YAML

# The claim: play hands the device the samples render --loudness off --bits 16
# writes (the same limiter, the same float-to-16-bit conversion). The device
# adds silence before and after; the comparison starts at the first non-zero
# sample of each and allows no difference at all.
run_muqir render "$T/p.yaml" -o "$T/r.wav" --loudness off --bits 16 --quiet
expect_rc "render --loudness off --bits 16" 0
dev "$MUQIR" play "$T/p.yaml" </dev/null >"$T/out" 2>"$T/err"
RC=$?
expect_rc "play records through the test device" 0
expect_in "play reports no underrun" "$T/err" "0 underruns"
cat > "$T/cmp.py" <<'PY'
import sys, wave, array
w = wave.open(sys.argv[1]); ch = w.getnchannels()
a = array.array('h', w.readframes(w.getnframes()))
b = array.array('h', open(sys.argv[2], 'rb').read())
def lead(x):
    for i, v in enumerate(x):
        if v: return i - i % ch
    return len(x)
a, b = a[lead(a):], b[lead(b):]
diff = sum(1 for i in range(min(len(a), len(b))) if a[i] != b[i])
diff += max(0, len(a) - len(b))
tail = sum(1 for v in b[len(a):] if v)
print(len(a) // ch, diff, tail)
PY
read -r frames diff tail <<< "$(python3 "$T/cmp.py" "$T/r.wav" "$T/played.raw")"
above "the recording holds the whole program" "${frames:-0}" 100000
check "play = render --loudness off, sample for sample ($diff of $frames frames differ)" \
    test "${diff:-1}" = 0
check "nothing but silence after the program ($tail samples)" test "${tail:-1}" = 0

# Sound starts while the rest is still being synthesized: a three-hour program
# (30 readings of the article's sections; synthesizing it all first takes
# many seconds) sounds within 2 s. The start-up time itself is a figure for
# `make bench` (goal 200 ms), not a timed test: this machine is shared.
{
    echo "title: 长节目"; echo "items:"
    for i in $(seq 1 5); do for f in content/texts/0[1-6]-*.txt; do echo "  - read: $PWD/$f"; done; done
} > "$T/long.yaml"
XDG_CACHE_HOME="$T/cold" dev timeout -s INT 3 "$MUQIR" play "$T/long.yaml" </dev/null >"$T/out" 2>"$T/err"
ms=$(sed -n 's/.*first sample \([0-9]*\) ms.*/\1/p' "$T/err")
check "a three-hour program sounds ${ms:-?} ms after the command (streams; < 2000)" test "${ms:-9999}" -lt 2000

# --device by number and by name; a wrong name or no device is said plainly.
dev "$MUQIR" play "$T/p.yaml" --device 0 --quiet </dev/null >"$T/out" 2>"$T/err"
RC=$?
expect_rc "--device 0" 0
dev "$MUQIR" play "$T/p.yaml" --device default --quiet </dev/null >"$T/out" 2>"$T/err"
RC=$?
expect_rc "--device default" 0
dev "$MUQIR" play "$T/p.yaml" --device mixer-on-stage </dev/null >"$T/out" 2>"$T/err"
RC=$?
expect_rc "an unknown device fails" 1
expect_in "and is named" "$T/err" "no output device named 'mixer-on-stage'"
mkdir -p "$T/empty"
HOME="$T/empty" "$MUQIR" play "$T/p.yaml" </dev/null >"$T/out" 2>"$T/err"
RC=$?
expect_rc "no device at all fails" 1
expect_in "with a plain message" "$T/err" "no sound output device"

# Keys, as a person uses them in a terminal: space pauses, q stops.
if command -v tmux >/dev/null; then
    S=muqir-play-$$
    tmux -L "$S" new-session -d -x 100 -y 10 \
        "HOME='$T/home' MUQIR_DEVICE_CLOCK=system '$MUQIR' play '$T/long.yaml'; echo EXIT=\$?; sleep 5"
    # Wait (up to 20 s: the ASan build is slow) for the player, then for
    # each reaction, rather than sleeping a fixed time.
    wait_for() { # TEXT
        for _ in $(seq 100); do
            tmux -L "$S" capture-pane -p > "$T/screen"
            grep -qF -- "$1" "$T/screen" && return 0
            sleep 0.2
        done
        return 1
    }
    wait_for "space pauses, q stops"
    tmux -L "$S" send-keys ' '
    wait_for "paused"
    expect_in "space pauses" "$T/screen" "paused"
    tmux -L "$S" send-keys q
    wait_for "EXIT="
    expect_in "q stops at once, exit status 0" "$T/screen" "EXIT=0"
    tmux -L "$S" kill-server 2>/dev/null
    stty -a > /dev/null 2>&1 || true
else
    fail "tmux is not installed (tools/install-deps)"
fi
