//! The architecture's rules, checked on the source tree (docs/architecture.md says why):
//! no import loop between modules, web handlers that do not import each other, store traits
//! of at most 20 methods, source files of at most 800 lines, and a guide whose paths exist.
//!
//! The module graph is read from the source text: a module's edges are the modules its paths
//! name (`crate::a::b`, `super::x`, `self::y`, or a child's name), each resolved to the longest
//! module it names. A module naming one of its own ancestors is not an edge: a parent is the
//! context of its children (`super::Digests` in a file that adds methods to it), not a peer.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The source roots of the workspace: the application and each crate.
fn source_roots() -> Vec<PathBuf> {
    let mut roots = vec![Path::new(ROOT).join("src")];
    let mut crates: Vec<PathBuf> = std::fs::read_dir(Path::new(ROOT).join("crates"))
        .expect("crates/ is readable")
        .map(|entry| entry.expect("a crate directory").path().join("src"))
        .filter(|src| src.is_dir())
        .collect();
    crates.sort();
    roots.extend(crates);
    roots
}

fn rust_files(directory: &Path, found: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(directory)
        .expect("a source directory is readable")
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            found.push(path);
        }
    }
}

/// `crate::web::pages::paper` for `src/web/pages/paper.rs`; `None` for binaries' roots.
fn module_path(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).expect("file under its root").with_extension("");
    let mut parts: Vec<String> = relative
        .components()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.first().is_some_and(|first| first == "bin") {
        return None;
    }
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        parts.pop();
    }
    let mut path = vec!["crate".to_owned()];
    path.extend(parts);
    Some(path.join("::"))
}

/// The text of a file without comments, string and character literals and `#[cfg(test)]`
/// modules: what the shipped program's modules use. A `'"'` or a raw string holding quotes
/// must not be read as the start of a string, or the paths after it would be missed.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod ") {
        Some(start) => &text[..start],
        None => text,
    };
    let mut code = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            // A character literal (`'"'`, `'\''`, `'x'`); a lifetime (`'a`) is left as it is.
            '\'' => {
                // Long enough for `'\u{10FFFF}'`.
                let rest: Vec<char> = chars.clone().take(11).collect();
                let length = if rest.first() == Some(&'\\') {
                    (2..rest.len()).find(|&at| rest[at] == '\'').map(|at| at + 1)
                } else {
                    (rest.get(1) == Some(&'\'')).then_some(2)
                };
                match length {
                    Some(length) => {
                        for _ in 0..length {
                            chars.next();
                        }
                        code.push_str("' '");
                    }
                    None => code.push(c),
                }
            }
            // A raw string, `r"…"` or `r#"…"#` (any number of `#`).
            'r' if matches!(chars.peek(), Some('"' | '#'))
                && !code.ends_with(|c: char| c.is_alphanumeric() || c == '_') =>
            {
                let mut hashes = 0;
                while chars.peek() == Some(&'#') {
                    chars.next();
                    hashes += 1;
                }
                if chars.next() != Some('"') {
                    code.push('r');
                    continue;
                }
                let closing: String = std::iter::once('"').chain(std::iter::repeat_n('#', hashes)).collect();
                let mut seen = String::new();
                for c in chars.by_ref() {
                    seen.push(c);
                    if seen.ends_with(&closing) {
                        break;
                    }
                }
                code.push_str("\"\"");
            }
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        code.push('\n');
                        break;
                    }
                }
            }
            '"' => {
                let mut escaped = false;
                for c in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        break;
                    }
                }
                code.push_str("\"\"");
            }
            other => code.push(other),
        }
    }
    code
}

