//! A local stand-in for arXiv's live endpoints, as a real HTTP server the test starts: the
//! announcement feed (`/rss/<categories>`), the API (`/api/query`) and OAI-PMH (`/oai`).
//!
//! It replays recorded responses (fixtures/recorded) or serves days built from real listing
//! records in the recorded shapes, and can misbehave on demand: 503 with Retry-After, 429, a
//! body cut short, an answer slower than the client waits, an expired resumption token.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use jiff::civil::Date;

use crate::helpers::fixture;

/// What the stand-in does instead of answering, once, for the next request to an endpoint.
#[derive(Clone, Debug)]
pub enum Fault {
    Busy { retry_after_seconds: u64 },
    TooManyRequests,
    CutShort,
    Slow(Duration),
    ExpiredToken,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Feed,
    Api,
    Oai,
}

/// One paper of a simulated day, from a real listing record.
#[derive(Clone, Debug)]
pub struct DayPaper {
    pub id: String,
    pub title: String,
    pub abstract_text: String,
    pub authors: Vec<String>,
    pub categories: Vec<String>,
    /// `new`, `cross` or `replace`.
    pub announce: &'static str,
}

#[derive(Default)]
struct Inner {
    requests: Vec<(Instant, Endpoint, String)>,
    user_agents: Vec<String>,
    faults: HashMap<Endpoint, VecDeque<Fault>>,
    /// The feed body served now.
    feed: String,
    /// API entries by id (recorded ones verbatim, generated ones in the recorded shape).
    entries: HashMap<String, String>,
    /// Ids the API answers with its recorded error response.
    refused_ids: Vec<String>,
    /// Recorded API pages by the ids they hold: asked for exactly those, the page is replayed.
    recorded_pages: Vec<(Vec<String>, String)>,
    replayed_pages: usize,
    /// OAI-PMH pages of the current list; the token of page i is `page-i`.
    oai_pages: Vec<String>,
}

#[derive(Clone, Default)]
pub struct FakeArxiv {
    inner: Arc<Mutex<Inner>>,
    pub base_url: String,
}

pub const FEED_HEAD: &str = r#"<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/" version="2.0">
  <channel>
    <title>cs.AI, cs.CL, cs.CV updates on arXiv.org</title>
    <link>http://rss.arxiv.org/rss/cs.AI+cs.CL+cs.CV</link>
    <description>cs.AI, cs.CL, cs.CV updates on the arXiv.org e-print archive.</description>
    <language>en-us</language>
"#;

