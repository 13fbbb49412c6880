//! The entity search index (信用查询) as static files, loaded in pieces.
//!
//! Names and document numbers are cut into character bigrams, codes are kept whole; each token
//! is hashed (FNV-1a, 32 bits) and the hash picks one of `shards` posting files. A query
//! downloads `meta.json`, the few shards of its tokens, and the document chunks of the
//! matching records (chunks group record ids by `id / CHUNK`). `search.js` mirrors the
//! tokenising here; the browser re-checks each hit against the full text, so hash collisions
//! and bigram coincidences never show.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use serde_json::json;
use unicode_normalization::UnicodeNormalization;

use crate::records::Summary;

/// Record ids per document chunk.
pub const CHUNK: i64 = 128;
/// Tokens in more records than this share (and at least `COMMON_MIN`) are not indexed: a
/// bigram like 公司 would make its shard as large as the whole index.
const COMMON_SHARE: usize = 50;
const COMMON_MIN: usize = 1000;
/// Target records per shard, and bounds on the number of shards.
const RECORDS_PER_SHARD: usize = 64;
const MIN_SHARDS: usize = 8;
const MAX_SHARDS: usize = 4096;

/// The published dataset a summary's index points at.
pub struct IndexedDataset<'a> {
    pub id: &'a str,
    pub title: &'a str,
}

/// The index files: path under the output directory → JSON text.
pub fn build(summaries: &[Summary], datasets: &[IndexedDataset]) -> Vec<(String, String)> {
    let shards = shard_count(summaries.len());

    let mut postings: HashMap<u32, Vec<i64>> = HashMap::new();
    let mut document_frequency: HashMap<u32, usize> = HashMap::new();
    let mut keys = Vec::new();
    for s in summaries {
        keys.clear();
        record_keys(s, &mut keys);
        for &key in &keys {
            postings.entry(key).or_default().push(s.id);
            *document_frequency.entry(key).or_default() += 1;
        }
    }

    let limit = COMMON_MIN.max(summaries.len() / COMMON_SHARE);
    let mut common: Vec<u32> = document_frequency
        .iter()
        .filter(|(_, &n)| n > limit)
        .map(|(&k, _)| k)
        .collect();
    common.sort_unstable();

    let mut shard_maps: Vec<BTreeMap<u32, Vec<i64>>> = vec![BTreeMap::new(); shards];
    for (key, mut ids) in postings {
        if common.binary_search(&key).is_ok() {
            continue;
        }
        ids.sort_unstable();
        shard_maps[key as usize % shards].insert(key, ids);
    }

    let mut files = Vec::with_capacity(shards + summaries.len() / CHUNK as usize + 2);
    let meta = json!({
        "shards": shards,
        "chunk": CHUNK,
        "common": common,
        "datasets": datasets.iter().map(|d| json!({"id": d.id, "title": d.title})).collect::<Vec<_>>(),
    });
    files.push(("search/meta.json".to_string(), meta.to_string()));
    for (n, map) in shard_maps.into_iter().enumerate() {
        files.push((format!("search/t/{n}.json"), shard_json(&map)));
    }

    let mut chunks: BTreeMap<i64, Vec<&Summary>> = BTreeMap::new();
    for s in summaries {
        chunks.entry(s.id.div_euclid(CHUNK)).or_default().push(s);
    }
    for (chunk, mut members) in chunks {
        members.sort_by_key(|s| s.id);
        files.push((format!("search/d/{chunk}.json"), chunk_json(&members)));
    }
    files
}

/// Index files an incremental build rewrites, and chunk files it removes.
pub struct Patch {
    pub files: Vec<(String, String)>,
    pub removed: Vec<String>,
}

/// Updates the index of an earlier build in `dir` for changed records: the shards of their
/// old (`before`) and new (`after`) tokens and the chunks of their ids, out of `all` current
/// summaries. Which tokens count as common stays as the last full build decided. `None` when
/// the earlier index cannot be read; then the caller builds it anew.
pub fn patch(dir: &Path, before: &[Summary], after: &[Summary], all: &[Summary]) -> Option<Patch> {
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("search/meta.json")).ok()?).ok()?;
    let shards = usize::try_from(meta["shards"].as_u64()?).ok()?.max(1);
    let common: Vec<u32> = serde_json::from_value(meta["common"].clone()).ok()?;
    let changed: HashSet<i64> = before.iter().chain(after).map(|s| s.id).collect();

    let mut keys = Vec::new();
    let mut touched: BTreeMap<usize, ()> = BTreeMap::new();
    for s in before.iter().chain(after) {
        keys.clear();
        record_keys(s, &mut keys);
        for &key in &keys {
            touched.insert(key as usize % shards, ());
        }
    }

    let mut files = Vec::new();
    for &shard in touched.keys() {
        let path = format!("search/t/{shard}.json");
        let text = std::fs::read_to_string(dir.join(&path)).ok()?;
        let mut map: BTreeMap<u32, Vec<i64>> = serde_json::from_str(&text).ok()?;
        for ids in map.values_mut() {
            ids.retain(|id| !changed.contains(id));
        }
        for s in after {
            keys.clear();
            record_keys(s, &mut keys);
            for &key in &keys {
                if key as usize % shards == shard && common.binary_search(&key).is_err() {
                    map.entry(key).or_default().push(s.id);
                }
            }
        }
        map.retain(|_, ids| !ids.is_empty());
        for ids in map.values_mut() {
            ids.sort_unstable();
            ids.dedup();
        }
        files.push((path, shard_json(&map)));
    }

    let chunks: HashSet<i64> = changed.iter().map(|id| id.div_euclid(CHUNK)).collect();
    let mut members: BTreeMap<i64, Vec<&Summary>> = BTreeMap::new();
    for s in all {
        let chunk = s.id.div_euclid(CHUNK);
        if chunks.contains(&chunk) {
            members.entry(chunk).or_default().push(s);
        }
    }
    let mut removed = Vec::new();
    for chunk in chunks {
        let path = format!("search/d/{chunk}.json");
        match members.get_mut(&chunk) {
            Some(list) => {
                list.sort_by_key(|s| s.id);
                files.push((path, chunk_json(list)));
            }
            None => removed.push(path),
        }
    }
    Some(Patch { files, removed })
}

