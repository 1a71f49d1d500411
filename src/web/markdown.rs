//! Comments are Markdown with math: rendered here on the server into a fixed safe subset. Raw
//! HTML is shown as text, links keep only http, https, mailto and this site's own paths (and
//! get `rel="nofollow ugc noopener"`), images become their description, headings become
//! paragraphs, and `$…$` / `$$…$$` become elements the page's KaTeX renders — only those, so
//! a dollar sign in code stays code.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};

use super::views::escape_html;

/// Whether a link's address may be followed from a comment.
fn safe_destination(url: &str) -> bool {
    let url = url.trim();
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return false;
    }
    let lower = url.to_ascii_lowercase();
    lower.starts_with("https://")
        || lower.starts_with("http://")
        || lower.starts_with("mailto:")
        || (url.starts_with('/') && !url.starts_with("//") && !url.starts_with("/\\"))
}

/// The HTML of a comment written in Markdown.
pub fn render(markdown: &str) -> String {
    let options = Options::ENABLE_MATH | Options::ENABLE_STRIKETHROUGH;
    // For each open link: whether it was kept (so its end closes an `<a>`).
    let mut links: Vec<bool> = Vec::new();
    let events = Parser::new_ext(markdown, options).filter_map(|event| match event {
        Event::Html(text) | Event::InlineHtml(text) => Some(Event::Text(text)),
        Event::InlineMath(tex) => Some(Event::Html(CowStr::from(format!(
            "<span class=\"math\">{}</span>",
            escape_html(&format!("${tex}$"))
        )))),
        Event::DisplayMath(tex) => Some(Event::Html(CowStr::from(format!(
            "<span class=\"math display\">{}</span>",
            escape_html(&format!("$${tex}$$"))
        )))),
        Event::Start(Tag::Link { dest_url, title, .. }) => {
            let keep = safe_destination(&dest_url);
            links.push(keep);
            keep.then(|| {
                let title = if title.is_empty() {
                    String::new()
                } else {
                    format!(" title=\"{}\"", escape_html(&title))
                };
                Event::Html(CowStr::from(format!(
                    "<a href=\"{}\"{title} rel=\"nofollow ugc noopener\">",
                    escape_html(dest_url.trim())
                )))
            })
        }
        Event::End(TagEnd::Link) => links.pop().unwrap_or(false).then(|| Event::Html(CowStr::from("</a>"))),
        // An image shows its description: no request leaves the page for a comment.
        Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => None,
        Event::Start(Tag::Heading { .. }) => Some(Event::Start(Tag::Paragraph)),
        Event::End(TagEnd::Heading(_)) => Some(Event::End(TagEnd::Paragraph)),
        other => Some(other),
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn html_is_text_and_nothing_runs() {
        let out = render("<script>alert(1)</script> and <img src=x onerror=alert(2)>");
        assert!(!out.contains("<script"), "{out}");
        assert!(!out.contains("<img"), "{out}");
        assert!(out.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{out}");
    }

    #[test]
    fn only_safe_links_are_links_and_they_say_so() {
        let out = render(
            "[x](javascript:alert(1)) [y](https://arxiv.org/abs/2602.11096) [z](data:text/html,hi) [w](/papers/2602.11096) [v](//evil.example)",
        );
        assert!(!out.contains("javascript:"), "{out}");
        assert!(!out.contains("data:"), "{out}");
        assert!(
            out.contains("<a href=\"https://arxiv.org/abs/2602.11096\" rel=\"nofollow ugc noopener\">y</a>"),
            "{out}"
        );
        assert!(
            out.contains("<a href=\"/papers/2602.11096\" rel=\"nofollow ugc noopener\">w</a>"),
            "{out}"
        );
        assert!(!out.contains("evil.example\""), "{out}");
        assert!(
            out.contains(">x") || out.contains(" x") || out.starts_with("<p>x"),
            "the text stays: {out}"
        );
        let autolink = render("<https://example.org/a?b=1&c=2>");
        assert!(
            autolink.contains("href=\"https://example.org/a?b=1&amp;c=2\""),
            "{autolink}"
        );
    }

    #[test]
    fn math_stays_whole_for_katex_and_code_stays_code() {
        let out = render("Energy $E=mc^2$ and $a_1 * b_2 * c$ and\n\n$$\\sum_{i} x_i$$\n\n`$not math$`");
        assert!(out.contains("<span class=\"math\">$E=mc^2$</span>"), "{out}");
        assert!(
            out.contains("<span class=\"math\">$a_1 * b_2 * c$</span>"),
            "no emphasis inside math: {out}"
        );
        assert!(
            out.contains("<span class=\"math display\">$$\\sum_{i} x_i$$</span>"),
            "{out}"
        );
        assert!(out.contains("<code>$not math$</code>"), "{out}");
    }

    #[test]
    fn images_and_headings_are_tamed() {
        let out = render("# Big\n\n![a cat](https://example.org/cat.png)");
        assert!(!out.contains("<h1") && out.contains("<p>Big</p>"), "{out}");
        assert!(!out.contains("<img") && out.contains("a cat"), "{out}");
    }
}
