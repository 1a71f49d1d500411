//! `paperboy eval recs`: how well "For you" finds what a researcher will write next, on real
//! listings. For authors with at least five papers first listed before the month and at least
//! two in it, the earlier papers become a member's library; the measure is the share of that
//! author's papers of the month in the top 50 and 100 of the member's monthly list, against
//! the month's community lists and a random order in the same run.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::Context as _;
use jiff::civil::Date;
use paperboy_core::{ArxivId, Period, RankCandidate, SearchDocument, Sort, TrendingParameters, rank as community_rank};
use paperboy_ingest::Item;
use paperboy_search::analysis::{Analyzer, NAMES};

use super::SAVED_CAP;
use super::rank::{
    BlendedScores, ContentScores, EmbeddedScores, Formula, Interests, LexicalScores, PeriodPapers, rank,
};

pub struct EvalOptions {
    pub listings: Vec<PathBuf>,
    /// Hugging Face daily papers files whose upvotes are the community's votes.
    pub votes: Vec<PathBuf>,
    pub month: Period,
    pub authors: usize,
    pub seed: u64,
    pub formula: Formula,
    /// The embedding model's directory: when it holds the model, the embedding and blended
    /// content models are measured too.
    pub model_dir: Option<PathBuf>,
    /// Where embeddings made for the evaluation are kept between runs (JSON lines).
    pub embeddings_cache: Option<PathBuf>,
    /// The embeddings' share of each cosine in the blended model.
    pub embedding_share: f32,
}

/// One list's recall, averaged over the authors.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Row {
    pub list: String,
    pub recall_at_50: f64,
    pub recall_at_100: f64,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Report {
    pub month: String,
    pub candidates: usize,
    pub eligible_authors: usize,
    pub authors: usize,
    pub formula: String,
    pub rows: Vec<Row>,
    /// Mean milliseconds to rank the month for one member (the period's model built once).
    pub ms_per_member: f64,
    pub ms_period_model: f64,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{}: {} candidates; {} of {} eligible authors; formula {}",
            self.month, self.candidates, self.authors, self.eligible_authors, self.formula
        )?;
        writeln!(f, "{:<34} {:>10} {:>10}", "list", "recall@50", "recall@100")?;
        for row in &self.rows {
            writeln!(
                f,
                "{:<34} {:>10.3} {:>10.3}",
                row.list, row.recall_at_50, row.recall_at_100
            )?;
        }
        write!(
            f,
            "period model {:.0} ms once; {:.1} ms per member",
            self.ms_period_model, self.ms_per_member
        )
    }
}

/// A paper as read from the listings, with its first listing day.
struct Listed {
    document: SearchDocument,
    first: Date,
}

