//! Signing in by e-mail link, sessions, and the guards every state-changing request passes:
//! same-origin (CSRF), and rate limits kept in the database so they hold across replicas.
//!
//! Sign-in links and session cookies are 256-bit random tokens; only their SHA-256 hashes are
//! stored. A link opens a page with a button rather than signing in on GET, because mail
//! scanners open links and would otherwise use them up.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use paperboy_core::EmailAddress;
use paperboy_store::{NewSession, Session};
use serde::Deserialize;

use super::client::ClientIp;
use super::error::AppError;
use super::guard::SameOrigin;
use super::state::AppState;
use super::views::Layout;
use crate::limits::Limit;
use crate::mail::Email;
use crate::web::forms::{FormView, hash_token, message_page, percent_encode, random_token, safe_next};
use crate::web::guard::{
    CurrentUser, SESSION_COOKIE, checked_session, cookie_value, now, rate_limit, session_cookie, within_limit,
};

const SESSION_SECONDS: i64 = 30 * 24 * 3600;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    next: String,
    email: String,
    error: String,
}

#[derive(Debug, Deserialize)]
pub struct NextParam {
    next: Option<String>,
}

pub async fn login_form(
    State(state): State<AppState>,
    Query(params): Query<NextParam>,
) -> Result<Html<String>, AppError> {
    render_login(&state, safe_next(params.next.as_deref()), String::new(), String::new())
}

fn render_login(state: &AppState, next: String, email: String, error: String) -> Result<Html<String>, AppError> {
    let layout = Layout::new(
        format!("Sign in · {}", state.settings.instance_name),
        &state.settings.instance_name,
    );
    Ok(Html(
        LoginPage {
            layout,
            next,
            email,
            error,
        }
        .render()
        .map_err(AppError::internal)?,
    ))
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    email: String,
    next: Option<String>,
}

pub async fn login_submit(
    _same_origin: SameOrigin,
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let next = safe_next(form.next.as_deref());
    let email = match EmailAddress::parse(&form.email) {
        Ok(email) => email,
        Err(error) => {
            let page = render_login(&state, next, form.email.chars().take(254).collect(), error.to_string())?;
            return Ok((StatusCode::BAD_REQUEST, page).into_response());
        }
    };
    rate_limit(&state, Limit::LoginLinks, &client.to_string()).await?;
    // Limits per address hurt whoever asks too often, never the owner: past them the answer is
    // the same page and no mail goes out, so nobody can learn of them or lock anyone out. Each
    // client address has a share of its own, and the share of all addresses together does not
    // hold for a browser that has signed in to this account before.
    let account = email.account_key();
    let from_this_client = within_limit(
        &state,
        Limit::LoginLinksPerAddressAndClient,
        &format!("{account}:{client}"),
    )
    .await?;
    let from_anywhere = from_this_client
        && (known_browser(&state, &headers, &account).await?
            || within_limit(&state, Limit::LoginLinksPerAddress, &account).await?);
    if !from_anywhere {
        tracing::warn!(client = %client, "sign-in link not sent: this address was asked for too often");
        return Ok(check_your_inbox(&state, &email)?.into_response());
    }
    let token = random_token();
    state
        .store
        .save_login_token(
            &account,
            &hash_token(&token),
            now() + i64::from(state.settings.login_link_minutes) * 60,
        )
        .await?;
    let link = format!(
        "{}/login/{token}?next={}",
        state.settings.public_url,
        percent_encode(&next)
    );
    let text = format!(
        "Hello,\n\nsomeone (we hope you) asked to sign in to {name} with this address. Open this link within {minutes} minutes to sign in:\n\n{link}\n\nThe link works once. If you did not ask, ignore this message; nothing happens without the link.\n",
        name = state.settings.instance_name,
        minutes = state.settings.login_link_minutes,
    );
    let mail = Email::text(
        email.clone(),
        format!("Sign in to {}", state.settings.instance_name),
        text,
    );
    if let Err(error) = state.mailer.send(mail).await {
        // The answer must not differ by address, so a failure is logged, not shown.
        tracing::error!(error = format!("{error:#}"), "sign-in mail not sent");
    }
    tracing::info!(client = %client, "sign-in link requested");
    let mut response = check_your_inbox(&state, &email)?.into_response();
    // The browser that asked, so that the link's page can tell whether it is opened there.
    let binding = cookie(
        &state,
        LOGIN_REQUEST_COOKIE,
        &browser_binding(&token),
        i64::from(state.settings.login_link_minutes) * 60,
    )?;
    response.headers_mut().append(header::SET_COOKIE, binding);
    Ok(response)
}

