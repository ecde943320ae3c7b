//! Streaming a large JSON List (`kubectl get pods -A -o json`, or an API list response) without
//! holding it in memory: a scanner finds the bytes of each element of the top-level `items`
//! array as the file is read in chunks, and hands them out in batches. The other top-level
//! fields (`apiVersion`, `kind`, `metadata`) are small and returned whole.
//!
//! The scanner only tracks what delimits values (strings, escapes, nesting); each element is then
//! parsed by serde_json from its own bytes, so malformed JSON is still reported by serde_json.

use std::io::Read;

/// A batch of consecutive `items` elements: their bytes, and where each one ends.
#[derive(Default)]
pub struct Batch {
    pub data: Vec<u8>,
    pub ends: Vec<usize>,
    /// The index (in `items`) of the batch's first element.
    pub first: usize,
    /// The kind and apiVersion of the items when the list names them (`PodList` → `Pod`): an
    /// API server's list items carry neither of their own.
    pub item_kind: Option<(String, Option<String>)>,
}

impl Batch {
    pub fn items(&self) -> impl Iterator<Item = (usize, &[u8])> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(self.ends.iter().copied())
            .enumerate()
            .map(|(i, (s, e))| (self.first + i, &self.data[s..e]))
    }
}

/// What the scanner is looking at, outside strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    /// Before the document's opening `{`.
    Start,
    /// In the top-level object, expecting a key (or `}`).
    Key,
    /// After a top-level key, expecting `:`.
    Colon,
    /// After `:`, expecting a top-level value.
    Value,
    /// Inside a top-level value other than `items` (captured whole).
    InValue,
    /// Inside `items`, between elements.
    Items,
    /// Inside an element of `items`.
    InItem,
    /// After the document's closing `}`.
    End,
}

pub struct Scanner {
    at: At,
    depth: usize,
    in_string: bool,
    escaped: bool,
    key: Vec<u8>,
    in_key: bool,
    /// Bytes of the value or element being captured.
    buf: Vec<u8>,
    /// Depth at which the captured value started (its container depth).
    start_depth: usize,
    /// Scalars (numbers, literals) at the top level end at `,` or `}`.
    scalar: bool,
    pub fields: Vec<(String, Vec<u8>)>,
    pub saw_items: bool,
    pub item_count: usize,
}

/// Why the scanner stopped.
#[derive(Debug, PartialEq, Eq)]
pub enum ScanError {
    /// The document does not start with `{`: not a List object; read it another way.
    NotAnObject,
    Malformed(String),
}

impl Default for Scanner {
    fn default() -> Self {
        Self::new()
    }
}

impl Scanner {
    pub fn new() -> Self {
        Scanner {
            at: At::Start,
            depth: 0,
            in_string: false,
            escaped: false,
            key: Vec::new(),
            in_key: false,
            buf: Vec::new(),
            start_depth: 0,
            scalar: false,
            fields: Vec::new(),
            saw_items: false,
            item_count: 0,
        }
    }

    /// The item kind a typed list implies (`PodList` → `Pod`) and its apiVersion, from the
    /// list's fields read before the items (API servers write them first).
    pub fn item_kind(&self) -> Option<(String, Option<String>)> {
        let field = |name: &str| -> Option<String> {
            let (_, raw) = self.fields.iter().find(|(k, _)| k == name)?;
            serde_json::from_slice(raw).ok()
        };
        let kind = super::kube_types::list_item_kind(&field("kind")?)?;
        Some((kind, field("apiVersion")))
    }

    fn capturing(&self) -> bool {
        matches!(self.at, At::InValue | At::InItem)
    }

    /// Scans one chunk; completed `items` elements are appended to `batch`.
    pub fn feed(&mut self, chunk: &[u8], batch: &mut Batch) -> Result<(), ScanError> {
        let mut i = 0;
        let mut copy_from = 0; // start of the pending segment to copy into `buf`
        while i < chunk.len() {
            if self.in_string {
                i = self.string_run(chunk, i, &mut copy_from);
            } else if self.structural(chunk, i, &mut copy_from, batch)? {
                i += 1;
            }
        }
        if self.capturing() {
            self.buf.extend_from_slice(&chunk[copy_from..]);
        }
        Ok(())
    }

