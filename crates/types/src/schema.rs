//! JSON schemas of the types that serialize as strings (hashes, addresses, signatures, failure
//! codes), for the OpenAPI document; every other wire type derives its schema.

use schemars::gen::SchemaGenerator;
use schemars::schema::{InstanceType, Metadata, Schema, SchemaObject, StringValidation};
use schemars::JsonSchema;

/// A string schema: `description`, and `hex_len` lowercase hex characters if given.
fn string(description: &str, hex_len: Option<u32>) -> Schema {
    SchemaObject {
        instance_type: Some(InstanceType::String.into()),
        metadata: Some(Box::new(Metadata {
            description: Some(description.into()),
            ..Default::default()
        })),
        string: hex_len.map(|n| {
            Box::new(StringValidation {
                pattern: Some(format!("^[0-9a-f]{{{n}}}$")),
                ..Default::default()
            })
        }),
        ..Default::default()
    }
    .into()
}

macro_rules! string_schema {
    ($t:ty, $name:literal, $desc:literal, $hex:expr) => {
        impl JsonSchema for $t {
            fn schema_name() -> String {
                $name.into()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                string($desc, $hex)
            }
        }
    };
}

string_schema!(crate::Hash, "Hash", "A BLAKE3 hash, 64 hex characters.", Some(64));
string_schema!(
    crate::Address,
    "Address",
    "An account: its ed25519 public key, 64 hex characters.",
    Some(64)
);
string_schema!(
    crate::signing::SignatureBytes,
    "Signature",
    "An ed25519 signature, 128 hex characters.",
    Some(128)
);
string_schema!(
    crate::FailureCode,
    "FailureCode",
    "Why an included transaction failed: a stable snake_case code of the module whose rule refused it.",
    None
);