/// The browser that asked for a sign-in link keeps this cookie until the link expires.
const LOGIN_REQUEST_COOKIE: &str = "paperboy_login_request";
/// A browser that has signed in to an account keeps this cookie for a year: its requests for
/// that account's links are never held back by requests from elsewhere.
const KNOWN_BROWSER_COOKIE: &str = "paperboy_known";
const KNOWN_BROWSER_SECONDS: i64 = 365 * 24 * 3600;

/// The same answer whether or not a link was sent, and whatever the address.
fn check_your_inbox(state: &AppState, email: &EmailAddress) -> Result<Html<String>, AppError> {
    let mut paragraphs = vec![format!(
        "If {email} can sign in here, a sign-in link is on its way. It works once, for {} minutes.",
        state.settings.login_link_minutes
    )];
    if let Some(directory) = state.mailer.mail_directory() {
        paragraphs.push(format!(
            "This instance has no mail server configured: messages are written as .eml files to {}.",
            directory.display()
        ));
    }
    message_page(state, "Check your inbox", paragraphs, None)
}

/// What the requesting browser's cookie holds for a link: only that browser was sent it, and
/// it does not reveal the link.
fn browser_binding(token: &str) -> String {
    hash_token(&format!("browser-binding\0{token}"))
}

/// `Set-Cookie` for a cookie of ours: HttpOnly, SameSite=Lax, Secure on https.
fn cookie(state: &AppState, name: &str, value: &str, max_age: i64) -> Result<HeaderValue, AppError> {
    let secure = if state.settings.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .map_err(AppError::internal)
}