fn shard_count(records: usize) -> usize {
    (records / RECORDS_PER_SHARD)
        .next_power_of_two()
        .clamp(MIN_SHARDS, MAX_SHARDS)
}

fn shard_json(map: &BTreeMap<u32, Vec<i64>>) -> String {
    let mut out = String::with_capacity(map.len() * 24);
    out.push('{');
    for (i, (key, ids)) in map.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        out.push_str(&key.to_string());
        out.push_str("\":[");
        for (j, id) in ids.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            out.push_str(&id.to_string());
        }
        out.push(']');
    }
    out.push('}');
    out
}

fn chunk_json(members: &[&Summary]) -> String {
    let mut map = serde_json::Map::new();
    for s in members {
        map.insert(
            s.id.to_string(),
            json!([s.name, s.code, s.document, s.dataset, s.date]),
        );
    }
    serde_json::Value::Object(map).to_string()
}

/// The token hashes of one record: bigrams of its name and document number, and its code.
fn record_keys(s: &Summary, keys: &mut Vec<u32>) {
    for text in [&s.name, &s.document] {
        let normal = normalise(text);
        bigram_keys(&normal, keys);
    }
    if !s.search_code.is_empty() {
        keys.push(fnv1a(format!("={}", normalise(&s.search_code)).as_bytes()));
    }
    keys.sort_unstable();
    keys.dedup();
}

fn bigram_keys(text: &str, keys: &mut Vec<u32>) {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() == 1 {
        let mut buf = [0u8; 4];
        keys.push(fnv1a(chars[0].encode_utf8(&mut buf).as_bytes()));
    }
    let mut buf = String::with_capacity(8);
    for pair in chars.windows(2) {
        buf.clear();
        buf.push(pair[0]);
        buf.push(pair[1]);
        keys.push(fnv1a(buf.as_bytes()));
    }
}

/// The text a query and the index compare: NFKC, upper case, without spaces and the
/// punctuation that document numbers write in many ways. `search.js` does the same.
pub fn normalise(text: &str) -> String {
    text.nfkc()
        .flat_map(char::to_uppercase)
        .filter(|c| !c.is_whitespace() && !IGNORED.contains(*c))
        .collect()
}

const IGNORED: &str = "-_〔〕【】[]（）()“”\"'·.,，。;；:：、";

/// 32-bit FNV-1a.
pub fn fnv1a(bytes: &[u8]) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for &b in bytes {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(id: i64, name: &str, code: &str, document: &str) -> Summary {
        Summary {
            id,
            dataset: 0,
            name: name.to_string(),
            code: code.to_string(),
            search_code: code.to_string(),
            document: document.to_string(),
            date: "2026-01-01".to_string(),
            unit: "某局".to_string(),
        }
    }

    #[test]
    fn fnv1a_matches_the_reference_values() {
        assert_eq!(fnv1a(b""), 0x811c_9dc5);
        assert_eq!(fnv1a(b"a"), 0xe40c_292c);
    }

    #[test]
    fn normalise_folds_width_case_and_brackets() {
        assert_eq!(normalise("长市监罚〔２０２４〕１２号"), "长市监罚202412号");
        assert_eq!(normalise(" abc-d "), "ABCD");
    }

    #[test]
    fn a_bigram_finds_its_record_in_the_shard_it_hashes_to() {
        let records = vec![
            summary(
                1,
                "长治市甲乙丙有限公司",
                "91110000101623741K",
                "长市监罚〔2024〕1号",
            ),
            summary(200, "张三", "", "长市监罚〔2024〕2号"),
        ];
        let datasets = [IndexedDataset {
            id: "penalty",
            title: "行政处罚",
        }];
        let files: HashMap<String, String> = build(&records, &datasets).into_iter().collect();
        let meta: serde_json::Value = serde_json::from_str(&files["search/meta.json"]).unwrap();
        let shards = meta["shards"].as_u64().unwrap() as u32;

        let key = fnv1a("甲乙".as_bytes());
        let shard: serde_json::Value =
            serde_json::from_str(&files[&format!("search/t/{}.json", key % shards)]).unwrap();
        assert_eq!(shard[key.to_string()], json!([1]));

        let key = fnv1a("=91110000101623741K".as_bytes());
        let shard: serde_json::Value =
            serde_json::from_str(&files[&format!("search/t/{}.json", key % shards)]).unwrap();
        assert_eq!(shard[key.to_string()], json!([1]));

        assert!(files.contains_key("search/d/0.json"));
        assert!(files["search/d/1.json"].contains("张三"));
    }
}
