//! `/papers/<id>`: one paper in full, with BibTeX and the meta tags reference managers read.
//! Any id form (`arXiv:…`, versions, old-style with subject class) redirects to the canonical URL.

use crate::web::cache::{PageKey, cached, cached_html};
use crate::web::comments::{CommentOrder, CommentView, EDIT_WINDOW_SECONDS, MAX_COMMENT, threads};
use crate::web::documents::{bibtex, discussion_atom};
use crate::web::error::AppError;
use crate::web::state::AppState;
use crate::web::views::{CodeView, Layout, Meta, human_date, paper_path};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use paperboy_core::{ArxivId, CodeHost, CodeLink, Paper, VersionedArxivId};

pub struct CategoryView {
    pub code: String,
    pub href: String,
}

pub struct Fact {
    pub label: &'static str,
    pub value: String,
    pub href: Option<String>,
}

pub struct PaperView {
    pub id: String,
    pub version: Option<u32>,
    pub title: String,
    pub authors: Vec<crate::web::views::AuthorLink>,
    pub abstract_text: String,
    pub votes: i64,
    pub categories: Vec<CategoryView>,
    pub abs_url: String,
    pub pdf_url: String,
    /// The repository and project page the authors (or Hugging Face) named first.
    pub code_links: Vec<CodeView>,
    /// Every other code link found for the paper.
    pub also_mentioned: Vec<CodeView>,
    pub facts: Vec<Fact>,
    pub bibtex: String,
}

#[derive(Template)]
#[template(path = "paper.html")]
struct PaperPage {
    layout: Layout,
    paper: PaperView,
    similar: Vec<SimilarView>,
    comments: Vec<CommentView>,
    /// Comments others can read (not deleted).
    comment_count: usize,
    /// oldest, newest or top.
    comment_order: &'static str,
    edit_minutes: i64,
    max_comment: usize,
}

pub struct SimilarView {
    pub href: String,
    pub title: String,
    pub authors: String,
}

/// Papers offered under "Similar papers".
const SIMILAR_PAPERS: usize = 5;

/// Nearest by meaning when the paper has an embedding, else by shared telling words.
async fn similar(state: &AppState, paper: &Paper) -> Result<Vec<SimilarView>, AppError> {
    let ids = state
        .search
        .similar(paper.id.as_str(), SIMILAR_PAPERS)
        .await
        .map_err(AppError::internal)?;
    let ids: Vec<ArxivId> = ids.iter().filter_map(|id| ArxivId::parse(id).ok()).collect();
    let papers = state.store.papers_by_ids(&ids).await?;
    Ok(papers
        .into_iter()
        .map(|paper| SimilarView {
            href: paper_path(&paper),
            authors: match paper.authors.as_slice() {
                [] => String::new(),
                [one] => one.clone(),
                [first, ..] => format!("{first} et al."),
            },
            title: paper.title,
        })
        .collect())
}

/// Other renderings of a paper page, by the path's suffix.
#[derive(Clone, Copy)]
enum Rendering {
    Html,
    /// `/papers/<id>.md`: what `huggingface_hub`'s `read_paper` fetches.
    Markdown,
    /// `/papers/<id>.bib`: the BibTeX entry alone.
    Bibtex,
    /// `/papers/<id>/comments.atom`: the discussion as a feed.
    DiscussionFeed,
}

/// What a paper page reads from its query: the discussion's order.
#[derive(Debug, Default, serde::Deserialize)]
pub struct PaperParams {
    sort: Option<String>,
}