/// The known-browser mark for `account`: a MAC under a key of the instance's, so it cannot be
/// made up for an account one never signed in to.
async fn known_browser_mark(state: &AppState, account: &str) -> Result<String, AppError> {
    use hmac::{Hmac, Mac};
    // Read once per process: instance_secret writes (insert-if-missing) as well as reads.
    let key = state
        .known_browser_key
        .get_or_try_init(|| async { state.store.instance_secret("known-browsers", &random_token()).await })
        .await?;
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).map_err(AppError::internal)?;
    mac.update(format!("known\0{account}").as_bytes());
    Ok(mac.finalize().into_bytes()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

async fn known_browser(state: &AppState, headers: &HeaderMap, account: &str) -> Result<bool, AppError> {
    let Some(mark) = cookie_value(headers, KNOWN_BROWSER_COOKIE) else {
        return Ok(false);
    };
    Ok(crate::secrets::same_secret(
        mark,
        &known_browser_mark(state, account).await?,
    ))
}

/// The link from the mail: a page with a button, so that only a person's click signs in.
///
/// It says which address the link signs in, and whether it was asked for in this browser: a
/// link mailed by someone else to sign a victim in to the sender's account (login CSRF) still
/// works, but only after the page has said so plainly.
pub async fn login_confirm(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(params): Query<NextParam>,
) -> Result<Response, AppError> {
    let Some(email) = state.store.login_token_email(&hash_token(&token), now()).await? else {
        return link_used_up(&state);
    };
    let form = FormView {
        action: format!("/login/{token}"),
        button: "Sign in",
        hidden: vec![("next", safe_next(params.next.as_deref()))],
    };
    let asked_here = cookie_value(&headers, LOGIN_REQUEST_COOKIE)
        .is_some_and(|binding| crate::secrets::same_secret(binding, &browser_binding(&token)));
    let mut paragraphs = vec![format!(
        "This link signs you in to {} as {email}.",
        state.settings.instance_name
    )];
    if asked_here {
        paragraphs.push("Press the button to sign in.".to_owned());
    } else {
        paragraphs.push(
            "This link was not asked for in this browser. If you asked for it on another device, it is safe to go \
             on. If you did not ask for a sign-in link yourself, do not press the button: someone may want you \
             to use their account, and to see what you do there."
                .to_owned(),
        );
    }
    Ok(message_page(&state, "Sign in", paragraphs, Some(form))?.into_response())
}

fn link_used_up(state: &AppState) -> Result<Response, AppError> {
    let paragraphs = vec!["This sign-in link has been used already or has expired. Ask for a new one.".to_owned()];
    let page = message_page(
        state,
        "That link does not work any more",
        paragraphs,
        Some(FormView {
            action: "/login".into(),
            button: "Get a new link",
            hidden: Vec::new(),
        }),
    )?;
    Ok((StatusCode::BAD_REQUEST, page).into_response())
}

pub async fn login_redeem(
    _same_origin: SameOrigin,
    State(state): State<AppState>,
    Path(token): Path<String>,
    Form(params): Form<NextParam>,
) -> Result<Response, AppError> {
    let Some(user) = state.store.redeem_login_token(&hash_token(&token), now()).await? else {
        return link_used_up(&state);
    };
    let session_token = random_token();
    let session = NewSession {
        token_hash: hash_token(&session_token),
        user_id: user.id,
        csrf_token: random_token(),
        expires_at: now() + SESSION_SECONDS,
    };
    state.store.create_session(&session).await?;
    tracing::info!(user = user.id, "signed in");
    let mut response = Redirect::to(&safe_next(params.next.as_deref())).into_response();
    let known = known_browser_mark(&state, &user.email.to_lowercase()).await?;
    let cookies = [
        cookie(&state, SESSION_COOKIE, &session_token, SESSION_SECONDS)?,
        cookie(&state, KNOWN_BROWSER_COOKIE, &known, KNOWN_BROWSER_SECONDS)?,
        cookie(&state, LOGIN_REQUEST_COOKIE, "", 0)?,
    ];
    for value in cookies {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}

pub async fn logout(
    _same_origin: SameOrigin,
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if let Some(token) = session_cookie(&headers) {
        state.store.delete_session(&hash_token(&token)).await?;
    }
    let mut response = Redirect::to("/").into_response();
    forget_session_cookie(&mut response)?;
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub struct DeleteAccountForm {
    confirm: String,
    csrf: String,
}

/// `POST /account/delete`: deletes the member and everything theirs, then signs out.
pub async fn delete_account(
    _same_origin: SameOrigin,
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    headers: HeaderMap,
    Form(form): Form<DeleteAccountForm>,
) -> Result<Response, AppError> {
    let session = checked_session(&state, session, &headers, &form.csrf)?;
    if form.confirm.trim() != "delete" {
        return Ok((
            StatusCode::BAD_REQUEST,
            render_account(
                &state,
                &session,
                "Nothing was deleted: type delete in the box to confirm.",
            )
            .await?,
        )
            .into_response());
    }
    state.store.delete_user(session.user.id, now()).await?;
    tracing::info!(user = session.user.id, "account deleted");
    let mut response = message_page(
        &state,
        "Your account is deleted",
        vec!["Your account and everything in it are gone, and you are signed out.".to_owned()],
        None,
    )?
    .into_response();
    forget_session_cookie(&mut response)?;
    Ok(response)
}

/// Tells the browser to drop its session cookie.
fn forget_session_cookie(response: &mut Response) -> Result<(), AppError> {
    let cookie = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(AppError::internal)?,
    );
    Ok(())
}

pub struct TokenView {
    pub id: i64,
    pub name: String,
    pub created: String,
    pub last_used: String,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    layout: Layout,
    profile_id: String,
    email: String,
    display_name: String,
    csrf: String,
    notice: String,
    tokens: Vec<TokenView>,
    is_admin: bool,
    is_moderator: bool,
    digest_status: String,
    notify_replies: bool,
    notify_papers: bool,
}

async fn render_account(state: &AppState, session: &Session, notice: &str) -> Result<Html<String>, AppError> {
    let layout = Layout::new(
        format!("Your account · {}", state.settings.instance_name),
        &state.settings.instance_name,
    );
    let day = |seconds: i64| {
        jiff::Timestamp::from_second(seconds)
            .map(|t| t.to_zoned_datetime(jiff::tz::TimeZone::UTC).date().to_string())
            .unwrap_or_default()
    };
    let tokens = state
        .store
        .api_tokens(session.user.id)
        .await?
        .into_iter()
        .map(|token| TokenView {
            id: token.id,
            name: token.name,
            created: day(token.created_at),
            last_used: token.last_used_at.map(day).unwrap_or_else(|| "never".to_owned()),
        })
        .collect();
    let digest_status = match state.store.subscription_by_email(&session.user.email).await? {
        Some(subscription) if subscription.status == paperboy_store::SubscriptionStatus::Active => format!(
            "You get a {} digest of up to {} papers.",
            subscription.preferences.frequency, subscription.preferences.max_papers
        ),
        _ => "You do not get a digest.".to_owned(),
    };
    let notifications = state.store.notification_settings(session.user.id).await?;
    let page = AccountPage {
        layout,
        profile_id: session.user.profile_id.clone(),
        email: session.user.email.clone(),
        display_name: session.user.display_name.clone(),
        csrf: session.csrf_token.clone(),
        notice: notice.to_owned(),
        tokens,
        is_admin: session.user.role == paperboy_store::Role::Admin,
        is_moderator: session.user.role.can_moderate(),
        digest_status,
        notify_replies: notifications.replies,
        notify_papers: notifications.papers,
    };
    Ok(Html(page.render().map_err(AppError::internal)?))
}

/// `GET /account/export.json`: everything the instance holds about the signed-in member, as a
/// file to keep (see `crate::member_data`).
pub async fn account_export(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
) -> Result<Response, AppError> {
    let Some(session) = session else {
        return Ok(Redirect::to("/login?next=/account").into_response());
    };
    let data = crate::member_data::export(state.store.as_ref(), &session.user).await?;
    let disposition = format!("attachment; filename=\"paperboy-{}.json\"", session.user.profile_id);
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        axum::Json(data),
    )
        .into_response())
}

