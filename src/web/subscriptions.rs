//! Digest subscriptions on the web: subscribe with double opt-in, confirm, manage or leave from
//! a signed link in any digest (no account needed), and RFC 8058 one-click unsubscribe.
//!
//! Nobody may subscribe someone else or learn who is subscribed: the answer to the subscribe
//! form is the same for every address, and only the mailbox's owner gets the link that acts.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use paperboy_core::{DigestPreferences, EmailAddress, Frequency, MAX_PAPERS_LIMIT};
use paperboy_store::{SubscribeRequest, Subscription, SubscriptionStatus};
use serde::Deserialize;

use super::client::ClientIp;
use super::error::AppError;
use super::forms::{FormView, hash_token, message_page, random_token};
use super::guard::CrossSiteAllowed;
use super::guard::{CurrentUser, SameOrigin, checked_session, now, rate_limit, within_limit};
use super::state::AppState;
use super::views::Layout;
use crate::limits::Limit;
use crate::mail::Email;

/// How long a confirmation link works.
const CONFIRMATION_HOURS: i64 = 48;

/// The preference fields as a form shows them.
pub struct PreferencesView {
    pub daily: bool,
    pub categories: String,
    pub keywords: String,
    pub max_papers: String,
    pub for_you: bool,
    /// Whether the form offers the For you order: only a member's own account page does.
    pub offer_for_you: bool,
}

impl PreferencesView {
    pub fn of(preferences: &DigestPreferences) -> PreferencesView {
        PreferencesView {
            daily: preferences.frequency == Frequency::Daily,
            categories: preferences.categories_text(),
            keywords: preferences.keywords_text(),
            max_papers: preferences.max_papers.to_string(),
            for_you: preferences.for_you,
            offer_for_you: false,
        }
    }

    fn offering_for_you(mut self) -> PreferencesView {
        self.offer_for_you = true;
        self
    }

    fn typed(form: &PreferencesForm) -> PreferencesView {
        let clip = |text: &str| text.chars().take(400).collect::<String>();
        PreferencesView {
            daily: form.frequency.as_deref() != Some("weekly"),
            categories: clip(form.categories.as_deref().unwrap_or("")),
            keywords: clip(form.keywords.as_deref().unwrap_or("")),
            max_papers: clip(form.max_papers.as_deref().unwrap_or("")),
            for_you: form.order.as_deref() == Some("for_you"),
            offer_for_you: false,
        }
    }
}

/// The fields every subscription form shares.
#[derive(Debug, Default, Deserialize)]
pub struct PreferencesForm {
    frequency: Option<String>,
    categories: Option<String>,
    keywords: Option<String>,
    max_papers: Option<String>,
    /// trending, or for_you (a member's own list); absent keeps what was chosen.
    order: Option<String>,
}

impl PreferencesForm {
    fn parse(&self) -> Result<DigestPreferences, paperboy_core::PreferencesError> {
        DigestPreferences::parse(
            self.frequency.as_deref().unwrap_or(""),
            self.categories.as_deref().unwrap_or(""),
            self.keywords.as_deref().unwrap_or(""),
            self.max_papers.as_deref().unwrap_or(""),
        )
    }
}

#[derive(Template)]
#[template(path = "subscribe.html")]
struct SubscribePage {
    layout: Layout,
    email: String,
    preferences: PreferencesView,
    max_limit: u32,
    error: String,
}

fn render_subscribe(
    state: &AppState,
    email: String,
    preferences: PreferencesView,
    error: String,
) -> Result<Html<String>, AppError> {
    let layout = Layout::new(
        format!("Subscribe · {}", state.settings.instance_name),
        &state.settings.instance_name,
    );
    let page = SubscribePage {
        layout,
        email,
        preferences,
        max_limit: MAX_PAPERS_LIMIT,
        error,
    };
    Ok(Html(page.render().map_err(AppError::internal)?))
}

/// `GET /subscribe`. Members manage their digest from their account.
pub async fn form(State(state): State<AppState>, CurrentUser(session): CurrentUser) -> Result<Response, AppError> {
    if session.is_some() {
        return Ok(Redirect::to("/account/subscription").into_response());
    }
    Ok(render_subscribe(
        &state,
        String::new(),
        PreferencesView::of(&DigestPreferences::default()),
        String::new(),
    )?
    .into_response())
}

#[derive(Debug, Deserialize)]
pub struct SubscribeForm {
    email: String,
    #[serde(flatten)]
    preferences: PreferencesForm,
}

