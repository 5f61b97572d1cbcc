//! Why an inbound message could not be decoded, or an outbound one encoded.

use super::*;

/// Why an inbound message could not be decoded. Every variant is a count-and-skip case for the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    Json(JsonError),
    /// The frame is not a JSON object.
    NotObject,
    /// A required field is absent.
    Missing(&'static str),
    /// A field has the wrong type or an unknown value.
    Bad(&'static str),
    /// A decimal field does not fit its scale.
    Decimal(&'static str, ScaledError),
    /// The symbol is not in the scale table.
    UnknownSymbol,
    /// An asset is not in the scale table.
    UnknownAsset,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Json(e) => write!(f, "malformed JSON: {e}"),
            DecodeError::NotObject => f.write_str("message is not a JSON object"),
            DecodeError::Missing(k) => write!(f, "field {k:?} missing"),
            DecodeError::Bad(k) => write!(f, "field {k:?} has a bad type or value"),
            DecodeError::Decimal(k, e) => write!(f, "field {k:?}: {e}"),
            DecodeError::UnknownSymbol => f.write_str("symbol not in the scale table"),
            DecodeError::UnknownAsset => f.write_str("asset not in the scale table"),
        }
    }
}

impl std::error::Error for DecodeError {}

impl From<JsonError> for DecodeError {
    fn from(e: JsonError) -> Self {
        DecodeError::Json(e)
    }
}

/// Why a request could not be encoded (nothing was written that could be sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodeError {
    /// The symbol contains characters that cannot appear in a JSON string unescaped.
    BadSymbol,
    /// A price or quantity could not be formatted at its scale.
    Decimal(ScaledError),
    /// A limit order without a positive price, or a non-positive quantity.
    BadOrder,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::BadSymbol => {
                f.write_str("symbol contains quotes, backslashes or control characters")
            }
            EncodeError::Decimal(e) => write!(f, "cannot format a decimal: {e}"),
            EncodeError::BadOrder => {
                f.write_str("order needs a positive quantity (and a positive limit price)")
            }
        }
    }
}

impl std::error::Error for EncodeError {}