pub async fn account(State(state): State<AppState>, CurrentUser(session): CurrentUser) -> Result<Response, AppError> {
    match session {
        Some(session) => Ok(render_account(&state, &session, "").await?.into_response()),
        None => Ok(Redirect::to("/login?next=/account").into_response()),
    }
}

#[derive(Debug, Deserialize)]
pub struct AccountForm {
    display_name: String,
    csrf: String,
}

pub async fn account_update(
    _same_origin: SameOrigin,
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    headers: HeaderMap,
    Form(form): Form<AccountForm>,
) -> Result<Response, AppError> {
    let mut session = checked_session(&state, session, &headers, &form.csrf)?;
    let name = form.display_name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() || name.chars().count() > 60 || name.contains(char::is_control) {
        return Err(AppError::bad_request("A display name is 1 to 60 characters."));
    }
    state.store.set_display_name(session.user.id, &name).await?;
    session.user.display_name = name;
    Ok(render_account(&state, &session, "Saved.").await?.into_response())
}

#[derive(Debug, Deserialize)]
pub struct NotificationsForm {
    replies: Option<String>,
    papers: Option<String>,
    csrf: String,
}

/// `POST /account/notifications`: which discussions a member hears of by e-mail (an unticked
/// box is not sent at all, so a missing field means off).
pub async fn notifications_update(
    _same_origin: SameOrigin,
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    headers: HeaderMap,
    Form(form): Form<NotificationsForm>,
) -> Result<Response, AppError> {
    let session = checked_session(&state, session, &headers, &form.csrf)?;
    let settings = paperboy_store::NotificationSettings {
        replies: form.replies.is_some(),
        papers: form.papers.is_some(),
    };
    state.store.set_notification_settings(session.user.id, settings).await?;
    Ok(render_account(&state, &session, "Saved.").await?.into_response())
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    name: String,
    csrf: String,
}

/// `POST /account/tokens`: makes a personal API token and shows it once.
pub async fn create_token(
    _same_origin: SameOrigin,
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Result<Response, AppError> {
    let session = checked_session(&state, session, &headers, &form.csrf)?;
    let name: String = form
        .name
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(60)
        .collect();
    let name = if name.is_empty() { "API token".to_owned() } else { name };
    let token = format!("pb_{}", random_token());
    state
        .store
        .create_api_token(session.user.id, &name, &hash_token(&token))
        .await?;
    tracing::info!(user = session.user.id, "API token created");
    let notice = format!("Your new token “{name}”: {token} — copy it now; it is not shown again.");
    Ok(render_account(&state, &session, &notice).await?.into_response())
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// `POST /account/tokens/<id>/revoke`.
pub async fn revoke_token(
    _same_origin: SameOrigin,
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    headers: HeaderMap,
    Path(token_id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, AppError> {
    let session = checked_session(&state, session, &headers, &form.csrf)?;
    let revoked = state.store.revoke_api_token(session.user.id, token_id).await?;
    let notice = if revoked {
        "Token revoked."
    } else {
        "There is no such token."
    };
    Ok(render_account(&state, &session, notice).await?.into_response())
}
