//! `sinew.Engine`: the attribution engine on a local corpus, the same code the ledger runs, with
//! method names and answers shaped like infini-gram's `InfiniGramEngine` (`count`, `find`, `ntd`,
//! `prob`, `infgram_ntd`, `infgram_prob`, `get_doc_by_rank`, `attribute`) so its users can switch.
//! Queries are text (`str`), raw bytes, or token ids (any sequence of ints, numpy arrays too).
//! Answers are built here, in Rust, so a call costs one crossing of the binding.

use crate::errors;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};
use sinew_attribution::corpus::shard_bytes_for;
use sinew_attribution::{Corpus, DocRef, Index, Params, Shard, Shards, Tokenizer};
use std::borrow::Cow;
use std::path::PathBuf;

/// A numpy array of `dtype` over little-endian `raw` bytes (numpy imported only when asked for).
fn numpy_array<'py>(py: Python<'py>, raw: Vec<u8>, dtype: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("numpy")?
        .call_method1("frombuffer", (PyBytes::new(py, &raw), dtype))?
        .call_method0("copy")
}

/// Attribution parameters from Python, within what the engine can count.
fn params(min_len: usize, max_count: usize) -> PyResult<Params> {
    if min_len == 0 || max_count > 1_000_000 {
        return Err(errors::invalid(format!(
            "min_len must be at least 1 and max_count at most 1,000,000 (got {min_len}, {max_count})"
        )));
    }
    Ok(Params { min_len, max_count })
}

/// The median cost of reading the clock twice, in microseconds (what a timed interval adds).
fn clock_cost_us() -> f64 {
    let mut v: Vec<f64> = (0..10_000)
        .map(|_| {
            let t = std::time::Instant::now();
            t.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The build's default memory budget, as `sinew index build` has it (same files, same shards).
const MEMORY_BUDGET_MB: usize = 8192;

/// A document given as `str` or `bytes`.
#[derive(FromPyObject)]
enum Text {
    Str(String),
    Bytes(Vec<u8>),
}

impl Text {
    fn as_bytes(&self) -> &[u8] {
        match self {
            Text::Str(s) => s.as_bytes(),
            Text::Bytes(b) => b,
        }
    }
}

/// An index of a corpus, in memory or memory-mapped from files.
#[pyclass(frozen, subclass, module = "sinew._sinew")]
pub struct Engine {
    corpus: Shards,
}

fn tokenizer_named(name: &str) -> PyResult<Tokenizer> {
    name.parse()
        .map_err(|_| errors::invalid(format!("unknown tokenizer {name:?}: use bytes, gpt2 or cl100k")))
}

fn index_error(e: sinew_attribution::IndexError) -> PyErr {
    errors::invalid(format!("cannot index: {e}"))
}

impl Engine {
    fn tokenizer(&self) -> Tokenizer {
        Corpus::tokenizer(&self.corpus)
    }

    /// A query as the corpus's token codes (raw bytes on a byte-level corpus are used in place).
    fn codes<'a>(&self, query: &'a Bound<'_, PyAny>) -> PyResult<Cow<'a, [u8]>> {
        let t = self.tokenizer();
        let bad = |e: sinew_attribution::TokenizerError| errors::invalid(format!("query: {e}"));
        if let Ok(b) = query.cast::<PyBytes>() {
            if t == Tokenizer::Bytes {
                return Ok(Cow::Borrowed(b.as_bytes()));
            }
            return t.encode(b.as_bytes()).map(Cow::Owned).map_err(bad);
        }
        if let Ok(s) = query.cast::<PyString>() {
            return t.encode(s.to_cow()?.as_bytes()).map(Cow::Owned).map_err(bad);
        }
        let ids: Vec<i64> = query
            .extract()
            .map_err(|_| errors::invalid("a query is a str, bytes, or a sequence of token ids"))?;
        let mut out = Vec::with_capacity(ids.len() * t.width());
        for id in ids {
            if id < 0 || id >= i64::from(t.separator()) {
                return Err(errors::invalid(format!(
                    "token id {id} is outside the {} vocabulary (0..{})",
                    t.name(),
                    t.separator()
                )));
            }
            t.push_code(&mut out, id as u32);
        }
        Ok(Cow::Owned(out))
    }

    /// The shard and document of a flat document number (None past the last).
    fn doc_at(&self, mut d: usize) -> PyResult<Option<(&Index, u32)>> {
        for s in self.corpus.shards() {
            if d < s.doc_count() {
                return Ok(Some((suffix_array(s)?, d as u32)));
            }
            d -= s.doc_count();
        }
        Ok(None)
    }

    fn shard(&self, s: usize) -> PyResult<&Index> {
        let shard = self.corpus.shards().get(s).ok_or_else(|| {
            errors::invalid(format!(
                "shard {s} does not exist ({} shards)",
                self.corpus.shards().len()
            ))
        })?;
        suffix_array(shard)
    }

    fn ntd_dict<'py>(&self, py: Python<'py>, counts: &[(u32, u64)]) -> PyResult<Bound<'py, PyDict>> {
        let total: u64 = counts.iter().map(|(_, c)| c).sum();
        let out = PyDict::new(py);
        let by = PyDict::new(py);
        for (tok, c) in counts {
            let e = PyDict::new(py);
            e.set_item("cont_cnt", c)?;
            e.set_item("prob", *c as f64 / total.max(1) as f64)?;
            by.set_item(tok, e)?;
        }
        out.set_item("prompt_cnt", total)?;
        out.set_item("result_by_token_id", by)?;
        out.set_item("approx", false)?;
        Ok(out)
    }

    fn prob_dict<'py>(&self, py: Python<'py>, prompt: &[u8], cont: i64) -> PyResult<Bound<'py, PyDict>> {
        let t = self.tokenizer();
        if cont < 0 || cont >= i64::from(t.separator()) {
            return Err(errors::invalid(format!("token id {cont} is outside the vocabulary")));
        }
        let mut full = prompt.to_vec();
        t.push_code(&mut full, cont as u32);
        let (p, c) = py.detach(|| (self.corpus.count(prompt), self.corpus.count(&full)));
        let out = PyDict::new(py);
        out.set_item("prompt_cnt", p)?;
        out.set_item("cont_cnt", c)?;
        out.set_item("prob", if p == 0 { -1.0 } else { c as f64 / p as f64 })?;
        Ok(out)
    }

    /// The longest suffix of `codes` that occurs, in tokens (a suffix occurs in the corpus
    /// exactly when it occurs in some shard).
    fn suffix_len(&self, codes: &[u8]) -> usize {
        self.corpus
            .shards()
            .iter()
            .map(|s| s.longest_suffix(codes))
            .max()
            .unwrap_or(0)
    }
}

