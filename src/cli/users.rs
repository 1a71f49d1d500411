//! `paperboy users list | promote EMAIL | demote EMAIL | ban EMAIL | unban EMAIL | export EMAIL`

use anyhow::bail;
use paperboy_store::Role;

use crate::cli::{Context, init_logging, runtime};

pub fn list(context: &Context) -> anyhow::Result<u8> {
    let config = context.config()?;
    let _log_guard = init_logging(&config);
    let users = runtime()?.block_on(async { anyhow::Ok(context.open_store().await?.users().await?) })?;
    if users.is_empty() {
        println!("no accounts yet (an account is made on first sign-in)");
    }
    for user in users {
        println!(
            "{:>5}  {:<8}  {:<40}  {}",
            user.id,
            user.role.as_str(),
            user.email,
            user.display_name
        );
    }
    Ok(0)
}

/// Gives the account with this address a role; it must have signed in once.
pub fn set_role(context: &Context, email: &str, role: Role) -> anyhow::Result<u8> {
    let config = context.config()?;
    let _log_guard = init_logging(&config);
    let found = runtime()?.block_on(async { anyhow::Ok(context.open_store().await?.set_role(email, role).await?) })?;
    if !found {
        bail!("no account for {email}: it is made on first sign-in");
    }
    tracing::info!(email, role = role.as_str(), "role changed");
    println!("{email} is now {}", role.as_str());
    Ok(0)
}

/// Prints the account's data as JSON (`crate::member_data`).
pub fn export(context: &Context, email: &str) -> anyhow::Result<u8> {
    let config = context.config()?;
    let _log_guard = init_logging(&config);
    let data = runtime()?.block_on(async {
        let store = context.open_store().await?;
        let user = store
            .users()
            .await?
            .into_iter()
            .find(|user| user.email.eq_ignore_ascii_case(email.trim()));
        let Some(user) = user else {
            bail!("no account for {email}: it is made on first sign-in");
        };
        anyhow::Ok(crate::member_data::export(store.as_ref(), &user).await?)
    })?;
    println!("{}", serde_json::to_string_pretty(&data)?);
    Ok(0)
}
