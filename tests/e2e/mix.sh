# The mix and the broadcast export, measured with tools muqir does not use:
# ffmpeg's ebur128 filter for loudness and true peak, ffprobe and sox for
# formats, silencedetect for where speech ends.
. "$(dirname "$0")/lib.sh"

# Test music made here: a 44.1 kHz stereo Ogg with a swelling chord, and a
# 44.1 kHz mono FLAC bed.
sox -n -r 44100 -c 2 "$T/music.ogg" synth 12 sine 220 sine 277 sine 330 tremolo 0.5 60 \
    fade 0.2 12 0.5 2>/dev/null
sox -n -r 44100 -c 1 "$T/bed.flac" synth 6 sine 196 sine 247 tremolo 2 30 gain -6 2>/dev/null
check "test music was made" test -s "$T/music.ogg" -a -s "$T/bed.flac"

cat > "$T/speech.yaml" <<'YAML'
title: 新闻
items:
  - announce: 各位听众，现在播报天气预报。今天白天晴，最高气温25摄氏度，夜间多云。
  - announce: 请广大牧民注意防范大风天气，做好牲畜的保暖工作。
    voice: narrator
YAML
cat > "$T/music.yaml" <<'YAML'
title: 音乐
items:
  - music: music.ogg
YAML
cat > "$T/bed.yaml" <<'YAML'
title: 垫乐
items:
  - announce: 各位乡亲，晚上好！欢迎来到乌兰牧骑的演出现场。今天我们为大家带来好来宝和马头琴演奏。
    bed: bed.flac
    duck: -14 dB
YAML

# ffmpeg's summary: "I: -23.0 LUFS" and, with peak=true, "Peak: -1.2 dBFS".
measure() {
    ffmpeg -nostats -hide_banner -i "$1" -af ebur128=peak=true -f null - 2>&1 |
        awk '/Integrated loudness:/ { s = 1 } s && /I:/ { i = $2 } /True peak:/ { t = 1 } t && /Peak:/ { p = $2 } END { print i, p }'
}

for prog in speech music bed; do
    for target in -23 -24 -16; do
        run_muqir render "$T/$prog.yaml" -o "$T/$prog$target.wav" --loudness "$target"
        expect_rc "render $prog at $target LUFS" 0
        read -r lufs peak <<< "$(measure "$T/$prog$target.wav")"
        near "$prog at $target: integrated loudness by ffmpeg" "${lufs:-0}" "$target" 0.5
        check "$prog at $target: true peak ${peak:-?} dBTP <= -1.0 by ffmpeg" \
            awk -v p="${peak:-9}" 'BEGIN { exit !(p <= -1.0) }'
        # muqir's own figures: from its measuring pass scaled by the gain
        # when the limiter did not act (speech at -23 peaks near -6 dBTP),
        # measured again on the output when it did (-16).
        read -r mlufs mpeak <<< "$(sed -n 's/.*, \(-*[0-9.]*\) LUFS, \(-*[0-9.]*\) dBTP).*/\1 \2/p' "$T/err")"
        near "$prog at $target: the loudness muqir reports is ffmpeg's" "${mlufs:-0}" "${lufs:-9}" 0.15
        near "$prog at $target: the true peak muqir reports is ffmpeg's" "${mpeak:-0}" "${peak:-9}" 0.3
    done
done
# The limited renders ran their second pass twice (the limiter acted while
# nothing measured the output): nothing of the first attempt is left behind.
check "no temporary file is left beside the outputs" \
    test -z "$(find "$T" -maxdepth 1 -name '.*.wav*' -print -quit)"

# A lone click in a quiet programme must still be limited wherever it falls:
# pass 2 watches only the chunks pass 1 found loud, and a block (131072
# frames) or the file ends right beside these clicks. A quiet tone at -40
# dBFS is raised about 20 dB, the click with it, far over the ceiling.
for at in 131071 131072 287999; do
    python3 - "$T/click$at.wav" "$at" <<'PY'
import math, struct, sys, wave
n, at = 288000, int(sys.argv[2])
with wave.open(sys.argv[1], "wb") as w:
    w.setnchannels(2); w.setsampwidth(2); w.setframerate(48000)
    f = bytearray()
    for i in range(n):
        v = 0.3 if i == at else 0.01 * math.sin(2 * math.pi * 440 * i / 48000)
        f += struct.pack("<hh", round(v * 32767), round(v * 32767))
    w.writeframes(bytes(f))
