#!/usr/bin/env node
// build.mjs — regenerates voices/lexicon/words.tsv and voices/lexicon/chars.tsv.
//
// Run: cd tools/build-lexicon && npm ci && node build.mjs   (or `make lexicon`)
//
// Sources (all from the npm registry, pinned in package-lock.json):
//   - @node-rs/jieba  dict.txt   jieba's word list with frequencies (MIT)    -> word set + FREQ
//   - @pinyin-pro/data complete.json  pinyin for every word of that list (ISC) -> word pinyin
//   - pinyin-pro  dict2..dict5   the library's curated word readings (MIT)   -> wins over the above
//   - pinyin-pro  polyphonic()   every reading of every character (MIT)      -> chars.tsv
//   - ../../voices/lexicon/overrides.tsv  hand-written corrections, applied last
// places.tsv is hand-written and NOT generated; this script only validates it.
//
// Output is deterministic: no dates, no randomness, byte-order sorting, LF.
// Prints a short report to stdout; exits non-zero when an input is malformed.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { polyphonic, pinyin as ppPinyin } from 'pinyin-pro';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.resolve(here, '../../voices/lexicon');
const pkgVersion = (name) =>
  JSON.parse(fs.readFileSync(path.join(here, 'node_modules', name, 'package.json'), 'utf8')).version;

const DEFAULT_FREQ = 2;          // jieba's smallest count; for words jieba lacks
const HAN = /^\p{Script=Han}+$/u;

// ---------------------------------------------------------------- pinyin ---

const TONE_MARKS = { '\u0304': 1, '\u0301': 2, '\u030C': 3, '\u0300': 4 };

// "lǚ" -> "lv3", "zi" -> "zi5", "ng4" -> "ng4", "le0" -> "le5". Returns null if not pinyin.
function sylToNum(s) {
  s = s.trim().toLowerCase();
  if (/^[a-zü]+[0-5]$/.test(s)) {
    const t = s.endsWith('0') ? '5' : s.slice(-1);
    return s.slice(0, -1).replace(/ü/g, 'v') + t;
  }
  let tone = 5, base = '';
  for (const ch of s.normalize('NFD')) {
    if (ch in TONE_MARKS) { tone = TONE_MARKS[ch]; continue; }
    if (ch === '\u0308') { base = base.replace(/u$/, 'v'); continue; }  // ü
    if (ch === '\u0302') return null;                                   // ê: not sayable
    base += ch;
  }
  if (!/^[a-z]+$/.test(base)) return null;
  return base + tone;
}

function toNum(py) {
  const out = [];
  for (const s of py.trim().split(/\s+/)) {
    const n = sylToNum(s);
    if (!n) return null;
    out.push(n);
  }
  return out;
}

// Inside a word, 一 and 不 keep the tone the source gives: @pinyin-pro/data writes
// their sandhi (一个 yi2 ge4, 不要 bu2 yao4) and keeps yi1 where the standard
// keeps it (一线 yi1 xian4, 一月, 一季度) — checked: of 5,621 word-internal 一
// only 44 break the rule, all 看一看-type neutrals or idioms. So the engine
// applies sandhi at run time only to 一/不 standing alone. A word-final 一/不
// is always citation tone (统一 tong3 yi1).
function citeYiBu(chars, syls) {
  const last = chars.length - 1;
  if (chars[last] === '一' && (syls[last] === 'yi2' || syls[last] === 'yi4')) syls[last] = 'yi1';
  if (chars[last] === '不' && syls[last] === 'bu2') syls[last] = 'bu4';
  return syls;
}

// ------------------------------------------------------------------ util ---

const byteCmp = (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b));
const problems = [];
function problem(msg) { problems.push(msg); }

function readTsv(file) {
  const rows = [];
  const text = fs.readFileSync(file, 'utf8');
  text.split('\n').forEach((line, i) => {
    if (line === '' || line.startsWith('#')) return;
    rows.push({ cols: line.split('\t'), line: i + 1 });
  });
  return rows;
}

function writeTsv(file, header, rows) {
  rows.sort((a, b) => byteCmp(a[0], b[0]));
  for (let i = 1; i < rows.length; i++)
    if (rows[i - 1][0] === rows[i][0]) throw new Error(`${file}: duplicate key ${rows[i][0]}`);
  const body = rows.map((r) => r.join('\t')).join('\n') + '\n';
  fs.writeFileSync(file, header.map((h) => `# ${h}`.trimEnd()).join('\n') + '\n' + body);
  return Buffer.byteLength(body);
}

// ----------------------------------------------------------------- chars ---

const CJK_RANGES = [
  [0x3007, 0x3007], [0x3400, 0x4dbf], [0x4e00, 0x9fff], [0xf900, 0xfaff],
  [0x20000, 0x2a6df], [0x2a700, 0x2ebef], [0x30000, 0x3134f],
];