#[pymethods]
impl Engine {
    /// Indexes `texts` (str or bytes), each a document. `refs` names each document as
    /// (contribution, record), as a datanet version's index does (default: (0, i)).
    #[staticmethod]
    /// A corpus too large for `memory_budget_mb` is split into shards, queried as one.
    #[pyo3(signature = (texts, tokenizer="bytes", refs=None, memory_budget_mb=MEMORY_BUDGET_MB))]
    fn build(
        py: Python<'_>,
        texts: Vec<Text>,
        tokenizer: &str,
        refs: Option<Vec<(u64, u32)>>,
        memory_budget_mb: usize,
    ) -> PyResult<Engine> {
        let t = tokenizer_named(tokenizer)?;
        let refs = match refs {
            Some(r) if r.len() != texts.len() => {
                return Err(errors::invalid(format!(
                    "{} refs for {} texts: give one (contribution, record) per text",
                    r.len(),
                    texts.len()
                )))
            }
            Some(r) => r,
            None => (0..texts.len() as u32).map(|i| (0, i)).collect(),
        };
        let docs: Vec<(DocRef, &[u8])> = refs
            .iter()
            .zip(&texts)
            .map(|(&(contribution, record), t)| (DocRef { contribution, record }, t.as_bytes()))
            .collect();
        let corpus = py
            .detach(|| Shards::build_with(t, &docs, shard_bytes_for(memory_budget_mb), |_, _| {}))
            .map_err(index_error)?;
        Ok(Engine { corpus })
    }

