//! arXiv identifiers in every form people paste, parsed once into a canonical id.
//!
//! arXiv has two schemes (<https://info.arxiv.org/help/arxiv_identifier.html>):
//! new style `YYMM.NNNN` (2007–2014) / `YYMM.NNNNN` (2015 on) and old style
//! `archive[.SUBJ]/YYMMNNN` (1991–2007). Either may carry a version `vN`. The subject class of an
//! old-style id is not part of its identity (`math.GT/0309136` is `math/0309136`), so the
//! canonical form drops it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A canonical arXiv identifier without version: `2503.11677` or `hep-th/9901001`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ArxivId(String);

/// An arXiv identifier as written somewhere, with the version it named, if any.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VersionedArxivId {
    pub id: ArxivId,
    pub version: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArxivIdError {
    #[error("empty arXiv id")]
    Empty,
    #[error("{0:?} is not an arXiv id (expected e.g. 2503.11677, 2503.11677v2 or hep-th/9901001)")]
    Malformed(String),
    #[error("{0:?} has an impossible month in its arXiv id")]
    BadMonth(String),
    #[error("{0:?} has a bad version suffix (expected v1, v2, …)")]
    BadVersion(String),
}

impl ArxivId {
    /// Parses any accepted form and drops the version.
    pub fn parse(text: &str) -> Result<ArxivId, ArxivIdError> {
        VersionedArxivId::parse(text).map(|versioned| versioned.id)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_old_style(&self) -> bool {
        self.0.contains('/')
    }

    /// `https://arxiv.org/abs/<id>`: arXiv asks to link its abstract page rather than host copies.
    pub fn abs_url(&self) -> String {
        format!("https://arxiv.org/abs/{}", self.0)
    }

    pub fn pdf_url(&self) -> String {
        format!("https://arxiv.org/pdf/{}", self.0)
    }

    /// A number that orders ids as arXiv issued them: by month, then by number, old style
    /// before new. Distinct ids give distinct numbers, so it can break any tie for good.
    ///
    /// New style: the top bit, then months since January 2000, then the number. Old style:
    /// months since January 1991, then the number, then the archive's first eight characters
    /// (two archives issue the same number in the same month; none has a longer name).
    pub fn issue_order(&self) -> u64 {
        let digits = self.0.rsplit('/').next().unwrap_or(&self.0);
        let number_at =
            |range: std::ops::Range<usize>| -> u64 { digits.get(range).and_then(|d| d.parse().ok()).unwrap_or(0) };
        let (yy, mm) = (number_at(0..2), number_at(2..4));
        match self.0.split_once('/') {
            None => 1 << 63 | (yy * 12 + mm.saturating_sub(1)) << 20 | number_at(5..digits.len()),
            Some((archive, _)) => {
                let year = if yy >= 91 { yy - 91 } else { yy + 9 };
                // Base 28: 0 pads a short name, 1–26 are letters, 27 is '-'.
                let archive = (0..8).fold(0u64, |packed, at| {
                    let code = match archive.as_bytes().get(at) {
                        None => 0,
                        Some(b'-') => 27,
                        Some(letter) => u64::from(letter - b'a') + 1,
                    };
                    packed * 28 + code
                });
                (year * 12 + mm.saturating_sub(1)) << 53 | number_at(4..7) << 43 | archive
            }
        }
    }
}

impl VersionedArxivId {
    /// Accepts `2503.11677`, `2503.11677v2`, `arXiv:2503.11677`, `hep-th/9901001`,
    /// `math.GT/0309136v1`, `oai:arXiv.org:…` and abs/pdf/html URLs on arxiv.org or
    /// export.arxiv.org, with surrounding whitespace.
    pub fn parse(text: &str) -> Result<VersionedArxivId, ArxivIdError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(ArxivIdError::Empty);
        }
        let bare = strip_decorations(trimmed);
        let (body, version) = split_version(bare, trimmed)?;
        let canonical = if body.contains('/') {
            canonical_old_style(body)
        } else {
            canonical_new_style(body)
        }
        .ok_or_else(|| ArxivIdError::Malformed(trimmed.to_owned()))?;
        check_month(&canonical, trimmed)?;
        Ok(VersionedArxivId {
            id: ArxivId(canonical),
            version,
        })
    }
}

/// Removes URL, `arXiv:` and OAI prefixes and URL tails (`.pdf`, `/`, query, fragment).
fn strip_decorations(text: &str) -> &str {
    let mut rest = text;
    for scheme in ["https://", "http://"] {
        if let Some(after) = strip_prefix_ignore_case(rest, scheme) {
            rest = after;
        }
    }
    for host in ["www.arxiv.org/", "export.arxiv.org/", "arxiv.org/"] {
        if let Some(after) = strip_prefix_ignore_case(rest, host) {
            rest = after;
            for page in ["abs/", "pdf/", "html/", "format/", "ps/"] {
                if let Some(after_page) = rest.strip_prefix(page) {
                    rest = after_page;
                    break;
                }
            }
            break;
        }
    }
    for prefix in ["oai:arXiv.org:", "arxiv:"] {
        if let Some(after) = strip_prefix_ignore_case(rest, prefix) {
            rest = after.trim_start();
        }
    }
    if let Some(cut) = rest.find(['?', '#']) {
        rest = &rest[..cut];
    }
    let rest = rest.trim_end_matches('/');
    rest.strip_suffix(".pdf").unwrap_or(rest)
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &text[prefix.len()..])
}

