# The programs shipped in scripts/: each passes `muqir check`, and renders to
# a non-silent file of exactly the length check announced (within 0.1 s); the
# radio bulletin is at -23 LUFS (measured by ffmpeg) with captions.
#
# The long programs (the evening show, the radio bulletin: 17-23 minutes of
# speech) take most of this test's time, so they render in the background;
# under the sanitizer build (a MUQIR under build/asan) and with MUQIR_QUICK=1
# they are only checked, not rendered.
. "$(dirname "$0")/lib.sh"

quick=${MUQIR_QUICK:-0}
case $MUQIR in */asan/*) quick=1 ;; esac

# total_of FILE: the seconds in check's last line "total 1:50.7 (110.75 s), ...".
total_of() { sed -n 's/^total .*(\([0-9.]*\) s).*/\1/p' "$1" | tail -n 1; }
# peak_of FILE: the maximum absolute sample, 0..1, by sox.
peak_of() { sox "$1" -n stat 2>&1 | awk '/^Maximum amplitude/ { print $3 }'; }

progs=$(ls scripts/*.yaml)
check "scripts/ holds the four showcase programs" \
    test -f scripts/demo.yaml -a -f scripts/evening-show.yaml -a -f scripts/radio-bulletin.yaml -a -f scripts/field-pack.yaml

# render_bg NAME PROGRAM [ARGS]: renders in the background, exit status in
# $T/NAME.rc. The two long programs start first and run beside the checks
# and the short renders (on two cores the whole test takes about as long as
# the evening show's render).
render_bg() {
    local name=$1 p=$2; shift 2
    ( "$MUQIR" render "$p" -o "$T/$name.wav" --quiet "$@" >"$T/$name.rout" 2>&1; echo $? >"$T/$name.rc" ) &
}
# verify NAME PROGRAM: the render succeeded, has the announced length, is not silent.
verify() {
    local name=$1 p=$2 rc got
    rc=$(cat "$T/$name.rc" 2>/dev/null || echo none)
    if [ "$rc" = 0 ]; then pass "render $p"; else fail "render $p: exit $rc: $(head -c 400 "$T/$name.rout")"; fi
    got=$(soxi -D "$T/$name.wav" 2>/dev/null)
    near "$name renders to the length check announced" "${got:-0}" "$(total_of "$T/$name.check")" 0.1
    above "$name is not silent (peak by sox)" "$(peak_of "$T/$name.wav")" 0.1
}

rendered=()
if [ "$quick" != 1 ]; then
    render_bg evening-show scripts/evening-show.yaml
    # The bulletin's loudness is measured as soon as it is written, while the
    # evening show is still rendering.
    ( render_bg radio-bulletin scripts/radio-bulletin.yaml --srt "$T/radio-bulletin.srt"; wait
      ffmpeg -nostats -hide_banner -i "$T/radio-bulletin.wav" -af ebur128 -f null - 2>&1 |
          awk '/Integrated loudness:/ { s = 1 } s && /I:/ { print $2; exit }' >"$T/radio-bulletin.lufs" ) &
    rendered+=(evening-show:scripts/evening-show.yaml radio-bulletin:scripts/radio-bulletin.yaml)
fi

for p in $progs; do
    name=$(basename "$p" .yaml)
    run_muqir check "$p"
    expect_rc "check $p" 0
    cp "$T/out" "$T/$name.check"
    above "check $p announces a length" "$(total_of "$T/$name.check")" 1
    case $name in
    evening-show|radio-bulletin) ;;
    *) "$MUQIR" render "$p" -o "$T/$name.wav" --quiet >"$T/$name.rout" 2>&1; echo $? >"$T/$name.rc"
       rendered+=("$name:$p") ;;
    esac
done
wait
for np in "${rendered[@]}"; do verify "${np%%:*}" "${np#*:}"; done

# The bulletin: EBU R128 loudness and captions.
if [ -f "$T/radio-bulletin.wav" ]; then
    lufs=$(cat "$T/radio-bulletin.lufs" 2>/dev/null)
    near "the radio bulletin is at -23 LUFS by ffmpeg" "${lufs:-0}" -23 0.5
    n=$(grep -c -- '-->' "$T/radio-bulletin.srt" 2>/dev/null)
    above "the radio bulletin has a caption per sentence ($n)" "${n:-0}" 80
    expect_in "its captions hold the article as written" "$T/radio-bulletin.srt" "党政机关作为党联系群众的桥梁"
fi

# The demo stays under two minutes and has music in it.
above "the demo is under two minutes" 120 "$(total_of "$T/demo.check")"
expect_in "the demo has a bed under an announcement" "$T/demo.check" "(over a bed)"
expect_in "the demo has music" "$T/demo.check" "music"
