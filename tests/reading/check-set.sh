#!/usr/bin/env bash
# Self-check for the reading dev set (tests/reading/dev.tsv).
#
# Usage: tests/reading/check-set.sh [path/to/dev.tsv] [-v]
#
# Errors (exit status 1):
#   - a non-comment line without exactly 4 TAB-separated columns, or an empty column
#   - a duplicate ID, or an unknown CATEGORY
#   - a PINYIN token that is not [a-z]+[1-5], or whose letters are not a Mandarin syllable
#     (initial + final table below; ü is written v, and only after n/l)
#   - TEXT made only of Chinese characters and Chinese punctuation whose number of Chinese
#     characters differs from the number of syllables
#   - a category below its minimum count, or fewer than 320 sentences in all
# Warnings (printed, do not fail; -v prints them all):
#   - TEXT shorter than 10 or longer than 60 characters (punctuation not counted)
#   - in aligned sentences, 一/不 readings that differ from the plain sandhi rule; these are
#     expected for the documented exceptions (ordinal/word-final 一, infix 不 in V不V and V不C,
#     看一看), so they are listed for a human to read, not treated as errors.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
file="$here/dev.tsv"
verbose=0
for a in "$@"; do
  case "$a" in
    -v) verbose=1 ;;
    *) file="$a" ;;
  esac
done
[ -f "$file" ] || { echo "check-set: no such file: $file" >&2; exit 2; }
command -v python3 >/dev/null 2>&1 || { echo "check-set: python3 is required" >&2; exit 2; }

exec python3 - "$file" "$verbose" <<'PY'
import re, sys
path, verbose = sys.argv[1], sys.argv[2] == "1"

MINIMUM = {"seed": 60, "number": 50, "date_time": 20, "phone": 10, "letters": 10,
           "polyphone": 80, "sandhi": 30, "place": 30, "news": 40}
TOTAL_MIN = 320

INITIALS = ["zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h",
            "j", "q", "x", "r", "z", "c", "s", "y", "w", ""]
FINALS = {
    "": ["a", "o", "e", "ai", "ei", "ao", "ou", "an", "en", "ang", "eng", "er"],
    "b": "a o ai ei ao an en ang eng i ie iao ian in ing u".split(),
    "p": "a o ai ei ao ou an en ang eng i ie iao ian in ing u".split(),
    "m": "a o e ai ei ao ou an en ang eng i ie iao iu ian in ing u".split(),
    "f": "a o ei ou an en ang eng u".split(),
    "d": "a e ai ei ao ou an en ang eng ong i ia ie iao iu ian ing u uo ui uan un".split(),
    "t": "a e ai ei ao ou an ang eng ong i ie iao ian ing u uo ui uan un".split(),
    "n": "a e ai ei ao ou an en ang eng ong i ie iao iu ian in iang ing u uo uan v ve".split(),
    "l": "a o e ai ei ao ou an ang eng ong i ia ie iao iu ian in iang ing u uo uan un v ve".split(),
    "g": "a e ai ei ao ou an en ang eng ong u ua uo uai ui uan un uang".split(),
    "k": "a e ai ei ao ou an en ang eng ong u ua uo uai ui uan un uang".split(),
    "h": "a e ai ei ao ou an en ang eng ong u ua uo uai ui uan un uang".split(),
    "j": "i ia ie iao iu ian in iang ing iong u ue uan un".split(),
    "q": "i ia ie iao iu ian in iang ing iong u ue uan un".split(),
    "x": "i ia ie iao iu ian in iang ing iong u ue uan un".split(),
    "zh": "a e i ai ei ao ou an en ang eng ong u ua uo uai ui uan un uang".split(),
    "ch": "a e i ai ao ou an en ang eng ong u ua uo uai ui uan un uang".split(),
    "sh": "a e i ai ei ao ou an en ang eng u ua uo uai ui uan un uang".split(),
    "r": "e i ao ou an en ang eng ong u ua uo ui uan un".split(),
    "z": "a e i ai ei ao ou an en ang eng ong u uo ui uan un".split(),
    "c": "a e i ai ao ou an en ang eng ong u uo ui uan un".split(),
    "s": "a e i ai ao ou an en ang eng ong u uo ui uan un".split(),
    "y": "a e ao ou an ang i in ing o ong u ue uan un".split(),
    "w": "a o ai ei an en ang eng u".split(),
}
SYLLABLES = {i + f for i in INITIALS for f in FINALS[i]}

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
# Chinese punctuation that is not read (full-width), plus the ideographic space.
CN_PUNCT = set("，。、；：？！“”‘’（）《》〈〉【】—…·「」『』　")
TOKEN = re.compile(r"^([a-z]+)([1-5])$")

