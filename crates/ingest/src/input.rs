//! Opening what the operator names: a file, `-` for stdin, gzip recognised by its magic bytes
//! rather than its name; and guessing the format from the first bytes.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use crate::InputError;

/// How much of the start of an input the format detection sees.
const HEAD_BYTES: usize = 64 * 1024;

/// Every format Paperboy reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// arXiv daily listing export, JSON lines with `first_listed` / `listed_on`.
    ListingJsonLines,
    /// Kaggle's arxiv-metadata-oai-snapshot, JSON lines with `versions` / `authors_parsed`.
    KaggleJsonLines,
    /// Hugging Face `/api/daily_papers`: a JSON array of `{paper: {...}}`.
    HuggingFaceDailyPapers,
    /// Atom: arXiv API responses and rss.arxiv.org announcement feeds.
    Atom,
    /// OAI-PMH `ListRecords` / `GetRecord` in `arXiv`, `arXivRaw` or `oai_dc`.
    OaiPmh,
    /// RSS 2.0 announcement feeds from rss.arxiv.org.
    Rss,
}

impl Format {
    pub fn describe(self) -> &'static str {
        match self {
            Format::ListingJsonLines => "arXiv listing JSON lines",
            Format::KaggleJsonLines => "Kaggle arXiv snapshot JSON lines",
            Format::HuggingFaceDailyPapers => "Hugging Face daily_papers JSON",
            Format::Atom => "Atom (arXiv API or announcement feed)",
            Format::OaiPmh => "OAI-PMH",
            Format::Rss => "RSS 2.0 announcement feed",
        }
    }
}

/// An opened input, decompressed, with its format known.
pub struct Input {
    pub name: String,
    pub format: Format,
    pub reader: Box<dyn BufRead + Send>,
}

/// Opens `path` (`-` is stdin), undoes gzip, and detects the format.
pub fn open(path: &Path) -> Result<Input, InputError> {
    let name = path.display().to_string();
    let raw: Box<dyn Read + Send> = if path.as_os_str() == "-" {
        Box::new(io::stdin())
    } else {
        let file = File::open(path).map_err(|error| InputError::new(&name, format!("cannot open: {error}")))?;
        Box::new(file)
    };
    from_reader(name, raw)
}

/// `raw` with gzip undone when it starts with gzip's magic bytes, whatever the format inside.
pub fn decompressed(raw: Box<dyn Read + Send>) -> io::Result<Box<dyn Read + Send>> {
    let mut buffered = BufReader::with_capacity(HEAD_BYTES, raw);
    Ok(if buffered.fill_buf()?.starts_with(&[0x1f, 0x8b]) {
        Box::new(MultiGzDecoder::new(buffered))
    } else {
        Box::new(buffered)
    })
}

/// Like [`open`] for any reader (tests, HTTP bodies).
pub fn from_reader(name: String, raw: Box<dyn Read + Send>) -> Result<Input, InputError> {
    let decompressed = decompressed(raw).map_err(|error| InputError::new(&name, format!("cannot read: {error}")))?;
    let mut head = Vec::with_capacity(HEAD_BYTES);
    let mut limited = decompressed.take(HEAD_BYTES as u64);
    let rest: Box<dyn Read + Send> = match limited.read_to_end(&mut head) {
        Ok(_) => Box::new(limited.into_inner()),
        // A short file that breaks early: read what came through, then report the break.
        Err(error) if !head.is_empty() => Box::new(FailingReader {
            kind: error.kind(),
            message: error.to_string(),
        }),
        Err(error) => return Err(InputError::new(&name, read_error_reason(&error))),
    };
    let format = detect(&head).ok_or_else(|| {
        InputError::new(&name, "unknown format: not arXiv listing or Kaggle JSON lines, Hugging Face daily_papers JSON, Atom, OAI-PMH or RSS".to_owned())
    })?;
    let reader = Box::new(BufReader::with_capacity(256 * 1024, Cursor::new(head).chain(rest)));
    Ok(Input { name, format, reader })
}

/// Yields a read error that happened while the head was read, once the head is consumed.
struct FailingReader {
    kind: io::ErrorKind,
    message: String,
}

impl Read for FailingReader {
    fn read(&mut self, _buffer: &mut [u8]) -> io::Result<usize> {
        Err(io::Error::new(self.kind, self.message.clone()))
    }
}

/// A read error as a person should read it: gzip's "unexpected end of file" means truncated.
pub fn read_error_reason(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::UnexpectedEof => "the file ends early (truncated gzip?)".to_owned(),
        io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData => {
            format!("corrupt compressed data ({error})")
        }
        _ => format!("read failed: {error}"),
    }
}

/// Guesses the format from the first bytes. JSON lines are told apart by their keys.
pub fn detect(head: &[u8]) -> Option<Format> {
    let text = String::from_utf8_lossy(head);
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('<') {
        let root = first_element_name(trimmed)?;
        return match root.rsplit(':').next()? {
            "feed" => Some(Format::Atom),
            "OAI-PMH" => Some(Format::OaiPmh),
            "rss" => Some(Format::Rss),
            _ => None,
        };
    }
    if let Some(array) = trimmed.strip_prefix('[') {
        let looks_like_hf = array.contains("\"paper\"") || array.trim_start().starts_with(']');
        return looks_like_hf.then_some(Format::HuggingFaceDailyPapers);
    }
    if trimmed.starts_with('{') {
        let first_line = trimmed.lines().next()?;
        let has = |key: &str| first_line.contains(&format!("\"{key}\""));
        if has("first_listed") || has("listed_on") {
            return Some(Format::ListingJsonLines);
        }
        if has("versions") || has("authors_parsed") || has("update_date") || has("submitter") {
            return Some(Format::KaggleJsonLines);
        }
    }
    None
}

/// The name of the first element, skipping the XML declaration, comments and doctype.
fn first_element_name(text: &str) -> Option<&str> {
    let mut rest = text;
    loop {
        let start = rest.find('<')?;
        rest = &rest[start + 1..];
        if rest.starts_with('?') || rest.starts_with('!') {
            continue;
        }
        let end = rest.find(|c: char| c.is_whitespace() || c == '>' || c == '/')?;
        return Some(&rest[..end]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_format_from_its_start() {
        let cases: [(&str, Option<Format>); 8] = [
            (
                "{\"id\": \"2503.11677\", \"first_listed\": \"2025-03-18\"}",
                Some(Format::ListingJsonLines),
            ),
            (
                "{\"id\":\"0704.0001\",\"submitter\":\"P\",\"versions\":[]}",
                Some(Format::KaggleJsonLines),
            ),
            ("[\n {\n  \"paper\": {", Some(Format::HuggingFaceDailyPapers)),
            (
                "<?xml version='1.0'?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">",
                Some(Format::Atom),
            ),
            (
                "<OAI-PMH xmlns=\"http://www.openarchives.org/OAI/2.0/\">",
                Some(Format::OaiPmh),
            ),
            (
                "<?xml version='1.0'?><!-- c --><rss version=\"2.0\">",
                Some(Format::Rss),
            ),
            ("<html><body>", None),
            ("hello", None),
        ];
        for (head, expected) in cases {
            assert_eq!(detect(head.as_bytes()), expected, "{head}");
        }
    }
}
