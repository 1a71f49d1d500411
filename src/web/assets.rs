//! Static assets (stylesheet, script, KaTeX with its fonts and licence), compiled into the
//! binary so nothing is fetched from a CDN. Their URLs carry a version, so browsers may keep
//! them for a year.

use crate::web::views::ASSET_PREFIX;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

macro_rules! asset {
    ($path:expr, $mime:literal) => {
        ($path, $mime, include_bytes!(concat!("../../static/", $path)) as &[u8])
    };
}

macro_rules! font {
    ($name:literal) => {
        asset!(concat!("katex/fonts/", $name), "font/woff2")
    };
}

const ASSETS: &[(&str, &str, &[u8])] = &[
    asset!("app.css", "text/css; charset=utf-8"),
    asset!("app.js", "text/javascript; charset=utf-8"),
    asset!("icon.svg", "image/svg+xml"),
    asset!("katex/katex.min.css", "text/css; charset=utf-8"),
    asset!("katex/katex.min.js", "text/javascript; charset=utf-8"),
    asset!("katex/LICENSE", "text/plain; charset=utf-8"),
    font!("KaTeX_AMS-Regular.woff2"),
    font!("KaTeX_Caligraphic-Bold.woff2"),
    font!("KaTeX_Caligraphic-Regular.woff2"),
    font!("KaTeX_Fraktur-Bold.woff2"),
    font!("KaTeX_Fraktur-Regular.woff2"),
    font!("KaTeX_Main-Bold.woff2"),
    font!("KaTeX_Main-BoldItalic.woff2"),
    font!("KaTeX_Main-Italic.woff2"),
    font!("KaTeX_Main-Regular.woff2"),
    font!("KaTeX_Math-BoldItalic.woff2"),
    font!("KaTeX_Math-Italic.woff2"),
    font!("KaTeX_SansSerif-Bold.woff2"),
    font!("KaTeX_SansSerif-Italic.woff2"),
    font!("KaTeX_SansSerif-Regular.woff2"),
    font!("KaTeX_Script-Regular.woff2"),
    font!("KaTeX_Size1-Regular.woff2"),
    font!("KaTeX_Size2-Regular.woff2"),
    font!("KaTeX_Size3-Regular.woff2"),
    font!("KaTeX_Size4-Regular.woff2"),
    font!("KaTeX_Typewriter-Regular.woff2"),
];

/// `/static/<version>/<path>`; an old version's URL still answers, without the long cache.
pub async fn asset(Path((version, path)): Path<(String, String)>) -> Response {
    let Some((_, mime, bytes)) = ASSETS.iter().find(|(name, _, _)| *name == path) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    let current = ASSET_PREFIX.rsplit('/').next() == Some(version.as_str());
    let cache_control = if current {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut response = (*bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control));
    response
}

/// `/favicon.ico`, which browsers and feed readers ask for whatever the page says: the icon.
pub async fn favicon() -> axum::response::Redirect {
    axum::response::Redirect::permanent(&format!("{ASSET_PREFIX}/icon.svg"))
}
