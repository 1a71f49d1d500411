//! What forms and the pages around them share: the message page, safe redirects, query
//! encoding, the random tokens links and cookies carry.

use askama::Template;
use axum::response::Html;

use super::error::AppError;
use super::state::AppState;
use super::views::Layout;
pub use super::views::percent_encode;

pub use crate::secrets::{hash_token, random_token};

/// A form that only says where to go back to (`next`): the vote and save buttons.
#[derive(Debug, serde::Deserialize)]
pub struct NextForm {
    pub next: Option<String>,
}

/// Where to go after signing in: only paths on this site, never `//elsewhere`. Browsers drop
/// tabs and line breaks from a URL and read `\\` as `/`, so `/\t/elsewhere` and `/\\elsewhere`
/// would leave the site too: no control character, space or backslash passes.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\') =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// The period a list's `date`, `week` or `month` parameter names (at most one of them); `None`
/// when none is given. The error says which and why.
pub fn period_param(
    date: Option<&str>,
    week: Option<&str>,
    month: Option<&str>,
) -> Result<Option<paperboy_core::Period>, String> {
    use paperboy_core::Period;
    match (date, week, month) {
        (Some(date), None, None) => Period::parse_day(date).map(Some).map_err(|e| e.to_string()),
        (None, Some(week), None) => Period::parse_week(week).map(Some).map_err(|e| e.to_string()),
        (None, None, Some(month)) => Period::parse_month(month).map(Some).map_err(|e| e.to_string()),
        (None, None, None) => Ok(None),
        _ => Err("give at most one of date, week and month".to_owned()),
    }
}

pub struct FormView {
    pub action: String,
    pub button: &'static str,
    pub hidden: Vec<(&'static str, String)>,
}

#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    pub layout: Layout,
    pub heading: String,
    pub paragraphs: Vec<String>,
    pub form: Option<FormView>,
}

pub fn message_page(
    state: &AppState,
    heading: &str,
    paragraphs: Vec<String>,
    form: Option<FormView>,
) -> Result<Html<String>, AppError> {
    let layout = Layout::new(
        format!("{heading} · {}", state.settings.instance_name),
        &state.settings.instance_name,
    );
    let page = MessagePage {
        layout,
        heading: heading.to_owned(),
        paragraphs,
        form,
    };
    Ok(Html(page.render().map_err(AppError::internal)?))
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_paths_on_this_site_are_followed() {
        for kept in [
            "/",
            "/account",
            "/search?q=graph+neural&sort=new",
            "/papers/2602.11096#paper-2602.11096",
        ] {
            assert_eq!(safe_next(Some(kept)), kept);
        }
        for elsewhere in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            " //evil.example",
            "evil.example",
            "",
        ] {
            assert_eq!(safe_next(Some(elsewhere)), "/", "{elsewhere:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
