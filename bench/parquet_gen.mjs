// Writes N preference pairs from the HH-RLHF harmless test split (its 2312 records
// repeated, each with a fresh id) as Parquet with the independent writer
// (hyparquet-writer, SNAPPY, row groups of 20,000 rows or $ROWS_PER_GROUP, streamed
// batch by batch) and,
// optionally, the same pairs as JSON Lines.  With UNIQUE=1 each text is prefixed
// with its id, so dictionaries do not shrink the file (for the 1 GB memory run).
//   node parquet_gen.mjs HH.jsonl.gz N OUT.parquet [OUT.jsonl]
import { ParquetWriter } from 'hyparquet-writer'
import { fileWriter } from 'hyparquet-writer/src/node.js'
import fs from 'node:fs'
import zlib from 'node:zlib'

const [hh, nArg, outPq, outJs] = process.argv.slice(2)
const n = Number(nArg), unique = process.env.UNIQUE === '1'
const src = zlib.gunzipSync(fs.readFileSync(hh)).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
const str = (name) => ({ name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' })
const writer = new ParquetWriter({
  writer: fileWriter(outPq),
  schema: [{ name: 'root', num_children: 3 }, str('id'), str('chosen'), str('rejected')],
})
const js = outJs ? fs.openSync(outJs, 'w') : null
const batch = Number(process.env.ROWS_PER_GROUP || 20000)
for (let start = 0; start < n; start += batch) {
  const ids = [], chosen = [], rejected = []
  let text = ''
  for (let i = start; i < Math.min(n, start + batch); i++) {
    const r = src[i % src.length], id = 'hh-' + String(i).padStart(7, '0')
    const pre = unique ? `[${id}] ` : ''
    ids.push(id)
    chosen.push(pre + r.chosen)
    rejected.push(pre + r.rejected)
    if (js) text += JSON.stringify({ id, chosen: pre + r.chosen, rejected: pre + r.rejected }) + '\n'
  }
  writer.write({ columnData: [{ name: 'id', data: ids }, { name: 'chosen', data: chosen }, { name: 'rejected', data: rejected }],
    rowGroupSize: batch })
  if (js) fs.writeSync(js, text)
}
writer.finish()
if (js) fs.closeSync(js)
