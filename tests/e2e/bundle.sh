# Field bundles: one file per item, normalized, with a playlist, a manifest
# whose checksums match, captions; re-running re-renders only what changed.
. "$(dirname "$0")/lib.sh"
export XDG_CACHE_HOME="$T/cache"
sox -n -r 44100 -c 1 "$T/tone.flac" synth 3 sine 440 gain -10 2>/dev/null
cat > "$T/p.yaml" <<'YAML'
title: 牧区通知
items:
  - name: 安全提示
    announce: 冬季草原防火，请拨打12119。
  - pause: 1s
  - name: 提示音
    clip: tone.flac
  - name: 活动通知
    announce: 12月5日下午3点，嘎查文化室举办那达慕预备会。
YAML
run_muqir bundle "$T/p.yaml" -o "$T/pack" --format ogg
expect_rc "bundle exits 0" 0
check "three files, the pause skipped" test "$(ls "$T/pack" | grep -c '\.ogg$')" = 3
check "files are named in running order with titles" test -f "$T/pack/01-安全提示.ogg" -a -f "$T/pack/04-活动通知.ogg"
check "a caption file per spoken clip" test -f "$T/pack/01-安全提示.srt" -a -f "$T/pack/04-活动通知.srt" -a ! -f "$T/pack/03-提示音.srt"
check "the manifest is JSON" python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$T/pack/manifest.json"
python3 - "$T/pack" > "$T/verify" <<'PY'
import hashlib, json, os, sys
d = sys.argv[1]; m = json.load(open(os.path.join(d, 'manifest.json')))
for it in m['items']:
    h = hashlib.sha256(open(os.path.join(d, it['file']), 'rb').read()).hexdigest()
    print('ok' if h == it['sha256'] else 'BAD', it['file'])
print('items', len(m['items']))
PY
check "every checksum in the manifest matches its file" test "$(grep -c '^ok' "$T/verify")" = 3
expect_in "the manifest has the spoken text" "$T/pack/manifest.json" "冬季草原防火，请拨打12119。"
# The playlist plays: every entry decodes, and its length is about #EXTINF's.
n=0
while IFS= read -r line; do
    case "$line" in
    '#EXTINF:'*) want=${line#\#EXTINF:}; want=${want%%,*} ;;
    '#'*|'') ;;
    *) got=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$T/pack/$line")
       near "playlist entry $line plays for its #EXTINF length" "${got:-0}" "$want" 1.0
       n=$((n + 1)) ;;
    esac
done < "$T/pack/playlist.m3u"
check "the playlist lists the three clips" test "$n" = 3
for f in "$T"/pack/*.ogg; do
    lufs=$(ffmpeg -nostats -hide_banner -i "$f" -af ebur128 -f null - 2>&1 | awk '/Integrated loudness:/ { s = 1 } s && /I:/ { print $2; exit }')
    near "$(basename "$f") is normalized to -23 LUFS" "${lufs:-0}" -23 1.0
done

# Again: nothing changed, nothing rendered. Then one edit: one item rendered.
run_muqir bundle "$T/p.yaml" -o "$T/pack" --format ogg
expect_in "a second run renders nothing" "$T/err" "0 items rendered, 3 unchanged"
sed -i 's/请拨打12119/请及时拨打12119/' "$T/p.yaml"
run_muqir bundle "$T/p.yaml" -o "$T/pack" --format ogg
expect_in "after one edit only that item is rendered" "$T/err" "1 item rendered, 2 unchanged"
run_muqir bundle "$T/p.yaml" -o "$T/pack2" --format aac
expect_rc "an unknown bundle format is bad usage" 2

# A bundle written into the folder that holds the program's music must not
# replace it: its clip 01-各位听众好.ogg would be the bed the item plays.
rm -rf "$T/own" && mkdir -p "$T/own"
cp content/music/bed.ogg "$T/own/01-各位听众好.ogg"
printf 'title: 自己的文件\nitems:\n  - announce: 各位听众好。\n    bed: 01-各位听众好.ogg\n' \
    > "$T/own/p.yaml"
run_muqir bundle "$T/own/p.yaml" -o "$T/own" --format ogg
expect_rc "a bundle over the program's own bed exits 2" 2
expect_in "it says which file and where the program names it" "$T/err" \
    "is a bed the program plays ($T/own/p.yaml:3:5)"
check "the bed keeps its bytes" cmp -s content/music/bed.ogg "$T/own/01-各位听众好.ogg"
check "and no bundle was written" test ! -e "$T/own/manifest.json"

# A folder of the user's own is not written over: a playlist.m3u there that
# no muqir bundle made stops the bundle before anything is written.
rm -rf "$T/mine" && mkdir -p "$T/mine"
echo "my own playlist" > "$T/mine/playlist.m3u"
printf 'title: 自己的\nitems:\n  - announce: 各位听众好。\n' > "$T/mine.yaml"
run_muqir bundle "$T/mine.yaml" -o "$T/mine" --format ogg
expect_rc "a bundle into a folder with someone else's playlist.m3u exits 2" 2
expect_in "it names the file and says why" "$T/err" \
    "$T/mine/playlist.m3u: already there, and $T/mine is not a muqir bundle"
check "the user's playlist keeps its text" grep -qx "my own playlist" "$T/mine/playlist.m3u"
check "and nothing else was written there" test "$(ls -A "$T/mine")" = playlist.m3u
# What a bundle stopped half-way leaves (its first clip, and the manifest it
# writes before any clip, still without items) is a bundle: run again, it
# completes.
rm -f "$T/mine/playlist.m3u"
run_muqir bundle "$T/mine.yaml" -o "$T/mine" --format ogg
expect_rc "into the emptied folder it works" 0
printf '{\n  "format": "muqir-bundle-1",\n  "items": [\n  ]\n}\n' > "$T/mine/manifest.json"
rm -f "$T/mine/playlist.m3u"
run_muqir bundle "$T/mine.yaml" -o "$T/mine" --format ogg
expect_rc "a folder whose manifest lists no items yet is taken as a bundle" 0
expect_in "its clip is written again" "$T/err" "1 item rendered, 0 unchanged"
check "and the manifest lists it" grep -q '"file": "01-各位听众好.ogg"' "$T/mine/manifest.json"
