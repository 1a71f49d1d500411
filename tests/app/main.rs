//! End-to-end tests of the `paperboy` binary: real processes, real SQLite files in fresh data
//! directories, real HTTP. One test binary so linking stays fast on two cores.

mod backup;
mod browser;
mod community;
mod digest;
mod fake_arxiv;
mod harvest;
mod helpers;
mod import;
mod postgres;
mod replicas;
mod search;
mod serve;
mod site;
mod submit;
