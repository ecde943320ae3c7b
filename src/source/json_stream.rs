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
    /// Whether elements of `items` are scanned 64 bytes at a time ([`Scanner::item_blocks`]);
    /// off only to test that path against the byte-at-a-time one.
    blocks: bool,
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
            blocks: true,
        }
    }

    /// A scanner that reads every byte one at a time (the reference the block path is tested
    /// against).
    #[cfg(test)]
    fn bytewise() -> Self {
        Scanner {
            blocks: false,
            ..Scanner::new()
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
            if self.at == At::InItem && self.blocks {
                i = self.item_blocks(chunk, i, &mut copy_from, batch)?;
            } else if self.in_string {
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
                // An escape carried from the previous chunk applies to this chunk's first byte,
                // which is read here.
                self.escaped = false;
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

    /// Inside an element of `items`, 64 bytes at a time: bit masks of the block's quotes,
    /// backslashes and brackets give which bytes are escaped, which are inside strings (a prefix
    /// XOR of the unescaped quotes) and so the brackets that count, without a branch per byte
    /// (the technique of simdjson's stage 1). Returns where to read on: after the element's
    /// closing brace (the element is added to `batch`), or the chunk's end. A block holding a
    /// backslash outside a string (not JSON) is read byte by byte instead, so that such input
    /// is split exactly as the byte-at-a-time scanner splits it.
    fn item_blocks(
        &mut self,
        chunk: &[u8],
        mut i: usize,
        copy_from: &mut usize,
        batch: &mut Batch,
    ) -> Result<usize, ScanError> {
        while i < chunk.len() {
            let end = (i + 64).min(chunk.len());
            let len = end - i;
            let m = Masks::of(&chunk[i..end]);
            let (escaped, next_escaped) = escapes(m.backslash, self.escaped, len);
            let mut in_string = prefix_xor(m.quote & !escaped);
            if self.in_string {
                in_string = !in_string;
            }
            if m.backslash & !in_string != 0 {
                // Not JSON: this block byte by byte, as the reference scanner reads it.
                let block = &chunk[..end];
                while i < end && self.at == At::InItem {
                    if self.in_string {
                        i = self.string_run(block, i, copy_from);
                    } else if self.structural(block, i, copy_from, batch)? {
                        i += 1;
                    }
                }
                if self.at != At::InItem {
                    return Ok(i);
                }
                continue;
            }
            let opens = m.open & !in_string;
            let closes = m.close & !in_string;
            let mut brackets = opens | closes;
            while brackets != 0 {
                let at = brackets.trailing_zeros();
                if opens >> at & 1 == 1 {
                    self.depth += 1;
                } else {
                    self.depth -= 1;
                    if self.depth == 2 {
                        let close = i + at as usize;
                        batch.data.extend_from_slice(&self.buf);
                        batch.data.extend_from_slice(&chunk[*copy_from..=close]);
                        batch.ends.push(batch.data.len());
                        self.buf.clear();
                        self.item_count += 1;
                        self.at = At::Items;
                        self.in_string = false;
                        self.escaped = false;
                        *copy_from = close + 1;
                        return Ok(close + 1);
                    }
                }
                brackets &= brackets - 1;
            }
            self.in_string = in_string >> (len - 1) & 1 == 1;
            self.escaped = next_escaped;
            i = end;
        }
        Ok(i)
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

/// One block's bytes of interest, a bit per byte (bytes past a short block's end are clear).
struct Masks {
    quote: u64,
    backslash: u64,
    /// `{` and `[`.
    open: u64,
    /// `}` and `]`.
    close: u64,
}

impl Masks {
    /// The masks of up to 64 bytes (a short block is padded with spaces, which set no bit).
    #[inline]
    fn of(block: &[u8]) -> Masks {
        match <&[u8; 64]>::try_from(block) {
            Ok(full) => Masks::of64(full),
            Err(_) => {
                let mut padded = [b' '; 64];
                padded[..block.len()].copy_from_slice(block);
                Masks::of64(&padded)
            }
        }
    }

    /// Sixteen bytes per comparison, with SSE2 (part of every x86_64).
    #[cfg(target_arch = "x86_64")]
    #[inline]
    fn of64(block: &[u8; 64]) -> Masks {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128,
            _mm_set1_epi8,
        };
        let mut m = Masks {
            quote: 0,
            backslash: 0,
            open: 0,
            close: 0,
        };
        // SAFETY: SSE2 is in the x86_64 baseline, so these intrinsics are always available; each
        // load reads 16 bytes within the 64-byte array (unaligned loads are allowed).
        unsafe {
            let quote = _mm_set1_epi8(b'"' as i8);
            let backslash = _mm_set1_epi8(b'\\' as i8);
            let open = _mm_set1_epi8(b'{' as i8);
            let close = _mm_set1_epi8(b'}' as i8);
            // `[` and `{`, `]` and `}` differ only in bit 5.
            let bit5 = _mm_set1_epi8(0x20);
            for k in 0..4 {
                let bytes: __m128i = _mm_loadu_si128(block.as_ptr().add(16 * k).cast());
                let folded = _mm_or_si128(bytes, bit5);
                let bits = |x: __m128i| u64::from(_mm_movemask_epi8(x) as u16) << (16 * k);
                m.quote |= bits(_mm_cmpeq_epi8(bytes, quote));
                m.backslash |= bits(_mm_cmpeq_epi8(bytes, backslash));
                m.open |= bits(_mm_cmpeq_epi8(folded, open));
                m.close |= bits(_mm_cmpeq_epi8(folded, close));
            }
        }
        m
    }

    /// A byte at a time, elsewhere.
    #[cfg(not(target_arch = "x86_64"))]
    #[inline]
    fn of64(block: &[u8; 64]) -> Masks {
        let mut m = Masks {
            quote: 0,
            backslash: 0,
            open: 0,
            close: 0,
        };
        for (k, &b) in block.iter().enumerate() {
            let folded = b | 0x20;
            m.quote |= u64::from(b == b'"') << k;
            m.backslash |= u64::from(b == b'\\') << k;
            m.open |= u64::from(folded == b'{') << k;
            m.close |= u64::from(folded == b'}') << k;
        }
        m
    }
}

/// The bytes escaped by a backslash (the byte after each backslash that is not itself
/// escaped), given whether the block's first byte is escaped; and whether the byte after the
/// block's `len` bytes is. (simdjson's branchless odd-backslash-run arithmetic.)
#[inline]
fn escapes(backslash: u64, first_escaped: bool, len: usize) -> (u64, bool) {
    const ODD: u64 = 0xAAAA_AAAA_AAAA_AAAA;
    let carry = u64::from(first_escaped);
    if backslash == 0 {
        return (carry, len == 0 && first_escaped);
    }
    let potential = backslash & !carry;
    let code = ((potential << 1 | ODD).wrapping_sub(potential)) ^ ODD;
    let escaped = code ^ (backslash | carry);
    let next = if len == 64 {
        (code & backslash) >> 63 == 1
    } else {
        escaped >> len & 1 == 1
    };
    (escaped, next)
}

/// Each bit set when an odd number of bits up to and including it are set.
#[inline]
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
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
        run_with(Scanner::new(), doc.as_bytes(), size)
    }

    fn run_with(mut scanner: Scanner, doc: &[u8], size: usize) -> Result<Scanned, ScanError> {
        let mut batch = Batch::default();
        for chunk in doc.chunks(size) {
            scanner.feed(chunk, &mut batch)?;
        }
        scanner.finish()?;
        let items = batch
            .items()
            .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
            .collect();
        let fields = scanner
            .fields
            .iter()
            .map(|(k, v)| (k.clone(), String::from_utf8_lossy(v).into_owned()))
            .collect();
        Ok((items, fields))
    }

    /// A small deterministic generator (xorshift) for the differential test.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: u64) -> usize {
            (self.next() % n) as usize
        }
    }

    /// A JSON-like value rich in what the scanner must get right: quotes, runs of backslashes
    /// (escaping quotes or not), brackets inside strings, nesting, multi-byte characters; and,
    /// one time in `junk`, a byte that is not JSON (a stray backslash, quote or bracket).
    fn value(rng: &mut Rng, depth: usize, junk: u64, out: &mut Vec<u8>) {
        if junk > 0 && rng.below(junk) == 0 {
            out.push([b'\\', b'"', b'}', b']', b'{'][rng.below(5)]);
        }
        match if depth > 4 {
            rng.below(3)
        } else {
            rng.below(6)
        } {
            0 => out.extend_from_slice(b"12"),
            1 | 2 => {
                out.push(b'"');
                for _ in 0..rng.below(24) {
                    let piece: &[u8] = match rng.below(12) {
                        0 => b"\\\"",
                        1 => b"\\\\",
                        2 => b"\\\\\\\"",
                        3 => b"{[",
                        4 => b"]}",
                        5 => "é✓".as_bytes(),
                        6 => b"\\n",
                        _ => b"ab",
                    };
                    out.extend_from_slice(piece);
                }
                out.push(b'"');
            }
            3 => {
                out.push(b'[');
                for k in 0..rng.below(4) {
                    if k > 0 {
                        out.push(b',');
                    }
                    value(rng, depth + 1, junk, out);
                }
                out.push(b']');
            }
            _ => {
                out.push(b'{');
                for k in 0..rng.below(5) {
                    if k > 0 {
                        out.extend_from_slice(b", ");
                    }
                    out.extend_from_slice(b"\"k\\\"\": ");
                    value(rng, depth + 1, junk, out);
                }
                out.push(b'}');
            }
        }
    }

    /// A backslash that ends one chunk escapes the next chunk's first byte, whatever follows
    /// it (the byte-at-a-time scanner used to keep the escape past a chunk holding no quote).
    #[test]
    fn an_escape_carried_over_a_chunk_without_quotes_ends() {
        let doc = br#"{"items": [{"a": "x\nyz", "b": "\u0041bc"}, {"c": "\\"}]}"#;
        for size in 1..8 {
            for scanner in [Scanner::new(), Scanner::bytewise()] {
                let (items, _) = run_with(scanner, doc, size).unwrap();
                assert_eq!(items.len(), 2, "chunks of {size}");
            }
        }
    }

    /// The block path splits every document, valid or not, in every chunking, exactly as the
    /// byte-at-a-time scanner does: the same elements, fields and errors.
    #[test]
    fn blocks_scan_as_bytes_do() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for case in 0..3000 {
            let junk = if case % 3 == 0 { 40 } else { 0 };
            let mut doc = b"{\"kind\": \"List\", \"items\": [".to_vec();
            for k in 0..rng.below(6) {
                if k > 0 {
                    doc.push(b',');
                }
                doc.push(b'{');
                for f in 0..rng.below(5) {
                    if f > 0 {
                        doc.push(b',');
                    }
                    doc.extend_from_slice(b"\"f\":");
                    value(&mut rng, 1, junk, &mut doc);
                }
                doc.push(b'}');
            }
            doc.extend_from_slice(b"], \"metadata\": {}}");
            for size in [1, 7, 63, 64, 65, 200, 4096] {
                let blocks = run_with(Scanner::new(), &doc, size);
                let bytes = run_with(Scanner::bytewise(), &doc, size);
                assert_eq!(
                    blocks,
                    bytes,
                    "case {case}, chunks of {size}: {}",
                    String::from_utf8_lossy(&doc)
                );
            }
        }
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