/// Every `a::b::c` path in `code` (identifiers joined by `::`), as its segments.
fn paths_in(code: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let bytes: Vec<char> = code.chars().collect();
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut i = 0;
    while i < bytes.len() {
        if is_ident(bytes[i]) && (i == 0 || !is_ident(bytes[i - 1]) && bytes[i - 1] != ':') {
            let mut segments = Vec::new();
            let mut j = i;
            loop {
                let start = j;
                while j < bytes.len() && is_ident(bytes[j]) {
                    j += 1;
                }
                segments.push(bytes[start..j].iter().collect::<String>());
                if j + 2 < bytes.len() && bytes[j] == ':' && bytes[j + 1] == ':' && is_ident(bytes[j + 2]) {
                    j += 2;
                } else {
                    break;
                }
            }
            if segments.len() > 1 {
                paths.push(segments);
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    paths
}

/// The modules of one source root and the modules each one names.
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeMap<String, PathBuf> = files
        .iter()
        .filter_map(|file| module_path(src, file).map(|module| (module, file.clone())))
        .collect();
    let mut graph = BTreeMap::new();
    for (module, file) in &modules {
        let code = code_of(&std::fs::read_to_string(file).expect("source is readable"));
        let here: Vec<String> = module.split("::").map(str::to_owned).collect();
        let mut names = BTreeSet::new();
        for path in paths_in(&code) {
            let mut resolved: Vec<String> = match path[0].as_str() {
                "crate" => path.clone(),
                "self" => here.iter().chain(&path[1..]).cloned().collect(),
                "super" => {
                    let ups = path.iter().take_while(|segment| *segment == "super").count();
                    let base = &here[..here.len().saturating_sub(ups)];
                    base.iter().chain(&path[ups..]).cloned().collect()
                }
                // A child module named by its own name: `api::ROUTES` in `web`.
                _ => here.iter().chain(&path).cloned().collect(),
            };
            while !resolved.is_empty() && !modules.contains_key(&resolved.join("::")) {
                resolved.pop();
            }
            let target = resolved.join("::");
            let is_ancestor_or_self = module == &target || module.starts_with(&format!("{target}::"));
            if !resolved.is_empty() && !is_ancestor_or_self {
                names.insert(target);
            }
        }
        graph.insert(module.clone(), names);
    }
    graph
}

/// The strongly connected components of more than one module (Tarjan): each is a loop.
fn loops(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'g> {
        graph: &'g BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        found: Vec<Vec<String>>,
    }
    impl<'g> Walk<'g> {
        fn visit(&mut self, module: &'g str) {
            let number = self.index.len();
            self.index.insert(module, number);
            self.low.insert(module, number);
            self.stack.push(module);
            self.on_stack.insert(module);
            for next in &self.graph[module] {
                let next = next.as_str();
                if !self.index.contains_key(next) {
                    self.visit(next);
                    let low = self.low[module].min(self.low[next]);
                    self.low.insert(module, low);
                } else if self.on_stack.contains(next) {
                    let low = self.low[module].min(self.index[next]);
                    self.low.insert(module, low);
                }
            }
            if self.low[module] == self.index[module] {
                let mut component = Vec::new();
                while let Some(member) = self.stack.pop() {
                    self.on_stack.remove(member);
                    component.push(member.to_owned());
                    if member == module {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for module in graph.keys() {
        if !walk.index.contains_key(module.as_str()) {
            walk.visit(module);
        }
    }
    walk.found
}

#[test]
fn no_module_imports_in_a_loop() {
    for src in source_roots() {
        let graph = module_graph(&src);
        let found = loops(&graph);
        assert!(found.is_empty(), "import loops in {}: {found:#?}", src.display());
    }
}

/// The loop this test exists for: it would be found.
#[test]
fn a_loop_is_found() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("crate::a", vec!["crate::b"]),
        ("crate::b", vec!["crate::c"]),
        ("crate::c", vec!["crate::a"]),
        ("crate::d", vec!["crate::a"]),
    ]
    .into_iter()
    .map(|(module, names)| (module.to_owned(), names.into_iter().map(str::to_owned).collect()))
    .collect();
    assert_eq!(loops(&graph), vec![vec!["crate::a", "crate::b", "crate::c"]]);
}

/// Quotes inside character literals and raw strings do not hide the paths after them.
#[test]
fn paths_after_quote_characters_are_still_read() {
    let code = code_of(
        "let q = '\"'; let e = '\\''; fn f<'a>(x: &'a str) {} let r = r#\"a \"b\" c\"#; use crate::web::views;",
    );
    assert_eq!(paths_in(&code), vec![vec!["crate", "web", "views"]]);
    assert!(code.contains("fn f<'a>(x: &'a str)"), "{code}");
}

/// The modules whose functions the router in `src/web/mod.rs` serves.
fn handler_modules() -> BTreeSet<String> {
    let router = std::fs::read_to_string(Path::new(ROOT).join("src/web/mod.rs")).expect("web/mod.rs");
    let mut handlers = BTreeSet::new();
    for method in ["get(", "post(", "delete(", "put(", "options("] {
        for (at, _) in router.match_indices(method) {
            let rest = &router[at + method.len()..];
            let call: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            if let Some((module, _function)) = call.rsplit_once("::") {
                handlers.insert(format!("crate::web::{module}"));
            }
        }
    }
    handlers
}

#[test]
fn web_handlers_do_not_import_each_other() {
    let handlers = handler_modules();
    assert!(
        handlers.contains("crate::web::api") && handlers.contains("crate::web::pages::lists"),
        "the router's handlers were not found: {handlers:?}"
    );
    let graph = module_graph(&Path::new(ROOT).join("src"));
    for (module, names) in &graph {
        if !module.starts_with("crate::web::") {
            continue;
        }
        let imported: Vec<&String> = names.iter().filter(|name| handlers.contains(*name)).collect();
        assert!(
            imported.is_empty(),
            "{module} imports handler modules {imported:?}: what two handlers share belongs in a module of its own"
        );
    }
}

/// The router registers a state-changing route only through `guard::post` and `guard::delete`,
/// which take a handler only if its first argument is a guard (a type rule, so a handler
/// without one does not compile).
#[test]
fn state_changing_routes_go_through_the_guards() {
    let router = std::fs::read_to_string(Path::new(ROOT).join("src/web/mod.rs")).expect("web/mod.rs");
    let code = code_of(&router);
    let mut guarded = 0;
    for method in ["post", "delete", "put", "patch"] {
        for (at, _) in code.match_indices(&format!("{method}(")) {
            let before = &code[..at];
            let qualified = before.ends_with("guard::");
            let is_call = !before.ends_with(|c: char| c.is_alphanumeric() || c == '_') || before.ends_with("::");
            if !is_call && !before.ends_with('.') {
                continue;
            }
            assert!(
                qualified,
                "src/web/mod.rs registers a {method} route without guard::{method}: {}",
                &code[at.saturating_sub(60)..at + 20]
            );
            guarded += 1;
        }
    }
    assert!(guarded >= 15, "only {guarded} guarded routes were found");
}

#[test]
fn no_store_trait_has_more_than_20_methods() {
    let mut files = Vec::new();
    rust_files(&Path::new(ROOT).join("crates/store/src"), &mut files);
    let mut traits = 0;
    for file in files {
        let text = std::fs::read_to_string(&file).expect("source");
        for (at, _) in text.match_indices("\npub trait ") {
            let body = &text[at..];
            let end = body.find("\n}\n").expect("a trait ends");
            let name: String = body["\npub trait ".len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric())
                .collect();
            let methods = body[..end].matches("\n    async fn ").count() + body[..end].matches("\n    fn ").count();
            assert!(methods <= 20, "{name} in {} has {methods} methods", file.display());
            traits += 1;
        }
    }
    assert!(traits >= 8, "found only {traits} store traits");
}

#[test]
fn no_source_file_is_over_800_lines() {
    for src in source_roots() {
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        for file in files {
            let lines = std::fs::read_to_string(&file).expect("source").lines().count();
            assert!(
                lines <= 800,
                "{} has {lines} lines: split it by what its parts do",
                file.display()
            );
        }
    }
}

/// Every path docs/architecture.md names in backquotes (`src/…`, `crates/…`, `tests/…`,
/// `docs/…`, `scripts/…`, `templates/…`, `static/…`) exists.
#[test]
fn the_architecture_guide_names_only_paths_that_exist() {
    let guide = std::fs::read_to_string(Path::new(ROOT).join("docs/architecture.md")).expect("docs/architecture.md");
    let mut named = 0;
    for quoted in guide.split('`').skip(1).step_by(2) {
        let path = quoted.trim_end_matches('/');
        let roots = [
            "src/",
            "crates/",
            "tests/",
            "docs/",
            "scripts/",
            "templates/",
            "static/",
        ];
        if roots.iter().any(|root| path.starts_with(root)) && !path.contains(' ') {
            named += 1;
            assert!(
                Path::new(ROOT).join(path).exists(),
                "docs/architecture.md names {path}, which does not exist"
            );
        }
    }
    assert!(named >= 20, "the guide names only {named} paths");
}