/// Splits `…vN` into the id body and version N (N ≥ 1).
fn split_version<'a>(bare: &'a str, original: &str) -> Result<(&'a str, Option<u32>), ArxivIdError> {
    let Some(v_at) = bare.rfind('v') else {
        return Ok((bare, None));
    };
    let digits = &bare[v_at + 1..];
    let body = &bare[..v_at];
    // A `v` inside an archive name (e.g. `solv-int/…`) precedes the slash; only a trailing vN counts.
    if body.is_empty() || !body.ends_with(|c: char| c.is_ascii_digit()) {
        return Ok((bare, None));
    }
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 4 {
        return Err(ArxivIdError::BadVersion(original.to_owned()));
    }
    match digits.parse::<u32>() {
        Ok(0) | Err(_) => Err(ArxivIdError::BadVersion(original.to_owned())),
        Ok(version) => Ok((body, Some(version))),
    }
}

fn canonical_new_style(body: &str) -> Option<String> {
    let (yymm, number) = body.split_once('.')?;
    if yymm.len() != 4 || !yymm.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Four digits until 1412, five from 1501 on.
    let expected_len = if yymm < "1501" { 4 } else { 5 };
    if number.len() != expected_len || yymm < "0704" {
        return None;
    }
    Some(body.to_owned())
}

fn canonical_old_style(body: &str) -> Option<String> {
    let (archive_and_subject, number) = body.split_once('/')?;
    if number.len() != 7 || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let archive = match archive_and_subject.split_once('.') {
        Some((archive, subject)) => {
            let subject_ok = !subject.is_empty() && subject.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-');
            subject_ok.then_some(archive)?
        }
        None => archive_and_subject,
    };
    let archive_ok = archive.len() >= 2
        && archive.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && archive.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-');
    if !archive_ok {
        return None;
    }
    // Old-style ids run from 9108 to 0703.
    let yy = &number[..2];
    if !(yy >= "91" || yy <= "07") {
        return None;
    }
    Some(format!("{}/{}", archive.to_ascii_lowercase(), number))
}

fn check_month(canonical: &str, original: &str) -> Result<(), ArxivIdError> {
    let digits = canonical.rsplit('/').next().unwrap_or(canonical);
    let month = &digits[2..4];
    if ("01"..="12").contains(&month) {
        Ok(())
    } else {
        Err(ArxivIdError::BadMonth(original.to_owned()))
    }
}

impl fmt::Display for ArxivId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ArxivId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ArxivId({})", self.0)
    }
}

impl fmt::Display for VersionedArxivId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.version {
            Some(version) => write!(f, "{}v{}", self.id, version),
            None => write!(f, "{}", self.id),
        }
    }
}

impl FromStr for ArxivId {
    type Err = ArxivIdError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ArxivId::parse(text)
    }
}

impl FromStr for VersionedArxivId {
    type Err = ArxivIdError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        VersionedArxivId::parse(text)
    }
}

impl TryFrom<&str> for ArxivId {
    type Error = ArxivIdError;
    fn try_from(text: &str) -> Result<Self, Self::Error> {
        ArxivId::parse(text)
    }
}

