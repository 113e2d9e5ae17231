//! Files to records. Each record keeps the byte range of its source in the blob.

use sinew_types::datanet::Format;

/// A record cut from a blob.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// First byte of the record's source in the blob.
    pub start: u64,
    /// One past its last byte.
    pub end: u64,
    /// The record's text (for JSON lines, the decoded field; for CSV, the chosen columns).
    pub text: String,
}

/// Why a file could not be ingested. Nothing is stored when this happens.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}{}", detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
pub struct IngestError {
    /// The file (or blob) name.
    pub file: String,
    /// 1-based line of the problem.
    pub line: u64,
    /// What is wrong, in words of ours that never change between versions.
    pub message: String,
    /// The parser's own explanation (JSON, CSV, PDF libraries): helpful to a person, but its
    /// wording belongs to a third party and may change, so the ledger never records it.
    pub detail: Option<String>,
}

impl IngestError {
    /// The error without the parser's detail: what the ledger may record (every validator
    /// words it the same, whatever library versions it was built with).
    pub fn stable(&self) -> String {
        format!("{}:{}: {}", self.file, self.line, self.message)
    }
}

fn err(source: &str, line: u64, message: impl Into<String>) -> IngestError {
    IngestError {
        file: source.to_string(),
        line,
        message: message.into(),
        detail: None,
    }
}

fn err_detail(source: &str, line: u64, message: &str, detail: impl std::fmt::Display) -> IngestError {
    IngestError {
        detail: Some(detail.to_string()),
        ..err(source, line, message)
    }
}

fn line_of(bytes: &[u8], offset: usize) -> u64 {
    bytes[..offset.min(bytes.len())].iter().filter(|&&b| b == b'\n').count() as u64 + 1
}

/// Cuts `bytes` into records according to `format`. `source` names the file in errors.
pub fn ingest(bytes: &[u8], format: &Format, source: &str) -> Result<Vec<Record>, IngestError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(err(source, 1, "the file is empty"));
    }
    if let Format::Pdf { max_record_bytes } = format {
        let max = check_max(*max_record_bytes, source)?;
        let text = pdf_text(bytes, source)?;
        let records = paragraphs(&text, false, max);
        if records.is_empty() {
            return Err(err(source, 1, "the PDF has no extractable text"));
        }
        return Ok(records);
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        err(
            source,
            line_of(bytes, e.valid_up_to()),
            format!("not valid UTF-8 (byte {})", e.valid_up_to()),
        )
    })?;
    let records = match format {
        Format::Text { max_record_bytes } => paragraphs(text, false, check_max(*max_record_bytes, source)?),
        Format::Markdown { max_record_bytes } => paragraphs(text, true, check_max(*max_record_bytes, source)?),
        Format::Jsonl { field } => jsonl(text, field, source)?,
        Format::Csv { columns } => csv_rows(bytes, columns, source)?,
        Format::Pdf { .. } => unreachable!("handled above"),
    };
    if records.is_empty() {
        return Err(err(source, 1, "no records in the file"));
    }
    Ok(records)
}

/// The text of a PDF. The extractor is guarded: a malformed file that makes it panic is an
/// ingestion error, never a crashed process. It has no bound on time or memory, so the ledger
/// never runs it: contributors extract the text on their own machine and contribute it as text.
pub fn pdf_text(bytes: &[u8], source: &str) -> Result<String, IngestError> {
    let result = std::panic::catch_unwind(|| pdf_extract::extract_text_from_mem(bytes));
    match result {
        Ok(Ok(text)) => Ok(text),
        Ok(Err(e)) => Err(err_detail(source, 1, "unreadable PDF", e)),
        Err(_) => Err(err(source, 1, "unreadable PDF: the text extractor failed on it")),
    }
}

/// Whitespace as records are cut: ASCII only, so cuts never depend on the Unicode tables of the
/// toolchain a validator was built with (a no-break space is part of the text).
fn is_space(c: char) -> bool {
    c.is_ascii_whitespace()
}

fn check_max(max: u32, source: &str) -> Result<usize, IngestError> {
    if !(64..=crate::MAX_RECORD_BYTES).contains(&max) {
        return Err(err(
            source,
            1,
            format!("max_record_bytes must be within 64..={}", crate::MAX_RECORD_BYTES),
        ));
    }
    Ok(max as usize)
}

/// Paragraphs separated by blank lines; in Markdown a heading also starts a record. Records
/// longer than `max` are split at the last whitespace before the limit.
fn paragraphs(text: &str, markdown: bool, max: usize) -> Vec<Record> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut end = 0usize;
    let mut pos = 0usize;
    let flush = |s: Option<usize>, e: usize, out: &mut Vec<Record>| {
        if let Some(s) = s {
            split_long(text, s, e, max, out);
        }
    };
    for line in text.split_inclusive('\n') {
        let line_start = pos;
        pos += line.len();
        let trimmed = line.trim_matches(is_space);
        if trimmed.is_empty() {
            flush(start.take(), end, &mut out);
            continue;
        }
        if markdown && trimmed.starts_with('#') {
            flush(start.take(), end, &mut out);
        }
        let content_start = line_start + (line.len() - line.trim_start_matches(is_space).len());
        let content_end = line_start + line.trim_end_matches(is_space).len();
        if start.is_none() {
            start = Some(content_start);
        }
        end = content_end;
    }
    flush(start, end, &mut out);
    out
}