    /// Indexes the records of files (or of every supported file under folders), cut as a
    /// datanet contribution of each file would be, exactly as `sinew index build` does (the same
    /// files give the same index file); document refs are (file number, record). JSON lines
    /// take their text from `field`.
    #[staticmethod]
    #[pyo3(signature = (paths, tokenizer="bytes", field="text", memory_budget_mb=MEMORY_BUDGET_MB))]
    fn from_files(
        py: Python<'_>,
        paths: Vec<PathBuf>,
        tokenizer: &str,
        field: &str,
        memory_budget_mb: usize,
    ) -> PyResult<Engine> {
        let t = tokenizer_named(tokenizer)?;
        let corpus = py
            .detach(|| -> Result<Shards, String> {
                let texts = sinew_datanet::local_records(&paths, field).map_err(|e| e.to_string())?;
                let docs: Vec<(DocRef, &[u8])> = texts
                    .iter()
                    .map(|(contribution, record, t)| {
                        let at = DocRef {
                            contribution: *contribution,
                            record: *record,
                        };
                        (at, t.as_bytes())
                    })
                    .collect();
                Shards::build_with(t, &docs, shard_bytes_for(memory_budget_mb), |_, _| {}).map_err(|e| e.to_string())
            })
            .map_err(|e| errors::invalid(format!("cannot index the files: {e}")))?;
        Ok(Engine { corpus })
    }

    /// Opens an index written by `save` or by `sinew index build` (several shards too),
    /// memory-mapped; `verify` checks its checksum first.
    #[staticmethod]
    #[pyo3(signature = (path, verify=true))]
    fn open(py: Python<'_>, path: PathBuf, verify: bool) -> PyResult<Engine> {
        let corpus = py.detach(|| Shards::open(&path, verify)).map_err(index_error)?;
        Ok(Engine { corpus })
    }

    /// Writes the index at `path` (`path.0`, `path.1`... when sharded); the files written.
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<Vec<PathBuf>> {
        py.detach(|| self.corpus.write(&path)).map_err(index_error)
    }