    /// Inside a string: runs to its next quote or backslash (keeping a key's bytes, ending a
    /// captured top-level string); returns where to read on.
    #[inline]
    fn string_run(&mut self, chunk: &[u8], i: usize, copy_from: &mut usize) -> usize {
        // Jump to the next quote or backslash.
        match memchr::memchr2(b'"', b'\\', &chunk[i..]) {
            None => {
                if self.in_key {
                    self.key.extend_from_slice(&chunk[i..]);
                }
                chunk.len()
            }
            Some(off) => {
                let j = i + off;
                if self.in_key {
                    self.key.extend_from_slice(&chunk[i..j]);
                }
                if self.escaped {
                    // The byte right after a backslash: whatever it is, it is escaped.
                    self.escaped = false;
                    if off == 0 {
                        if self.in_key {
                            self.key.push(chunk[j]);
                        }
                        return j + 1;
                    }
                }
                if chunk[j] == b'\\' {
                    if self.in_key {
                        self.key.push(b'\\');
                    }
                    // An escape at the end of the chunk carries over.
                    if j + 1 < chunk.len() {
                        if self.in_key {
                            self.key.push(chunk[j + 1]);
                        }
                        return j + 2;
                    }
                    self.escaped = true;
                    return j + 1;
                }
                // Closing quote.
                self.in_string = false;
                let i = j + 1;
                if self.in_key {
                    self.in_key = false;
                    self.at = At::Colon;
                } else if self.at == At::InValue && self.depth == self.start_depth {
                    // A top-level string value ends here.
                    self.buf.extend_from_slice(&chunk[*copy_from..i]);
                    *copy_from = i;
                    self.finish_value();
                }
                i
            }
        }
    }

    /// One byte outside strings; `Ok(false)` when the same byte must be read again (a
    /// top-level scalar ends at the `,` or `}` that the top level then reads).
    #[inline]
    fn structural(
        &mut self,
        chunk: &[u8],
        i: usize,
        copy_from: &mut usize,
        batch: &mut Batch,
    ) -> Result<bool, ScanError> {
        let b = chunk[i];
        match self.at {
            At::Start | At::Key | At::Colon | At::Value | At::Items | At::End
                if b.is_ascii_whitespace() => {}
            At::Start => {
                if b != b'{' {
                    return Err(ScanError::NotAnObject);
                }
                self.depth = 1;
                self.at = At::Key;
            }
            At::Key => match b {
                b'"' => {
                    self.in_string = true;
                    self.in_key = true;
                    self.key.clear();
                }
                b',' => {}
                b'}' => {
                    self.depth = 0;
                    self.at = At::End;
                }
                _ => {
                    return Err(ScanError::Malformed(format!(
                        "unexpected {:?} where a key was expected",
                        b as char
                    )));
                }
            },
            At::Colon => {
                if b != b':' {
                    return Err(ScanError::Malformed("expected ':' after a key".into()));
                }
                self.at = At::Value;
            }
            At::Value => {
                if self.key == b"items" && b == b'[' {
                    self.saw_items = true;
                    self.depth = 2;
                    self.at = At::Items;
                } else {
                    self.at = At::InValue;
                    self.buf.clear();
                    *copy_from = i;
                    self.start_depth = self.depth;
                    self.scalar = !matches!(b, b'{' | b'[' | b'"');
                    match b {
                        b'{' | b'[' => self.depth += 1,
                        b'"' => self.in_string = true,
                        _ => {}
                    }
                }
            }
            At::InValue => {
                if self.scalar && matches!(b, b',' | b'}') {
                    self.buf.extend_from_slice(&chunk[*copy_from..i]);
                    self.finish_value();
                    // Re-read this byte as the top level's.
                    return Ok(false);
                }
                match b {
                    b'"' => self.in_string = true,
                    b'{' | b'[' => self.depth += 1,
                    b'}' | b']' => {
                        self.depth -= 1;
                        if self.depth == self.start_depth {
                            self.buf.extend_from_slice(&chunk[*copy_from..=i]);
                            *copy_from = i + 1;
                            self.finish_value();
                        }
                    }
                    _ => {}
                }
            }
            At::Items => match b {
                b',' => {}
                b']' => {
                    self.depth = 1;
                    self.at = At::Key;
                }
                b'{' => {
                    self.at = At::InItem;
                    self.buf.clear();
                    *copy_from = i;
                    self.depth = 3;
                }
                _ => {
                    return Err(ScanError::Malformed(format!(
                        "items[{}] is not an object",
                        self.item_count
                    )));
                }
            },
            At::InItem => match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => {
                    self.depth -= 1;
                    if self.depth == 2 {
                        batch.data.extend_from_slice(&self.buf);
                        batch.data.extend_from_slice(&chunk[*copy_from..=i]);
                        batch.ends.push(batch.data.len());
                        self.buf.clear();
                        self.item_count += 1;
                        self.at = At::Items;
                    }
                }
                _ => {}
            },
            At::End => {
                return Err(ScanError::Malformed(
                    "trailing characters after the document".into(),
                ));
            }
        }
        Ok(true)
    }

    fn finish_value(&mut self) {
        let key = String::from_utf8_lossy(&self.key).into_owned();
        self.fields.push((key, std::mem::take(&mut self.buf)));
        self.at = At::Key;
    }

    /// Checks the document ended.
    pub fn finish(&self) -> Result<(), ScanError> {
        match self.at {
            At::End => Ok(()),
            At::Start => Err(ScanError::Malformed("empty document".into())),
            _ => Err(ScanError::Malformed("unexpected end of file".into())),
        }
    }
}