fn recorded(relative: &str) -> String {
    std::fs::read_to_string(fixture(&format!("fixtures/recorded/{relative}"))).expect("recorded fixture")
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// `Mon, 02 Feb 2026 00:00:00 -0500`, as the feed stamps a list day.
fn feed_date(day: Date) -> String {
    let offset = if (3..=10).contains(&day.month()) {
        "-0400"
    } else {
        "-0500"
    };
    format!("{} 00:00:00 {offset}", day.strftime("%a, %d %b %Y"))
}

impl FakeArxiv {
    pub async fn start() -> FakeArxiv {
        let mut fake = FakeArxiv::default();
        for name in [
            "query-transformer-cs.LG.atom.xml",
            "query-testing-page0.atom.xml",
            "query-testing-page1.atom.xml",
        ] {
            let body = recorded(&format!("arxiv-api/{name}"));
            fake.add_recorded_entries(&body);
        }
        let app = axum::Router::new()
            .route("/rss/{categories}", axum::routing::get(feed))
            .route("/api/query", axum::routing::get(api))
            .route("/oai", axum::routing::get(oai))
            .with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        fake.base_url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        fake
    }

    /// The variables that point `paperboy` here, at `interval_seconds` between requests.
    pub fn settings(&self, interval_seconds: &str) -> Vec<(String, String)> {
        [
            ("PAPERBOY_ARXIV_RSS_URL", format!("{}/rss", self.base_url)),
            ("PAPERBOY_ARXIV_API_URL", format!("{}/api/query", self.base_url)),
            ("PAPERBOY_ARXIV_OAI_URL", format!("{}/oai", self.base_url)),
            ("PAPERBOY_ARXIV_MIN_INTERVAL", interval_seconds.to_owned()),
            ("PAPERBOY_ARXIV_RETRY_SECONDS", "0.2".to_owned()),
            ("PAPERBOY_ARXIV_TIMEOUT_SECONDS", "2".to_owned()),
            ("PAPERBOY_ARXIV_MAX_ATTEMPTS", "4".to_owned()),
            // The recorded and sample days are in the past; the very first OAI-PMH list reaches them.
            ("PAPERBOY_HARVEST_OAI_FIRST_DAYS", "1500".to_owned()),
        ]
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value))
        .collect()
    }

    fn add_recorded_entries(&self, body: &str) {
        let mut inner = self.inner.lock().unwrap();
        let mut ids = Vec::new();
        for chunk in body.split("<entry>").skip(1) {
            let entry = format!(
                "<entry>{}",
                &chunk[..chunk.find("</entry>").unwrap() + "</entry>".len()]
            );
            let id_start = entry.find("/abs/").unwrap() + "/abs/".len();
            let id_end = entry[id_start..].find('v').unwrap() + id_start;
            let id = entry[id_start..id_end].to_owned();
            ids.push(id.clone());
            inner.entries.insert(id, entry);
        }
        ids.sort();
        inner.recorded_pages.push((ids, body.to_owned()));
    }

    pub fn set_feed(&self, body: String) {
        self.inner.lock().unwrap().feed = body;
    }

    pub fn set_oai_pages(&self, pages: Vec<String>) {
        self.inner.lock().unwrap().oai_pages = pages;
    }

    pub fn refuse_ids(&self, ids: &[&str]) {
        self.inner.lock().unwrap().refused_ids = ids.iter().map(|id| (*id).to_owned()).collect();
    }

    pub fn inject(&self, endpoint: Endpoint, fault: Fault) {
        self.inner
            .lock()
            .unwrap()
            .faults
            .entry(endpoint)
            .or_default()
            .push_back(fault);
    }

    pub fn requests(&self) -> Vec<(Instant, Endpoint, String)> {
        self.inner.lock().unwrap().requests.clone()
    }

    /// The User-Agent of every request so far.
    pub fn user_agents(&self) -> Vec<String> {
        self.inner.lock().unwrap().user_agents.clone()
    }

    /// How many API answers were recorded pages replayed whole.
    pub fn replayed_pages(&self) -> usize {
        self.inner.lock().unwrap().replayed_pages
    }

    pub fn clear_requests(&self) {
        self.inner.lock().unwrap().requests.clear();
    }

    /// Serves `papers` as the list of `day`: the feed, API entries and one OAI-PMH list with
    /// `per_page` records a page (arXivRaw, v1 submitted on the morning of the announcement).
    pub fn serve_day(&self, day: Date, papers: &[DayPaper], per_page: usize) {
        let date = feed_date(day);
        let mut feed = format!("{FEED_HEAD}    <pubDate>{date}</pubDate>\n");
        let announced = day.yesterday().unwrap();
        // Sunday's announcement holds what came in by Friday 14:00.
        let submitted_day = if announced.weekday() == jiff::civil::Weekday::Sunday {
            announced.checked_sub(jiff::Span::new().days(2)).unwrap()
        } else {
            announced
        };
        let submitted = format!("{} 15:00:00 GMT", submitted_day.strftime("%a, %d %b %Y"));
        let mut records = Vec::new();
        {
            let mut inner = self.inner.lock().unwrap();
            for paper in papers {
                let categories: String = paper
                    .categories
                    .iter()
                    .map(|c| format!("      <category>{c}</category>\n"))
                    .collect();
                feed.push_str(&format!(
                    "    <item>\n      <title>{title}</title>\n      <link>https://arxiv.org/abs/{id}</link>\n      \
                     <description>arXiv:{id}v1 Announce Type: {kind} \nAbstract: {abstract_text}</description>\n      \
                     <guid isPermaLink=\"false\">oai:arXiv.org:{id}v1</guid>\n{categories}      <pubDate>{date}</pubDate>\n      \
                     <arxiv:announce_type>{kind}</arxiv:announce_type>\n      \
                     <dc:rights>http://creativecommons.org/licenses/by/4.0/</dc:rights>\n      \
                     <dc:creator>{authors}</dc:creator>\n    </item>\n",
                    title = escape(&paper.title),
                    id = paper.id,
                    kind = paper.announce,
                    abstract_text = escape(&paper.abstract_text),
                    authors = escape(&paper.authors.join(", ")),
                ));
                let published = format!("{submitted_day}T15:00:00Z");
                let authors: String = paper
                    .authors
                    .iter()
                    .map(|name| format!("    <author>\n      <name>{}</name>\n    </author>\n", escape(name)))
                    .collect();
                let terms: String = paper
                    .categories
                    .iter()
                    .map(|c| format!("    <category term=\"{c}\" scheme=\"http://arxiv.org/schemas/atom\"/>\n"))
                    .collect();
                // A recorded entry for the id stays: it is what the real API answered.
                inner.entries.entry(paper.id.clone()).or_insert_with(|| {
                    format!(
                        "<entry>\n    <id>http://arxiv.org/abs/{id}v1</id>\n    <title>{title}</title>\n    \
                         <updated>{published}</updated>\n    <link href=\"https://arxiv.org/abs/{id}v1\" rel=\"alternate\" type=\"text/html\"/>\n    \
                         <summary>{abstract_text}</summary>\n{terms}    <published>{published}</published>\n    \
                         <arxiv:comment>{pages} pages</arxiv:comment>\n    <arxiv:primary_category term=\"{primary}\"/>\n{authors}  </entry>",
                        id = paper.id,
                        title = escape(&paper.title),
                        abstract_text = escape(&paper.abstract_text),
                        primary = paper.categories[0],
                        pages = 8 + paper.title.len() % 20,
                    )
                });
                if paper.announce != "replace" {
                    records.push(format!(
                        "<record><header><identifier>oai:arXiv.org:{id}</identifier><datestamp>{announced}</datestamp>\
                         <setSpec>cs</setSpec></header><metadata><arXivRaw xmlns=\"http://arxiv.org/OAI/arXivRaw/\">\
                         <id>{id}</id><submitter>{submitter}</submitter><version version=\"v1\"><date>{submitted}</date>\
                         <size>1000kb</size></version><title>{title}</title><authors>{authors}</authors>\
                         <categories>{categories}</categories><license>http://creativecommons.org/licenses/by/4.0/</license>\
                         <abstract>{abstract_text}</abstract></arXivRaw></metadata></record>",
                        id = paper.id,
                        submitter = escape(&paper.authors[0]),
                        title = escape(&paper.title),
                        authors = escape(&paper.authors.join(", ")),
                        categories = paper.categories.join(" "),
                        abstract_text = escape(&paper.abstract_text),
                    ));
                }
            }
        }
        feed.push_str("  </channel>\n</rss>\n");
        self.set_feed(feed);
        let chunks: Vec<&[String]> = records.chunks(per_page.max(1)).collect();
        let total = records.len();
        let pages = chunks
            .iter()
            .enumerate()
            .map(|(index, chunk)| {
                let token = if index + 1 < chunks.len() {
                    format!(
                        "<resumptionToken cursor=\"{}\" completeListSize=\"{total}\">page-{}</resumptionToken>",
                        index * per_page,
                        index + 1
                    )
                } else {
                    format!(
                        "<resumptionToken cursor=\"{}\" completeListSize=\"{total}\"/>",
                        index * per_page
                    )
                };
                oai_page(&chunk.concat(), &token)
            })
            .collect();
        self.set_oai_pages(pages);
    }
}

