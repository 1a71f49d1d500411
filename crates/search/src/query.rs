//! The search box's language, parsed into a tree that the index turns into a tantivy query and
//! that semantic search reads its free text from.
//!
//! ```text
//! query  := clause*                       juxtaposed clauses
//! clause := conj ("OR" conj)*
//! conj   := unit ("AND" unit)*
//! unit   := "-" unit | "(" query ")" | [prefix ":"] (word | "quoted phrase")
//! prefix := ti | au | abs | cat
//! ```
//!
//! Juxtaposed plain words rank, as in Lucene: a paper must match one of them, and matching more
//! and rarer ones ranks it higher — what a question typed in one's own words needs. Everything
//! else a person writes on purpose (a quoted phrase, a prefix, AND, a group) must match, and a
//! `-`unit must not.

use std::fmt;

/// Where a match is looked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Title, abstract and authors.
    Anywhere,
    Title,
    Authors,
    Abstract,
    Category,
}

impl Scope {
    fn from_prefix(prefix: &str) -> Option<Scope> {
        match prefix.to_ascii_lowercase().as_str() {
            "ti" => Some(Scope::Title),
            "au" => Some(Scope::Authors),
            "abs" => Some(Scope::Abstract),
            "cat" => Some(Scope::Category),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    /// A word, or a phrase when `phrase`.
    Match {
        scope: Scope,
        text: String,
        phrase: bool,
    },
    /// Juxtaposed clauses (see the module comment).
    Sequence(Vec<Node>),
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
}

impl Node {
    /// A plain word: one that ranks rather than filters when juxtaposed.
    pub fn is_plain_word(&self) -> bool {
        matches!(
            self,
            Node::Match {
                scope: Scope::Anywhere,
                phrase: false,
                ..
            }
        )
    }
}

/// A query the parser understood.
#[derive(Clone, Debug, PartialEq)]
pub struct ParsedQuery {
    pub root: Node,
}

impl ParsedQuery {
    /// Text taken as it is, every word plain: for collections whose queries are prose (BEIR
    /// claims), where a stray quote or colon means nothing.
    pub fn plain_text(text: &str) -> ParsedQuery {
        let words = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| Node::Match {
                scope: Scope::Anywhere,
                text: w.to_string(),
                phrase: false,
            })
            .collect();
        ParsedQuery {
            root: Node::Sequence(words),
        }
    }

    /// The words a person meant as the subject of the search — plain words and phrases, not
    /// prefixed terms nor exclusions: what semantic search embeds.
    pub fn free_text(&self) -> String {
        fn walk(node: &Node, out: &mut Vec<String>) {
            match node {
                Node::Match {
                    scope: Scope::Anywhere,
                    text,
                    ..
                } => out.push(text.clone()),
                Node::Match { .. } | Node::Not(_) => {}
                Node::Sequence(nodes) | Node::And(nodes) | Node::Or(nodes) => {
                    nodes.iter().for_each(|n| walk(n, out));
                }
            }
        }
        let mut words = Vec::new();
        walk(&self.root, &mut words);
        words.join(" ")
    }

    /// Whether anything beyond plain words and phrases restricts the results: a prefix, an
    /// exclusion, AND or OR. Semantic search honours such a query by searching only among the
    /// papers it matches.
    pub fn restricts(&self) -> bool {
        fn restricting(node: &Node) -> bool {
            match node {
                Node::Match { scope, .. } => *scope != Scope::Anywhere,
                Node::Sequence(nodes) => nodes.iter().any(restricting),
                Node::And(_) | Node::Or(_) | Node::Not(_) => true,
            }
        }
        restricting(&self.root)
    }

    pub fn is_empty(&self) -> bool {
        matches!(&self.root, Node::Sequence(nodes) if nodes.is_empty())
    }
}

/// Why a query could not be read, and where (a character offset into the query).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryError {
    pub position: usize,
    pub message: String,
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at character {})", self.message, self.position + 1)
    }
}

