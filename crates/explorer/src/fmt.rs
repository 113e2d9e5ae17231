//! How values read on a page: amounts in tokens (exact, never rounded), hashes shortened with the
//! whole value one hover away, times relative to now, and the links between pages.

use maud::{html, Markup};
use serde_json::Value;
use sinew_types::amount::TOKEN;

/// An amount of base units as tokens, exact to the last unit, with thousands separators.
pub fn tokens(base_units: u128) -> String {
    let whole = base_units / TOKEN;
    let frac = base_units % TOKEN;
    let mut out = group(&whole.to_string());
    if frac > 0 {
        let digits = format!("{frac:018}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
    out
}

/// An amount (a decimal string of base units, as the API writes them) as tokens.
pub fn amount(v: &Value) -> Markup {
    match parse_amount(v) {
        Some(units) => units_markup(units),
        None => html! { span.muted { "–" } },
    }
}

/// An amount of base units as tokens, the exact base units on hover.
pub fn units_markup(units: u128) -> Markup {
    html! { span.amt title=(format!("{units} base units")) { (tokens(units)) } }
}

/// A JSON amount (string or number) in base units.
pub fn parse_amount(v: &Value) -> Option<u128> {
    match v {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_u64().map(u128::from),
        _ => None,
    }
}

/// Digits grouped by thousands.
pub fn group(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A count with thousands separators.
pub fn count(n: u64) -> String {
    group(&n.to_string())
}

/// The first and last characters of a long hex value.
pub fn short(hex: &str) -> String {
    if hex.len() <= 16 {
        return hex.to_string();
    }
    format!("{}…{}", &hex[..8], &hex[hex.len() - 6..])
}

/// A link to an account page.
pub fn account(addr: &str) -> Markup {
    html! { a.mono href=(format!("/accounts/{addr}")) title=(addr) { (short(addr)) } }
}

/// A link to a block page.
pub fn block(height: u64) -> Markup {
    html! { a href=(format!("/blocks/{height}")) { "#" (count(height)) } }
}

/// A link to a transaction page.
pub fn tx(id: &str) -> Markup {
    html! { a.mono href=(format!("/txs/{id}")) title=(id) { (short(id)) } }
}

/// A hash shown shortened, in full on hover.
pub fn hash(h: &str) -> Markup {
    html! { span.mono title=(h) { (short(h)) } }
}

/// How long ago a Unix timestamp in milliseconds was, next to `now_ms`.
pub fn ago(ts_ms: u64, now_ms: u64) -> String {
    let s = now_ms.saturating_sub(ts_ms) / 1000;
    match s {
        0..=59 => format!("{s}s ago"),
        60..=3599 => format!("{}m ago", s / 60),
        3600..=86_399 => format!("{}h ago", s / 3600),
        _ => format!("{}d ago", s / 86_400),
    }
}

/// The wall clock, for "how long ago" only (never for anything the chain decides).
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A JSON value as plain text (strings without their quotes).
pub fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Whether `s` is 64 hex digits (an address, hash or id).
pub fn is_hex32(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_exact_to_the_last_unit() {
        assert_eq!(tokens(0), "0");
        assert_eq!(tokens(1), "0.000000000000000001");
        assert_eq!(tokens(TOKEN), "1");
        assert_eq!(tokens(1_234_567 * TOKEN + TOKEN / 4), "1,234,567.25");
        assert_eq!(tokens(u128::MAX), "340,282,366,920,938,463,463.374607431768211455");
    }

    #[test]
    fn hashes_shorten_and_relative_times_read() {
        assert_eq!(short("ab"), "ab");
        assert_eq!(short(&"0123456789".repeat(7)[..64]), "01234567…890123");
        assert_eq!(ago(1_000, 61_000), "1m ago");
        assert_eq!(ago(5_000, 1_000), "0s ago");
    }
}