pub fn oai_page(records: &str, token: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<OAI-PMH xmlns=\"http://www.openarchives.org/OAI/2.0/\">\
         <responseDate>2026-02-08T00:00:00Z</responseDate><request verb=\"ListRecords\">http://export.arxiv.org/oai2</request>\
         <ListRecords>{records}{token}</ListRecords></OAI-PMH>\n"
    )
}

const NO_RECORDS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<OAI-PMH xmlns=\"http://www.openarchives.org/OAI/2.0/\">\
    <responseDate>2026-02-08T00:00:00Z</responseDate><request verb=\"ListRecords\">http://export.arxiv.org/oai2</request>\
    <error code=\"noRecordsMatch\">The combination of the values of the from, until, set and metadataPrefix arguments results in an empty list.</error></OAI-PMH>\n";

const EXPIRED_TOKEN: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<OAI-PMH xmlns=\"http://www.openarchives.org/OAI/2.0/\">\
    <responseDate>2026-02-08T00:00:00Z</responseDate><request verb=\"ListRecords\">http://export.arxiv.org/oai2</request>\
    <error code=\"badResumptionToken\">The value of the resumptionToken argument is invalid or expired.</error></OAI-PMH>\n";

/// Logs the request and plays the next fault for the endpoint, if one is queued.
/// An expired token waits for a request that carries a token.
async fn take_fault(fake: &FakeArxiv, endpoint: Endpoint, uri: &Uri, headers: &HeaderMap) -> Option<Fault> {
    let user_agent = headers
        .get("user-agent")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let has_token = uri.query().is_some_and(|query| query.contains("resumptionToken="));
    let fault = {
        let mut inner = fake.inner.lock().unwrap();
        inner.requests.push((Instant::now(), endpoint, uri.to_string()));
        inner.user_agents.push(user_agent);
        let queue = inner.faults.entry(endpoint).or_default();
        match queue.front() {
            Some(Fault::ExpiredToken) if !has_token => None,
            _ => queue.pop_front(),
        }
    };
    if let Some(Fault::Slow(delay)) = &fault {
        tokio::time::sleep(*delay).await;
    }
    fault
}