pub fn run(options: &EvalOptions) -> anyhow::Result<Report> {
    let (first_day, last_day) = options.month.bounds();
    let votes = read_votes(&options.votes)?;
    let mut papers: HashMap<ArxivId, Listed> = HashMap::new();
    for path in &options.listings {
        for item in paperboy_ingest::read_path(path)? {
            let paper = match item {
                Item::Paper(record) => record.paper,
                Item::Failed(_) => continue,
                Item::Fatal(error) => return Err(error.into()),
            };
            let Some(&first) = paper.listing_dates.first() else {
                continue;
            };
            let document = SearchDocument {
                id: paper.id.to_string(),
                title: paper.title.clone(),
                abstract_text: paper.abstract_text.clone(),
                authors: paper.authors.clone(),
                categories: paper.categories.iter().map(|c| c.to_string()).collect(),
                first_listed: Some(first),
                votes: votes.get(&paper.id).copied().unwrap_or(0),
                hidden: false,
            };
            papers.entry(paper.id.clone()).or_insert(Listed { document, first });
        }
    }
    anyhow::ensure!(!papers.is_empty(), "the listings hold no papers");

    // The month's papers, in id order so that every run sees them alike.
    let mut month: Vec<&Listed> = papers
        .values()
        .filter(|p| (first_day..=last_day).contains(&p.first))
        .collect();
    month.sort_by(|a, b| a.document.id.cmp(&b.document.id));
    anyhow::ensure!(
        !month.is_empty(),
        "no paper was first listed in {}",
        options.month.path()
    );

    // Authors by their folded name: papers before the month (newest first) and in it.
    let mut names = Analyzer::new(NAMES).expect("the names analyzer is registered");
    let mut by_author: HashMap<String, (String, Vec<&Listed>, Vec<String>)> = HashMap::new();
    for paper in papers.values() {
        for name in &paper.document.authors {
            let key = names.terms(name).join(" ");
            if key.is_empty() {
                continue;
            }
            let entry = by_author
                .entry(key)
                .or_insert_with(|| (name.clone(), Vec::new(), Vec::new()));
            if paper.first < first_day {
                entry.1.push(paper);
            } else if paper.first <= last_day {
                entry.2.push(paper.document.id.clone());
            }
        }
    }
    let mut eligible: Vec<(String, String, Vec<&Listed>, Vec<String>)> = by_author
        .into_iter()
        .filter(|(_, (_, before, during))| before.len() >= 5 && during.len() >= 2)
        .map(|(key, (name, before, during))| (key, name, before, during))
        .collect();
    eligible.sort_by(|a, b| a.0.cmp(&b.0));
    let eligible_authors = eligible.len();
    let mut random = SplitMix(options.seed);
    shuffle(&mut eligible, &mut random);
    eligible.truncate(options.authors);
    anyhow::ensure!(
        !eligible.is_empty(),
        "no author has five papers before {} and two in it",
        options.month.path()
    );

    let started = std::time::Instant::now();
    let period = PeriodPapers::new(month.iter().map(|p| p.document.clone()).collect());
    let ms_period_model = started.elapsed().as_secs_f64() * 1e3;
    let ids: Vec<&str> = period.documents.iter().map(|d| d.id.as_str()).collect();
    let votes: Vec<i64> = period.documents.iter().map(|d| d.votes).collect();

    let community = |sort: Sort| -> Vec<String> {
        let candidates = month
            .iter()
            .map(|p| RankCandidate {
                id: ArxivId::parse(&p.document.id).expect("read as an id"),
                listed: p.first,
                imported_votes: p.document.votes,
                local_votes: 0,
                star_growth: 0,
                discussion: 0.0,
            })
            .collect();
        let end = paperboy_core::announcement_time(last_day.tomorrow().unwrap_or(last_day));
        community_rank(candidates, sort, &TrendingParameters::default(), end)
            .into_iter()
            .map(|(c, _)| c.id.to_string())
            .collect()
    };
    let trending = community(Sort::Trending);
    let top = community(Sort::Top);

    // Embeddings of every paper the runs compare, when the model is there.
    let embeddings = match &options.model_dir {
        Some(dir) if paperboy_embed::Embedder::present(dir) => {
            // The month's papers as read (the period model has dropped their abstracts).
            let mut wanted: Vec<&SearchDocument> = month.iter().map(|p| &p.document).collect();
            for (_, _, before, _) in &eligible {
                wanted.extend(newest(before).into_iter().map(|p| &p.document));
            }
            Some(embed_all(dir, options.embeddings_cache.as_deref(), &wanted)?)
        }
        _ => None,
    };
    let candidate_vectors: Vec<Option<Vec<f32>>> = match &embeddings {
        Some(vectors) => period.documents.iter().map(|d| vectors.get(&d.id).cloned()).collect(),
        None => Vec::new(),
    };

    let mut names: Vec<&str> = vec![
        "For you (content and votes)",
        "For you, following the author",
        "trending (the month, sort=trending)",
        "top (the month's default: votes)",
        "random",
    ];
    if embeddings.is_some() {
        names.push("For you, embeddings");
        names.push("For you, embeddings and tf-idf blended");
    }
    let mut sums: Vec<(String, f64, f64)> = names.iter().map(|name| (name.to_string(), 0.0, 0.0)).collect();
    let mut ranking_time = std::time::Duration::ZERO;
    for (_, name, before, during) in &eligible {
        let saved = newest(before);
        let mut interests = Interests {
            saved: saved.iter().map(|p| p.document.clone()).collect(),
            ..Interests::default()
        };
        let mut lists: Vec<Vec<String>> = Vec::new();
        for follow in [false, true] {
            interests.authors = if follow { vec![name.clone()] } else { Vec::new() };
            let timer = std::time::Instant::now();
            let content = LexicalScores::new(&period, &interests);
            let ranked = rank(&period, &votes, &content, &interests, &options.formula);
            ranking_time += timer.elapsed();
            lists.push(ranked.iter().map(|r| ids[r.position].to_string()).collect());
        }
        lists.push(trending.clone());
        lists.push(top.clone());
        let mut shuffled: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
        shuffle(&mut shuffled, &mut random);
        lists.push(shuffled);
        if let Some(vectors) = &embeddings {
            interests.authors = Vec::new();
            let profile: Vec<Vec<f32>> = interests
                .saved
                .iter()
                .map(|d| vectors.get(&d.id).cloned().unwrap_or_default())
                .collect();
            let embedded = EmbeddedScores::new(&candidate_vectors, profile);
            let lexical = LexicalScores::new(&period, &interests);
            let blended = BlendedScores {
                first: &embedded,
                second: &lexical,
                share: options.embedding_share,
            };
            for content in [&embedded as &dyn ContentScores, &blended] {
                let ranked = rank(&period, &votes, content, &interests, &options.formula);
                lists.push(ranked.iter().map(|r| ids[r.position].to_string()).collect());
            }
        }
        for (list, sum) in lists.iter().zip(sums.iter_mut()) {
            sum.1 += recall(list, during, 50);
            sum.2 += recall(list, during, 100);
        }
    }
    let n = eligible.len() as f64;
    Ok(Report {
        month: options.month.bounds().0.strftime("%Y-%m").to_string(),
        candidates: period.documents.len(),
        eligible_authors,
        authors: eligible.len(),
        formula: format!("{:?}", options.formula),
        rows: sums
            .into_iter()
            .map(|(list, at_50, at_100)| Row {
                list,
                recall_at_50: at_50 / n,
                recall_at_100: at_100 / n,
            })
            .collect(),
        ms_per_member: ranking_time.as_secs_f64() * 1e3 / (2.0 * n),
        ms_period_model,
    })
}

