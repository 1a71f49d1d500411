//! The Paperboy application: configuration, the import pipeline, the web server, e-mail
//! digests and the command-line roles that put them together. Domain types live in `paperboy-core`, SQL in
//! `paperboy-store`, format readers in `paperboy-ingest`.

pub mod app;
pub mod arxiv;
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod digest;
pub mod for_you;
pub mod harvest;
pub mod import;
pub mod limits;
pub mod lists;
pub mod mail;
pub mod member_data;
pub mod process;
pub mod search;
pub mod secrets;
pub mod web;