pub async fn paper(
    State(state): State<AppState>,
    page: PageKey,
    Path(raw): Path<String>,
    Query(params): Query<PaperParams>,
) -> Response {
    let order = CommentOrder::parse(params.sort.as_deref());
    let (raw, rendering) = if let Some(id) = raw.strip_suffix("/comments.atom") {
        (id.to_owned(), Rendering::DiscussionFeed)
    } else if let Some(id) = raw.strip_suffix(".md") {
        (id.to_owned(), Rendering::Markdown)
    } else if let Some(id) = raw.strip_suffix(".bib") {
        (id.to_owned(), Rendering::Bibtex)
    } else {
        (raw, Rendering::Html)
    };
    // `/papers/https://arxiv.org/abs/…` arrives with `//` squashed by some clients.
    let text = raw.replace(":/", "://").replace(":///", "://");
    let versioned = match VersionedArxivId::parse(&text).or_else(|_| VersionedArxivId::parse(&raw)) {
        Ok(versioned) => versioned,
        Err(_) => return AppError::not_found(format!("{raw:?} is not an arXiv id we know.")).into_response(),
    };
    if versioned.id.as_str() != raw || versioned.version.is_some() {
        let suffix = match rendering {
            Rendering::Html => "",
            Rendering::Markdown => ".md",
            Rendering::Bibtex => ".bib",
            Rendering::DiscussionFeed => "/comments.atom",
        };
        return Redirect::permanent(&format!("/papers/{}{suffix}", versioned.id)).into_response();
    }
    let content_type = match rendering {
        Rendering::Html => None,
        Rendering::Markdown => Some("text/markdown; charset=utf-8"),
        Rendering::Bibtex => Some("application/x-bibtex; charset=utf-8"),
        Rendering::DiscussionFeed => Some("application/atom+xml; charset=utf-8"),
    };
    if let Some(content_type) = content_type {
        return cached(&state, &page, content_type, async {
            let paper = state
                .store
                .paper(&versioned.id)
                .await?
                .ok_or_else(|| not_found(&versioned.id))?;
            let text = match rendering {
                Rendering::Bibtex => bibtex(&paper) + "\n",
                Rendering::DiscussionFeed => {
                    let comments = state.store.paper_comments(&paper.id, false).await?;
                    discussion_atom(&state, &paper, &comments)?
                }
                _ => markdown(&paper, &state.settings.public_url),
            };
            Ok(Bytes::from(text))
        })
        .await;
    }
    cached_html(&state, &page, async {
        let paper = state
            .store
            .paper(&versioned.id)
            .await?
            .ok_or_else(|| not_found(&versioned.id))?;
        let local_votes = state
            .store
            .local_votes(std::slice::from_ref(&paper.id))
            .await?
            .first()
            .map_or(0, |(_, count)| *count);
        let similar = similar(&state, &paper).await?;
        let comments = threads(state.store.paper_comments(&paper.id, false).await?, order);
        paper_page(&state, paper, local_votes, similar, comments, order)
            .render()
            .map_err(AppError::internal)
    })
    .await
}

fn not_found(id: &ArxivId) -> AppError {
    AppError::not_found(format!(
        "arXiv:{id} is not on this instance yet. Search for it, or find it on arXiv at {}.",
        id.abs_url()
    ))
}

