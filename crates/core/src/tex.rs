//! The TeX that arXiv titles and abstracts carry: where its math expressions are (so that a
//! highlight or an excerpt never cuts one in half) and a plain-text reading of it for places that
//! cannot render math (a browser tab's title). The browser's renderer (static/app.js) finds
//! expressions by the same rules.

use std::ops::Range;

/// The delimiters arXiv authors use, longest first so that `$$` is not read as two `$`.
const DELIMITERS: [(&str, &str); 4] = [("$$", "$$"), ("\\[", "\\]"), ("\\(", "\\)"), ("$", "$")];

/// The byte ranges of `text`'s math expressions, delimiters included. A delimiter inside braces
/// belongs to the expression (`$\textbf{$ρ$-EOS}$` is one), `\$` is a dollar sign, and an opening
/// delimiter that is never closed is text.
pub fn math_spans(text: &str) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    let mut at = 0;
    while at < text.len() {
        let rest = &text[at..];
        if let Some((open, close)) = DELIMITERS.iter().find(|(open, _)| rest.starts_with(open)) {
            let start = at + open.len();
            match closing(text, start, close) {
                Some(end) if end > start => {
                    spans.push(at..end + close.len());
                    at = end + close.len();
                }
                _ => at = start,
            }
        } else if let Some(escaped) = rest.strip_prefix('\\') {
            // An escaped character, `\$` included, is never a delimiter.
            at += 1 + escaped.chars().next().map_or(0, char::len_utf8);
        } else {
            at += rest.chars().next().map_or(1, char::len_utf8);
        }
    }
    spans
}

/// Where the expression that starts at `from` ends: the first `close` outside braces.
fn closing(text: &str, from: usize, close: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut at = from;
    while at < text.len() {
        let rest = &text[at..];
        if depth == 0 && rest.starts_with(close) {
            return Some(at);
        }
        let c = rest.chars().next()?;
        match c {
            '\\' => {
                at += 1 + rest[1..].chars().next().map_or(0, char::len_utf8);
                continue;
            }
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        at += c.len_utf8();
    }
    None
}

/// `range` widened so that it neither starts nor ends inside one of `spans`.
pub fn widen_to_whole_math(range: Range<usize>, spans: &[Range<usize>]) -> Range<usize> {
    let mut widened = range;
    for span in spans {
        if span.start < widened.start && widened.start < span.end {
            widened.start = span.start;
        }
        if span.start < widened.end && widened.end < span.end {
            widened.end = span.end;
        }
    }
    widened
}

/// A plain-text reading of a title with TeX in it: `VGG-T$^3$` reads `VGG-T³`,
/// `$\mathcal{O}(n^2)$` reads `O(n²)`, `$\textbf{$ρ$-$\texttt{EOS}$}$` reads `ρ-EOS`.
/// Commands it does not know lose their backslash; nothing is dropped silently but braces.
pub fn tex_to_plain(text: &str) -> String {
    let spans = math_spans(text);
    let mut plain = String::with_capacity(text.len());
    let mut at = 0;
    for span in spans {
        plain.push_str(&text_mode(&text[at..span.start]));
        let (open, close) = DELIMITERS
            .iter()
            .find(|(open, _)| text[span.start..].starts_with(open))
            .copied()
            .unwrap_or(("$", "$"));
        let inner = &text[span.start + open.len()..span.end - close.len()];
        plain.push_str(&math_mode(inner));
        at = span.end;
    }
    plain.push_str(&text_mode(&text[at..]));
    plain
}

/// Outside math only escapes and text commands mean anything.
fn text_mode(text: &str) -> String {
    if !text.contains(['\\', '{', '}']) {
        return text.to_owned();
    }
    read(text, false)
}

fn math_mode(tex: &str) -> String {
    read(tex, true)
}

/// `tex` read as plain text; in math, a nested `$` (math inside `\text{…}`) is dropped.
fn read(tex: &str, math: bool) -> String {
    let mut out = String::new();
    let mut chars = tex.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '\\' => {
                let rest = &tex[at + 1..];
                let name_len = rest.chars().take_while(char::is_ascii_alphabetic).count();
                if name_len == 0 {
                    // `\$`, `\%`, `\{`, `\,` …: the character itself, or a space for spacing commands.
                    if let Some((_, escaped)) = chars.next() {
                        match escaped {
                            ',' | ';' | ':' | '!' | ' ' => out.push(' '),
                            other => out.push(other),
                        }
                    }
                    continue;
                }
                let name = &rest[..name_len];
                for _ in 0..name_len {
                    chars.next();
                }
                out.push_str(&command(name));
            }
            '^' | '_' => {
                let argument = take_argument(tex, &mut chars);
                let plain = math_mode(&argument);
                let scripted: Option<String> = plain
                    .chars()
                    .map(|ch| if c == '^' { superscript(ch) } else { subscript(ch) })
                    .collect();
                match scripted {
                    Some(scripted) if !scripted.is_empty() => out.push_str(&scripted),
                    _ => {
                        out.push(c);
                        out.push_str(&plain);
                    }
                }
            }
            '{' | '}' => {}
            '$' if math => {}
            '~' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// The argument of `^` or `_`: a braced group or one character (or command).
fn take_argument(tex: &str, chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>) -> String {
    let Some(&(start, first)) = chars.peek() else {
        return String::new();
    };
    if first == '{' {
        let mut depth = 0usize;
        for (at, c) in chars.by_ref() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        return tex[start + 1..at].to_owned();
                    }
                }
                _ => {}
            }
        }
        return tex[start + 1..].to_owned();
    }
    chars.next();
    if first == '\\' {
        let mut end = start + 1;
        while let Some(&(at, c)) = chars.peek() {
            if !c.is_ascii_alphabetic() {
                break;
            }
            end = at + c.len_utf8();
            chars.next();
        }
        return tex[start..end.max(start + 1)].to_owned();
    }
    first.to_string()
}