fn answer(fault: Option<Fault>, body: String) -> Response {
    match fault {
        Some(Fault::Busy { retry_after_seconds }) => {
            let mut headers = HeaderMap::new();
            headers.insert("retry-after", retry_after_seconds.to_string().parse().unwrap());
            (StatusCode::SERVICE_UNAVAILABLE, headers, "Retry later").into_response()
        }
        Some(Fault::TooManyRequests) => (StatusCode::TOO_MANY_REQUESTS, "Rate exceeded.").into_response(),
        Some(Fault::CutShort) => body[..body.len() / 2].to_owned().into_response(),
        _ => body.into_response(),
    }
}

async fn feed(State(fake): State<FakeArxiv>, uri: Uri, headers: HeaderMap) -> Response {
    let fault = take_fault(&fake, Endpoint::Feed, &uri, &headers).await;
    let body = fake.inner.lock().unwrap().feed.clone();
    answer(fault, body)
}

async fn api(
    State(fake): State<FakeArxiv>,
    uri: Uri,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let fault = take_fault(&fake, Endpoint::Api, &uri, &headers).await;
    let ids: Vec<String> = query
        .get("id_list")
        .map(|list| list.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    let body = {
        let mut inner = fake.inner.lock().unwrap();
        let mut sorted = ids.clone();
        sorted.sort();
        let recorded_page = inner
            .recorded_pages
            .iter()
            .find(|(page_ids, _)| *page_ids == sorted)
            .map(|(_, page)| page.clone());
        if ids.iter().any(|id| inner.refused_ids.contains(id)) {
            recorded("arxiv-api/error-bad-id.atom.xml")
        } else if let Some(page) = recorded_page {
            inner.replayed_pages += 1;
            page
        } else {
            let entries: Vec<&str> = ids
                .iter()
                .filter_map(|id| inner.entries.get(id))
                .map(String::as_str)
                .collect();
            format!(
                "<?xml version='1.0' encoding='UTF-8'?>\n<feed xmlns:opensearch=\"http://a9.com/-/spec/opensearch/1.1/\" \
                 xmlns:arxiv=\"http://arxiv.org/schemas/atom\" xmlns=\"http://www.w3.org/2005/Atom\">\n  \
                 <id>https://arxiv.org/api/fake</id>\n  <title>arXiv Query</title>\n  <updated>2026-02-08T00:00:00Z</updated>\n  \
                 <opensearch:itemsPerPage>{n}</opensearch:itemsPerPage>\n  <opensearch:totalResults>{n}</opensearch:totalResults>\n  \
                 <opensearch:startIndex>0</opensearch:startIndex>\n  {}\n</feed>\n",
                entries.join("\n  "),
                n = entries.len()
            )
        }
    };
    answer(fault, body)
}

async fn oai(
    State(fake): State<FakeArxiv>,
    uri: Uri,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let fault = take_fault(&fake, Endpoint::Oai, &uri, &headers).await;
    let token = query.get("resumptionToken");
    if token.is_some() && matches!(fault, Some(Fault::ExpiredToken)) {
        return EXPIRED_TOKEN.to_owned().into_response();
    }
    let body = {
        let inner = fake.inner.lock().unwrap();
        let index = match token {
            None => Some(0),
            Some(token) => token.strip_prefix("page-").and_then(|n| n.parse::<usize>().ok()),
        };
        match index.and_then(|index| inner.oai_pages.get(index)) {
            Some(page) => page.clone(),
            None if token.is_some() => EXPIRED_TOKEN.to_owned(),
            None => NO_RECORDS.to_owned(),
        }
    };
    answer(fault, body)
}

/// Real listing records (the demo sample) grouped by their first listing day.
pub fn sample_days() -> std::collections::BTreeMap<Date, Vec<DayPaper>> {
    use std::io::BufRead;
    let file = std::fs::File::open(fixture("demo/listings-2026-02.jsonl.gz")).unwrap();
    let reader = std::io::BufReader::new(flate2::read::GzDecoder::new(file));
    let mut days: std::collections::BTreeMap<Date, Vec<DayPaper>> = Default::default();
    for line in reader.lines() {
        let record: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
        let day: Date = record["first_listed"].as_str().unwrap().parse().unwrap();
        let strings = |key: &str| -> Vec<String> {
            record[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect()
        };
        let squash = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
        days.entry(day).or_default().push(DayPaper {
            id: record["id"].as_str().unwrap().to_owned(),
            title: squash(record["title"].as_str().unwrap()),
            abstract_text: squash(record["abstract"].as_str().unwrap()),
            authors: strings("authors"),
            categories: strings("categories"),
            announce: "new",
        });
    }
    days
}