impl Serialize for ArxivId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ArxivId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        ArxivId::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parsed(text: &str) -> (String, Option<u32>) {
        let versioned = VersionedArxivId::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        (versioned.id.to_string(), versioned.version)
    }

    #[test]
    fn accepts_every_form_people_paste() {
        let cases = [
            ("2503.11677", "2503.11677", None),
            ("2503.11677v2", "2503.11677", Some(2)),
            (" arXiv:2503.11677v12 ", "2503.11677", Some(12)),
            ("ARXIV: 2503.11677", "2503.11677", None),
            ("0704.0001", "0704.0001", None),
            ("1412.9999v3", "1412.9999", Some(3)),
            ("hep-th/9901001", "hep-th/9901001", None),
            ("math.GT/0309136v1", "math/0309136", Some(1)),
            ("arXiv:cond-mat.mes-hall/0102536", "cond-mat/0102536", None),
            ("solv-int/9907001v2", "solv-int/9907001", Some(2)),
            ("https://arxiv.org/abs/2503.11677", "2503.11677", None),
            ("http://arxiv.org/abs/2202.12139v1", "2202.12139", Some(1)),
            ("https://arxiv.org/pdf/2503.11677v2", "2503.11677", Some(2)),
            ("https://arxiv.org/pdf/2503.11677v2.pdf", "2503.11677", Some(2)),
            (
                "https://export.arxiv.org/abs/hep-th/9901001v1",
                "hep-th/9901001",
                Some(1),
            ),
            ("https://www.arxiv.org/html/2503.11677v1/", "2503.11677", Some(1)),
            ("https://arxiv.org/abs/2503.11677?context=cs#x", "2503.11677", None),
            ("oai:arXiv.org:1601.03238", "1601.03238", None),
            ("https://arxiv.org/abs/math/0309136", "math/0309136", None),
        ];
        for (text, id, version) in cases {
            assert_eq!(parsed(text), (id.to_owned(), version), "{text}");
        }
    }

    #[test]
    fn rejects_what_is_not_an_id() {
        for text in [
            "",
            "abc",
            "2503.1167",     // five digits required since 2015
            "1412.12345",    // four digits before 2015
            "2513.11677",    // month 13
            "2500.11677",    // month 00
            "2503.11677v0",  // versions start at 1
            "2503.11677v",   // empty version
            "2503.11677vx",  // not a number
            "hep-th/990100", // six digits
            "/9901001",      // no archive
            "https://example.com/abs/2503.11677x",
            "0612.1234", // new style starts in April 2007
        ] {
            assert!(VersionedArxivId::parse(text).is_err(), "{text:?} should be rejected");
        }
    }

    #[test]
    fn errors_name_the_input() {
        let error = ArxivId::parse("not-an-id").unwrap_err();
        assert!(error.to_string().contains("not-an-id"), "{error}");
    }

    #[test]
    fn issue_order_follows_the_calendar_then_the_number() {
        let ids = [
            "hep-th/9108001",
            "math/9108001",
            "hep-th/9108002",
            "hep-th/9109001",
            "astro-ph/9912999",
            "cond-mat/0001001",
            "solv-int/0001001",
            "math/0703999",
            "0704.0001",
            "0704.0002",
            "1412.9999",
            "1501.00001",
            "2503.11677",
            "2503.99999",
            "2504.00001",
        ];
        let orders: Vec<u64> = ids.iter().map(|id| ArxivId::parse(id).unwrap().issue_order()).collect();
        for (pair, ids) in orders.windows(2).zip(ids.windows(2)) {
            assert!(pair[0] < pair[1], "{} should come before {}", ids[0], ids[1]);
        }
    }

    proptest! {
        #[test]
        fn distinct_ids_have_distinct_issue_orders(a in "(hep-th|math|cond-mat|astro-ph|q-bio|nlin|solv-int)/(9[1-9]|0[0-6])(0[1-9]|1[0-2])[0-9]{3}|[0-9]{2}(0[1-9]|1[0-2])\\.[0-9]{5}", b in "(hep-th|math|cond-mat|astro-ph|q-bio|nlin|solv-int)/(9[1-9]|0[0-6])(0[1-9]|1[0-2])[0-9]{3}|[0-9]{2}(0[1-9]|1[0-2])\\.[0-9]{5}") {
            let (a, b) = (ArxivId::parse(&a), ArxivId::parse(&b));
            if let (Ok(a), Ok(b)) = (a, b) {
                prop_assert_eq!(a.issue_order().cmp(&b.issue_order()) == std::cmp::Ordering::Equal, a == b);
            }
        }

        #[test]
        fn new_style_round_trips(yy in 15u32..=99, mm in 1u32..=12, number in 0u32..100_000, version in proptest::option::of(1u32..50)) {
            let id = format!("{yy:02}{mm:02}.{number:05}");
            let text = match version { Some(v) => format!("{id}v{v}"), None => id.clone() };
            let parsed = VersionedArxivId::parse(&text).unwrap();
            prop_assert_eq!(parsed.id.as_str(), id.as_str());
            prop_assert_eq!(parsed.version, version);
            prop_assert_eq!(parsed.to_string(), text.clone());
            // Every decoration leads to the same id.
            for decorated in [format!("arXiv:{text}"), format!("https://arxiv.org/abs/{text}"), format!("https://export.arxiv.org/pdf/{text}.pdf"), format!("  {text}\n")] {
                prop_assert_eq!(&VersionedArxivId::parse(&decorated).unwrap(), &parsed);
            }
        }

        #[test]
        fn old_style_drops_the_subject_class(archive in "(hep-th|math|cond-mat|astro-ph|q-bio|nlin)", subject in proptest::option::of("[A-Z]{2}"), yy in prop_oneof![91u32..=99, 0u32..=6], mm in 1u32..=12, number in 0u32..1000) {
            let subject_part = subject.map(|s| format!(".{s}")).unwrap_or_default();
            let text = format!("{archive}{subject_part}/{yy:02}{mm:02}{number:03}");
            let id = ArxivId::parse(&text).unwrap();
            prop_assert_eq!(id.to_string(), format!("{archive}/{yy:02}{mm:02}{number:03}"));
            prop_assert!(id.is_old_style());
        }

        #[test]
        fn never_panics_on_any_text(text in "\\PC{0,40}") {
            let _ = VersionedArxivId::parse(&text);
        }

        #[test]
        fn canonical_form_is_a_fixed_point(text in "[0-9a-zA-Z./:v-]{1,30}") {
            if let Ok(parsed) = VersionedArxivId::parse(&text) {
                prop_assert_eq!(ArxivId::parse(parsed.id.as_str()).unwrap(), parsed.id);
            }
        }
    }
}
