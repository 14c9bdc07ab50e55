// Writes preference-shaped Parquet files with an independent writer (the npm package
// hyparquet-writer), every encoding and codec it can produce, plus the same rows as
// JSON Lines, and reads each file back with the independent reader (hyparquet) so
// the test can compare prefscope's reading field by field.
//   node parquet_writer.mjs OUTDIR SEED
import { parquetWriteFile } from 'hyparquet-writer'
import { parquetReadObjects, asyncBufferFromFile } from 'hyparquet'
import fs from 'node:fs'
import zlib from 'node:zlib'

const [outdir, seedArg] = process.argv.slice(2)
let seed = Number(seedArg) >>> 0
function rand() { // mulberry32
  seed = (seed + 0x6d2b79f5) >>> 0
  let t = seed
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const pick = (a) => a[Math.floor(rand() * a.length)]
const words = ['the', 'model', 'answer', 'é', 'naïve', '中文', '😀', 'don\u2019t', '"quoted"',
  'back\\slash', 'tab\there', 'line\nbreak', 'x'.repeat(300), 'prefix-shared-prefix-', '']
const text = () => Array.from({ length: 1 + Math.floor(rand() * 12) }, () => pick(words)).join(' ')

const N = 257
const rows = Array.from({ length: N }, (_, i) => ({
  prompt: rand() < 0.3 ? pick(['Same prompt?', 'Another shared prompt']) : text(),
  chosen: text() || 'c',
  rejected: text() || 'r',
  score_chosen: Math.round(rand() * 1e6) / 1e3,
  score_rejected: rand() < 0.2 ? null : -Math.round(rand() * 1e6) / 7,
  id: BigInt(i) * 1000003n - 5000n,
  n: rand() < 0.1 ? null : Math.floor(rand() * 4e9) - 2e9,
  flag: rand() < 0.1 ? null : rand() < 0.5,
  ts: new Date(Date.UTC(1990 + Math.floor(rand() * 60), Math.floor(rand() * 12), 1 + Math.floor(rand() * 28),
    Math.floor(rand() * 24), Math.floor(rand() * 60), Math.floor(rand() * 60), Math.floor(rand() * 1000))),
  half: Math.floor(rand() * 64) / 4, // exact in FLOAT
}))

// LZ4_RAW: node has no LZ4, so the test writes valid blocks of one literal run.
function lz4Literal(input) {
  const n = input.length, ext = []
  if (n >= 15) { let r = n - 15; while (r >= 255) { ext.push(255); r -= 255 } ext.push(r) }
  return Uint8Array.from([Math.min(n, 15) << 4, ...ext, ...input])
}
const compressors = {
  GZIP: (b) => new Uint8Array(zlib.gzipSync(b)),
  BROTLI: (b) => new Uint8Array(zlib.brotliCompressSync(b)),
  LZ4_RAW: lz4Literal,
}
if (zlib.zstdCompressSync) compressors.ZSTD = (b) => new Uint8Array(zlib.zstdCompressSync(b))
// and for hyparquet, reading them back
function lz4Decode(input, outLen) {
  const out = new Uint8Array(outLen)
  let i = 0, o = 0
  const len = (n) => { if (n === 15) { let b; do { b = input[i++]; n += b } while (b === 255) } return n }
  while (i < input.length) {
    const token = input[i++]
    const lit = len(token >> 4)
    out.set(input.subarray(i, i + lit), o); i += lit; o += lit
    if (i >= input.length) break
    const off = input[i] | (input[i + 1] << 8); i += 2
    const m = len(token & 15) + 4
    for (let k = 0; k < m; k++, o++) out[o] = out[o - off]
  }
  return out
}
const decompressors = {
  GZIP: (b) => new Uint8Array(zlib.gunzipSync(b)),
  BROTLI: (b) => new Uint8Array(zlib.brotliDecompressSync(b)),
  LZ4_RAW: lz4Decode,
}
if (zlib.zstdDecompressSync) decompressors.ZSTD = (b) => new Uint8Array(zlib.zstdDecompressSync(b))

function columns(data, enc) {
  const col = (name, type, e) => ({ name, type, data: data.map((r) => r[name]), ...(e ? { encoding: e } : {}) })
  return [
    col('prompt', 'STRING', enc.str), col('chosen', 'STRING', enc.str), col('rejected', 'STRING', enc.str),
    col('score_chosen', 'DOUBLE', enc.dbl), col('score_rejected', 'DOUBLE', enc.dbl),
    col('id', 'INT64', enc.int), col('n', 'INT32', enc.int), col('flag', 'BOOLEAN', enc.bool),
    col('ts', 'TIMESTAMP'), col('half', 'FLOAT', enc.dbl),
  ]
}

const plans = [
  { file: 'dict_snappy', codec: 'SNAPPY', enc: {} },
  { file: 'plain_none', codec: 'UNCOMPRESSED', enc: { str: 'PLAIN', dbl: 'PLAIN', int: 'PLAIN', bool: 'PLAIN' } },
  { file: 'delta_gzip', codec: 'GZIP', enc: { str: 'DELTA_LENGTH_BYTE_ARRAY', int: 'DELTA_BINARY_PACKED', bool: 'RLE' } },
  { file: 'deltaba_brotli', codec: 'BROTLI', enc: { str: 'DELTA_BYTE_ARRAY', dbl: 'BYTE_STREAM_SPLIT', int: 'DELTA_BINARY_PACKED' } },
  { file: 'lz4raw', codec: 'LZ4_RAW', enc: { str: 'PLAIN', dbl: 'BYTE_STREAM_SPLIT' } },
  { file: 'zstd', codec: 'ZSTD', enc: {} },
]
const manifest = []
const toJson = (v) => typeof v === 'bigint' ? Number(v) : v instanceof Date ? v.toISOString() : v
async function readBack(path) {
  const file = await asyncBufferFromFile(path)
  const objs = await parquetReadObjects({ file, compressors: decompressors })
  fs.writeFileSync(path + '.hyparquet.jsonl', objs.map((o) => JSON.stringify(o, (k, v) => toJson(v))).join('\n') + '\n')
}
for (const p of plans) {
  if (p.codec !== 'SNAPPY' && p.codec !== 'UNCOMPRESSED' && !compressors[p.codec]) continue
  const filename = `${outdir}/${p.file}.parquet`
  // small pages and row groups: many pages, several row groups
  parquetWriteFile({ filename, columnData: columns(rows, p.enc), codec: p.codec, compressors,
    pageSize: 2048, rowGroupSize: [50, 100] })
  await readBack(filename)
  manifest.push({ file: filename, codec: p.codec, enc: p.enc, rows: N })
}
// Shards as the hub names them: one dataset.
const cuts = [0, 100, 200, N]
for (let s = 0; s < 3; s++) {
  const filename = `${outdir}/train-0000${s}-of-00003.parquet`
  parquetWriteFile({ filename, columnData: columns(rows.slice(cuts[s], cuts[s + 1]), {}) })
}
// Conversational TRL: prompt, chosen and rejected as list<struct{role, content}>.
const msgs = (list) => list.map(([role, content]) => ({ role, content }))
const conv = rows.slice(0, 40).map((r, i) => ({
  prompt: msgs(i % 3 ? [['user', r.prompt]] : [['system', 'Be brief.'], ['user', 'first'], ['assistant', 'ok'], ['user', r.prompt]]),
  chosen: msgs([['assistant', r.chosen]]),
  rejected: msgs([['assistant', r.rejected]]),
}))
const listOf = (name) => [
  { name, repetition_type: 'REQUIRED', converted_type: 'LIST', num_children: 1 },
  { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
  { name: 'element', repetition_type: 'REQUIRED', num_children: 2 },
  { name: 'role', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
  { name: 'content', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
]
const convFile = `${outdir}/conversational.parquet`
parquetWriteFile({
  filename: convFile,
  columnData: ['prompt', 'chosen', 'rejected'].map((name) => ({ name, data: conv.map((r) => r[name]) })),
  schema: [{ name: 'root', num_children: 3 }, ...listOf('prompt'), ...listOf('chosen'), ...listOf('rejected')],
})
await readBack(convFile)
manifest.push({ file: convFile, codec: 'SNAPPY', enc: { nested: 'list<struct>' }, rows: conv.length })
const jsonl = (name, list) => fs.writeFileSync(`${outdir}/${name}`, list.map((r) => JSON.stringify(r, (k, v) => toJson(v))).join('\n') + '\n')
jsonl('prefs.jsonl', rows.map(({ prompt, chosen, rejected, score_chosen, score_rejected }) => ({ prompt, chosen, rejected, score_chosen, score_rejected })))
jsonl('conversational.jsonl', conv)
fs.writeFileSync(`${outdir}/manifest.json`, JSON.stringify(manifest))