/// An author's earlier papers as a library: newest first, as many as the service reads.
fn newest<'a>(before: &[&'a Listed]) -> Vec<&'a Listed> {
    let mut saved = before.to_vec();
    saved.sort_by(|a, b| b.first.cmp(&a.first).then_with(|| b.document.id.cmp(&a.document.id)));
    saved.truncate(SAVED_CAP);
    saved
}

/// Embeddings of `wanted` with the model in `dir`, read from and added to `cache` (JSON lines
/// of `{"id": …, "vector": […]}`) so that a second run embeds nothing.
fn embed_all(
    dir: &std::path::Path,
    cache: Option<&std::path::Path>,
    wanted: &[&SearchDocument],
) -> anyhow::Result<HashMap<String, Vec<f32>>> {
    use std::io::{BufRead, Write};
    let mut vectors: HashMap<String, Vec<f32>> = HashMap::new();
    if let Some(path) = cache
        && let Ok(file) = std::fs::File::open(path)
    {
        for line in std::io::BufReader::new(file).lines() {
            let line = line?;
            let record: serde_json::Value = serde_json::from_str(&line).context("a cached embedding")?;
            if let (Some(id), Some(vector)) = (record["id"].as_str(), record["vector"].as_array()) {
                vectors.insert(
                    id.to_owned(),
                    vector.iter().filter_map(|v| v.as_f64()).map(|v| v as f32).collect(),
                );
            }
        }
    }
    let mut missing: Vec<&SearchDocument> = wanted
        .iter()
        .copied()
        .filter(|d| !vectors.contains_key(&d.id))
        .collect();
    missing.sort_by(|a, b| a.id.cmp(&b.id));
    missing.dedup_by(|a, b| a.id == b.id);
    if missing.is_empty() {
        return Ok(vectors);
    }
    let embedder = paperboy_embed::Embedder::load(dir)?;
    let mut writer = match cache {
        Some(path) => Some(std::fs::OpenOptions::new().create(true).append(true).open(path)?),
        None => None,
    };
    let started = std::time::Instant::now();
    for (done, chunk) in missing.chunks(32).enumerate() {
        let texts: Vec<String> = chunk
            .iter()
            .map(|d| paperboy_embed::paper_text(&d.title, &d.abstract_text))
            .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        for (document, vector) in chunk.iter().zip(embedder.embed(&refs)?) {
            if let Some(writer) = writer.as_mut() {
                writeln!(writer, "{}", serde_json::json!({"id": document.id, "vector": vector}))?;
            }
            vectors.insert(document.id.clone(), vector);
        }
        eprint!(
            "\rembedded {} of {} papers ({:.0} s)",
            ((done + 1) * 32).min(missing.len()),
            missing.len(),
            started.elapsed().as_secs_f64()
        );
    }
    eprintln!();
    Ok(vectors)
}

fn recall(list: &[String], relevant: &[String], k: usize) -> f64 {
    let top = &list[..k.min(list.len())];
    let found = relevant.iter().filter(|id| top.contains(id)).count();
    found as f64 / relevant.len() as f64
}

fn read_votes(paths: &[PathBuf]) -> anyhow::Result<HashMap<ArxivId, i64>> {
    let mut votes = HashMap::new();
    for path in paths {
        for item in paperboy_ingest::read_path(path).with_context(|| format!("while reading {}", path.display()))? {
            if let Item::Paper(record) = item {
                let most = record.paper.community_votes.iter().map(|v| v.votes).max().unwrap_or(0);
                votes.insert(record.paper.id, most);
            }
        }
    }
    Ok(votes)
}

/// A small seeded generator (SplitMix64), so that a seed names one sample on every machine.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

fn shuffle<T>(items: &mut [T], random: &mut SplitMix) {
    for i in (1..items.len()).rev() {
        let j = (random.next() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}
