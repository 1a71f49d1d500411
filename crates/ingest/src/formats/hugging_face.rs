//! Hugging Face `/api/daily_papers` responses: a JSON array of `{paper: {id, title, summary,
//! authors[{name}], upvotes, publishedAt, submittedOnDailyAt, githubRepo?, projectPage?}}`.
//! The archive export adds `upvotesCapturedAt`, the moment the votes were read.
//!
//! The array is read element by element, so a file cut short keeps the elements before the cut.

use std::io::{BufRead, Read};

use paperboy_core::{CodeHost, CodeLink, CommunityVotes, HuggingFacePaper, HuggingFaceUser, Paper};
use serde::Deserialize;

use super::{Refusal, new_paper};
use crate::input::read_error_reason;
use crate::text::{date_of_timestamp, iso_timestamp, non_empty, squash_whitespace};
use crate::{InputError, Item, Location, Record, RecordError};

/// The source name under which Hugging Face upvotes are kept.
pub const SOURCE: &str = "huggingface";

#[derive(Deserialize)]
struct DailyPaper {
    paper: Option<HfPaper>,
    #[serde(rename = "upvotesCapturedAt")]
    upvotes_captured_at: Option<String>,
    thumbnail: Option<String>,
    #[serde(rename = "submittedBy")]
    submitted_by: Option<HfUser>,
}

#[derive(Deserialize)]
struct HfUser {
    name: Option<String>,
    fullname: Option<String>,
    #[serde(rename = "avatarUrl")]
    avatar_url: Option<String>,
}

#[derive(Deserialize)]
struct HfPaper {
    id: Option<String>,
    title: Option<String>,
    summary: Option<String>,
    #[serde(default)]
    authors: Vec<HfAuthor>,
    upvotes: Option<i64>,
    #[serde(rename = "publishedAt")]
    published_at: Option<String>,
    #[serde(rename = "submittedOnDailyAt")]
    submitted_on_daily_at: Option<String>,
    #[serde(rename = "githubRepo")]
    github_repo: Option<String>,
    #[serde(rename = "projectPage")]
    project_page: Option<String>,
    ai_summary: Option<String>,
    #[serde(default)]
    ai_keywords: Vec<String>,
    #[serde(rename = "submittedOnDailyBy")]
    submitted_on_daily_by: Option<HfUser>,
}

#[derive(Deserialize)]
struct HfAuthor {
    name: Option<String>,
}

pub fn records(name: String, mut reader: Box<dyn BufRead + Send>) -> Box<dyn Iterator<Item = Item> + Send> {
    let mut document = Vec::new();
    let read_error = reader.read_to_end(&mut document).err();
    let mut items = Vec::new();
    let mut position = skip_whitespace(&document, 0);
    if document.get(position) != Some(&b'[') {
        items.push(Item::Fatal(InputError::new(
            &name,
            "expected a JSON array of daily papers".to_owned(),
        )));
        return Box::new(items.into_iter());
    }
    position += 1;
    let mut number = 0usize;
    loop {
        position = skip_whitespace(&document, position);
        match document.get(position) {
            Some(b']') => break,
            Some(b',') if number > 0 => position = skip_whitespace(&document, position + 1),
            None => {
                let reason = match &read_error {
                    Some(error) => read_error_reason(error),
                    None => "the JSON array ends early (truncated file?)".to_owned(),
                };
                items.push(Item::Fatal(InputError::new(
                    &name,
                    format!("after record {number}: {reason}"),
                )));
                break;
            }
            Some(_) if number > 0 => {
                let reason = format!(
                    "broken JSON after record {number}: expected `,` or `]` at {}",
                    line_column(&document, position)
                );
                items.push(Item::Fatal(InputError::new(&name, reason)));
                break;
            }
            Some(_) => {}
        }
        number += 1;
        let location = Location::Record(number);
        let mut stream = serde_json::Deserializer::from_slice(&document[position..]).into_iter::<serde_json::Value>();
        let value = match stream.next() {
            Some(Ok(value)) => value,
            Some(Err(error)) => {
                let reason = format!(
                    "broken JSON in record {number} at {}: {error}",
                    line_column(&document, position)
                );
                items.push(Item::Fatal(InputError::new(&name, reason)));
                break;
            }
            None => continue,
        };
        position += stream.byte_offset();
        items.push(match paper_from_value(value) {
            Ok(paper) => Item::Paper(Record { location, paper }),
            Err(Refusal { id, reason }) => Item::Failed(RecordError { location, id, reason }),
        });
    }
    Box::new(items.into_iter())
}