const chars = new Map();          // char -> [readings], default first
for (const [lo, hi] of CJK_RANGES) {
  for (let cp = lo; cp <= hi; cp++) {
    const c = String.fromCodePoint(cp);
    const r = polyphonic(c, { toneType: 'num', type: 'array', v: true })[0] || [];
    if (r.length === 0 || r[0] === c) continue;
    const rs = [];
    for (const s of r) {
      const n = sylToNum(s);
      if (!n) { if (!s.includes('ê')) problem(`char ${c}: bad reading ${s}`); continue; }
      if (!rs.includes(n)) rs.push(n);
    }
    if (rs.length) chars.set(c, rs);
  }
}
const validSyl = new Set();
for (const rs of chars.values()) for (const s of rs) validSyl.add(s.replace(/[1-5]$/, ''));
for (const s of ['r']) validSyl.add(s);   // the erhua suffix some sources write alone

function checkSyls(word, syls, where) {
  if (syls.length !== [...word].length) {
    problem(`${where}: ${word}: ${syls.length} syllables for ${[...word].length} characters`);
    return false;
  }
  for (const s of syls) {
    if (!/^[a-z]+[1-5]$/.test(s) || !validSyl.has(s.slice(0, -1))) {
      problem(`${where}: ${word}: not a pinyin syllable: ${s}`);
      return false;
    }
  }
  return true;
}

// ----------------------------------------------------------------- words ---

const jiebaPath = path.join(here, 'node_modules/@node-rs/jieba/dict.txt');
const jieba = new Map();          // word -> count (all entries, incl. single chars)
for (const line of fs.readFileSync(jiebaPath, 'utf8').split('\n')) {
  if (!line) continue;
  const [w, f] = line.split(' ');
  jieba.set(w, (jieba.get(w) || 0) + Number(f));
}

const data = JSON.parse(fs.readFileSync(path.join(here, 'node_modules/@pinyin-pro/data/json/complete.json'), 'utf8'));
const curated = {};
for (const n of [2, 3, 4, 5])
  Object.assign(curated, (await import(`pinyin-pro/dist/esm/data/dict${n}.mjs`)).default);

const words = new Map();          // word -> { syls, freq, src }
const stats = { jieba: 0, fromData: 0, fromCurated: 0, computed: 0, curatedOnly: 0, yibu: 0 };

function pinyinFor(w) {
  const tries = [];
  if (curated[w]) tries.push(['curated', curated[w]]);
  if (data[w]) tries.push(['data', data[w][0]]);
  for (const [src, py] of tries) {
    const syls = toNum(py);
    if (syls && syls.length === [...w].length && syls.every((s) => validSyl.has(s.slice(0, -1))))
      return { syls, src };
    problem(`${src}: ${w}: unusable pinyin "${py}", trying the next source`);
  }
  const syls = ppPinyin(w, { toneType: 'num', type: 'array', v: true, toneSandhi: false })
    .map((s) => sylToNum(s));
  return { syls, src: 'computed' };
}

function addWord(w, freq) {
  const { syls, src } = pinyinFor(w);
  const before = syls.join(' ');
  citeYiBu([...w], syls);
  if (syls.join(' ') !== before) stats.yibu++;
  if (!checkSyls(w, syls, src)) return;
  if (src === 'curated') stats.fromCurated++;
  else if (src === 'data') stats.fromData++;
  else stats.computed++;
  words.set(w, { syls, freq, src });
}

for (const [w, f] of jieba) {
  if ([...w].length < 2 || !HAN.test(w)) continue;
  stats.jieba++;
  addWord(w, f);
}
for (const w of Object.keys(curated)) {
  if (words.has(w) || [...w].length < 2 || !HAN.test(w)) continue;
  stats.curatedOnly++;
  addWord(w, DEFAULT_FREQ);
}

// ------------------------------------------------------------- overrides ---
// overrides.tsv: KEY<TAB>PINYIN[<TAB>FREQ][<TAB># why]
//   multi-character KEY: sets the word's pinyin (space-separated syllables); FREQ optional
//                        (keeps the current count, or DEFAULT_FREQ for a new word).
//                        PINYIN "-" deletes the word.
//   single character KEY: sets its readings, comma-separated, default first.