    /// The tokenizer's name: bytes, gpt2 or cl100k.
    #[getter]
    fn tokenizer_name(&self) -> &'static str {
        self.tokenizer().name()
    }

    /// Tokens in the corpus (separators included).
    #[getter]
    fn num_tokens(&self) -> usize {
        self.corpus.len()
    }

    /// Documents in the corpus.
    #[getter]
    fn num_docs(&self) -> usize {
        self.corpus.doc_count()
    }

    /// Shards in the corpus.
    #[getter]
    fn num_shards(&self) -> usize {
        self.corpus.shards().len()
    }

    /// The corpus id receipts name: a hash chain over the records as tokens, the same however
    /// the corpus is split into shards.
    #[getter]
    fn id(&self) -> String {
        self.corpus.id().to_string()
    }

    /// The token ids of a text: a list, or a numpy `uint32` array with `numpy=True`.
    #[pyo3(signature = (text, numpy=false))]
    fn tokenize<'py>(&self, py: Python<'py>, text: &Bound<'py, PyAny>, numpy: bool) -> PyResult<Bound<'py, PyAny>> {
        let codes = self.codes(text)?;
        let t = self.tokenizer();
        let ids: Vec<u32> = codes.chunks_exact(t.width()).map(|c| t.token_at(c)).collect();
        if !numpy {
            return Ok(ids.into_pyobject(py)?.into_any());
        }
        numpy_array(py, ids.iter().flat_map(|i| i.to_le_bytes()).collect(), "<u4")
    }

    /// The text of token ids (invalid UTF-8 replaced).
    fn detokenize(&self, ids: &Bound<'_, PyAny>) -> PyResult<String> {
        let codes = self.codes(ids)?;
        let bytes = self
            .tokenizer()
            .decode(&codes)
            .map_err(|e| errors::invalid(format!("ids: {e}")))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// How many times the query occurs: `{"count": n, "approx": False}`.
    fn count<'py>(&self, py: Python<'py>, query: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
        // The hot path of every n-gram caller: copy a ready answer (one C call) and set its count,
        // rather than build a dict key by key.
        static ANSWER: PyOnceLock<Py<PyDict>> = PyOnceLock::new();
        let codes = self.codes(query)?;
        let n = self.corpus.count(&codes);
        let out = ANSWER
            .get_or_try_init(py, || -> PyResult<Py<PyDict>> {
                let d = PyDict::new(py);
                d.set_item("count", 0)?;
                d.set_item("approx", false)?;
                Ok(d.unbind())
            })?
            .bind(py)
            .copy()?;
        out.set_item(intern!(py, "count"), n)?;
        Ok(out)
    }

    /// The counts of many queries in one call (a list of ints, or a numpy `uint64` array with
    /// `numpy=True`): for checking thousands of n-grams at once (contamination checks, feature
    /// extraction), one crossing of the binding for all of them.
    #[pyo3(signature = (queries, numpy=false))]
    fn count_many<'py>(
        &self,
        py: Python<'py>,
        queries: &Bound<'py, PyAny>,
        numpy: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let items: Vec<Bound<'py, PyAny>> = queries
            .try_iter()
            .map_err(|_| errors::invalid("queries must be an iterable of queries"))?
            .collect::<PyResult<_>>()?;
        let codes: Vec<Cow<'_, [u8]>> = items.iter().map(|q| self.codes(q)).collect::<PyResult<_>>()?;
        let counts: Vec<u64> = py.detach(|| codes.iter().map(|c| self.corpus.count(c) as u64).collect());
        if !numpy {
            return Ok(counts.into_pyobject(py)?.into_any());
        }
        numpy_array(py, counts.iter().flat_map(|c| c.to_le_bytes()).collect(), "<u8")
    }

    /// Where the query occurs: `{"cnt": n, "segment_by_shard": [(lo, hi), ...]}`, the
    /// suffix-array interval in each shard (ranks for `get_doc_by_rank`).
    fn find<'py>(&self, py: Python<'py>, query: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
        let codes = self.codes(query)?;
        let segments: Vec<(usize, usize)> = if codes.is_empty() {
            self.corpus.shards().iter().map(|s| (0, s.len())).collect()
        } else {
            let shards = self.corpus.shards().iter().map(suffix_array);
            shards.map(|s| Ok(s?.range(&codes))).collect::<PyResult<_>>()?
        };
        let out = PyDict::new(py);
        out.set_item("cnt", segments.iter().map(|(lo, hi)| hi - lo).sum::<usize>())?;
        out.set_item("segment_by_shard", segments)?;
        Ok(out)
    }

    /// Up to `limit` occurrences: dicts of contribution, record and token offset, sorted.
    #[pyo3(signature = (query, limit=10))]
    fn occurrences<'py>(
        &self,
        py: Python<'py>,
        query: &Bound<'py, PyAny>,
        limit: usize,
    ) -> PyResult<Bound<'py, PyList>> {
        let codes = self.codes(query)?;
        let found = py.detach(|| self.corpus.occurrences(&codes, limit));
        let out = PyList::empty(py);
        for (r, offset) in found {
            let d = PyDict::new(py);
            d.set_item("contribution", r.contribution)?;
            d.set_item("record", r.record)?;
            d.set_item("offset", offset)?;
            out.append(d)?;
        }
        Ok(out)
    }

    /// The length in tokens of the longest suffix of the query that occurs (infini-gram's
    /// effective n - 1).
    fn longest_suffix(&self, query: &Bound<'_, PyAny>) -> PyResult<usize> {
        let codes = self.codes(query)?;
        Ok(self.suffix_len(&codes))
    }

    /// The next-token distribution after the whole prompt: `{"prompt_cnt", "result_by_token_id":
    /// {id: {"cont_cnt", "prob"}}, "approx"}`.
    fn ntd<'py>(&self, py: Python<'py>, prompt: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
        let codes = self.codes(prompt)?;
        let counts = py.detach(|| {
            let mut all = std::collections::BTreeMap::<u32, u64>::new();
            for s in self.corpus.shards() {
                for (t, c) in s.continuations(&codes) {
                    *all.entry(t).or_default() += c;
                }
            }
            all.into_iter().collect::<Vec<_>>()
        });
        self.ntd_dict(py, &counts)
    }

    /// The next-token distribution after the longest suffix of the prompt that occurs (the
    /// infini-gram estimate), with `suffix_len`.
    fn infgram_ntd<'py>(&self, py: Python<'py>, prompt: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
        let codes = self.codes(prompt)?;
        let (k, counts) = py.detach(|| self.corpus.next_tokens(&codes));
        let out = self.ntd_dict(py, &counts)?;
        out.set_item("suffix_len", k)?;
        Ok(out)
    }

    /// `next_tokens(q)` is `infgram_ntd(q)`.
    fn next_tokens<'py>(&self, py: Python<'py>, query: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
        self.infgram_ntd(py, query)
    }

    /// P(cont_id | prompt) by counts: `{"prompt_cnt", "cont_cnt", "prob"}` (prob -1 when the
    /// prompt never occurs).
    fn prob<'py>(&self, py: Python<'py>, prompt: &Bound<'py, PyAny>, cont_id: i64) -> PyResult<Bound<'py, PyDict>> {
        let codes = self.codes(prompt)?;
        self.prob_dict(py, &codes, cont_id)
    }

    /// P(cont_id | longest occurring suffix of prompt), with `suffix_len`.
    fn infgram_prob<'py>(
        &self,
        py: Python<'py>,
        prompt: &Bound<'py, PyAny>,
        cont_id: i64,
    ) -> PyResult<Bound<'py, PyDict>> {
        let codes = self.codes(prompt)?;
        let k = self.suffix_len(&codes);
        let w = self.tokenizer().width();
        let out = self.prob_dict(py, &codes[codes.len() - k * w..], cont_id)?;
        out.set_item("suffix_len", k)?;
        Ok(out)
    }

    /// The document holding suffix `rank` of shard `s` (a rank from `find`): its number, record,
    /// length, where the match starts and up to `max_disp_len` tokens around it.
    #[pyo3(signature = (s, rank, max_disp_len=1000))]
    fn get_doc_by_rank<'py>(
        &self,
        py: Python<'py>,
        s: usize,
        rank: usize,
        max_disp_len: usize,
    ) -> PyResult<Bound<'py, PyDict>> {
        let shard = self.shard(s)?;
        if rank >= shard.len() {
            return Err(errors::invalid(format!(
                "rank {rank} is beyond shard {s} ({} suffixes)",
                shard.len()
            )));
        }
        let occ = shard.locate(shard.sa(rank));
        let t = self.tokenizer();
        let w = t.width();
        let doc = shard.doc(occ.doc);
        let doc_len = doc.len() / w;
        let needle = occ.offset as usize;
        let start = needle.saturating_sub(max_disp_len / 2).min(doc_len);
        let end = start.saturating_add(max_disp_len).min(doc_len);
        let ids: Vec<u32> = doc[start * w..end * w].chunks_exact(w).map(|c| t.token_at(c)).collect();
        let r = shard.doc_ref(occ.doc);
        let flat: usize = self.corpus.shards()[..s].iter().map(|x| x.doc_count()).sum::<usize>() + occ.doc as usize;
        let out = PyDict::new(py);
        out.set_item("doc_ix", flat)?;
        out.set_item("doc_len", doc_len)?;
        out.set_item("disp_len", end - start)?;
        out.set_item("needle_offset", needle - start)?;
        out.set_item("token_ids", ids)?;
        out.set_item("contribution", r.contribution)?;
        out.set_item("record", r.record)?;
        Ok(out)
    }

    /// Document `i` (0-based over all shards): its contribution, record and text.
    fn doc<'py>(&self, py: Python<'py>, i: usize) -> PyResult<Bound<'py, PyDict>> {
        let (shard, d) = self.doc_at(i)?.ok_or_else(|| {
            errors::invalid(format!(
                "document {i} does not exist ({} documents)",
                self.corpus.doc_count()
            ))
        })?;
        let r = shard.doc_ref(d);
        let out = PyDict::new(py);
        out.set_item("contribution", r.contribution)?;
        out.set_item("record", r.record)?;
        out.set_item("text", String::from_utf8_lossy(&shard.doc_text(d)))?;
        Ok(out)
    }

    /// The maximal spans of `answer` found in the corpus (OLMoTrace's method, as the ledger
    /// attributes a paid answer): spans of at least `min_len` tokens, trimmed to whole words,
    /// occurring at least once and at most `max_count` times, each with its text and
    /// occurrences, and the contributions' weights in parts per million.
    #[pyo3(signature = (answer, min_len=32, max_count=10))]
    fn attribute<'py>(
        &self,
        py: Python<'py>,
        answer: Text,
        min_len: usize,
        max_count: usize,
    ) -> PyResult<Bound<'py, PyDict>> {
        let params = params(min_len, max_count)?;
        let answer = answer.as_bytes();
        let a = py.detach(|| sinew_attribution::attribute(&self.corpus, answer, &params));
        let spans = PyList::empty(py);
        for s in &a.spans {
            let d = PyDict::new(py);
            d.set_item("l", s.start)?;
            d.set_item("r", s.start + s.len)?;
            d.set_item("length", s.len)?;
            d.set_item("count", s.occurrences.len())?;
            d.set_item("byte_start", s.byte_start)?;
            d.set_item("byte_len", s.byte_len)?;
            let text = answer.get(s.byte_start..s.byte_start + s.byte_len).unwrap_or_default();
            d.set_item("text", String::from_utf8_lossy(text))?;
            let docs = PyList::empty(py);
            for (r, off) in &s.occurrences {
                let o = PyDict::new(py);
                o.set_item("contribution", r.contribution)?;
                o.set_item("record", r.record)?;
                o.set_item("offset", off)?;
                docs.append(o)?;
            }
            d.set_item("docs", docs)?;
            spans.append(d)?;
        }
        let out = PyDict::new(py);
        out.set_item("spans", spans)?;
        out.set_item("weights", a.weights)?;
        Ok(out)
    }

    /// The attribution receipt of `answer` (a dict with its `digest`), exactly as a node
    /// computes it for a datanet version with this index.
    #[pyo3(signature = (answer, min_len=32, max_count=10))]
    fn receipt<'py>(
        &self,
        py: Python<'py>,
        answer: Text,
        min_len: usize,
        max_count: usize,
    ) -> PyResult<Bound<'py, PyAny>> {
        let text = self.receipt_json(py, answer, min_len, max_count)?;
        py.import("json")?.call_method1("loads", (text,))
    }

    /// The attribution receipt of `answer` (JSON text), exactly as a node computes it for a
    /// datanet version with this index: its digest is what a settlement carries.
    #[pyo3(signature = (answer, min_len=32, max_count=10))]
    fn receipt_json(&self, py: Python<'_>, answer: Text, min_len: usize, max_count: usize) -> PyResult<String> {
        let params = params(min_len, max_count)?;
        let answer = answer.as_bytes();
        let r = py.detach(|| sinew_attribution::receipt(&self.corpus, self.corpus.id(), answer, &params));
        let mut v = serde_json::to_value(&r).expect("a receipt serialises");
        v["digest"] = serde_json::to_value(r.digest()).expect("a hash serialises");
        Ok(v.to_string())
    }

    /// Times `count` of each query inside Rust (microseconds per call, no Python in the
    /// interval, the clock's own cost taken out): the baseline the binding's overhead is
    /// measured against, in the same process, on the same mapped index.
    fn bench_count(&self, py: Python<'_>, queries: Vec<Vec<u8>>) -> Vec<f64> {
        py.detach(|| {
            let clock = clock_cost_us();
            queries
                .iter()
                .map(|q| {
                    let t = std::time::Instant::now();
                    std::hint::black_box(self.corpus.count(q));
                    t.elapsed().as_secs_f64() * 1e6 - clock
                })
                .collect()
        })
    }

    /// Times `attribute` of each answer inside Rust (milliseconds per call), as `bench_count`.
    #[pyo3(signature = (answers, min_len=32, max_count=10))]
    fn bench_attribute(
        &self,
        py: Python<'_>,
        answers: Vec<Vec<u8>>,
        min_len: usize,
        max_count: usize,
    ) -> PyResult<Vec<f64>> {
        let params = params(min_len, max_count)?;
        Ok(py.detach(|| {
            answers
                .iter()
                .map(|a| {
                    let t = std::time::Instant::now();
                    std::hint::black_box(sinew_attribution::attribute(&self.corpus, a, &params));
                    t.elapsed().as_secs_f64() * 1e3
                })
                .collect()
        }))
    }

    fn __repr__(&self) -> String {
        format!(
            "Engine(tokenizer='{}', docs={}, tokens={}, shards={})",
            self.tokenizer().name(),
            self.corpus.doc_count(),
            self.corpus.len(),
            self.corpus.shards().len()
        )
    }
}

/// The suffix array of a shard: rank and document-number queries need one (an index opened from
/// FM-index files answers counts, occurrences and attribution, not these).
fn suffix_array(s: &Shard) -> PyResult<&Index> {
    s.suffix()
        .ok_or_else(|| errors::invalid("this query reads suffix-array ranks; the index is compressed (an FM-index)"))
}