fn split_long(text: &str, mut s: usize, e: usize, max: usize, out: &mut Vec<Record>) {
    while e - s > max {
        let mut cut = s + max;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let window = &text[s..cut];
        let at = window.rfind(is_space).filter(|&i| i > 0).map(|i| s + i).unwrap_or(cut);
        let piece = text[s..at].trim_end_matches(is_space);
        out.push(Record {
            start: s as u64,
            end: (s + piece.len()) as u64,
            text: piece.to_string(),
        });
        s = at;
        while s < e && text[s..].starts_with(is_space) {
            s += text[s..].chars().next().map_or(1, char::len_utf8);
        }
    }
    if s < e {
        out.push(Record {
            start: s as u64,
            end: e as u64,
            text: text[s..e].to_string(),
        });
    }
}

fn jsonl(text: &str, field: &str, source: &str) -> Result<Vec<Record>, IngestError> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let line_no = i as u64 + 1;
        let start = pos;
        pos += line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        if body.trim_matches(is_space).is_empty() {
            continue;
        }
        let v: serde_json::Value =
            serde_json::from_str(body).map_err(|e| err_detail(source, line_no, "malformed JSON", e))?;
        let t = match v.get(field) {
            Some(serde_json::Value::String(s)) => s,
            Some(_) => return Err(err(source, line_no, format!("field {field:?} is not a string"))),
            None => return Err(err(source, line_no, format!("no field {field:?}"))),
        };
        if t.trim_matches(is_space).is_empty() {
            return Err(err(source, line_no, format!("field {field:?} is empty")));
        }
        out.push(Record {
            start: start as u64,
            end: (start + body.len()) as u64,
            text: t.clone(),
        });
    }
    Ok(out)
}

