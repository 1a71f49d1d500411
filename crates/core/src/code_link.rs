//! Links to code and project pages, found in abstracts and comments.
//!
//! Authors write "Code: https://github.com/org/repo.", "project page at foo.github.io/bar)" and so
//! on; we keep the repository or page itself, normalised so the same link found twice is one link.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeHost {
    Github,
    Gitlab,
    Gitee,
    HuggingFace,
    ProjectPage,
}

impl CodeHost {
    /// How pages and mails name the link.
    pub fn label(self) -> &'static str {
        match self {
            CodeHost::Github => "GitHub",
            CodeHost::Gitlab => "GitLab",
            CodeHost::Gitee => "Gitee",
            CodeHost::HuggingFace => "Hugging Face",
            CodeHost::ProjectPage => "Project page",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CodeLink {
    pub host: CodeHost,
    pub url: String,
}

impl CodeLink {
    /// Classifies and normalises one URL; `None` if it is not a code or project link.
    pub fn from_url(raw: &str) -> Option<CodeLink> {
        let trimmed = raw
            .trim()
            .trim_end_matches(['.', ',', ';', ':', ')', ']', '}', '>', '\'', '"']);
        let without_scheme = trimmed
            .strip_prefix("https://")
            .or_else(|| trimmed.strip_prefix("http://"))
            .unwrap_or(trimmed);
        let (host, path) = without_scheme.split_once('/').unwrap_or((without_scheme, ""));
        let host = host.to_ascii_lowercase();
        let host = host.strip_prefix("www.").unwrap_or(&host);
        let path = path.split(['?', '#']).next().unwrap_or("");
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let repository = |kind: CodeHost, canonical_host: &str, depth: usize| {
            if segments.len() < depth {
                return None;
            }
            let mut parts: Vec<&str> = segments[..depth].to_vec();
            if let Some(last) = parts.last_mut() {
                *last = last.strip_suffix(".git").unwrap_or(last);
            }
            let valid = parts
                .iter()
                .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)));
            valid.then(|| CodeLink {
                host: kind,
                url: format!("https://{canonical_host}/{}", parts.join("/")),
            })
        };
        match host {
            "github.com" => repository(CodeHost::Github, "github.com", 2),
            "gitlab.com" => repository(CodeHost::Gitlab, "gitlab.com", 2),
            "gitee.com" => repository(CodeHost::Gitee, "gitee.com", 2),
            "huggingface.co" | "hf.co" => match segments.first() {
                Some(&("spaces" | "datasets")) => repository(CodeHost::HuggingFace, "huggingface.co", 3),
                Some(&("papers" | "docs" | "blog" | "collections")) | None => None,
                Some(_) => repository(CodeHost::HuggingFace, "huggingface.co", 2),
            },
            _ if host.ends_with(".github.io") || host.ends_with(".gitlab.io") => {
                let url = format!("https://{host}/{}", segments.join("/"));
                Some(CodeLink {
                    host: CodeHost::ProjectPage,
                    url: url.trim_end_matches('/').to_owned(),
                })
            }
            _ => None,
        }
    }
}

/// Every code or project link in a piece of text, in order of appearance, without duplicates.
pub fn extract_code_links(text: &str) -> Vec<CodeLink> {
    let mut links: Vec<CodeLink> = Vec::new();
    for word in text.split(|c: char| c.is_whitespace() || c == '(' || c == '<' || c == '[') {
        let looks_like_link = word.contains("github")
            || word.contains("gitlab")
            || word.contains("gitee.com")
            || word.contains("huggingface.co")
            || word.contains("hf.co/");
        if !looks_like_link {
            continue;
        }
        // "Code:https://…" and similar glued prefixes.
        let start = word.find("http").unwrap_or(0);
        if let Some(link) = CodeLink::from_url(&word[start..])
            && !links.contains(&link)
        {
            links.push(link);
        }
    }
    links
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(text: &str) -> Vec<String> {
        extract_code_links(text).into_iter().map(|link| link.url).collect()
    }

    #[test]
    fn finds_repositories_and_project_pages() {
        let text = "Code: https://github.com/MiniMax-AI/MSA. Project page at \
            (https://zhaohengyin.github.io/mana/) and weights on huggingface.co/Qwen/Qwen3-8B; \
            also gitlab.com/group/project.git and https://gitee.com/owner/repo/tree/main";
        assert_eq!(
            urls(text),
            [
                "https://github.com/MiniMax-AI/MSA",
                "https://zhaohengyin.github.io/mana",
                "https://huggingface.co/Qwen/Qwen3-8B",
                "https://gitlab.com/group/project",
                "https://gitee.com/owner/repo",
            ]
        );
    }

    #[test]
    fn normalises_and_deduplicates() {
        let text = "https://github.com/a/b/tree/main and http://www.github.com/a/b.git, https://github.com/a/b#readme";
        assert_eq!(urls(text), ["https://github.com/a/b"]);
    }

    #[test]
    fn ignores_non_code_links_and_arxiv_placeholders() {
        assert!(urls("see this https URL and https://github.com/ and https://huggingface.co/papers/2503.1").is_empty());
        assert_eq!(
            urls("https://huggingface.co/spaces/Jiaqi-hkust/Robust-U1"),
            ["https://huggingface.co/spaces/Jiaqi-hkust/Robust-U1"]
        );
    }
}