const ovPath = path.join(outDir, 'overrides.tsv');
const ovStats = { words: 0, added: 0, deleted: 0, chars: 0, unchanged: [] };
for (const { cols, line } of readTsv(ovPath)) {
  const where = `overrides.tsv:${line}`;
  const [key, py, freqCol] = cols;
  if (!key || !py) { problem(`${where}: need KEY<TAB>PINYIN`); continue; }
  if (!HAN.test(key)) { problem(`${where}: ${key}: not Chinese characters`); continue; }
  if ([...key].length === 1) {
    const rs = py.split(',').map((s) => s.trim());
    if (!rs.every((s) => /^[a-z]+[1-5]$/.test(s) && validSyl.has(s.slice(0, -1)))) {
      problem(`${where}: ${key}: bad readings ${py}`); continue;
    }
    chars.set(key, rs);
    ovStats.chars++;
    continue;
  }
  if (py === '-') {
    if (words.delete(key)) ovStats.deleted++;
    else problem(`${where}: ${key}: delete of a word that is not there`);
    continue;
  }
  const syls = py.trim().split(/\s+/);
  if (!checkSyls(key, syls, where)) continue;
  const old = words.get(key);
  if (freqCol && freqCol.trim() !== '' && !/^[1-9][0-9]*$/.test(freqCol.trim())) {
    problem(`${where}: ${key}: bad FREQ ${freqCol}`); continue;
  }
  const freq = freqCol && freqCol.trim() ? Number(freqCol) : old ? old.freq : DEFAULT_FREQ;
  if (old && old.syls.join(' ') === syls.join(' ') && old.freq === freq) ovStats.unchanged.push(key);
  if (!old) ovStats.added++; else ovStats.words++;
  words.set(key, { syls, freq, src: 'override' });
}

// ---------------------------------------------------------------- places ---
// Hand-written; validated with the same rules so the engine never meets a bad line.

const placesPath = path.join(outDir, 'places.tsv');
{
  const rows = readTsv(placesPath);
  let prev = null;
  for (const { cols, line } of rows) {
    const where = `places.tsv:${line}`;
    if (cols.length !== 3) { problem(`${where}: need 3 columns`); continue; }
    const [w, py, f] = cols;
    if (!HAN.test(w) || [...w].length < 2) problem(`${where}: ${w}: not a word of 2+ Chinese characters`);
    checkSyls(w, py.split(' '), where);
    if (!/^[1-9][0-9]*$/.test(f)) problem(`${where}: bad FREQ ${f}`);
    if (prev !== null && byteCmp(prev, w) >= 0) problem(`${where}: ${w}: not in byte order after ${prev}`);
    prev = w;
  }
  stats.places = rows.length;
}

// ----------------------------------------------------------------- write ---

const versions = {
  'pinyin-pro': pkgVersion('pinyin-pro'),
  '@pinyin-pro/data': pkgVersion('@pinyin-pro/data'),
  '@node-rs/jieba': pkgVersion('@node-rs/jieba'),
};
const srcLine = Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(', ');

const wordRows = [...words].map(([w, e]) => [w, e.syls.join(' '), String(e.freq)]);
const wordBytes = writeTsv(path.join(outDir, 'words.tsv'), [
  'muqir pronunciation lexicon: multi-character words. GENERATED by tools/build-lexicon/build.mjs; do not edit,',
  'fix readings in overrides.tsv instead. See SOURCES.md for sources and licenses.',
  `sources: ${srcLine}, overrides.tsv`,
  'WORD<TAB>PINYIN<TAB>FREQ   tone digits 1-5 (5 = neutral), v = ü, 一/不 with their sandhi inside words (一个 yi2 ge4), citation tone alone, no 3-3 sandhi',
], wordRows);

const charRows = [...chars].map(([c, rs]) => [c, rs.join(','), String(Math.max(1, jieba.get(c) || 1))]);
const charBytes = writeTsv(path.join(outDir, 'chars.tsv'), [
  'muqir pronunciation lexicon: single characters. GENERATED by tools/build-lexicon/build.mjs; do not edit,',
  'fix readings in overrides.tsv instead. See SOURCES.md for sources and licenses.',
  `sources: ${srcLine}, overrides.tsv`,
  'CHAR<TAB>READINGS<TAB>FREQ   readings comma-separated, default (most common) first; FREQ = jieba count, 1 if absent',
], charRows);

// ---------------------------------------------------------------- report ---

console.log(`sources: ${srcLine}`);
console.log(`words.tsv: ${wordRows.length} words, ${wordBytes} bytes of entries`);
console.log(`  from jieba list: ${stats.jieba} (pinyin: curated ${stats.fromCurated}, data ${stats.fromData}, computed ${stats.computed})`);
console.log(`  curated-only words added: ${stats.curatedOnly}; 一/不 normalized in ${stats.yibu} words`);
console.log(`  overrides: ${ovStats.words} changed, ${ovStats.added} added, ${ovStats.deleted} deleted, ${ovStats.chars} chars`);
if (ovStats.unchanged.length) console.log(`  overrides that changed nothing: ${ovStats.unchanged.join(' ')}`);
console.log(`chars.tsv: ${charRows.length} characters, ${charBytes} bytes of entries`);
console.log(`places.tsv: ${stats.places} entries (hand-written, validated)`);
if (problems.length) {
  console.log(`${problems.length} problems:`);
  for (const p of problems.slice(0, 200)) console.log(`  ${p}`);
}
const fatal = problems.filter((p) => p.startsWith('overrides.tsv') || p.startsWith('places.tsv'));
if (fatal.length) {
  console.error(`build-lexicon: ${fatal.length} errors in hand-written files`);
  process.exit(1);
}