/// What a command reads as: a symbol, nothing (font and spacing commands, whose argument
/// follows as it is), or its name.
fn command(name: &str) -> String {
    let symbol = match name {
        "alpha" => "α",
        "beta" => "β",
        "gamma" => "γ",
        "delta" => "δ",
        "epsilon" | "varepsilon" => "ε",
        "zeta" => "ζ",
        "eta" => "η",
        "theta" | "vartheta" => "θ",
        "iota" => "ι",
        "kappa" => "κ",
        "lambda" => "λ",
        "mu" => "μ",
        "nu" => "ν",
        "xi" => "ξ",
        "pi" => "π",
        "rho" | "varrho" => "ρ",
        "sigma" => "σ",
        "tau" => "τ",
        "phi" | "varphi" => "φ",
        "chi" => "χ",
        "psi" => "ψ",
        "omega" => "ω",
        "Gamma" => "Γ",
        "Delta" => "Δ",
        "Theta" => "Θ",
        "Lambda" => "Λ",
        "Xi" => "Ξ",
        "Pi" => "Π",
        "Sigma" => "Σ",
        "Phi" => "Φ",
        "Psi" => "Ψ",
        "Omega" => "Ω",
        "times" => "×",
        "cdot" => "·",
        "pm" => "±",
        "to" | "rightarrow" => "→",
        "leftarrow" => "←",
        "infty" => "∞",
        "leq" | "le" => "≤",
        "geq" | "ge" => "≥",
        "neq" | "ne" => "≠",
        "approx" => "≈",
        "sim" => "∼",
        "in" => "∈",
        "ell" => "ℓ",
        "prime" => "′",
        "partial" => "∂",
        "nabla" => "∇",
        "sum" => "∑",
        "prod" => "∏",
        "log" => "log",
        "exp" => "exp",
        "sqrt" => "√",
        "LaTeX" => "LaTeX",
        "TeX" => "TeX",
        "textbf" | "textit" | "texttt" | "textrm" | "textsf" | "text" | "emph" | "mathbf" | "mathrm" | "mathit"
        | "mathcal" | "mathsf" | "mathtt" | "mathbb" | "mathfrak" | "boldsymbol" | "bm" | "operatorname" | "mbox"
        | "left" | "right" | "big" | "Big" | "bf" | "it" | "rm" | "tt" | "displaystyle" => "",
        "quad" | "qquad" => " ",
        other => other,
    };
    symbol.to_owned()
}

