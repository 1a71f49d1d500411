//! Fetching one paper someone submits, from the arXiv API (`export.arxiv.org/api/query`).

use paperboy_core::{ArxivId, Paper};

use super::{ArxivClient, RequestError};

/// What fetching a paper can come to besides the paper.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("arXiv has no paper {0}")]
    Unknown(ArxivId),
    #[error("arXiv refused the id: {0}")]
    Refused(String),
    #[error("arXiv could not be reached: {0}")]
    Unreachable(RequestError),
}

impl ArxivClient {
    /// Fetches one paper's metadata by id.
    pub async fn fetch(&self, id: &ArxivId) -> Result<Paper, FetchError> {
        let read =
            |body: &[u8]| paperboy_ingest::responses::read_api_page("arXiv API", body).map_err(|error| error.reason);
        let query = [("id_list", id.as_str()), ("max_results", "1")];
        let page = self
            .get(&self.api_url, &query, read)
            .await
            .map_err(FetchError::Unreachable)?;
        if let Some(paper) = page.papers.into_iter().find(|paper| paper.id == *id) {
            return Ok(paper);
        }
        let refusal = page
            .errors
            .into_iter()
            .chain(page.refused.into_iter().map(|error| error.reason))
            .next();
        Err(match refusal {
            Some(reason) => FetchError::Refused(reason),
            None => FetchError::Unknown(id.clone()),
        })
    }
}