/// `POST /subscribe`: asks the mailbox to confirm. The answer never depends on the address.
pub async fn subscribe(
    _same_origin: SameOrigin,
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    Form(form): Form<SubscribeForm>,
) -> Result<Response, AppError> {
    let typed_email: String = form.email.chars().take(254).collect();
    let parsed = EmailAddress::parse(&form.email)
        .map_err(|error| error.to_string())
        .and_then(|email| Ok((email, form.preferences.parse().map_err(|error| error.to_string())?)));
    let (email, preferences) = match parsed {
        Ok(parsed) => parsed,
        Err(message) => {
            let page = render_subscribe(&state, typed_email, PreferencesView::typed(&form.preferences), message)?;
            return Ok((StatusCode::BAD_REQUEST, page).into_response());
        }
    };
    rate_limit(&state, Limit::SubscribeRequests, &client.to_string()).await?;
    // Past the per-address limit nothing is sent, but the answer stays the same, so the
    // limit cannot be used to learn anything about the address.
    if within_limit(&state, Limit::ConfirmationsPerAddress, &email.account_key()).await? {
        let token = random_token();
        let request = state
            .store
            .request_subscription(
                email.as_str(),
                &preferences,
                &hash_token(&token),
                now() + CONFIRMATION_HOURS * 3600,
                now(),
            )
            .await?;
        let mail = match request {
            SubscribeRequest::ConfirmationNeeded(subscription) => {
                confirmation_mail(&state, &email, &subscription, &token)
            }
            SubscribeRequest::AlreadyActive(subscription) => already_subscribed_mail(&state, &email, &subscription),
        };
        if let Err(error) = state.mailer.send(mail).await {
            tracing::error!(error = format!("{error:#}"), "subscription mail not sent");
        }
    } else {
        tracing::warn!("confirmation mails for one address are over the daily limit; none sent");
    }
    tracing::info!(client = %client, "digest subscription requested");
    let mut paragraphs = vec![format!(
        "If {email} is a working address, a message is on its way to it. Open the link in it within {CONFIRMATION_HOURS} hours to start your digest; nothing is sent until you do."
    )];
    if let Some(directory) = state.mailer.mail_directory() {
        paragraphs.push(format!(
            "This instance has no mail server configured: messages are written as .eml files to {}.",
            directory.display()
        ));
    }
    Ok(message_page(&state, "Check your inbox", paragraphs, None)?.into_response())
}

fn describe(preferences: &DigestPreferences) -> String {
    format!(
        "{} digest of up to {} papers, {}",
        preferences.frequency,
        preferences.max_papers,
        preferences.topics()
    )
}

fn confirmation_mail(state: &AppState, email: &EmailAddress, subscription: &Subscription, token: &str) -> Email {
    let link = format!("{}/subscribe/confirm/{token}", state.settings.public_url);
    let text = format!(
        "Hello,\n\nsomeone (we hope you) asked for {name}'s trending papers to be sent to this address: a {what}.\n\nTo start, open this link within {CONFIRMATION_HOURS} hours:\n\n{link}\n\nIf you did not ask, ignore this message: without the link nothing is ever sent.\n",
        name = state.settings.instance_name,
        what = describe(&subscription.preferences),
    );
    Email::text(
        email.clone(),
        format!("Confirm your {} digest", state.settings.instance_name),
        text,
    )
}

fn already_subscribed_mail(state: &AppState, email: &EmailAddress, subscription: &Subscription) -> Email {
    let text = format!(
        "Hello,\n\nsomeone (we hope you) asked to subscribe this address to {name}'s digest. It is subscribed already: a {what}.\n\nTo change it or unsubscribe, open:\n\n{manage}\n\nIf you did not ask, ignore this message; nothing has changed.\n",
        name = state.settings.instance_name,
        what = describe(&subscription.preferences),
        manage = state.digests.manage_url(subscription),
    );
    Email::text(
        email.clone(),
        format!("Your {} digest", state.settings.instance_name),
        text,
    )
}

/// `GET /subscribe/confirm/<token>`: a button, because mail scanners open links on their own.
pub async fn confirm_page(State(state): State<AppState>, Path(token): Path<String>) -> Result<Html<String>, AppError> {
    message_page(
        &state,
        "Confirm your subscription",
        vec!["Press the button to start getting the digest you asked for.".to_owned()],
        Some(FormView {
            action: format!("/subscribe/confirm/{token}"),
            button: "Start my digest",
            hidden: Vec::new(),
        }),
    )
}