fn superscript(c: char) -> Option<char> {
    Some(match c {
        '0' => '⁰',
        '1' => '¹',
        '2' => '²',
        '3' => '³',
        '4' => '⁴',
        '5' => '⁵',
        '6' => '⁶',
        '7' => '⁷',
        '8' => '⁸',
        '9' => '⁹',
        '+' => '⁺',
        '-' => '⁻',
        '=' => '⁼',
        '(' => '⁽',
        ')' => '⁾',
        'n' => 'ⁿ',
        'i' => 'ⁱ',
        'T' => 'ᵀ',
        '*' => '*',
        '′' => '′',
        _ => return None,
    })
}

fn subscript(c: char) -> Option<char> {
    Some(match c {
        '0' => '₀',
        '1' => '₁',
        '2' => '₂',
        '3' => '₃',
        '4' => '₄',
        '5' => '₅',
        '6' => '₆',
        '7' => '₇',
        '8' => '₈',
        '9' => '₉',
        '+' => '₊',
        '-' => '₋',
        '=' => '₌',
        '(' => '₍',
        ')' => '₎',
        'i' => 'ᵢ',
        'j' => 'ⱼ',
        'k' => 'ₖ',
        'n' => 'ₙ',
        't' => 'ₜ',
        'x' => 'ₓ',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(text: &str) -> Vec<&str> {
        math_spans(text).into_iter().map(|span| &text[span]).collect()
    }

    #[test]
    fn a_dollar_inside_braces_belongs_to_the_expression() {
        let title = r"we propose $\textbf{$ρ$-$\texttt{EOS}$}$, a strategy with $O(n)$ cost";
        assert_eq!(spans(title), [r"$\textbf{$ρ$-$\texttt{EOS}$}$", "$O(n)$"]);
    }

    #[test]
    fn every_delimiter_is_found_and_escapes_and_unclosed_dollars_are_text() {
        assert_eq!(spans(r"costs \$5 and $x$"), ["$x$"]);
        assert_eq!(spans(r"$$a+b$$ then \(c\) and \[d\]"), ["$$a+b$$", r"\(c\)", r"\[d\]"]);
        assert_eq!(spans("a lone $ sign"), Vec::<&str>::new());
        assert_eq!(spans("empty $$ pair"), Vec::<&str>::new());
    }

    #[test]
    fn a_range_is_widened_to_whole_expressions() {
        let text = "see $x^2$ here";
        let spans = math_spans(text);
        assert_eq!(widen_to_whole_math(6..8, &spans), 4..9);
        assert_eq!(widen_to_whole_math(0..3, &spans), 0..3);
        assert_eq!(widen_to_whole_math(1..6, &spans), 1..9);
    }

    #[test]
    fn titles_read_as_plain_text() {
        assert_eq!(tex_to_plain("VGG-T$^3$: Offline"), "VGG-T³: Offline");
        assert_eq!(tex_to_plain(r"$\mathcal{O}(n^2)$ attention"), "O(n²) attention");
        assert_eq!(tex_to_plain(r"$\textbf{$ρ$-$\texttt{EOS}$}$"), "ρ-EOS");
        assert_eq!(tex_to_plain(r"$x_{i+1}$ and $\alpha$-nets"), "xᵢ₊₁ and α-nets");
        assert_eq!(tex_to_plain(r"$y^{ab}$"), "y^ab");
        assert_eq!(tex_to_plain(r"50\% of \$ and A\&B"), "50% of $ and A&B");
        assert_eq!(tex_to_plain("No math here"), "No math here");
    }

    proptest::proptest! {
        /// Any text: spans are ordered, apart, on character boundaries, and open and close with
        /// a delimiter; reading it as plain text never panics.
        #[test]
        fn spans_are_well_formed_in_any_text(text in "[$\\\\{}()\\[\\]^_a-zρ ]{0,60}") {
            let spans = math_spans(&text);
            let mut end = 0;
            for span in &spans {
                proptest::prop_assert!(span.start >= end && span.start < span.end);
                proptest::prop_assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
                let expression = &text[span.clone()];
                proptest::prop_assert!(expression.starts_with(['$', '\\']) && expression.ends_with(['$', ']', ')']));
                end = span.end;
            }
            let _ = tex_to_plain(&text);
        }
    }
}