impl std::error::Error for QueryError {}

/// The longest query read; longer ones are refused rather than cut.
pub const MAX_QUERY_CHARS: usize = 500;
/// Deep nesting is refused before it can exhaust the stack: parentheses and exclusions both
/// nest (`--x` is an exclusion inside an exclusion), and the parser, the index's query builder
/// and tantivy all recurse once per level.
pub const MAX_DEPTH: usize = 8;

pub fn parse(text: &str) -> Result<ParsedQuery, QueryError> {
    if text.chars().count() > MAX_QUERY_CHARS {
        return Err(QueryError {
            position: MAX_QUERY_CHARS,
            message: format!("the query is longer than {MAX_QUERY_CHARS} characters"),
        });
    }
    let tokens = lex(text)?;
    let mut parser = Parser {
        tokens,
        next: 0,
        depth: 0,
        end: text.chars().count(),
    };
    let root = parser.sequence()?;
    if let Some((position, token)) = parser.tokens.get(parser.next) {
        let message = match token {
            Token::Close => "a closing parenthesis has no opening one".to_string(),
            other => format!("unexpected {other}"),
        };
        return Err(QueryError {
            position: *position,
            message,
        });
    }
    Ok(ParsedQuery { root })
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Word(String),
    Phrase(String),
    /// `ti:` and friends; the unit follows.
    Prefix(Scope),
    Minus,
    Open,
    Close,
    And,
    Or,
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Word(w) => write!(f, "word \"{w}\""),
            Token::Phrase(p) => write!(f, "phrase \"{p}\""),
            Token::Prefix(_) => write!(f, "prefix"),
            Token::Minus => write!(f, "\"-\""),
            Token::Open => write!(f, "\"(\""),
            Token::Close => write!(f, "\")\""),
            Token::And => write!(f, "AND"),
            Token::Or => write!(f, "OR"),
        }
    }
}

fn lex(text: &str) -> Result<Vec<(usize, Token)>, QueryError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' || c == ')' {
            tokens.push((i, if c == '(' { Token::Open } else { Token::Close }));
            i += 1;
        } else if c == '"' {
            let start = i;
            let end = chars[i + 1..].iter().position(|&c| c == '"').map(|n| i + 1 + n);
            let Some(end) = end else {
                return Err(QueryError {
                    position: start,
                    message: "a quoted phrase is not closed".into(),
                });
            };
            let phrase: String = chars[i + 1..end].iter().collect();
            if phrase.trim().is_empty() {
                return Err(QueryError {
                    position: start,
                    message: "a quoted phrase is empty".into(),
                });
            }
            tokens.push((start, Token::Phrase(phrase.trim().to_string())));
            i = end + 1;
        } else if c == '-' && chars.get(i + 1).is_some_and(|n| !n.is_whitespace()) && starts_unit(&tokens) {
            tokens.push((i, Token::Minus));
            i += 1;
        } else {
            let start = i;
            while i < chars.len() && !chars[i].is_whitespace() && !matches!(chars[i], '(' | ')' | '"') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            // A known prefix directly followed by its value: `ti:word`, `au:"a phrase"`, `cat:(…)`.
            if let Some((prefix, rest)) = word.split_once(':')
                && let Some(scope) = Scope::from_prefix(prefix)
            {
                tokens.push((start, Token::Prefix(scope)));
                if rest.is_empty() && (i >= chars.len() || chars[i].is_whitespace() || chars[i] == ')') {
                    return Err(QueryError {
                        position: start,
                        message: format!("\"{prefix}:\" needs a word or a quoted phrase right after it"),
                    });
                }
                if !rest.is_empty() {
                    tokens.push((start + prefix.chars().count() + 1, Token::Word(rest.to_string())));
                }
                continue;
            }
            let token = match word.as_str() {
                "AND" => Token::And,
                "OR" => Token::Or,
                _ => Token::Word(word),
            };
            tokens.push((start, token));
        }
    }
    Ok(tokens)
}

