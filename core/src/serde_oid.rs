//! Object ids in JSON as lowercase hex strings, the way git and the providers print them.

use gix_hash::ObjectId;
use serde::{Deserialize, Deserializer, Serializer};

/// Serialize an id as hex.
pub fn serialize<S: Serializer>(oid: &ObjectId, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(oid)
}

/// Deserialize an id from hex.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ObjectId, D::Error> {
    let text = std::borrow::Cow::<str>::deserialize(d)?;
    ObjectId::from_hex(text.as_bytes()).map_err(serde::de::Error::custom)
}

/// The same for optional ids.
pub mod option {
    use super::*;

    /// Serialize an optional id as hex or null.
    pub fn serialize<S: Serializer>(oid: &Option<ObjectId>, s: S) -> Result<S::Ok, S::Error> {
        match oid {
            Some(oid) => s.collect_str(oid),
            None => s.serialize_none(),
        }
    }

    /// Deserialize an optional id from hex or null.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ObjectId>, D::Error> {
        Option::<std::borrow::Cow<str>>::deserialize(d)?
            .map(|t| ObjectId::from_hex(t.as_bytes()).map_err(serde::de::Error::custom))
            .transpose()
    }
}
