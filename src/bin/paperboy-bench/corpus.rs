//! `paperboy-bench corpus --papers N [SOURCE]`: a corpus of any size made from real records, for
//! measuring how costs grow with it. Every generated paper takes its title and categories from
//! one real record, its abstract and comment from a second and its authors from a third, so word
//! frequencies, lengths and category mixes stay those of arXiv; it gets a new id and a list day
//! in the id's month, spread over January 2015 (when ids got five digits) to December 2026, about
//! as many a month as arXiv lists now at 2.8 million. Same seed, same corpus. Writes listings
//! JSON lines (the format `import` reads) to stdout.

use std::io::{BufRead, Write};
use std::path::Path;

use anyhow::Context as _;
use jiff::civil::Date;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// The first month of five-digit ids (`1501.nnnnn`) and the last month papers are spread over.
const FIRST_MONTH: (i16, i8) = (2015, 1);
const LAST_MONTH: (i16, i8) = (2026, 12);
/// Five-digit numbers: at most this many papers in one month.
const PER_MONTH: usize = 99_999;

/// The parts of a real record a generated paper borrows.
#[derive(Deserialize)]
struct Source {
    title: String,
    #[serde(rename = "abstract")]
    abstract_text: String,
    authors: Vec<String>,
    categories: Vec<String>,
    comment: Option<String>,
}

/// One generated listing record.
#[derive(Serialize)]
struct Generated<'a> {
    id: &'a str,
    title: &'a str,
    authors: &'a [String],
    categories: &'a [String],
    comment: Option<&'a str>,
    #[serde(rename = "abstract")]
    abstract_text: &'a str,
    abs_url: String,
    pdf_url: String,
    first_listed: String,
    listed_on: [String; 1],
}

fn months() -> Vec<Date> {
    let mut months = Vec::new();
    let mut month = Date::new(FIRST_MONTH.0, FIRST_MONTH.1, 1).expect("a valid month");
    let last = Date::new(LAST_MONTH.0, LAST_MONTH.1, 1).expect("a valid month");
    while month <= last {
        months.push(month);
        month = month.checked_add(jiff::Span::new().months(1)).expect("months go on");
    }
    months
}

/// A weekday of `month`, picked by `rng` (arXiv lists on weekdays).
fn list_day(month: Date, rng: &mut StdRng) -> Date {
    loop {
        let day = month
            .with()
            .day(rng.random_range(1..=month.days_in_month()))
            .build()
            .expect("a day of the month");
        if !matches!(
            day.weekday(),
            jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday
        ) {
            return day;
        }
    }
}

fn load(source: &Path) -> anyhow::Result<Vec<Source>> {
    let input = paperboy_ingest::open(source)?;
    let mut records = Vec::new();
    for (number, line) in input.reader.lines().enumerate() {
        let line = line.with_context(|| format!("{}: line {}", source.display(), number + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let record: Source = serde_json::from_str(&line)
            .with_context(|| format!("{}: line {} is not a listings record", source.display(), number + 1))?;
        records.push(record);
    }
    anyhow::ensure!(!records.is_empty(), "{} holds no records", source.display());
    Ok(records)
}

pub fn corpus(source: &Path, papers: usize, seed: u64) -> anyhow::Result<u8> {
    let months = months();
    anyhow::ensure!(
        papers <= months.len() * PER_MONTH,
        "at most {} papers fit in five-digit ids over {} months",
        months.len() * PER_MONTH,
        months.len()
    );
    let records = load(source)?;
    let mut rng = StdRng::seed_from_u64(seed);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
    for n in 0..papers {
        // Round-robin over the months, so every prefix of the corpus covers all of them.
        let month = months[n % months.len()];
        let number = n / months.len() + 1;
        let id = format!("{:02}{:02}.{number:05}", month.year() % 100, month.month());
        let pick = |rng: &mut StdRng| &records[rng.random_range(0..records.len())];
        let (titled, written, authored) = (pick(&mut rng), pick(&mut rng), pick(&mut rng));
        let day = list_day(month, &mut rng).to_string();
        let record = Generated {
            id: &id,
            title: &titled.title,
            authors: &authored.authors,
            categories: &titled.categories,
            comment: written.comment.as_deref(),
            abstract_text: &written.abstract_text,
            abs_url: format!("https://arxiv.org/abs/{id}"),
            pdf_url: format!("https://arxiv.org/pdf/{id}"),
            first_listed: day.clone(),
            listed_on: [day],
        };
        serde_json::to_writer(&mut out, &record)?;
        match out.write_all(b"\n") {
            Ok(()) => {}
            // The reader stopped (`| head`): nothing more is wanted.
            Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => return Ok(0),
            Err(error) => return Err(error.into()),
        }
    }
    out.flush()?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_new_style_unique_and_their_days_fall_in_their_month_on_weekdays() {
        let months = months();
        assert_eq!(months.first().map(|m| (m.year(), m.month())), Some((2015, 1)));
        assert_eq!(months.len(), 144);
        let mut rng = StdRng::seed_from_u64(7);
        for month in [months[0], months[100], months[143]] {
            for _ in 0..50 {
                let day = list_day(month, &mut rng);
                assert_eq!((day.year(), day.month()), (month.year(), month.month()));
                assert!(!matches!(
                    day.weekday(),
                    jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday
                ));
            }
        }
        let id = |n: usize| {
            let month = months[n % months.len()];
            format!(
                "{:02}{:02}.{:05}",
                month.year() % 100,
                month.month(),
                n / months.len() + 1
            )
        };
        assert_eq!(id(0), "1501.00001");
        assert_eq!(id(144), "1501.00002");
        for n in [0, 143, 1_000_000, 2_800_000, 144 * PER_MONTH - 1] {
            assert!(paperboy_core::ArxivId::parse(&id(n)).is_ok(), "{}", id(n));
        }
    }
}