fn csv_rows(bytes: &[u8], columns: &[String], source: &str) -> Result<Vec<Record>, IngestError> {
    if columns.is_empty() {
        return Err(err(source, 1, "no columns chosen"));
    }
    let mut rdr = csv::ReaderBuilder::new().has_headers(true).from_reader(bytes);
    let headers = rdr
        .headers()
        .map_err(|e| err_detail(source, 1, "bad header row", e))?
        .clone();
    let idx: Vec<usize> = columns
        .iter()
        .map(|c| {
            headers
                .iter()
                .position(|h| h == c)
                .ok_or_else(|| err(source, 1, format!("no column {c:?} in the header")))
        })
        .collect::<Result<_, _>>()?;
    let mut rows: Vec<(u64, u64, String)> = Vec::new();
    let mut rec = csv::StringRecord::new();
    loop {
        let at = rdr.position().clone();
        match rdr.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {
                let text: Vec<&str> = idx.iter().map(|&i| rec.get(i).unwrap_or("")).collect();
                let joined = text.join("\n");
                if !joined.trim_matches(is_space).is_empty() {
                    rows.push((at.byte(), at.line(), joined));
                }
            }
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or_else(|| at.line());
                return Err(err_detail(source, line, "malformed CSV row", e));
            }
        }
    }
    let total = bytes.len() as u64;
    let mut out = Vec::with_capacity(rows.len());
    for (i, (start, _, text)) in rows.iter().enumerate() {
        let mut end = rows.get(i + 1).map(|r| r.0).unwrap_or(total);
        while end > *start && matches!(bytes[end as usize - 1], b'\n' | b'\r') {
            end -= 1;
        }
        out.push(Record {
            start: *start,
            end,
            text: text.clone(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn txt(max: u32) -> Format {
        Format::Text { max_record_bytes: max }
    }

    #[test]
    fn paragraphs_keep_their_byte_ranges() {
        let src = "First para\nstill first.\n\n  Second one.  \n\n\nThird\n";
        let r = ingest(src.as_bytes(), &txt(4096), "a.txt").unwrap();
        assert_eq!(r.len(), 3);
        for rec in &r {
            assert_eq!(&src[rec.start as usize..rec.end as usize], rec.text);
        }
        assert_eq!(r[1].text, "Second one.");
    }

    #[test]
    fn markdown_headings_start_records_and_long_ones_split() {
        let src = "# Title\nIntro text.\n## Part\nBody\n";
        let r = ingest(src.as_bytes(), &Format::Markdown { max_record_bytes: 4096 }, "a.md").unwrap();
        assert_eq!(
            r.iter().map(|r| r.text.as_str()).collect::<Vec<_>>(),
            ["# Title\nIntro text.", "## Part\nBody"]
        );
        let long = "word ".repeat(100);
        let r = ingest(long.as_bytes(), &txt(64), "l.txt").unwrap();
        assert!(r.len() > 5);
        for rec in &r {
            assert!(rec.text.len() <= 64);
            assert_eq!(&long[rec.start as usize..rec.end as usize], rec.text);
        }
        assert_eq!(r.iter().map(|r| r.text.split_whitespace().count()).sum::<usize>(), 100);
    }

    #[test]
    fn jsonl_and_csv() {
        let src = "{\"text\":\"hello \\\"world\\\"\",\"id\":1}\n\n{\"text\":\"second\"}\n";
        let r = ingest(src.as_bytes(), &Format::Jsonl { field: "text".into() }, "d.jsonl").unwrap();
        assert_eq!(r[0].text, "hello \"world\"");
        assert_eq!(&src[r[1].start as usize..r[1].end as usize], "{\"text\":\"second\"}");
        let csv = "id,title,body\n1,A,\"multi\nline\"\n2,B,plain\n";
        let r = ingest(
            csv.as_bytes(),
            &Format::Csv {
                columns: vec!["title".into(), "body".into()],
            },
            "t.csv",
        )
        .unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].text, "A\nmulti\nline");
        assert_eq!(&csv[r[1].start as usize..r[1].end as usize], "2,B,plain");
    }

    /// A minimal one-page PDF with two lines of text, xref offsets computed.
    fn tiny_pdf(lines: &[&str]) -> Vec<u8> {
        let mut content = String::from("BT /F1 12 Tf 72 720 Td 14 TL\n");
        for l in lines {
            content.push_str(&format!("({l}) Tj T*\n"));
        }
        content.push_str("ET");
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
            format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
        ];
        let mut pdf = b"%PDF-1.4\n".to_vec();
        let mut offsets = vec![];
        for (i, o) in objects.iter().enumerate() {
            offsets.push(pdf.len());
            pdf.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
        }
        let xref = pdf.len();
        pdf.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
        for o in offsets {
            pdf.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
        }
        pdf.extend_from_slice(
            format!(
                "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
                objects.len() + 1
            )
            .as_bytes(),
        );
        pdf
    }

    #[test]
    fn pdf_text_is_extracted_and_bad_pdfs_are_errors() {
        let pdf = tiny_pdf(&["Rivers carry water to the sea.", "Lakes hold it."]);
        let r = ingest(&pdf, &Format::Pdf { max_record_bytes: 4096 }, "notes.pdf").unwrap();
        let all: String = r.iter().map(|r| r.text.clone()).collect::<Vec<_>>().join(" ");
        assert!(all.contains("Rivers carry water to the sea."), "{all:?}");
        assert!(all.contains("Lakes hold it."), "{all:?}");
        let e = ingest(
            b"%PDF-1.4 this is not really a pdf",
            &Format::Pdf { max_record_bytes: 4096 },
            "bad.pdf",
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("bad.pdf:1: unreadable PDF"), "{e}");
        let mut truncated = pdf.clone();
        truncated.truncate(pdf.len() / 2);
        assert!(ingest(&truncated, &Format::Pdf { max_record_bytes: 4096 }, "cut.pdf").is_err());
    }

    #[test]
    fn bad_files_name_the_file_and_line() {
        let e = ingest(
            b"{\"text\":\"ok\"}\n{\"text\": oops}\n",
            &Format::Jsonl { field: "text".into() },
            "x.jsonl",
        )
        .unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("x.jsonl", 2));
        assert!(e.to_string().starts_with("x.jsonl:2: malformed JSON"));
        let e = ingest(
            b"{\"body\":\"ok\"}\n",
            &Format::Jsonl { field: "text".into() },
            "x.jsonl",
        )
        .unwrap_err();
        assert!(e.message.contains("no field \"text\""));
        let e = ingest(b"{\"text\":3}\n", &Format::Jsonl { field: "text".into() }, "x.jsonl").unwrap_err();
        assert!(e.message.contains("not a string"));
        let e = ingest(b"line one\nline \xff two\n", &txt(4096), "bin.txt").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("UTF-8"));
        assert!(ingest(b"  \n\n", &txt(4096), "e.txt")
            .unwrap_err()
            .message
            .contains("empty"));
        let e = ingest(
            b"a,b\n1,2\n3\n",
            &Format::Csv {
                columns: vec!["a".into()],
            },
            "r.csv",
        )
        .unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        let e = ingest(
            b"a,b\n1,2\n",
            &Format::Csv {
                columns: vec!["c".into()],
            },
            "r.csv",
        )
        .unwrap_err();
        assert!(e.message.contains("no column \"c\""));
        assert!(
            ingest(b"text", &txt(10), "t.txt").is_err(),
            "a silly record cap is refused"
        );
    }
}
