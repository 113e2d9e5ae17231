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
