//! Token amounts: unsigned integers of base units, never floats.
//!
//! JSON carries amounts as decimal strings, because JSON numbers lose precision past 2^53.

/// One token in base units (18 decimals).
pub const TOKEN: Amount = 1_000_000_000_000_000_000;

/// An amount of the native token in base units.
pub type Amount = u128;

/// Serde adapter writing a `u128` as a decimal string and reading a string or a small number.
pub mod as_string {
    use serde::{de, Deserialize, Deserializer, Serializer};

    /// Writes the amount as a decimal string.
    pub fn serialize<S: Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum StrOrNum {
        Str(String),
        Num(u64),
    }

    /// Reads a decimal string (any u128) or a JSON integer (up to u64).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        match StrOrNum::deserialize(d)? {
            StrOrNum::Num(n) => Ok(n as u128),
            StrOrNum::Str(s) => s.parse::<u128>().map_err(|_| {
                de::Error::custom(format!(
                    "amount {s:?} is not a whole number of base units that fits in 128 bits"
                ))
            }),
        }
    }
}

/// Why a token amount written for people (`"1.5"`) does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an amount of tokens (digits, at most one point, at most 18 decimals)")]
pub struct BadTokens(pub String);

/// Parses an amount of tokens written for people (`"2"`, `"0.25"`) into base units, exactly.
pub fn parse_tokens(s: &str) -> Result<Amount, BadTokens> {
    let bad = || BadTokens(s.chars().take(40).collect());
    let (whole, frac) = s.trim().split_once('.').unwrap_or((s.trim(), ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && frac.is_empty()) || !digits(whole) || !digits(frac) || frac.len() > 18 {
        return Err(bad());
    }
    let w: Amount = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| bad())?
    };
    let f: Amount = if frac.is_empty() {
        0
    } else {
        frac.parse::<Amount>().map_err(|_| bad())? * 10u128.pow(18 - frac.len() as u32)
    };
    w.checked_mul(TOKEN).and_then(|w| w.checked_add(f)).ok_or_else(bad)
}

#[cfg(test)]
mod parse_tests {
    use super::*;

    #[test]
    fn tokens_parse_exactly_and_refuse_anything_else() {
        assert_eq!(parse_tokens("2"), Ok(2 * TOKEN));
        assert_eq!(parse_tokens("0.25"), Ok(TOKEN / 4));
        assert_eq!(parse_tokens(".5"), Ok(TOKEN / 2));
        assert_eq!(parse_tokens("0.000000000000000001"), Ok(1));
        for bad in [
            "",
            ".",
            "-1",
            "1e3",
            "1.2.3",
            "0.0000000000000000001",
            "abc",
            "340282366920938463464",
        ] {
            assert!(parse_tokens(bad).is_err(), "{bad}");
        }
    }
}
