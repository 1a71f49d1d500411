//! Small text helpers shared by the format readers: whitespace, TeX accents in names, author
//! lists and the date forms arXiv and Hugging Face write.

use jiff::civil::{Date, Weekday};
use jiff::{Timestamp, tz::TimeZone};

/// Collapses runs of whitespace (arXiv hard-wraps titles and abstracts) into single spaces.
pub fn squash_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// `Some(squashed)` unless the text is empty after squashing.
pub fn non_empty(text: Option<&str>) -> Option<String> {
    text.map(squash_whitespace).filter(|text| !text.is_empty())
}

/// `2025-03-18` → date.
pub fn iso_date(text: &str) -> Result<Date, String> {
    text.trim()
        .parse::<Date>()
        .map_err(|_| format!("{text:?} is not a date (YYYY-MM-DD)"))
}

/// `2026-02-02T00:00:00.000Z` → timestamp.
pub fn iso_timestamp(text: &str) -> Result<Timestamp, String> {
    text.trim()
        .parse::<Timestamp>()
        .map_err(|_| format!("{text:?} is not an RFC 3339 timestamp"))
}

/// The UTC date of an RFC 3339 timestamp, or a plain date.
pub fn date_of_timestamp(text: &str) -> Result<Date, String> {
    match iso_timestamp(text) {
        Ok(timestamp) => Ok(timestamp.to_zoned_datetime(TimeZone::UTC).date()),
        Err(error) => iso_date(text).map_err(|_| error),
    }
}

/// `Mon, 2 Apr 2007 19:18:42 GMT` or `Thu, 24 Sep 2026 00:00:00 -0400` → the date in the
/// offset the text gives (arXiv stamps announcements in US Eastern time).
pub fn rfc2822_date(text: &str) -> Result<Date, String> {
    jiff::fmt::rfc2822::parse(text.trim())
        .map(|zoned| zoned.date())
        .map_err(|_| format!("{text:?} is not an RFC 2822 date"))
}

/// The listing exports repeat Friday's listing on Saturday and Sunday; arXiv itself lists
/// nothing on weekends, so a weekend date means the Friday before.
pub fn weekday_listing(date: Date) -> Date {
    match date.weekday() {
        Weekday::Saturday => date.yesterday().unwrap_or(date),
        Weekday::Sunday => date.checked_sub(jiff::Span::new().days(2)).unwrap_or(date),
        _ => date,
    }
}

/// Splits arXiv's free-text author field (`A, B and C`, affiliations in parentheses).
pub fn split_author_list(text: &str) -> Vec<String> {
    let mut without_affiliations = String::with_capacity(text.len());
    let mut depth = 0usize;
    for character in text.chars() {
        match character {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => without_affiliations.push(character),
            _ => {}
        }
    }
    let squashed = squash_whitespace(&without_affiliations);
    squashed
        .split(',')
        .flat_map(|part| part.split(" and "))
        .map(|name| tex_to_unicode(name.trim()))
        .filter(|name| !name.is_empty())
        .collect()
}

/// Turns the TeX accents arXiv keeps in author names (`Bal\'azs`, `M{\"u}ller`, `\v{S}imon`)
/// into the letters they stand for, and drops grouping braces.
pub fn tex_to_unicode(text: &str) -> String {
    if !text.contains('\\') && !text.contains('{') {
        return text.to_owned();
    }
    let characters: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut index = 0;
    while index < characters.len() {
        let character = characters[index];
        match character {
            '{' | '}' => index += 1,
            '\\' => {
                let (replacement, consumed) = tex_command(&characters[index + 1..]);
                match replacement {
                    Some(replacement) => out.push_str(&replacement),
                    None => out.push('\\'),
                }
                index += 1 + consumed;
            }
            _ => {
                out.push(character);
                index += 1;
            }
        }
    }
    out
}

