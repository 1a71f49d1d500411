//! "For you": a period's papers ranked for one member from what they saved, upvoted and
//! followed, each with the reason it is there. `rank` holds the formula; `lexical` the tf-idf
//! model that makes it work without an embedding model; `eval` measures it on real listings.

pub mod eval;
pub mod lexical;
pub mod rank;

/// The most recently saved papers a member's list is computed from; older ones still count
/// through what they led the member to save since.
pub const SAVED_CAP: usize = 200;
/// The most recent upvotes it is computed from.
pub const UPVOTED_CAP: usize = 100;