/// `POST /subscribe/confirm/<token>`.
pub async fn confirm(
    _same_origin: SameOrigin,
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let Some(subscription) = state.store.confirm_subscription(&hash_token(&token), now()).await? else {
        let page = message_page(
            &state,
            "That link does not work any more",
            vec![
                "This confirmation link has been used already or has expired. Subscribe again to get a new one."
                    .to_owned(),
            ],
            None,
        )?;
        return Ok((StatusCode::BAD_REQUEST, page).into_response());
    };
    tracing::info!(subscription = subscription.id, "digest subscription confirmed");
    Ok(Redirect::to(&format!("{}?confirmed=1", manage_path(&state, &subscription))).into_response())
}

fn manage_path(state: &AppState, subscription: &Subscription) -> String {
    let url = state.digests.manage_url(subscription);
    url.strip_prefix(&state.settings.public_url).unwrap_or(&url).to_owned()
}

#[derive(Template)]
#[template(path = "subscription.html")]
struct ManagePage {
    layout: Layout,
    action: String,
    email: String,
    status: &'static str,
    active: bool,
    preferences: PreferencesView,
    max_limit: u32,
    notice: String,
    error: String,
    csrf: String,
}

struct ManageView<'a> {
    action: String,
    csrf: String,
    subscription: Option<&'a Subscription>,
    email: &'a str,
}

fn render_manage(
    state: &AppState,
    view: ManageView<'_>,
    preferences: PreferencesView,
    notice: &str,
    error: &str,
) -> Result<Html<String>, AppError> {
    let layout = Layout::new(
        format!("Your digest · {}", state.settings.instance_name),
        &state.settings.instance_name,
    );
    let status = view
        .subscription
        .map_or("not subscribed", |subscription| match subscription.status {
            SubscriptionStatus::Active => "subscribed",
            SubscriptionStatus::Pending => "waiting for confirmation from the mailbox",
            SubscriptionStatus::Unsubscribed => "unsubscribed",
            SubscriptionStatus::Bounced => "paused: mail to this address kept bouncing",
        });
    let page = ManagePage {
        layout,
        action: view.action,
        email: view.email.to_owned(),
        status,
        active: view
            .subscription
            .is_some_and(|subscription| subscription.status == SubscriptionStatus::Active),
        preferences,
        max_limit: MAX_PAPERS_LIMIT,
        notice: notice.to_owned(),
        error: error.to_owned(),
        csrf: view.csrf,
    };
    Ok(Html(page.render().map_err(AppError::internal)?))
}

async fn linked_subscription(state: &AppState, link: &str) -> Result<Subscription, AppError> {
    state
        .digests
        .subscription_for_link(link)
        .await
        .map_err(AppError::internal)?
        .ok_or_else(|| AppError::not_found("This link is not valid. Use the link in your latest digest."))
}

#[derive(Debug, Deserialize)]
pub struct Confirmed {
    confirmed: Option<String>,
}

/// `GET /subscription/<link>`: change or end a subscription from the link in a digest.
pub async fn manage(
    State(state): State<AppState>,
    Path(link): Path<String>,
    axum::extract::Query(query): axum::extract::Query<Confirmed>,
) -> Result<Html<String>, AppError> {
    let subscription = linked_subscription(&state, &link).await?;
    let notice = if query.confirmed.is_some() {
        "Confirmed: your digest starts with the next issue."
    } else {
        ""
    };
    render_manage(
        &state,
        ManageView {
            action: format!("/subscription/{link}"),
            csrf: String::new(),
            subscription: Some(&subscription),
            email: &subscription.email,
        },
        PreferencesView::of(&subscription.preferences),
        notice,
        "",
    )
}

#[derive(Debug, Deserialize)]
pub struct ManageForm {
    action: String,
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    preferences: PreferencesForm,
}

/// What a manage form asked for, applied to `subscription` (or to a new one for `email`).
async fn apply(
    state: &AppState,
    email: &str,
    subscription: Option<&Subscription>,
    form: &ManageForm,
) -> Result<Result<&'static str, String>, AppError> {
    match form.action.as_str() {
        "unsubscribe" => {
            if let Some(subscription) = subscription {
                state.store.unsubscribe(subscription.id, now()).await?;
                tracing::info!(subscription = subscription.id, "unsubscribed");
            }
            Ok(Ok("Unsubscribed: no more digests will be sent to this address."))
        }
        "save" => {
            let mut preferences = match form.preferences.parse() {
                Ok(preferences) => preferences,
                Err(error) => return Ok(Err(error.to_string())),
            };
            preferences.for_you = match form.preferences.order.as_deref() {
                None => subscription.is_some_and(|s| s.preferences.for_you),
                Some("for_you") => true,
                Some("trending") => false,
                Some(other) => {
                    return Ok(Err(format!(
                        "order must be trending or for_you, not {:?}",
                        other.chars().take(40).collect::<String>()
                    )));
                }
            };
            match subscription {
                Some(subscription) if subscription.status == SubscriptionStatus::Active => {
                    state
                        .store
                        .update_subscription(subscription.id, &preferences, now())
                        .await?;
                    Ok(Ok("Saved: the next digest follows these settings."))
                }
                // Whoever holds a signed link or a session has shown they own the mailbox, so
                // coming back (or a member starting) needs no further confirmation.
                _ => {
                    state.store.subscribe_confirmed(email, &preferences, now()).await?;
                    Ok(Ok("Subscribed: your digest starts with the next issue."))
                }
            }
        }
        other => Err(AppError::bad_request(format!(
            "action must be save or unsubscribe, not {:?}",
            other.chars().take(40).collect::<String>()
        ))),
    }
}

