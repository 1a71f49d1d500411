//! List cards rendered once per paper revision and reused by every list page that shows them.
//!
//! A vote empties the page cache, and every list page is rendered again; but only the voted
//! paper's card changed. A card is kept with what it shows besides the paper's text (votes,
//! comments, the day it is dated, who submitted it) and the paper's revision in the rankings
//! in memory, which moves whenever anything about the paper is written. A page then reads and
//! renders only the papers whose card is missing or out of date.
//!
//! The vote and save forms of a card send the visitor back to the page they came from, which
//! differs between pages showing the same card: a card is rendered with a marker there, kept in
//! pieces around it, and joined with each page's own address.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use askama::Template;
use paperboy_core::{ArxivId, Date};
use paperboy_store::{Store, StoreError};

use super::views::CardView;
use crate::lists::{Placed, Placement};

/// Bytes of cards kept: a card is 2–3 KB, so about 12,000 cards. Past it all are dropped and
/// made again as pages ask (rare: the pages people read show a few thousand papers).
const BUDGET: usize = 32 * 1024 * 1024;

#[derive(Template)]
#[template(path = "card.html")]
struct CardTemplate<'a> {
    card: &'a CardView,
}

pub struct CardCache {
    cards: Mutex<Cards>,
    /// Stands for the page's address in a kept card: random, so that no paper's text holds it.
    marker: String,
}

#[derive(Default)]
struct Cards {
    /// By paper, and whether the card shows the day it is dated (multi-day lists).
    by_paper: HashMap<(ArxivId, bool), Arc<Card>>,
    bytes: usize,
}

struct Card {
    /// `None` for a card made from a list read from the database, which is not kept.
    stamp: Option<Stamp>,
    /// The card's HTML, split where the page's address goes.
    pieces: Vec<String>,
}

impl Card {
    /// Bytes it holds, with the map's slot.
    fn cost(&self) -> usize {
        self.pieces.iter().map(String::len).sum::<usize>() + 256
    }
}

/// What a card shows besides the paper's text, and the paper's revision.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Stamp {
    revision: u64,
    votes: i64,
    comments: i64,
    listed: Date,
    submitted_by: Option<String>,
}

impl Stamp {
    fn of(placed: &Placed) -> Option<Stamp> {
        Some(Stamp {
            revision: placed.revision?,
            votes: placed.score.votes(),
            comments: placed.comments,
            listed: placed.listed,
            submitted_by: placed.submitted_by.clone(),
        })
    }
}

impl Default for CardCache {
    fn default() -> Self {
        CardCache {
            cards: Mutex::default(),
            marker: format!("\u{1}{}\u{1}", crate::secrets::random_token()),
        }
    }
}

impl CardCache {
    /// The cards of `placement`'s papers, in its order, as `<li>` items whose forms send the
    /// visitor back to `back`. Reads and renders only the papers without a card up to date;
    /// papers placed without a revision (lists read from the database) are rendered afresh.
    pub async fn render(
        &self,
        store: &dyn Store,
        placement: &Placement,
        show_listed: bool,
        back: &str,
    ) -> Result<String, StoreError> {
        let mut cards: Vec<Option<Arc<Card>>> = {
            let kept = self.cards.lock().expect("card cache lock");
            placement
                .placed
                .iter()
                .map(|placed| {
                    let card = kept.by_paper.get(&(placed.id.clone(), show_listed))?;
                    let fresh = Stamp::of(placed).is_some_and(|stamp| card.stamp.as_ref() == Some(&stamp));
                    fresh.then(|| Arc::clone(card))
                })
                .collect()
        };
        let missing: Vec<ArxivId> = placement
            .placed
            .iter()
            .zip(&cards)
            .filter(|(_, card)| card.is_none())
            .map(|(placed, _)| placed.id.clone())
            .collect();
        if !missing.is_empty() {
            let mut papers: HashMap<ArxivId, paperboy_core::Paper> = store
                .papers_by_ids(&missing)
                .await?
                .into_iter()
                .map(|paper| (paper.id.clone(), paper))
                .collect();
            for (placed, card) in placement.placed.iter().zip(&mut cards) {
                if card.is_some() {
                    continue;
                }
                // A paper deleted since it was placed is left out.
                let Some(paper) = papers.remove(&placed.id) else {
                    continue;
                };
                *card = Some(self.make(placed, paper, show_listed));
            }
        }
        let back = askama::filters::escape(back, askama::filters::Html)
            .map(|escaped| escaped.to_string())
            .unwrap_or_default();
        let mut html = String::new();
        for card in cards.iter().flatten() {
            html.push_str("<li>");
            html.push_str(&card.pieces.join(&back));
            html.push_str("</li>\n");
        }
        Ok(html)
    }

    /// Renders a card, and keeps it if the paper has a revision.
    fn make(&self, placed: &Placed, paper: paperboy_core::Paper, show_listed: bool) -> Arc<Card> {
        metrics::counter!("card_renders_total").increment(1);
        let entry = crate::lists::Entry {
            paper,
            score: placed.score,
            listed: placed.listed,
            submitted_by: placed.submitted_by.clone(),
            comments: placed.comments,
        };
        let view = CardView::from_entry(&entry, show_listed, &self.marker);
        let html = CardTemplate { card: &view }
            .render()
            .unwrap_or_else(|error| format!("<!-- {error} -->"));
        let card = Arc::new(Card {
            stamp: Stamp::of(placed),
            pieces: html.split(self.marker.as_str()).map(str::to_owned).collect(),
        });
        if card.stamp.is_some() {
            let mut kept = self.cards.lock().expect("card cache lock");
            if kept.bytes + card.cost() > BUDGET {
                kept.by_paper.clear();
                kept.bytes = 0;
            }
            kept.bytes += card.cost();
            if let Some(replaced) = kept
                .by_paper
                .insert((entry.paper.id.clone(), show_listed), Arc::clone(&card))
            {
                kept.bytes -= replaced.cost();
            }
        }
        card
    }
}
