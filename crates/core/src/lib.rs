//! Paperboy's domain model: what an arXiv id, a category, a paper and a code link are, and the
//! rules that hold between them. No I/O here; every other crate builds on these types.

mod arxiv_id;
mod calendar;
mod category;
mod code_link;
mod digest;
mod email;
mod paper;
mod period;
mod rank_record;
mod search_document;
mod tex;
mod trending;

pub use arxiv_id::{ArxivId, ArxivIdError, VersionedArxivId};
pub use calendar::{AnnouncementCalendar, KNOWN_HOLIDAYS};
pub use category::{Category, CategoryError, TAXONOMY};
pub use code_link::{CodeHost, CodeLink, extract_code_links};
pub use digest::{
    DEFAULT_MAX_PAPERS, DigestPeriod, DigestPreferences, Frequency, MAX_PAPERS_LIMIT, PreferencesError, parse_weekday,
};
pub use email::{EmailAddress, EmailAddressError};
pub use paper::{BibliographicField, CommunityVotes, HuggingFacePaper, HuggingFaceUser, MergeOutcome, Paper};
pub use period::{Period, PeriodError, human_date};
pub use rank_record::{DayBasis, RankRecord};
pub use search_document::SearchDocument;
pub use tex::{math_spans, tex_to_plain, widen_to_whole_math};
pub use trending::{
    Attention, DISCUSSION_HALF_LIFE_SECONDS, RankCandidate, Sort, TrendingParameters, TrendingScore, announcement_time,
    compare, discussion_weight, rank,
};

pub use jiff::Timestamp;
/// Re-exported so that other crates name dates the same way.
pub use jiff::civil::Date;