/// `POST /subscription/<link>`: save preferences, unsubscribe, or subscribe again.
pub async fn manage_update(
    _same_origin: SameOrigin,
    State(state): State<AppState>,
    Path(link): Path<String>,
    Form(form): Form<ManageForm>,
) -> Result<Response, AppError> {
    let subscription = linked_subscription(&state, &link).await?;
    let result = apply(&state, &subscription.email, Some(&subscription), &form).await?;
    let current = state.store.subscription(subscription.id).await?;
    let view = ManageView {
        action: format!("/subscription/{link}"),
        csrf: String::new(),
        subscription: current.as_ref(),
        email: &subscription.email,
    };
    Ok(match result {
        Ok(notice) => {
            let preferences = PreferencesView::of(&current.as_ref().unwrap_or(&subscription).preferences);
            render_manage(&state, view, preferences, notice, "")?.into_response()
        }
        Err(error) => (
            StatusCode::BAD_REQUEST,
            render_manage(&state, view, PreferencesView::typed(&form.preferences), "", &error)?,
        )
            .into_response(),
    })
}

/// Whether a one-click body says `List-Unsubscribe=One-Click`. RFC 8058 §3.1 asks for
/// multipart/form-data and allows application/x-www-form-urlencoded; both are read.
fn is_one_click(content_type: &str, body: &[u8]) -> bool {
    let body = String::from_utf8_lossy(body);
    if content_type.starts_with("multipart/form-data") {
        // One part named List-Unsubscribe whose value is One-Click.
        return body.split("Content-Disposition:").skip(1).any(|part| {
            let (headers, value) = part.split_once("\r\n\r\n").unwrap_or((part, ""));
            headers.contains("name=\"List-Unsubscribe\"")
                && value.split("\r\n").next().map(str::trim) == Some("One-Click")
        });
    }
    body.trim().split('&').any(|pair| pair == "List-Unsubscribe=One-Click")
}

/// `POST /unsubscribe/<link>` with `List-Unsubscribe=One-Click` (RFC 8058): unsubscribes at
/// once, with no page in between. Mail providers send it from their servers, so there is no
/// same-origin check; the signed link is the proof.
pub async fn one_click(
    _cross_site: CrossSiteAllowed,
    State(state): State<AppState>,
    Path(link): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    if !is_one_click(content_type, &body) {
        return Err(AppError::bad_request("expected List-Unsubscribe=One-Click (RFC 8058)"));
    }
    let subscription = linked_subscription(&state, &link).await?;
    state.store.unsubscribe(subscription.id, now()).await?;
    tracing::info!(subscription = subscription.id, "unsubscribed by one click");
    Ok(message_page(
        &state,
        "Unsubscribed",
        vec![format!(
            "No more digests will be sent to {}. Changed your mind? Open the link to your settings: {}",
            subscription.email,
            state.digests.manage_url(&subscription)
        )],
        None,
    )?
    .into_response())
}

/// `GET /unsubscribe/<link>`: a button, because opening a link must not unsubscribe (scanners).
pub async fn one_click_page(State(state): State<AppState>, Path(link): Path<String>) -> Result<Html<String>, AppError> {
    let subscription = linked_subscription(&state, &link).await?;
    message_page(
        &state,
        "Unsubscribe",
        vec![format!("Stop sending digests to {}?", subscription.email)],
        Some(FormView {
            action: format!("/unsubscribe/{link}"),
            button: "Unsubscribe",
            hidden: vec![("List-Unsubscribe", "One-Click".to_owned())],
        }),
    )
}

/// The member a comment-mail link stands for, or a clear 404.
async fn linked_member(state: &AppState, link: &str) -> Result<paperboy_store::User, AppError> {
    state
        .digests
        .member_for_link(link)
        .await
        .map_err(AppError::internal)?
        .ok_or_else(|| {
            AppError::not_found("This link is not valid (any more). Choose what you hear of on your account page.")
        })
}