fn paper_page(
    state: &AppState,
    paper: Paper,
    local_votes: i64,
    similar: Vec<SimilarView>,
    comments: Vec<CommentView>,
    order: CommentOrder,
) -> PaperPage {
    let url = format!("{}{}", state.settings.public_url, paper_path(&paper));
    let mut layout = Layout::new(
        // A browser tab cannot render math: `VGG-T$^3$` reads `VGG-T³` there.
        format!(
            "{} · {}",
            paperboy_core::tex_to_plain(&paper.title),
            state.settings.instance_name
        ),
        &state.settings.instance_name,
    );
    layout.canonical = Some(url.clone());
    layout.meta = meta_tags(&paper, &url, &state.settings.instance_name);
    layout.json_ld = Some(json_ld(&paper, &url));
    let mut facts = Vec::new();
    let mut fact = |label, value: Option<String>, href: Option<String>| {
        if let Some(value) = value {
            facts.push(Fact { label, value, href });
        }
    };
    fact("Submitted", paper.first_version_date.map(human_date), None);
    if paper.latest_version_date != paper.first_version_date {
        fact("Latest version", paper.latest_version_date.map(human_date), None);
    }
    let listed: Vec<String> = paper.listing_dates.iter().map(|d| human_date(*d)).collect();
    fact(
        "Listed",
        (!listed.is_empty()).then(|| listed.join(", ")),
        paper.first_listed().map(|d| format!("/papers/date/{d}")),
    );
    fact("Comment", paper.comment.clone(), None);
    fact("Journal reference", paper.journal_ref.clone(), None);
    fact(
        "DOI",
        paper.doi.clone(),
        paper.doi.as_ref().map(|doi| format!("https://doi.org/{doi}")),
    );
    fact(
        "Licence",
        paper.license.clone(),
        paper.license.clone().filter(|l| l.starts_with("http")),
    );
    for votes in &paper.community_votes {
        let source = if votes.source == "huggingface" {
            "Hugging Face upvotes"
        } else {
            "Imported votes"
        };
        let when = votes
            .read_at
            .map(|t| {
                format!(
                    " (as of {})",
                    human_date(t.to_zoned_datetime(jiff::tz::TimeZone::UTC).date())
                )
            })
            .unwrap_or_default();
        fact(source, Some(format!("{}{when}", votes.votes)), None);
    }
    if let Some(hf) = &paper.hugging_face {
        fact("AI summary (Hugging Face)", hf.ai_summary.clone(), None);
        if !hf.ai_keywords.is_empty() {
            fact("AI keywords (Hugging Face)", Some(hf.ai_keywords.join(", ")), None);
        }
    }
    // The first repository and the first project page are the paper's; the rest are mentions.
    let is_repository = |link: &&CodeLink| link.host != CodeHost::ProjectPage && link.host != CodeHost::HuggingFace;
    let main_links: Vec<&CodeLink> = paper
        .code_links
        .iter()
        .find(is_repository)
        .into_iter()
        .chain(paper.code_links.iter().find(|link| link.host == CodeHost::ProjectPage))
        .collect();
    let view = PaperView {
        id: paper.id.to_string(),
        version: paper.latest_version,
        title: paper.title.clone(),
        authors: crate::web::views::author_links(&paper.authors),
        abstract_text: paper.abstract_text.clone(),
        votes: paper.imported_votes() + local_votes,
        categories: paper
            .categories
            .iter()
            .map(|c| CategoryView {
                code: c.to_string(),
                href: format!(
                    "{}?cat={c}",
                    paper
                        .first_listed()
                        .map(|d| format!("/papers/date/{d}"))
                        .unwrap_or_else(|| "/".into())
                ),
            })
            .collect(),
        abs_url: paper.id.abs_url(),
        pdf_url: paper.id.pdf_url(),
        code_links: main_links.iter().map(|link| CodeView::from_link(link)).collect(),
        also_mentioned: paper
            .code_links
            .iter()
            .filter(|link| !main_links.contains(link))
            .map(CodeView::from_link)
            .collect(),
        facts,
        bibtex: bibtex(&paper),
    };
    PaperPage {
        layout,
        paper: view,
        similar,
        comment_count: comments.iter().filter(|c| !c.deleted).count(),
        comment_order: order.as_str(),
        edit_minutes: EDIT_WINDOW_SECONDS / 60,
        comments,
        max_comment: MAX_COMMENT,
    }
}