/// One daily-papers element as HF's part of a paper: arXiv's fields stay empty, so that merging
/// lets HF fill only what arXiv has not said (see `Paper::merge`).
fn paper_from_value(value: serde_json::Value) -> Result<Paper, Refusal> {
    let id_hint = value.pointer("/paper/id").and_then(|id| id.as_str()).map(str::to_owned);
    let daily: DailyPaper = serde_json::from_value(value)
        .map_err(|error| Refusal::new(id_hint.as_deref(), format!("unexpected JSON: {error}")))?;
    let hf = daily.paper.ok_or_else(|| Refusal::new(None, "missing \"paper\""))?;
    let mut paper = new_paper(hf.id.as_deref(), hf.title.as_deref())?;
    let id = paper.id.as_str().to_owned();
    let refuse = |reason: String| Refusal::new(Some(&id), reason);
    let mut facts = HuggingFacePaper {
        title: std::mem::take(&mut paper.title),
        summary: hf.summary.as_deref().map(squash_whitespace).unwrap_or_default(),
        authors: hf
            .authors
            .iter()
            .filter_map(|author| non_empty(author.name.as_deref()))
            .collect(),
        ai_summary: non_empty(hf.ai_summary.as_deref()),
        ai_keywords: hf
            .ai_keywords
            .iter()
            .filter_map(|keyword| non_empty(Some(keyword)))
            .collect(),
        submitted_by: daily
            .submitted_by
            .or(hf.submitted_on_daily_by)
            .and_then(HfUser::into_user),
        thumbnail: daily.thumbnail.as_deref().and_then(web_url),
        github_repo: hf.github_repo.as_deref().and_then(CodeLink::from_url),
        project_page: hf.project_page.as_deref().and_then(project_page),
        ..HuggingFacePaper::default()
    };
    if let Some(published) = &hf.published_at {
        facts.published_on = Some(date_of_timestamp(published).map_err(|r| refuse(format!("publishedAt: {r}")))?);
    }
    facts.daily_date = match &hf.submitted_on_daily_at {
        Some(text) => Some(date_of_timestamp(text).map_err(|r| refuse(format!("submittedOnDailyAt: {r}")))?),
        None => None,
    };
    facts.read_at = match &daily.upvotes_captured_at {
        Some(text) => Some(iso_timestamp(text).map_err(|r| refuse(format!("upvotesCapturedAt: {r}")))?),
        None => None,
    };
    if let Some(upvotes) = hf.upvotes {
        if upvotes < 0 {
            return Err(refuse(format!("negative upvotes ({upvotes})")));
        }
        paper.community_votes.push(CommunityVotes {
            source: SOURCE.to_owned(),
            votes: upvotes,
            read_at: facts.read_at,
            featured_on: facts.daily_date,
        });
    }
    Ok(paper.with_hugging_face(facts))
}

impl HfUser {
    fn into_user(self) -> Option<HuggingFaceUser> {
        Some(HuggingFaceUser {
            name: non_empty(self.name.as_deref())?,
            fullname: non_empty(self.fullname.as_deref()),
            avatar_url: self.avatar_url.as_deref().and_then(web_url),
        })
    }
}

fn web_url(url: &str) -> Option<String> {
    let url = url.trim();
    let is_web = url.starts_with("https://") || url.starts_with("http://");
    (is_web && !url.contains(char::is_whitespace)).then(|| url.to_owned())
}

/// Hugging Face's `projectPage` may be any site; keep it when it is an http(s) URL.
fn project_page(url: &str) -> Option<CodeLink> {
    let url = url.trim();
    if let Some(link) = CodeLink::from_url(url) {
        return Some(link);
    }
    web_url(url).map(|url| CodeLink {
        host: CodeHost::ProjectPage,
        url,
    })
}

fn skip_whitespace(document: &[u8], mut position: usize) -> usize {
    while document.get(position).is_some_and(|b| b.is_ascii_whitespace()) {
        position += 1;
    }
    position
}

fn line_column(document: &[u8], position: usize) -> String {
    let before = &document[..position.min(document.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    format!("line {line} column {column}")
}