/// Reads one TeX command after a backslash; returns what it stands for and how many chars it used.
fn tex_command(rest: &[char]) -> (Option<String>, usize) {
    let Some(&command) = rest.first() else {
        return (None, 0);
    };
    // `\c`, `\v`, `\H`, `\u`, `\k` are accents only when an argument follows (`\c{c}`, `\v s`).
    let letter_accent = "cvHuk".contains(command) && matches!(rest.get(1), Some('{' | ' '));
    if "'`^\"~=.".contains(command) || letter_accent {
        // The accented letter: `\'a`, `\'{a}`, `\c c`, `\c{c}`, `\'\i`.
        let mut position = 1;
        while rest.get(position) == Some(&' ') && command.is_ascii_alphabetic() {
            position += 1;
        }
        let braced = rest.get(position) == Some(&'{');
        if braced {
            position += 1;
        }
        let mut base = rest.get(position).copied();
        if base == Some('\\') && rest.get(position + 1) == Some(&'i') {
            base = Some('i');
            position += 1;
        }
        let Some(base) = base else {
            return (None, 0);
        };
        position += 1;
        if braced && rest.get(position) == Some(&'}') {
            position += 1;
        }
        let letter = compose(command, base)
            .map(String::from)
            .unwrap_or_else(|| base.to_string());
        return (Some(letter), position);
    }
    let word: String = rest.iter().take_while(|c| c.is_ascii_alphabetic()).collect();
    let letter = match word.as_str() {
        "o" => "ø",
        "O" => "Ø",
        "ss" => "ß",
        "l" => "ł",
        "L" => "Ł",
        "aa" => "å",
        "AA" => "Å",
        "ae" => "æ",
        "AE" => "Æ",
        "oe" => "œ",
        "OE" => "Œ",
        "i" => "ı",
        _ => {
            // `\&` and friends: keep the escaped character itself.
            return match rest.first() {
                Some(c) if !c.is_ascii_alphabetic() => (Some(c.to_string()), 1),
                _ => (None, 0),
            };
        }
    };
    // In TeX a space after a command word only ends the word (`\o nberg` is `ønberg`).
    let swallowed_space = usize::from(rest.get(word.len()) == Some(&' '));
    (Some(letter.to_owned()), word.len() + swallowed_space)
}

/// Precomposed letters for the accents that occur in author names.
fn compose(accent: char, base: char) -> Option<char> {
    let table: &str = match accent {
        '\'' => "aáeéiíoóuúyýAÁEÉIÍOÓUÚYÝcćCĆnńNŃsśSŚzźZŹlĺLĹrŕRŔgǵ",
        '`' => "aàeèiìoòuùAÀEÈIÌOÒUÙ",
        '^' => "aâeêiîoôuûAÂEÊIÎOÔUÛcĉgĝhĥjĵsŝwŵyŷ",
        '"' => "aäeëiïoöuüyÿAÄEËIÏOÖUÜ",
        '~' => "aãoõnñAÃOÕNÑiĩuũ",
        '=' => "aāeēiīoōuūAĀEĒIĪOŌUŪ",
        '.' => "zżZŻeėEĖgġIİcċCĊ",
        'c' => "cçCÇsşSŞtţTŢgģkķlļnņrŗ",
        'v' => "cčCČsšSŠzžZŽrřRŘeěEĚnňNŇdďDĎtťTŤ",
        'H' => "oőOŐuűUŰ",
        'u' => "aăAĂgğGĞuŭ",
        'k' => "aąAĄeęEĘ",
        _ => return None,
    };
    let characters: Vec<char> = table.chars().collect();
    characters.chunks(2).find(|pair| pair[0] == base).map(|pair| pair[1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn converts_tex_accents_in_names() {
        assert_eq!(tex_to_unicode(r"C. Bal\'azs"), "C. Balázs");
        assert_eq!(tex_to_unicode(r#"M{\"u}ller"#), "Müller");
        assert_eq!(tex_to_unicode(r"\v{S}imon \c{C}elik"), "Šimon Çelik");
        assert_eq!(tex_to_unicode(r"Ni\~no Sch\o nberg Gau\ss"), "Niño Schønberg Gauß");
        assert_eq!(tex_to_unicode(r"Mart\'{\i}nez"), "Martínez");
        assert_eq!(tex_to_unicode(r"Erd\H{o}s"), "Erdős");
        assert_eq!(tex_to_unicode("plain"), "plain");
        assert_eq!(tex_to_unicode("trailing \\"), "trailing \\");
    }

    #[test]
    fn splits_author_lists() {
        assert_eq!(
            split_author_list("C. Bal\\'azs, E. L. Berger (ANL), P. M. Nadolsky and C.-P. Yuan"),
            ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"]
        );
    }

    #[test]
    fn reads_the_date_forms() {
        assert_eq!(rfc2822_date("Mon, 2 Apr 2007 19:18:42 GMT").unwrap(), date(2007, 4, 2));
        assert_eq!(
            rfc2822_date("Thu, 24 Sep 2026 00:00:00 -0400").unwrap(),
            date(2026, 9, 24)
        );
        assert_eq!(date_of_timestamp("2026-02-02T00:00:00.000Z").unwrap(), date(2026, 2, 2));
        assert_eq!(weekday_listing(date(2025, 3, 22)), date(2025, 3, 21));
        assert_eq!(weekday_listing(date(2025, 3, 23)), date(2025, 3, 21));
        assert_eq!(weekday_listing(date(2025, 3, 24)), date(2025, 3, 24));
        assert!(iso_date("2025-02-30").is_err());
    }
}