/// Google Scholar's `citation_*` tags (what Zotero reads too) and Open Graph for link previews.
fn meta_tags(paper: &Paper, url: &str, instance_name: &str) -> Vec<Meta> {
    let name = |name: &str, content: String| Meta {
        attribute: "name",
        name: name.to_owned(),
        content,
    };
    let property = |name: &str, content: String| Meta {
        attribute: "property",
        name: name.to_owned(),
        content,
    };
    let mut tags = vec![name("citation_title", paper.title.clone())];
    tags.extend(
        paper
            .authors
            .iter()
            .map(|author| name("citation_author", author.clone())),
    );
    if let Some(date) = paper.first_version_date.or(paper.first_listed()) {
        tags.push(name("citation_date", date.strftime("%Y/%m/%d").to_string()));
        tags.push(name("citation_online_date", date.strftime("%Y/%m/%d").to_string()));
    }
    tags.push(name("citation_arxiv_id", paper.id.to_string()));
    tags.push(name("citation_pdf_url", paper.id.pdf_url()));
    tags.push(name("citation_abstract_html_url", paper.id.abs_url()));
    if !paper.abstract_text.is_empty() {
        tags.push(name("citation_abstract", paper.abstract_text.clone()));
    }
    // A preprint: Zotero's embedded-metadata translator files these as a report by arXiv.
    tags.push(name("citation_technical_report_institution", "arXiv".to_owned()));
    tags.push(name("citation_technical_report_number", format!("arXiv:{}", paper.id)));
    if let Some(doi) = &paper.doi {
        tags.push(name("citation_doi", doi.clone()));
    }
    let description: String = paper.abstract_text.chars().take(300).collect();
    tags.push(name("description", description.clone()));
    tags.push(property("og:type", "article".to_owned()));
    tags.push(property("og:site_name", instance_name.to_owned()));
    tags.push(property("og:title", paper.title.clone()));
    tags.push(property("og:description", description));
    tags.push(property("og:url", url.to_owned()));
    tags
}

/// schema.org `ScholarlyArticle`, as JSON safe inside a `<script>` element.
fn json_ld(paper: &Paper, url: &str) -> String {
    let mut article = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "ScholarlyArticle",
        "@id": url,
        "url": url,
        "name": paper.title,
        "headline": paper.title,
        "abstract": paper.abstract_text,
        "author": paper.authors.iter().map(|name| serde_json::json!({"@type": "Person", "name": name})).collect::<Vec<_>>(),
        "identifier": format!("arXiv:{}", paper.id),
        "sameAs": paper.id.abs_url(),
        "encoding": {"@type": "MediaObject", "contentUrl": paper.id.pdf_url(), "encodingFormat": "application/pdf"},
        "publisher": {"@type": "Organization", "name": "arXiv"},
    });
    if let Some(date) = paper.first_version_date.or(paper.first_listed()) {
        article["datePublished"] = serde_json::json!(date.to_string());
    }
    if !paper.categories.is_empty() {
        article["keywords"] = serde_json::json!(paper.categories.iter().map(|c| c.to_string()).collect::<Vec<_>>());
    }
    // `<`, `>` and `&` as JSON escapes: the text cannot close the script element.
    article
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// The paper as Markdown: what the page says, for tools and language models.
pub fn markdown(paper: &Paper, public_url: &str) -> String {
    let mut text = format!("# {}\n\n", paper.title);
    if !paper.authors.is_empty() {
        text.push_str(&format!("**Authors:** {}\n\n", paper.authors.join(", ")));
    }
    let mut facts = vec![
        format!("[arXiv:{}]({})", paper.id, paper.id.abs_url()),
        format!("[PDF]({})", paper.id.pdf_url()),
    ];
    if !paper.categories.is_empty() {
        facts.push(
            paper
                .categories
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    if let Some(date) = paper.first_version_date {
        facts.push(format!("submitted {}", human_date(date)));
    }
    text.push_str(&format!("{}\n\n", facts.join(" · ")));
    if !paper.code_links.is_empty() {
        let links: Vec<String> = paper
            .code_links
            .iter()
            .map(|link| format!("[{}]({})", link.host.label(), link.url))
            .collect();
        text.push_str(&format!("**Code:** {}\n\n", links.join(", ")));
    }
    text.push_str(&format!("## Abstract\n\n{}\n\n", paper.abstract_text));
    if let Some(summary) = paper.hugging_face.as_ref().and_then(|hf| hf.ai_summary.as_ref()) {
        text.push_str(&format!("## AI summary (Hugging Face)\n\n{summary}\n\n"));
    }
    if let Some(comment) = &paper.comment {
        text.push_str(&format!("**Comment:** {comment}\n\n"));
    }
    text.push_str(&format!("## Cite\n\n```bibtex\n{}\n```\n\n", bibtex(paper)));
    text.push_str(&format!("Page: {public_url}{}\n", paper_path(paper)));
    text
}
