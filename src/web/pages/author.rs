//! `/authors/<name>`: the papers of one author name, newest first, with the co-authors and
//! categories they bring, and a Follow button. arXiv does not tell apart people of the same
//! name, so the page says whose papers these are: everyone's written so (the search's `au:`
//! rules: accents and case folded, an initial for the first name), with the spellings found.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use paperboy_core::{ArxivId, Paper};
use paperboy_search::{Filters, Sort};

use crate::lists::Entry;
use crate::search::SearchRequest;
use crate::web::documents::entries_file;
use crate::web::error::AppError;
use crate::web::forms::percent_encode;
use crate::web::guard::CurrentUser;
use crate::web::state::AppState;
use crate::web::views::{FeedLink, author_href, human_date, paper_path};

/// Papers an author page lists.
const PAPERS: usize = 100;
/// Co-authors and categories shown.
const ALONGSIDE: usize = 12;

pub struct AuthorPaperView {
    pub href: String,
    pub title: String,
    pub listed: String,
    pub category: String,
}

pub struct NamedCount {
    pub name: String,
    pub href: String,
    pub count: usize,
}

#[derive(Template)]
#[template(path = "author.html")]
struct AuthorPage {
    layout: crate::web::views::Layout,
    name: String,
    path: String,
    spellings: Vec<String>,
    papers: Vec<AuthorPaperView>,
    total: usize,
    coauthors: Vec<NamedCount>,
    categories: Vec<NamedCount>,
    /// Whether the signed-in reader follows this name.
    following: bool,
}

/// The files under an author's page: its feeds and BibTeX.
const FILES: [&str; 4] = ["feed.atom", "feed.rss", "feed.json", "papers.bib"];

/// `GET /authors/<name>`, and its feeds and BibTeX at `/authors/<name>/feed.atom` and so on.
pub async fn author(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path(path): Path<String>,
) -> Result<Response, AppError> {
    let (name, file) = match FILES
        .iter()
        .find_map(|file| Some((path.strip_suffix(&format!("/{file}"))?, *file)))
    {
        Some((name, file)) => (name, Some(file)),
        None => (path.as_str(), None),
    };
    let name = name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(AppError::not_found("There is no author of that name here."));
    }
    let query = paperboy_search::parse(&format!("au:\"{}\"", name.replace('"', " ")))
        .map_err(|_| AppError::not_found("There is no author of that name here."))?;
    let results = state
        .search
        .query(SearchRequest {
            query,
            mode: None,
            filters: Filters::default(),
            sort: Sort::New,
            offset: 0,
            limit: PAPERS,
        })
        .await
        .map_err(AppError::internal)?;
    let ids: Vec<ArxivId> = results
        .hits
        .iter()
        .filter_map(|hit| ArxivId::parse(&hit.id).ok())
        .collect();
    let papers: Vec<Paper> = state
        .store
        .papers_by_ids(&ids)
        .await?
        .into_iter()
        .filter(|paper| {
            paper
                .authors
                .iter()
                .any(|written| paperboy_search::analysis::same_author_name(written, &name))
        })
        .collect();
    if papers.is_empty() {
        return Err(AppError::not_found(format!("There are no papers by {name} here.")));
    }
    if let Some(file) = file {
        let today = crate::clock::today_utc();
        let entries: Vec<Entry> = papers.into_iter().map(|paper| Entry::unranked(paper, today)).collect();
        return entries_file(
            &state,
            &format!("Papers by {name}"),
            &entries,
            &author_href(&name),
            file,
        );
    }
    let mut spellings: Vec<String> = Vec::new();
    let mut coauthors: BTreeMap<String, usize> = BTreeMap::new();
    let mut categories: BTreeMap<String, usize> = BTreeMap::new();
    for paper in &papers {
        for written in &paper.authors {
            if paperboy_search::analysis::same_author_name(written, &name) {
                if !spellings.contains(written) {
                    spellings.push(written.clone());
                }
            } else {
                *coauthors.entry(written.clone()).or_default() += 1;
            }
        }
        for category in &paper.categories {
            *categories.entry(category.to_string()).or_default() += 1;
        }
    }
    let top = |counts: BTreeMap<String, usize>, href: &dyn Fn(&str) -> String| {
        let mut counts: Vec<(String, usize)> = counts.into_iter().collect();
        counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        counts
            .into_iter()
            .take(ALONGSIDE)
            .map(|(name, count)| NamedCount {
                href: href(&name),
                name,
                count,
            })
            .collect::<Vec<_>>()
    };
    let following =
        match &session {
            Some(session) => state.store.follows(session.user.id).await?.into_iter().any(|follow| {
                follow.active && follow.kind == paperboy_store::FollowKind::Author && follow.value == name
            }),
            None => false,
        };
    let mut layout = crate::web::views::Layout::new(
        format!("{name} · {}", state.settings.instance_name),
        &state.settings.instance_name,
    );
    layout.feeds = FeedLink::all(&author_href(&name), "", &format!("the papers by {name}"));
    let page = AuthorPage {
        layout,
        path: author_href(&name),
        total: papers.len(),
        papers: papers
            .iter()
            .map(|paper| AuthorPaperView {
                href: paper_path(paper),
                title: paper.title.clone(),
                listed: paper.first_listed().map(human_date).unwrap_or_default(),
                category: paper
                    .primary_category
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            })
            .collect(),
        coauthors: top(coauthors, &author_href),
        categories: top(categories, &|code| {
            format!("/search?cat={code}&q={}", percent_encode(&format!("au:\"{name}\"")))
        }),
        spellings,
        following,
        name,
    };
    Ok(Html(page.render().map_err(AppError::internal)?).into_response())
}
