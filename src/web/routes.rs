//! Routes by name: the router, the OpenAPI document's test and links use these names, never
//! positions in a list.

/// The JSON API's routes.
pub mod api {
    pub const DAILY_PAPERS: &str = "/api/daily_papers";
    pub const SEARCH: &str = "/api/papers/search";
    /// One paper; the router serves it, and the vote below, under `/api/papers/{*id}`, since
    /// old-style ids hold a slash.
    pub const PAPER: &str = "/api/papers/{id}";
    pub const UPVOTE: &str = "/api/papers/{id}/upvote";
    /// A paper's discussion (served under [`ANY_PAPER`] too).
    pub const PAPER_COMMENTS: &str = "/api/papers/{id}/comments";
    pub const COMMENT: &str = "/api/comments/{id}";
    pub const COMMENT_UPVOTE: &str = "/api/comments/{id}/upvote";
    pub const COMMENT_REPORT: &str = "/api/comments/{id}/report";
    pub const COMMENT_HIDE: &str = "/api/comments/{id}/hide";
    pub const COMMENT_RESTORE: &str = "/api/comments/{id}/restore";
    pub const OPENAPI: &str = "/api/openapi.json";
    pub const CATEGORIES: &str = "/api/categories";
    pub const INDEX: &str = "/api/papers/index";
    pub const MY_VOTES: &str = "/api/me/votes";
    pub const LIBRARY: &str = "/api/me/library";
    pub const FOR_YOU: &str = "/api/me/for-you";
    pub const LIBRARY_PAPER: &str = "/api/me/library/{id}";
    pub const COLLECTIONS: &str = "/api/me/collections";
    pub const COLLECTION: &str = "/api/me/collections/{id}";
    pub const COLLECTION_PAPER: &str = "/api/me/collections/{id}/papers/{paper}";
    pub const FOLLOWS: &str = "/api/me/follows";
    pub const FOLLOW: &str = "/api/me/follows/{kind}/{value}";
    /// What the router serves [`FOLLOW`] under (a followed search's query string may hold `/`).
    pub const ANY_FOLLOW: &str = "/api/me/follows/{kind}/{*value}";
    /// What the router serves [`LIBRARY_PAPER`] under (old-style ids hold a slash).
    pub const ANY_LIBRARY_PAPER: &str = "/api/me/library/{*id}";
    /// What the router serves [`COLLECTION_PAPER`] under.
    pub const ANY_COLLECTION_PAPER: &str = "/api/me/collections/{id}/papers/{*paper}";
    /// What the router serves every route about a paper under.
    pub const ANY_PAPER: &str = "/api/papers/{*id}";

    /// Every API route, for the test that holds the OpenAPI document to them.
    pub const ALL: &[&str] = &[
        DAILY_PAPERS,
        SEARCH,
        PAPER,
        OPENAPI,
        CATEGORIES,
        INDEX,
        UPVOTE,
        PAPER_COMMENTS,
        COMMENT,
        COMMENT_UPVOTE,
        COMMENT_REPORT,
        COMMENT_HIDE,
        COMMENT_RESTORE,
        MY_VOTES,
        LIBRARY,
        FOR_YOU,
        LIBRARY_PAPER,
        COLLECTIONS,
        COLLECTION,
        COLLECTION_PAPER,
        FOLLOWS,
        FOLLOW,
    ];
}
