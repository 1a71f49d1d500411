//! Server-rendered HTML pages: their handlers. The view kit they share is `web::views`.

pub mod author;
pub mod for_you;
pub mod library;
pub mod lists;
pub mod paper;