/// Reads `reader` in chunks, calling `on_batch` with batches of about `batch_bytes` of elements.
pub fn scan(
    mut reader: impl Read,
    batch_bytes: usize,
    mut on_batch: impl FnMut(Batch) -> Result<(), String>,
) -> Result<Scanner, ScanError> {
    let mut scanner = Scanner::new();
    let mut chunk = vec![0u8; 4 << 20];
    let mut batch = Batch::default();
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ScanError::Malformed(e.to_string())),
        };
        scanner.feed(&chunk[..n], &mut batch)?;
        if batch.data.len() >= batch_bytes {
            let first = scanner.item_count;
            let mut full = std::mem::replace(
                &mut batch,
                Batch {
                    first,
                    ..Batch::default()
                },
            );
            full.item_kind = scanner.item_kind();
            on_batch(full).map_err(ScanError::Malformed)?;
        }
    }
    scanner.finish()?;
    if !batch.ends.is_empty() {
        batch.item_kind = scanner.item_kind();
        on_batch(batch).map_err(ScanError::Malformed)?;
    }
    Ok(scanner)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The items, and the other top-level fields.
    type Scanned = (Vec<String>, Vec<(String, String)>);

    /// Scans `doc` fed in chunks of `size` bytes.
    fn run(doc: &str, size: usize) -> Result<Scanned, ScanError> {
        let mut scanner = Scanner::new();
        let mut batch = Batch::default();
        for chunk in doc.as_bytes().chunks(size) {
            scanner.feed(chunk, &mut batch)?;
        }
        scanner.finish()?;
        let items = batch
            .items()
            .map(|(_, b)| String::from_utf8(b.to_vec()).unwrap())
            .collect();
        let fields = scanner
            .fields
            .iter()
            .map(|(k, v)| (k.clone(), String::from_utf8(v.clone()).unwrap()))
            .collect();
        Ok((items, fields))
    }

    const DOC: &str = r#"{ "apiVersion": "v1", "n": 12 , "items": [ {"a": "x\"}]{[", "b": [1, {"c": "\\"}]},
        {"d": {}} ], "kind": "List", "metadata": {"resourceVersion": ""}, "t": true}"#;

    #[test]
    fn items_and_fields_survive_any_chunking() {
        let expected_items = vec![
            r#"{"a": "x\"}]{[", "b": [1, {"c": "\\"}]}"#.to_string(),
            r#"{"d": {}}"#.to_string(),
        ];
        let expected_fields: Vec<(String, String)> = [
            ("apiVersion", r#""v1""#),
            ("n", "12 "),
            ("kind", r#""List""#),
            ("metadata", r#"{"resourceVersion": ""}"#),
            ("t", "true"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for size in [1, 2, 3, 5, 7, 16, 1000] {
            let (items, fields) = run(DOC, size).unwrap();
            assert_eq!(items, expected_items, "chunk size {size}");
            assert_eq!(fields, expected_fields, "chunk size {size}");
        }
    }

    #[test]
    fn escaped_quotes_in_keys_and_a_backslash_at_a_chunk_edge() {
        let doc = r#"{"k\"ey": "v\\", "items": []}"#;
        for size in 1..doc.len() {
            let (items, fields) = run(doc, size).unwrap();
            assert!(items.is_empty());
            assert_eq!(
                fields,
                vec![(r#"k\"ey"#.to_string(), r#""v\\""#.to_string())],
                "chunk size {size}"
            );
        }
    }

    #[test]
    fn malformed_and_non_object_documents() {
        assert_eq!(run("[1, 2]", 4).unwrap_err(), ScanError::NotAnObject);
        assert!(
            matches!(run(r#"{"items": [{"a": 1}"#, 4), Err(ScanError::Malformed(m)) if m.contains("end of file"))
        );
        assert!(
            matches!(run(r#"{"items": [1]}"#, 4), Err(ScanError::Malformed(m)) if m.contains("not an object"))
        );
        assert!(matches!(run(r#"{"a" 1}"#, 4), Err(ScanError::Malformed(_))));
        assert!(
            matches!(run(r#"{} x"#, 4), Err(ScanError::Malformed(m)) if m.contains("trailing"))
        );
        assert!(matches!(run("", 4), Err(ScanError::Malformed(m)) if m.contains("empty")));
    }

    #[test]
    fn batches_split_by_size_and_number_their_items() {
        let doc = format!(
            r#"{{"items": [{}]}}"#,
            (0..10)
                .map(|i| format!(r#"{{"i": {i}}}"#))
                .collect::<Vec<_>>()
                .join(",")
        );
        /// A reader that hands out 7 bytes at a time.
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.len().min(7).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut batches = Vec::new();
        scan(Trickle(doc.as_bytes()), 20, |b| {
            batches.push(
                b.items()
                    .map(|(i, bytes)| (i, String::from_utf8(bytes.to_vec()).unwrap()))
                    .collect::<Vec<_>>(),
            );
            Ok(())
        })
        .unwrap();
        let all: Vec<(usize, String)> = batches.concat();
        assert_eq!(all.len(), 10);
        assert!(
            all.iter()
                .enumerate()
                .all(|(n, (i, text))| *i == n && *text == format!(r#"{{"i": {n}}}"#)),
            "{all:?}"
        );
        assert!(
            batches.len() > 1,
            "a batch is handed out once it holds 20 bytes"
        );
    }
}