/// `POST /notifications/unsubscribe/<link>`: RFC 8058's one click, from a mail about comments:
/// no more such mails, of either kind.
pub async fn comment_mails_one_click(
    _cross_site: CrossSiteAllowed,
    State(state): State<AppState>,
    Path(link): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    if !is_one_click(content_type, &body) {
        return Err(AppError::bad_request("expected List-Unsubscribe=One-Click (RFC 8058)"));
    }
    let member = linked_member(&state, &link).await?;
    let off = paperboy_store::NotificationSettings {
        replies: false,
        papers: false,
    };
    state.store.set_notification_settings(member.id, off).await?;
    tracing::info!(user = member.id, "comment mails turned off by one click");
    Ok(message_page(
        &state,
        "Unsubscribed",
        vec![format!(
            "No more mails about discussions will be sent to {}. You can turn them on again on your account page.",
            member.email
        )],
        None,
    )?
    .into_response())
}

/// `GET /notifications/unsubscribe/<link>`: a button, because opening a link must not act.
pub async fn comment_mails_one_click_page(
    State(state): State<AppState>,
    Path(link): Path<String>,
) -> Result<Html<String>, AppError> {
    let member = linked_member(&state, &link).await?;
    message_page(
        &state,
        "Stop mails about discussions",
        vec![format!(
            "Stop sending {} mails about replies and new comments?",
            member.email
        )],
        Some(FormView {
            action: format!("/notifications/unsubscribe/{link}"),
            button: "Unsubscribe",
            hidden: vec![("List-Unsubscribe", "One-Click".to_owned())],
        }),
    )
}

/// `GET /account/subscription`: a member's own digest, no link needed.
pub async fn account_page(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
) -> Result<Response, AppError> {
    let Some(session) = session else {
        return Ok(Redirect::to("/login?next=/account/subscription").into_response());
    };
    let subscription = state.store.subscription_by_email(&session.user.email).await?;
    let preferences = subscription
        .as_ref()
        .filter(|subscription| subscription.status == SubscriptionStatus::Active)
        .map_or_else(
            || PreferencesView::of(&DigestPreferences::default()),
            |subscription| PreferencesView::of(&subscription.preferences),
        )
        .offering_for_you();
    let view = ManageView {
        action: "/account/subscription".to_owned(),
        csrf: session.csrf_token.clone(),
        subscription: subscription.as_ref(),
        email: &session.user.email,
    };
    Ok(render_manage(&state, view, preferences, "", "")?.into_response())
}

/// `POST /account/subscription`: a member's own digest.
pub async fn account_update(
    _same_origin: SameOrigin,
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    headers: HeaderMap,
    Form(form): Form<ManageForm>,
) -> Result<Response, AppError> {
    let session = checked_session(&state, session, &headers, &form.csrf)?;
    let email = session.user.email.clone();
    let subscription = state.store.subscription_by_email(&email).await?;
    let result = apply(&state, &email, subscription.as_ref(), &form).await?;
    let current = state.store.subscription_by_email(&email).await?;
    let view = ManageView {
        action: "/account/subscription".to_owned(),
        csrf: session.csrf_token.clone(),
        subscription: current.as_ref(),
        email: &email,
    };
    Ok(match result {
        Ok(notice) => {
            let preferences = current.as_ref().map_or_else(
                || PreferencesView::of(&DigestPreferences::default()),
                |s| PreferencesView::of(&s.preferences),
            );
            render_manage(&state, view, preferences.offering_for_you(), notice, "")?.into_response()
        }
        Err(error) => (
            StatusCode::BAD_REQUEST,
            render_manage(
                &state,
                view,
                PreferencesView::typed(&form.preferences).offering_for_you(),
                "",
                &error,
            )?,
        )
            .into_response(),
    })
}

#[cfg(test)]
mod tests {
    use super::is_one_click;

    #[test]
    fn one_click_bodies_are_read_in_both_encodings() {
        assert!(is_one_click(
            "application/x-www-form-urlencoded",
            b"List-Unsubscribe=One-Click"
        ));
        let multipart =
            b"--b\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--b--\r\n";
        assert!(is_one_click("multipart/form-data; boundary=b", multipart));
        assert!(!is_one_click(
            "application/x-www-form-urlencoded",
            b"List-Unsubscribe=Maybe"
        ));
        assert!(!is_one_click("application/x-www-form-urlencoded", b""));
        let other_field = b"--b\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nOne-Click\r\n--b--\r\n";
        assert!(!is_one_click("multipart/form-data; boundary=b", other_field));
    }
}