PY
    printf 'title: click\noutput: { rate: 48000, channels: 2 }\nitems:\n  - clip: click%s.wav\n' \
        "$at" > "$T/click$at.yaml"
    run_muqir render "$T/click$at.yaml" -o "$T/click$at-out.wav"
    expect_rc "render a click at frame $at" 0
    # (sox: ffmpeg's true peak leaves out the file's last frames.)
    max=$(sox "$T/click$at-out.wav" -n stat 2>&1 | awk '/^Maximum amplitude/ { print $3 }')
    check "a click at frame $at is limited: its peak ${max:-?} <= -1 dBFS (0.891) by sox" \
        awk -v p="${max:-9}" 'BEGIN { exit !(p <= 0.891) }'
done

# --loudness off leaves the mix's level alone (but still limits true peak).
run_muqir render "$T/speech.yaml" -o "$T/off.wav" --loudness off
expect_rc "render --loudness off" 0
read -r lufs peak <<< "$(measure "$T/off.wav")"
near "speech items alone are balanced to -23 LUFS" "${lufs:-0}" -23 1.0

# Every output format, read back by ffprobe: right rate, right length.
want=$(soxi -D "$T/speech-23.wav")
for ext in flac ogg opus mp3 wav; do
    run_muqir render "$T/speech.yaml" -o "$T/f.$ext" --quiet
    expect_rc "render to .$ext" 0
    rate=$(ffprobe -v error -select_streams a:0 -show_entries stream=sample_rate -of csv=p=0 "$T/f.$ext")
    dur=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$T/f.$ext")
    check ".$ext is 48 kHz by ffprobe (${rate:-none})" test "${rate:-0}" = 48000
    near ".$ext has the length of the WAV by ffprobe" "${dur:-0}" "$want" 0.08
done
run_muqir render "$T/speech.yaml" -o "$T/x.aiff"
expect_rc "an unknown format is refused" 2

# Broadcast WAV metadata: ffprobe shows the bext description (the title).
ffprobe -v error -show_format "$T/speech-23.wav" > "$T/probe" 2>&1
expect_in "the WAV carries its title in bext" "$T/probe" "新闻"

# Captions: one per sentence, in order, ending with the speech.
run_muqir render "$T/speech.yaml" -o "$T/c.wav" --srt "$T/c.srt" --lrc "$T/c.lrc" --cue "$T/c.cue"
expect_rc "render with captions" 0
check "the SRT has one caption per sentence (3)" test "$(grep -c -- '-->' "$T/c.srt")" = 3
expect_in "the SRT holds the sentences as written" "$T/c.srt" "今天白天晴，最高气温25摄氏度，夜间多云。"
secs() { awk -F'[:,]' '{ print $1 * 3600 + $2 * 60 + $3 + $4 / 1000 }'; }
grep -- '-->' "$T/c.srt" | sed 's/ --> /\n/' | secs > "$T/times"
check "caption times never go back" sort -n -c "$T/times"
last=$(tail -n 1 "$T/times")
end=$(soxi -D "$T/c.wav")
near "the last caption ends with the speech (file end)" "$last" "$end" 0.5
check "the LRC has a line per sentence and a closing one" test "$(grep -c '^\[[0-9]' "$T/c.lrc")" = 4
check "the CUE sheet has a track per item (2)" test "$(grep -c 'TRACK' "$T/c.cue")" = 2
expect_in "the CUE sheet names the audio file" "$T/c.cue" 'FILE "c.wav" WAVE'

# A bed: the program is longer than its speech by the bed's lead and tail.
run_muqir check "$T/bed.yaml"
expect_rc "check of a program with a bed" 0
expect_in "check says the item is over a bed" "$T/out" "over a bed"

# A broken audio file is named, with the item's place, before any rendering.
printf 'not audio' > "$T/broken.ogg"
printf 'title: x\nitems:\n  - clip: broken.ogg\n' > "$T/broken.yaml"
run_muqir render "$T/broken.yaml" -o "$T/broken.wav"
expect_rc "a broken audio file is bad input" 2
expect_in "its message gives the program's place" "$T/err" "broken.yaml:3:"
expect_in "and names the audio file" "$T/err" "broken.ogg"
check "no output for a broken program" test ! -e "$T/broken.wav"

# The timeline picture: well-formed SVG with every item, drawn by rsvg-convert.
run_muqir render "$T/bed.yaml" -o "$T/t.wav" --timeline "$T/t.svg"
expect_rc "render --timeline" 0
check "the timeline is well-formed XML" python3 -c "import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])" "$T/t.svg"
expect_in "the timeline names the program" "$T/t.svg" "垫乐"
expect_in "the timeline shows the ducked stretch" "$T/t.svg" "ducked"
check "rsvg-convert draws it" rsvg-convert "$T/t.svg" -o "$T/t.png"
check "the drawing is a PNG" test "$(head -c 4 "$T/t.png" | tail -c 3)" = PNG
