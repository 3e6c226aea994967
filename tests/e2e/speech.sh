# say and pinyin: speech is Mandarin, never English spelling of Chinese.
. "$(dirname "$0")/lib.sh"

run_muqir say 你好 -o "$T/x.wav"
expect_rc "say 你好 exits 0" 0
check "say writes a 48 kHz WAV" test "$(soxi -r "$T/x.wav" 2>/dev/null)" = 48000
secs=$(soxi -D "$T/x.wav" 2>/dev/null)
near "say 你好 lasts about half a second" "${secs:-0}" 0.5 0.35

# What muqir synthesizes, against what eSpeak NG makes of pinyin itself.
run_muqir pinyin --phonemes 你好
ours=$(cat "$T/out")
ref=$(espeak-ng -q -x -v cmn-latn-pinyin "ni3 hao3." 2>/dev/null | tr -s ' \n' '  ' | sed 's/^ *//;s/ *$//')
bad=$(espeak-ng -q -x -v cmn "你好" 2>/dev/null | tr -d '\n')
check "muqir speaks 你好 as Mandarin ni3 hao3 ('$ours' = '$ref')" test "$ours" = "$ref"
check "and not as eSpeak NG's cmn voice spells it ('$bad')" test "$ours" != "$bad"
case "$ours" in *"(en)"*) fail "no English phonemes in '$ours'";; *) pass "no English phonemes";; esac

run_muqir pinyin 你好
check "pinyin 你好 is 'ni3 hao3'" test "$(cat "$T/out")" = "ni3 hao3"

# -f reads one text a line and prints exactly one line per input line.
printf '第一行。\n\n2021年6月\n不要\n' > "$T/lines.txt"
run_muqir pinyin -f "$T/lines.txt"
expect_rc "pinyin -f exits 0" 0
check "pinyin -f prints one line per input line" test "$(wc -l < "$T/out")" = 4
check "line 3 reads the year digit by digit" test "$(sed -n 3p "$T/out")" = "er4 ling2 er4 yi1 nian2 liu4 yue4"
check "line 4 applies 不 sandhi" test "$(sed -n 4p "$T/out")" = "bu2 yao4"
printf '你好\n' | "$MUQIR" pinyin -f - > "$T/stdin.out" 2>&1
check "pinyin -f - reads stdin" test "$(cat "$T/stdin.out")" = "ni3 hao3"

# A character with no known reading is not spoken, and every command that
# reads the text says which and where; X{pinyin} gives it one in place.
run_muqir pinyin 你好𠀀朋友
expect_rc "pinyin with an unreadable character still exits 0" 0
check "it is left out" test "$(cat "$T/out")" = "ni3 hao3 peng2 you5"
expect_in "pinyin names it and its place" "$T/err" "argument:1:3: warning: '𠀀' has no known reading"
run_muqir pinyin 你好𠀀{shang4}朋友
check "X{pinyin} reads that character ($(cat "$T/out"))" test "$(cat "$T/out")" = "ni3 hao3 shang4 peng2 you5"
printf 'title: 生僻字\nitems:\n  - name: 开场\n    announce: 欢迎𠀀先生。\n  - read: rare.txt\n' > "$T/rare.yaml"
printf '第一行。\n请㐀老师讲话。\n' > "$T/rare.txt"
run_muqir check "$T/rare.yaml"
expect_rc "check of a program with unreadable characters exits 0" 0
expect_in "check places the announcement's in the program file" "$T/err" "rare.yaml:4:17: warning: '𠀀'"
expect_in "and the text file's in the text file" "$T/err" "rare.txt:2:2: warning: '㐀'"

run_muqir pinyin '重{chong2}庆' '{乌兰牧骑|wu1 lan2 mu4 qi2}'
check "inline fixes are read as written" test "$(tr '\n' '/' < "$T/out")" = "chong2 qing4/wu1 lan2 mu4 qi2/"
run_muqir pinyin '重{chong}庆'
expect_rc "a malformed inline fix is bad input" 2
expect_in "its message says what is wrong" "$T/err" "tone digit"

run_muqir voices
for v in announcer narrator host-female elder-slow; do
    expect_in "voices lists $v" "$T/out" "$v"
done
run_muqir say --voice nobody 你好 -o "$T/y.wav"
expect_rc "say with an unknown voice exits 2" 2

# A user lexicon file wins over the built-in reading; a broken one is located.
printf '# 银行 as in 银行 (xing2 only for this test)\n银行\tyin2 xing2\n' > "$T/lex.tsv"
run_muqir pinyin --lexicon "$T/lex.tsv" 银行
check "pinyin --lexicon applies a user lexicon file" test "$(cat "$T/out")" = "yin2 xing2"
printf '银行\tyin2\n' > "$T/bad.tsv"
run_muqir pinyin --lexicon "$T/bad.tsv" 银行
expect_rc "a broken lexicon file is bad input" 2
expect_in "its error is located" "$T/err" "$T/bad.tsv:1:"
run_muqir pinyin --stats 你好
expect_in "--stats reports the lexicon's memory" "$T/err" " MB"