errors, warnings = [], []
seen, counts, total = {}, {}, 0

def err(n, msg): errors.append(f"line {n}: {msg}")
def warn(n, msg): warnings.append(f"line {n}: {msg}")

with open(path, encoding="utf-8") as fh:
    lines = fh.read().split("\n")
if lines and lines[-1] == "":
    lines.pop()

for n, line in enumerate(lines, 1):
    if line.startswith("#") or line.strip() == "":
        continue
    cols = line.split("\t")
    if len(cols) != 4:
        err(n, f"expected 4 TAB-separated columns, found {len(cols)}")
        continue
    ident, cat, text, pinyin = cols
    if not all(c.strip() for c in cols):
        err(n, "empty column")
        continue
    if ident in seen:
        err(n, f"duplicate ID {ident} (first on line {seen[ident]})")
    seen[ident] = n
    if cat not in MINIMUM:
        err(n, f"unknown category {cat!r}")
    counts[cat] = counts.get(cat, 0) + 1
    total += 1
    if pinyin != pinyin.strip() or "  " in pinyin:
        err(n, "PINYIN has leading/trailing or doubled spaces")
    sylls = pinyin.split()
    bad = False
    for s in sylls:
        m = TOKEN.match(s)
        if not m:
            err(n, f"bad syllable token {s!r} (want [a-z]+[1-5])"); bad = True; continue
        if m.group(1) not in SYLLABLES:
            err(n, f"{s!r} is not a Mandarin syllable"); bad = True
    readable = [ch for ch in text if ch not in CN_PUNCT]
    han = [ch for ch in readable if HAN.match(ch)]
    if not (10 <= len(readable) <= 60):
        warn(n, f"TEXT has {len(readable)} characters (want 10-60)")
    if len(han) == len(readable):  # Chinese characters only
        if len(han) != len(sylls):
            err(n, f"{len(han)} Chinese characters but {len(sylls)} syllables")
            continue
        if bad:
            continue
        # one/bu sandhi review (warnings only)
        for i, ch in enumerate(han):
            if ch not in "一不":
                continue
            got = sylls[i]
            nxt = sylls[i + 1] if i + 1 < len(sylls) else None
            if nxt is None:
                continue
            tone = nxt[-1]
            if ch == "不":
                want = "bu2" if tone == "4" else "bu4"
            else:
                want = "yi2" if tone == "4" else "yi4"
            if got != want:
                ctx = "".join(han[max(0, i - 2): i + 3])
                warn(n, f"{ch} read {got}, plain rule gives {want}: …{ctx}…")

for cat, need in MINIMUM.items():
    have = counts.get(cat, 0)
    if have < need:
        errors.append(f"category {cat}: {have} sentences, minimum {need}")
if total < TOTAL_MIN:
    errors.append(f"{total} sentences in all, minimum {TOTAL_MIN}")

print(f"check-set: {path}: {total} sentences")
for cat in MINIMUM:
    print(f"  {cat:10s} {counts.get(cat, 0):4d}  (min {MINIMUM[cat]})")
if warnings:
    print(f"check-set: {len(warnings)} warning(s)" + ("" if verbose else " (use -v to list)"))
    if verbose:
        for w in warnings: print("  warning: " + w)
if errors:
    for e in errors: print("  ERROR: " + e)
    print(f"check-set: FAILED with {len(errors)} error(s)")
    sys.exit(1)
print("check-set: OK")
PY
