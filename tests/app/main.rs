//! End-to-end tests of the `paperboy` binary: real processes, real SQLite files in fresh data
//! directories, real HTTP. One test binary so linking stays fast on two cores.

mod backup;
mod browser;
mod community;
mod crash;
mod digest;
mod discussion;
mod ecosystem;
mod fake_arxiv;
mod for_you;
mod fuzz;
mod hardening;
mod harvest;
mod helpers;
mod import;
mod library;
mod load;
mod postgres;
mod replicas;
mod search;
mod security;
mod serve;
mod site;
mod submit;
mod vectors;
