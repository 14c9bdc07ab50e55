// Reads a Parquet file with the independent reader (npm hyparquet) and prints its
// rows as JSON Lines, then one last line: {"meta": {...}} with the codecs and
// encodings of every column chunk and the key-value metadata.
//   node parquet_export.mjs FILE
import { parquetReadObjects, parquetMetadataAsync, asyncBufferFromFile } from 'hyparquet'

const file = await asyncBufferFromFile(process.argv[2])
const md = await parquetMetadataAsync(file)
for (const row of await parquetReadObjects({ file })) console.log(JSON.stringify(row))
const chunks = md.row_groups.flatMap((g) => g.columns.map((c) => c.meta_data))
console.log(JSON.stringify({ meta: {
  row_groups: md.row_groups.length,
  codecs: [...new Set(chunks.map((c) => c.codec))],
  encodings: [...new Set(chunks.flatMap((c) => c.encodings))],
  dictionary: chunks.every((c) => c.dictionary_page_offset !== undefined),
  kv: Object.fromEntries((md.key_value_metadata || []).map((kv) => [kv.key, kv.value])),
} }))
