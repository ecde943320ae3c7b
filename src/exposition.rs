//! How `meshcert serve` hands out its metrics: the Prometheus text format or OpenMetrics, as
//! the scraper's `Accept` asks, gzipped when its `Accept-Encoding` allows. The four bodies are
//! made once per round, not once per scrape.

use std::io::Write as _;

use bytes::Bytes;

pub const TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";
pub const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// One round's metrics in every form served.
#[derive(Clone, Default)]
pub struct Encoded {
    text: Bytes,
    text_gz: Bytes,
    openmetrics: Bytes,
    openmetrics_gz: Bytes,
}

/// What a response carries: the body, its content type, and whether it is gzipped.
pub struct Chosen {
    pub body: Bytes,
    pub content_type: &'static str,
    pub gzip: bool,
}

impl Encoded {
    pub fn new(text: &str) -> Encoded {
        let openmetrics = openmetrics(text);
        Encoded {
            text_gz: gzip(text.as_bytes()),
            openmetrics_gz: gzip(openmetrics.as_bytes()),
            text: Bytes::from(text.to_string()),
            openmetrics: Bytes::from(openmetrics),
        }
    }

    /// The text format, as the round rendered it.
    pub fn text(&self) -> &[u8] {
        &self.text
    }

    /// The form the request's `Accept` and `Accept-Encoding` headers ask for.
    pub fn choose(&self, accept: Option<&str>, accept_encoding: Option<&str>) -> Chosen {
        let om = accept.is_some_and(accepts_openmetrics);
        let gz = accept_encoding.is_some_and(accepts_gzip);
        let (body, content_type) = match (om, gz) {
            (true, true) => (&self.openmetrics_gz, OPENMETRICS),
            (true, false) => (&self.openmetrics, OPENMETRICS),
            (false, true) => (&self.text_gz, TEXT),
            (false, false) => (&self.text, TEXT),
        };
        Chosen {
            body: body.clone(),
            content_type,
            gzip: gz,
        }
    }
}

fn gzip(bytes: &[u8]) -> Bytes {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    Bytes::from(encoder.finish().unwrap_or_default())
}

/// The media ranges of an `Accept`-style header with a q-value above zero.
fn ranges(header: &str) -> impl Iterator<Item = String> + '_ {
    header.split(',').filter_map(|part| {
        let mut fields = part.split(';').map(str::trim);
        let range = fields.next()?.to_ascii_lowercase();
        let refused = fields.any(|f| {
            f.strip_prefix("q=")
                .and_then(|q| q.parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        (!refused && !range.is_empty()).then_some(range)
    })
}

/// Whether `Accept` names OpenMetrics (Prometheus sends it first, weighted, before text/plain).
fn accepts_openmetrics(accept: &str) -> bool {
    ranges(accept).any(|r| r == "application/openmetrics-text")
}

fn accepts_gzip(accept_encoding: &str) -> bool {
    ranges(accept_encoding).any(|r| r == "gzip" || r == "x-gzip")
}

/// The text format rewritten as OpenMetrics 1.0: a counter's family is named without its
/// `_total` suffix in `# HELP` and `# TYPE` (its samples keep it), quotes in help texts are
/// escaped, and the exposition ends with `# EOF`.
pub fn openmetrics(text: &str) -> String {
    let counters: std::collections::BTreeSet<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.strip_suffix(" counter"))
        .collect();
    let family = |name: &str| -> String {
        match name.strip_suffix("_total") {
            Some(base) if counters.contains(name) => base.to_string(),
            _ => name.to_string(),
        }
    };
    let mut out = String::with_capacity(text.len() + 8);
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap_or((rest, ""));
            out.push_str(&format!(
                "# HELP {} {}\n",
                family(name),
                help.replace('"', "\\\"")
            ));
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or((rest, "unknown"));
            out.push_str(&format!("# TYPE {} {kind}\n", family(name)));
        } else if !line.is_empty() {
            out.push_str(line);
            out.push('\n');
        }
    }
    out.push_str("# EOF\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT_SAMPLE: &str = "# HELP meshcert_cluster_up 1 when read.\n# TYPE meshcert_cluster_up gauge\nmeshcert_cluster_up 1\n# HELP meshcert_rounds_total Rounds \"completed\".\n# TYPE meshcert_rounds_total counter\nmeshcert_rounds_total 3\n";

    #[test]
    fn openmetrics_names_counter_families_without_total_and_ends_with_eof() {
        assert_eq!(
            openmetrics(TEXT_SAMPLE),
            "# HELP meshcert_cluster_up 1 when read.\n# TYPE meshcert_cluster_up gauge\nmeshcert_cluster_up 1\n# HELP meshcert_rounds Rounds \\\"completed\\\".\n# TYPE meshcert_rounds counter\nmeshcert_rounds_total 3\n# EOF\n"
        );
    }

    #[test]
    fn the_form_follows_accept_and_accept_encoding() {
        let e = Encoded::new(TEXT_SAMPLE);
        let prometheus_2 = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        let c = e.choose(Some(prometheus_2), Some("gzip"));
        assert_eq!((c.content_type, c.gzip), (OPENMETRICS, true));
        let mut plain = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&c.body[..]), &mut plain)
            .unwrap();
        assert!(String::from_utf8(plain).unwrap().ends_with("# EOF\n"));
        let c = e.choose(Some("text/plain;version=0.0.4"), None);
        assert_eq!((c.content_type, c.gzip), (TEXT, false));
        assert_eq!(&c.body[..], TEXT_SAMPLE.as_bytes());
        let c = e.choose(None, Some("gzip;q=0, identity"));
        assert!(!c.gzip);
        let c = e.choose(
            Some("application/openmetrics-text;q=0"),
            Some("deflate, gzip;q=0.5"),
        );
        assert_eq!((c.content_type, c.gzip), (TEXT, true));
    }
}