/// A `-` excludes only where a unit may start (not inside `x-y`, which the lexer reads whole).
fn starts_unit(tokens: &[(usize, Token)]) -> bool {
    !matches!(tokens.last(), Some((_, Token::Prefix(_))))
}

struct Parser {
    tokens: Vec<(usize, Token)>,
    next: usize,
    depth: usize,
    /// The query's length: where "the end" is in messages.
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next).map(|(_, t)| t)
    }

    fn position(&self) -> usize {
        self.tokens.get(self.next).map_or(self.end, |(p, _)| *p)
    }

    /// One level deeper: a parenthesis or an exclusion opened at `position`.
    fn enter(&mut self, position: usize) -> Result<(), QueryError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(QueryError {
                position,
                message: format!("parentheses and \"-\" exclusions nest deeper than {MAX_DEPTH}"),
            });
        }
        Ok(())
    }

    fn sequence(&mut self) -> Result<Node, QueryError> {
        let mut clauses = Vec::new();
        while let Some(token) = self.peek() {
            if *token == Token::Close {
                break;
            }
            clauses.push(self.clause()?);
        }
        Ok(Node::Sequence(clauses))
    }

    fn clause(&mut self) -> Result<Node, QueryError> {
        let mut options = vec![self.conjunction()?];
        while self.peek() == Some(&Token::Or) {
            self.next += 1;
            options.push(self.conjunction()?);
        }
        Ok(if options.len() == 1 {
            options.remove(0)
        } else {
            Node::Or(options)
        })
    }

    fn conjunction(&mut self) -> Result<Node, QueryError> {
        let mut parts = vec![self.unit()?];
        while self.peek() == Some(&Token::And) {
            self.next += 1;
            parts.push(self.unit()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Node::And(parts)
        })
    }

    fn unit(&mut self) -> Result<Node, QueryError> {
        let position = self.position();
        let Some(token) = self.peek().cloned() else {
            return Err(QueryError {
                position,
                message: "the query ends where a word was expected".into(),
            });
        };
        self.next += 1;
        match token {
            Token::Word(text) => Ok(Node::Match {
                scope: Scope::Anywhere,
                text,
                phrase: false,
            }),
            Token::Phrase(text) => Ok(Node::Match {
                scope: Scope::Anywhere,
                text,
                phrase: true,
            }),
            Token::Minus => {
                self.enter(position)?;
                let inner = self.unit()?;
                self.depth -= 1;
                Ok(Node::Not(Box::new(inner)))
            }
            Token::Prefix(scope) => match self.peek().cloned() {
                Some(Token::Word(text)) => {
                    self.next += 1;
                    Ok(Node::Match {
                        scope,
                        text,
                        phrase: false,
                    })
                }
                Some(Token::Phrase(text)) => {
                    self.next += 1;
                    Ok(Node::Match {
                        scope,
                        text,
                        phrase: true,
                    })
                }
                _ => Err(QueryError {
                    position,
                    message: "a prefix needs a word or a quoted phrase right after it".into(),
                }),
            },
            Token::Open => {
                self.enter(position)?;
                let inner = self.sequence()?;
                if self.peek() != Some(&Token::Close) {
                    return Err(QueryError {
                        position,
                        message: "an opening parenthesis is not closed".into(),
                    });
                }
                self.next += 1;
                self.depth -= 1;
                match &inner {
                    Node::Sequence(nodes) if nodes.is_empty() => Err(QueryError {
                        position,
                        message: "the parentheses are empty".into(),
                    }),
                    _ => Ok(inner),
                }
            }
            Token::Close => Err(QueryError {
                position,
                message: "a closing parenthesis has no opening one".into(),
            }),
            Token::And | Token::Or => Err(QueryError {
                position,
                message: format!("{token} needs a word on each side"),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(text: &str) -> Node {
        Node::Match {
            scope: Scope::Anywhere,
            text: text.into(),
            phrase: false,
        }
    }

    #[test]
    fn reads_words_phrases_prefixes_exclusions_and_operators() {
        let query = parse(r#"diffusion "image editing" au:"Yann LeCun" cat:cs.CV -survey (gan OR vae) ti:x AND abs:y"#)
            .unwrap();
        let Node::Sequence(clauses) = &query.root else { panic!() };
        assert_eq!(clauses[0], word("diffusion"));
        assert_eq!(
            clauses[1],
            Node::Match {
                scope: Scope::Anywhere,
                text: "image editing".into(),
                phrase: true
            }
        );
        assert_eq!(
            clauses[2],
            Node::Match {
                scope: Scope::Authors,
                text: "Yann LeCun".into(),
                phrase: true
            }
        );
        assert_eq!(
            clauses[3],
            Node::Match {
                scope: Scope::Category,
                text: "cs.CV".into(),
                phrase: false
            }
        );
        assert_eq!(clauses[4], Node::Not(Box::new(word("survey"))));
        assert_eq!(
            clauses[5],
            Node::Sequence(vec![Node::Or(vec![word("gan"), word("vae")])])
        );
        assert_eq!(
            clauses[6],
            Node::And(vec![
                Node::Match {
                    scope: Scope::Title,
                    text: "x".into(),
                    phrase: false
                },
                Node::Match {
                    scope: Scope::Abstract,
                    text: "y".into(),
                    phrase: false
                },
            ])
        );
        assert_eq!(query.free_text(), "diffusion image editing gan vae");
        assert!(query.restricts());
        assert!(!parse("graph neural networks").unwrap().restricts());
    }

    #[test]
    fn hyphens_colons_and_lowercase_operators_inside_words_are_words() {
        let query = parse("state-of-the-art COVID-19 re:search and or").unwrap();
        assert_eq!(
            query.root,
            Node::Sequence(vec![
                word("state-of-the-art"),
                word("COVID-19"),
                word("re:search"),
                word("and"),
                word("or")
            ])
        );
    }

    #[test]
    fn says_what_is_wrong_and_where() {
        for (text, position, words) in [
            (r#"graph "neural"#, 6, "not closed"),
            ("(graph neural", 0, "not closed"),
            ("graph)", 5, "no opening"),
            ("graph OR", 8, "ends where a word"),
            ("AND graph", 0, "AND needs a word"),
            ("ti: graph", 0, "needs a word"),
            ("()", 0, "empty"),
            (r#""""#, 0, "empty"),
        ] {
            let error = parse(text).expect_err(text);
            assert_eq!(error.position, position, "{text}: {error}");
            assert!(error.message.contains(words), "{text}: {error}");
        }
        assert!(parse(&"(".repeat(20)).unwrap_err().message.contains("nest"));
        // A run of exclusions nests as deep as parentheses do, and is refused the same way.
        let minus_run = format!("{}word", "-".repeat(240));
        let error = parse(&minus_run).unwrap_err();
        assert!(error.message.contains("nest deeper than 8"), "{error}");
        assert_eq!(error.position, MAX_DEPTH);
        assert!(parse(&format!("{}word", "-".repeat(MAX_DEPTH))).is_ok());
        assert!(parse(&"-(".repeat(100)).unwrap_err().message.contains("nest"));
        assert!(parse(&"a ".repeat(400)).unwrap_err().message.contains("longer"));
    }

    #[test]
    fn plain_text_ignores_the_syntax() {
        let query = ParsedQuery::plain_text(r#"0-dimensional "biomaterials (show) ti:inductive"#);
        assert_eq!(query.free_text(), "0 dimensional biomaterials show ti inductive");
        assert!(!query.restricts());
    }
}
